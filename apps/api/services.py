import hashlib
import secrets

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from .models import ApiKey

KEY_PREFIX = "vp-"


def _hash(raw_key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough; no salt or stretching is needed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, owner: User, name: str) -> tuple[ApiKey, str]:
    """Create a key; the raw key is returned once and never stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        owner=owner, name=name.strip() or "API key", prefix=raw[:10], hashed_key=_hash(raw)
    )
    return key, raw


def api_key_revoke(*, owner: User, key_id: int) -> bool:
    """Revoke one of `owner`'s keys (again is harmless); False when they have no such key."""
    keys = ApiKey.objects.filter(owner=owner, pk=key_id)
    if not keys.exists():
        return False
    keys.filter(revoked_at=None).update(revoked_at=timezone.now())
    return True


def api_key_authenticate(raw_key: str) -> User | None:
    """The active user who owns `raw_key`, or None."""
    key = api_key_use(raw_key)
    return key.owner if key else None


def api_key_use(raw_key: str) -> ApiKey | None:
    """The active key `raw_key` names (its owner loaded), counting the request; or None."""
    if not raw_key:
        return None
    key = (
        ApiKey.objects.select_related("owner")
        .filter(hashed_key=_hash(raw_key), revoked_at=None)
        .first()
    )
    if key is None or not key.owner.is_active:
        return None
    ApiKey.objects.filter(pk=key.pk).update(
        request_count=F("request_count") + 1, last_used_at=timezone.now()
    )
    return key


def api_key_add_usage(*, key: ApiKey | None, audio_seconds: float = 0.0, characters: int = 0):
    """Add what a request asked of the portal to its key's usage (nothing for a session user)."""
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(
            audio_seconds=F("audio_seconds") + max(0.0, audio_seconds),
            characters=F("characters") + max(0, characters),
        )
