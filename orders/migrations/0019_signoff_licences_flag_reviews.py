"""Licences per state (number, expiry) instead of a list of state codes; flag reviews.

Each state of a profile's ``licensed_states`` becomes a licence numbered
``MIGRATED-UNVERIFIED`` that expires on 2027-03-31 (``MIGRATED_EXPIRY``): long enough for a
superuser to enter each real number and expiry from the state board (docs/clinicians.md),
short enough that an unverified licence does not count for ever. Going back writes the
current licences' states into the list again.
"""

import datetime

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.encryption
import orders.models.signoff

MIGRATED_NUMBER = "MIGRATED-UNVERIFIED"
MIGRATED_EXPIRY = datetime.date(2027, 3, 31)


def states_to_licences(apps, schema_editor):
    profiles = apps.get_model("orders", "ClinicianProfile")
    licences = apps.get_model("orders", "ClinicianLicence")
    licences.objects.bulk_create(
        licences(profile=profile, state=state, number=MIGRATED_NUMBER, expires_on=MIGRATED_EXPIRY)
        for profile in profiles.objects.all()
        for state in sorted(set(profile.licensed_states or []))
    )


def licences_to_states(apps, schema_editor):
    profiles = apps.get_model("orders", "ClinicianProfile")
    for profile in profiles.objects.all():
        profile.licensed_states = sorted(
            licence.state
            for licence in profile.licences.all()
            if licence.expires_on >= datetime.date.today()
        )
        profile.save(update_fields=["licensed_states"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0018_hold_release_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="clinicianprofile",
            name="npi",
            field=models.CharField(
                max_length=10,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator("^[0-9]{10}$", "An NPI is 10 digits."),
                    orders.models.signoff.validate_npi,
                ],
                verbose_name="NPI",
            ),
        ),
        migrations.CreateModel(
            name="FlagReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("action", models.CharField(help_text="approve, renew, change...", max_length=20)),
                ("flag_key", models.CharField(max_length=100)),
                ("grade", models.CharField(max_length=20)),
                ("message", core.encryption.EncryptedTextField()),
                ("considered", models.BooleanField(default=False)),
                ("reason", core.encryption.EncryptedTextField(blank=True, default="")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="flag_reviews",
                        to="orders.order",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["at", "id"],
            },
        ),
        migrations.CreateModel(
            name="ClinicianLicence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("AL", "Alabama"),
                            ("AK", "Alaska"),
                            ("AZ", "Arizona"),
                            ("AR", "Arkansas"),
                            ("CA", "California"),
                            ("CO", "Colorado"),
                            ("CT", "Connecticut"),
                            ("DE", "Delaware"),
                            ("DC", "District of Columbia"),
                            ("FL", "Florida"),
                            ("GA", "Georgia"),
                            ("HI", "Hawaii"),
                            ("ID", "Idaho"),
                            ("IL", "Illinois"),
                            ("IN", "Indiana"),
                            ("IA", "Iowa"),
                            ("KS", "Kansas"),
                            ("KY", "Kentucky"),
                            ("LA", "Louisiana"),
                            ("ME", "Maine"),
                            ("MD", "Maryland"),
                            ("MA", "Massachusetts"),
                            ("MI", "Michigan"),
                            ("MN", "Minnesota"),
                            ("MS", "Mississippi"),
                            ("MO", "Missouri"),
                            ("MT", "Montana"),
                            ("NE", "Nebraska"),
                            ("NV", "Nevada"),
                            ("NH", "New Hampshire"),
                            ("NJ", "New Jersey"),
                            ("NM", "New Mexico"),
                            ("NY", "New York"),
                            ("NC", "North Carolina"),
                            ("ND", "North Dakota"),
                            ("OH", "Ohio"),
                            ("OK", "Oklahoma"),
                            ("OR", "Oregon"),
                            ("PA", "Pennsylvania"),
                            ("RI", "Rhode Island"),
                            ("SC", "South Carolina"),
                            ("SD", "South Dakota"),
                            ("TN", "Tennessee"),
                            ("TX", "Texas"),
                            ("UT", "Utah"),
                            ("VT", "Vermont"),
                            ("VA", "Virginia"),
                            ("WA", "Washington"),
                            ("WV", "West Virginia"),
                            ("WI", "Wisconsin"),
                            ("WY", "Wyoming"),
                        ],
                        max_length=2,
                    ),
                ),
                ("number", models.CharField(max_length=50, verbose_name="licence number")),
                ("expires_on", models.DateField()),
                (
                    "profile",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="licences",
                        to="orders.clinicianprofile",
                    ),
                ),
            ],
            options={
                "ordering": ["state"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("profile", "state"), name="one_licence_per_state"
                    )
                ],
            },
        ),
        migrations.RunPython(states_to_licences, licences_to_states),
        migrations.RemoveField(
            model_name="clinicianprofile",
            name="licensed_states",
        ),
    ]
