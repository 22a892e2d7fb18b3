"""The one read-only admin base: records written by services (or by Stripe, or the worker)
that staff look at and never edit."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models.constants import LOOKUP_SEP
from django.utils.functional import cached_property

# Above this many rows (PostgreSQL's estimate), an unfiltered list shows the estimate.
ESTIMATE_ABOVE = 10_000


class EstimatedCountPaginator(Paginator):
    """An unfiltered list of a large table on PostgreSQL counts with the planner's estimate
    (``pg_class.reltuples``, kept by ANALYZE and autovacuum) instead of reading every row;
    a filtered list, a small table or SQLite counts exactly. One query either way, so the
    pinned query counts are the same on both databases."""

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or queryset.query.where:
            return super().count
        table = connection.ops.quote_name(queryset.model._meta.db_table)  # pragma: postgres only
        with connection.cursor() as cursor:  # pragma: postgres only
            cursor.execute(
                f"SELECT CASE WHEN reltuples > %s THEN reltuples::bigint "
                f"ELSE (SELECT COUNT(*) FROM {table}) END "
                "FROM pg_class WHERE oid = %s::regclass",
                [ESTIMATE_ABOVE, table],
            )
            return cursor.fetchone()[0]


class OfferedFiltersOnly:
    """URL lookups only on the filters the admin offers (its ``list_filter`` and date bar).

    Django's default also lets any lookup on a local field through, so ``?answers__...=Yes``
    would filter every patient's health answers without showing (or logging) them. Anything
    else is refused with a 400 (``DisallowedModelAdminLookup``).
    """

    def lookup_allowed(self, lookup, value, request):
        offered = {self.date_hierarchy} - {None}
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                offered.add(item.parameter_name)
            else:
                offered.add(item[0] if isinstance(item, (list, tuple)) else item)
        return any(lookup == name or lookup.startswith(name + LOOKUP_SEP) for name in offered)


class ReadOnlyModelAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    """Staff look, never add, edit or delete."""

    # A filtered list says "12 results" without "(100,000 total)": that second count reads
    # the whole table on every page (docs/performance.md).
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyReadOnlyAdmin(ReadOnlyModelAdmin):
    """Read only, and shown to superusers alone (audit logs)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
