"""An article's medical reviewer is one of our clinicians: staff choose her in the article's
admin, and in development the seed names the demo clinician. Here, in the project: articles
sit below the clinic and the clinic may not import articles (docs/architecture.md), so the
project, which sees both, joins them."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from articles.admin import ArticleAdmin
from articles.models import Article
from clinic.clinicians import DEMO_USERNAME
from core.cache import content_changed
from orders.models import ClinicianProfile


def reviewer_choices(current=""):
    """("", "No medical reviewer yet") and each active clinician as the byline names her;
    a reviewer already on the article stays offered (she may have left since)."""
    names = [str(profile) for profile in ClinicianProfile.objects.active()]
    if current and current not in names:
        names.append(current)
    return [("", "No medical reviewer yet"), *((name, name) for name in names)]


class ReviewedArticleForm(forms.ModelForm):
    medical_reviewer = forms.ChoiceField(
        required=False,
        help_text="The clinician who checked this article; the page shows her name and the "
        '"last reviewed" date.',
    )

    class Meta:
        model = Article
        fields = ["medical_reviewer"]  # the admin adds the fieldsets' others

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medical_reviewer"].choices = reviewer_choices(
            self.instance.medical_reviewer if self.instance else ""
        )


class ReviewedArticleAdmin(ArticleAdmin):
    form = ReviewedArticleForm


def register():
    """Put the reviewer's choice into the article's admin (``oana/admin.py`` calls it)."""
    admin.site.unregister(Article)
    admin.site.register(Article, ReviewedArticleAdmin)


def seed_demo_reviewer():
    """Development only (the seed calls it when DEBUG is on): articles without a medical
    reviewer get the demo clinician, reviewed today, so the byline shows on a fresh machine.
    In production staff choose the reviewer in the article's admin. Returns how many."""
    profile = ClinicianProfile.objects.filter(user__username=DEMO_USERNAME).first()
    if profile is None:
        return 0
    count = Article.objects.filter(medical_reviewer="").update(
        medical_reviewer=str(profile), last_reviewed=timezone.localdate()
    )
    if count:
        content_changed()  # update() sends no signal: the cached article pages must go
    return count
