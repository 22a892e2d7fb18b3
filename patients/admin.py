"""Messages with patients: the care team's inbox and a thread page with a reply form.

Who reads what follows ``Thread.READ_PERMISSIONS``: medical threads are health data
(Clinicians and superusers), order threads are for Support and Clinicians. Every time a
medical thread is shown, the health-data access log gets a row. Staff never edit or delete
a message; a reply is a new one.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyModelAdmin
from orders.admin.common import log_answers_viewed
from orders.admin.forms import ReplyForm
from orders.models import Thread
from patients.services.messages import mark_read_by_care_team, post_staff_message


class UnreadFilter(admin.SimpleListFilter):
    title = "unread"
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("yes", "Waiting for the care team")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.unread_by_care_team()
        return queryset


@admin.register(Thread)
class ThreadAdmin(ReadOnlyModelAdmin):
    list_display = ["order_link", "topic", "last_patient_message_at", "unread"]
    list_filter = [UnreadFilter, "topic"]
    list_select_related = ["order"]
    search_fields = ["=order__id"]
    ordering = ["-last_patient_message_at", "-id"]

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return request.user.has_perm(Thread.READ_PERMISSIONS[obj.topic])
        return any(request.user.has_perm(p) for p in Thread.READ_PERMISSIONS.values())

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).for_staff(request.user)

    @admin.display(description="order", ordering="order_id")
    def order_link(self, thread):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_thread_change", args=[thread.pk]),
            thread.order.reference,
        )

    @admin.display(description="waiting for us", boolean=True)
    def unread(self, thread):
        last = thread.last_patient_message_at
        return bool(last and (thread.care_team_read_at is None or thread.care_team_read_at < last))

    def get_urls(self):
        return [
            path(
                "<int:pk>/change/",
                self.admin_site.admin_view(self.thread_view),
                name="orders_thread_change",
            ),
            *super().get_urls(),
        ]

    def thread_view(self, request, pk):
        thread = Thread.objects.select_related("order").filter(pk=pk).first()
        if thread is None:
            return HttpResponseRedirect(reverse("admin:orders_thread_changelist"))
        if not self.has_view_permission(request, thread):
            raise PermissionDenied
        form = ReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            post_staff_message(thread, body=form.cleaned_data["body"], by=request.user)
            self.message_user(request, "Sent; the patient was emailed a notice.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:orders_thread_change", args=[pk]))
        if thread.topic == Thread.Topic.MEDICAL:
            log_answers_viewed(request, [thread.order], "medical messages")
        mark_read_by_care_team(thread)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{thread.get_topic_display()}: {thread.order.reference}",
            "thread": thread,
            "messages_in_thread": thread.messages.select_related("author"),
            "form": form,
            "order_url": reverse("admin:orders_order_change", args=[thread.order_id]),
            "waiting_since": thread.order.asked_at if thread.order.allows("answer") else None,
        }
        return TemplateResponse(
            request,
            "admin/orders/thread/thread.html",
            context,
            status=400 if form.is_bound else 200,
        )
