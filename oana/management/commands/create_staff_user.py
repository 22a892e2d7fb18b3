"""Create (or update) a staff user in one of the clinic's roles (see oana/roles.py)."""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from oana.roles import GROUP_NAMES, sync_roles


class Command(BaseCommand):
    help = (
        "Create a staff user in a role: "
        + ", ".join(f"{key} ({name})" for key, name in GROUP_NAMES.items())
        + ". An existing user is given the role (and the new password, if one is given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(GROUP_NAMES))
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="Password (otherwise you are asked for it; with --no-input, none is set).",
        )
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive")

    def handle(self, *args, username, role, email, password, interactive, **options):
        User = get_user_model()
        if password is None and interactive:
            password = self._prompt_password()
        with transaction.atomic():
            sync_roles()
            group = Group.objects.get(name=GROUP_NAMES[role])
            user = User.objects.filter(username=username).first()
            created = user is None
            if created:
                user = User(username=username, email=email)
            elif email:
                user.email = email
            user.is_staff = True
            if password:
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from error
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            user.save()
            user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} staff user {username!r} in {group.name}."))
        if created and not password:
            self.stdout.write("No password set: use `manage.py changepassword` to set one.")

    def _prompt_password(self):
        for _ in range(3):
            password = getpass.getpass("Password: ")
            if not password:
                raise CommandError("A password is required (or pass --no-input).")
            if password == getpass.getpass("Password (again): "):
                return password
            self.stderr.write("The passwords did not match; try again.")
        raise CommandError("The passwords did not match.")
