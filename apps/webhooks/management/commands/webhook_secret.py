from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.webhooks.services import secret_get, secret_rotate


class Command(BaseCommand):
    help = "Print a user's webhook signing secret (whsec_…), made on first use, for automation."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace it with a new one.")

    def handle(self, *args, username, rotate, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        self.stdout.write(secret_rotate(owner=user) if rotate else secret_get(owner=user))
