from django.contrib.auth.models import User

from apps.core.throttle import Limit

from .models import PortalSettings

# Failures before any wait: an account is guessed at from anywhere; many people may share an
# address (an office, a NAT), so it gets more.
ACCOUNT_FREE_FAILURES, ADDRESS_FREE_FAILURES = 5, 20
# Sign-ups and password-reset mails an address may ask for before waiting.
SIGNUPS_PER_ADDRESS, RESETS_PER_ADDRESS = 5, 5


def signup_is_open() -> bool:
    return PortalSettings.load().signup_open


def user_create(*, username: str, password: str, email: str = "") -> User:
    return User.objects.create_user(username=username, password=password, email=email)


def login_limits(*, username: str, ip: str) -> list[Limit]:
    """The account's limit first (cleared by a good login), then the address's."""
    return [
        Limit(f"login:user:{username.strip().lower()[:150]}", ACCOUNT_FREE_FAILURES),
        Limit(f"login:ip:{ip}", ADDRESS_FREE_FAILURES),
    ]


def signup_limits(*, ip: str) -> list[Limit]:
    return [Limit(f"signup:ip:{ip}", SIGNUPS_PER_ADDRESS)]


def reset_limits(*, ip: str) -> list[Limit]:
    return [Limit(f"reset:ip:{ip}", RESETS_PER_ADDRESS)]
