"""A stop recorded with the person, not the browser (``clinic.stop_records``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.encryption import EncryptedTextField


class StopRecord(models.Model):
    """A stop that fired at checkout: which stop, which answer (key, question and answer as
    she read them), when. Nothing else: no name, no email, no date of birth.

    It belongs to her account when she was signed in, and always (when she had typed a valid
    email and date of birth) to ``person_key``, a keyed hash of the two
    (``clinic.stop_records.person_key``): someone who never ordered leaves no plain
    identifier. What she answered is health data, so it is encrypted like her answers.
    Kept ``STOP_RECORD_RETENTION_DAYS``, then pruned (``oana.retention``)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stop_records",
    )
    person_key = models.CharField(max_length=64, blank=True, db_index=True)
    answer_key = EncryptedTextField(help_text="The questionnaire key of the answer.")
    question = EncryptedTextField()
    answer = EncryptedTextField(help_text="Her answer, as she read it.")
    stop = EncryptedTextField(help_text="Why checkout stopped, as she read it.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Stop recorded {self.created_at:%Y-%m-%d}"
