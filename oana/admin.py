"""The worker in the admin: failed tasks (superusers and Support, read only, with Retry) and
the schedule (superusers)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyModelAdmin

from . import article_reviewer
from .models import FailedTask, ScheduledJob
from .retries import retry_now
from .scheduler import schedule

article_reviewer.register()


@admin.register(FailedTask)
class FailedTaskAdmin(ReadOnlyModelAdmin):
    list_display = ["task_path", "arguments", "attempts", "error", "enqueued_at", "finished_at"]
    list_filter = ["task_path"]
    fields = [
        "task_path",
        "arguments",
        "attempts",
        "enqueued_at",
        "started_at",
        "finished_at",
        "error",
        "error_traceback",
    ]
    readonly_fields = fields
    actions = ["retry"]
    change_form_template = "admin/oana/failedtask/change_form.html"

    @admin.display(description="arguments")
    def arguments(self, task):
        return ", ".join(
            [repr(value) for value in task.args_kwargs["args"]]
            + [f"{key}={value!r}" for key, value in task.args_kwargs["kwargs"].items()]
        )

    @admin.display(description="attempts")
    def attempts(self, task):
        return len(task.worker_ids)

    @admin.display(description="last error")
    def error(self, task):
        return task.exception_class_path.rsplit(".", 1)[-1]

    @admin.display(description="traceback")
    def error_traceback(self, task):
        return format_html("<pre>{}</pre>", task.traceback)

    def has_retry_permission(self, request):
        return request.user.has_perm("oana.retry_failedtask")

    @admin.action(permissions=["retry"], description="Retry the selected tasks now")
    def retry(self, request, queryset):
        for task in queryset:
            self.log_change(request, task, "Retried")
        count = retry_now(queryset)
        self.message_user(
            request, f"{count} task(s) back on the queue: the worker runs them now.", messages.INFO
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="oana_failedtask_retry",
            ),
            *super().get_urls(),
        ]

    def retry_view(self, request, object_id):
        if not self.has_retry_permission(request):
            raise PermissionDenied
        task = get_object_or_404(FailedTask, pk=object_id)
        self.retry(request, FailedTask.objects.filter(pk=task.pk))
        return HttpResponseRedirect(reverse("admin:oana_failedtask_changelist"))

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_retry"] = self.has_retry_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyModelAdmin):
    list_display = ["task_path", "every", "last_enqueued_at", "last_task_id"]

    @admin.display(description="every")
    def every(self, job):
        return schedule().get(job.task_path, "no longer scheduled")
