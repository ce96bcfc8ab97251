from django.conf import settings
from django.db import models


class PortalSettings(models.Model):
    """Site-wide switches that staff change in the admin. There is one row."""

    signup_open = models.BooleanField(
        default=True, help_text="Let anyone create an account from the sign-up page."
    )

    class Meta:
        verbose_name = verbose_name_plural = "portal settings"

    def __str__(self) -> str:
        return "Portal settings"

    @classmethod
    def load(cls) -> "PortalSettings":
        row, _ = cls.objects.get_or_create(
            pk=1, defaults={"signup_open": settings.VOICEPORTAL_SIGNUP_OPEN}
        )
        return row
