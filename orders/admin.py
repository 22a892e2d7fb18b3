"""A minimal, read-only view of orders for staff.

The full order admin (review queue, actions, roles, questionnaire access) builds on this
in a later change; questionnaire answers are health data and deliberately not shown here.
"""

from django.contrib import admin

from .models import Order, OrderEvent, OrderLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["treatment_name", "plan_name", "unit_amount_cents", "quantity"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "actor_label", "message"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "full_name", "email", "status", "total_cents", "created_at"]
    list_filter = ["status", "is_test_mode"]
    search_fields = ["email", "full_name", "public_id", "stripe_subscription_id"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
