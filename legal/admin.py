"""Content editors write a new version and publish it; a published version never changes
(read-only here), so what an earlier order agreed to stays as it was."""

from django.contrib import admin, messages
from django.utils import timezone

from .models import LegalDocument


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title", "published_at", "counsel_reviewed_on"]
    list_filter = ["kind"]
    fields = ["kind", "title", "body", "counsel_reviewed_on", "version", "published_at"]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            # Published: the text never changes (write a new version instead); counsel's
            # review date may still be set, it changes nothing she agreed to.
            return [name for name in self.fields if name != "counsel_reviewed_on"]
        return ["version", "published_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # orders point at the versions they agreed to

    @admin.action(description="Publish the selected drafts (each becomes the current version)")
    def publish(self, request, queryset):
        count = queryset.filter(published_at__isnull=True).update(published_at=timezone.now())
        self.message_user(request, f"{count} document(s) published.", messages.SUCCESS)
