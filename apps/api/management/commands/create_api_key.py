from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from apps.api.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="Create the user (with an unusable password) if missing.",
        )

    def handle(self, *args, username, name, create_user, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create_user:
                raise CommandError(f"No user {username!r}; pass --create-user to create one.")
            user = User.objects.create_user(username=username, password=get_random_string(32))
            user.set_unusable_password()
            user.save(update_fields=["password"])
        _, raw = api_key_create(owner=user, name=name)
        self.stdout.write(raw)
