"""Per-user limits: jobs running at once, storage, audio minutes per day. Defaults come from
settings (VOICEPORTAL_QUOTA_*; 0: no limit) and staff override them per user in the admin
(UserQuota). Running at once only makes jobs wait; the others refuse an upload with a reason
before anything is stored (QuotaExceeded), so nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from django.conf import settings
from django.utils import timezone

from .models import UserQuota

# What each feature app counts against a user (registered in its AppConfig.ready):
# bytes stored, and seconds of audio added since a moment.
_storage_counters: list[Callable[[int], int]] = []
_audio_counters: list[Callable[[int, datetime], float]] = []


class QuotaExceeded(Exception):
    """An upload would pass a user's limit. `status`: 403 for storage (free some first), 429
    for the daily minutes (try again tomorrow)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def quota_register(*, storage=None, audio_seconds=None) -> None:
    if storage:
        _storage_counters.append(storage)
    if audio_seconds:
        _audio_counters.append(audio_seconds)


def _own(user_id: int, field: str, default: int) -> int:
    value = UserQuota.objects.filter(user_id=user_id).values_list(field, flat=True).first()
    return default if value is None else value


def quota_concurrent_jobs(user_id: int) -> int:
    return _own(user_id, "concurrent_jobs", settings.VOICEPORTAL_QUOTA_CONCURRENT_JOBS)


def quota_check_upload(*, user_id: int, size: int, seconds: float) -> None:
    """Raise QuotaExceeded when `size` more bytes or `seconds` more audio today would pass the
    user's limits."""
    storage_mb = _own(user_id, "storage_mb", settings.VOICEPORTAL_QUOTA_STORAGE_MB)
    if storage_mb:
        used = sum(count(user_id) for count in _storage_counters)
        if used + size > storage_mb * 1024 * 1024:
            raise QuotaExceeded(
                f"This upload would pass your storage limit of {storage_mb} MB "
                f"({used / 1024 / 1024:.0f} MB used). Delete some recordings first.",
                status=403,
            )
    minutes = _own(user_id, "audio_minutes_per_day", settings.VOICEPORTAL_QUOTA_MINUTES_PER_DAY)
    if minutes:
        since = _start_of_day()
        used = sum(count(user_id, since) for count in _audio_counters)
        if used + seconds > minutes * 60:
            raise QuotaExceeded(
                f"This recording would pass your limit of {minutes} minutes of audio a day "
                f"({used / 60:.0f} used today). It can be uploaded after midnight UTC.",
                status=429,
            )


def _start_of_day() -> datetime:
    now = timezone.now()
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
