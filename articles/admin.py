"""Editors' admin: write in Markdown, schedule with the publish date, preview drafts.

"View on site" opens the public URL; staff see drafts and scheduled articles there with a
"Draft preview" notice, everyone else gets a 404 until the article is live.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from .models import Article, FaqItem, Topic


class FaqItemInline(admin.StackedInline):
    model = FaqItem
    extra = 1
    fields = ["order", "question", "answer"]
    ordering = ["order", "id"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "visibility", "status", "publish_at", "updated", "preview_link"]
    list_filter = ["status", "topics", "publish_at"]
    search_fields = ["title", "dek", "body", "slug"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics", "related_treatments"]
    readonly_fields = ["created", "updated", "reading_time_display"]
    inlines = [FaqItemInline]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "body", "references"]}),
        ("Publishing", {"fields": ["status", "publish_at", "author", "medical_reviewer", "last_reviewed"]}),
        ("Topics and treatments", {"fields": ["topics", "related_treatments"]}),
        ("Search engines and sharing", {"fields": ["seo_title", "seo_description"]}),
        ("Record", {"classes": ["collapse"], "fields": ["created", "updated", "reading_time_display"]}),
    ]  # fmt: skip

    @admin.display(description="Visible to the public")
    def visibility(self, obj):
        if obj.status == Article.Status.DRAFT:
            return "Draft"
        if obj.publish_at > timezone.now():
            return "Scheduled"
        return "Live"

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">View</a>', obj.get_absolute_url())

    @admin.display(description="Reading time")
    def reading_time_display(self, obj):
        return f"{obj.reading_time} min" if obj.pk else "-"
