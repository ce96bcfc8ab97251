from django.contrib.auth.models import User

from .models import PortalSettings


def signup_is_open() -> bool:
    return PortalSettings.load().signup_open


def user_create(*, username: str, password: str, email: str = "") -> User:
    return User.objects.create_user(username=username, password=password, email=email)
