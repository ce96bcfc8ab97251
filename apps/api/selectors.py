from django.contrib.auth.models import User
from django.db.models import QuerySet

from .models import ApiKey


def api_key_list(*, owner: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(owner=owner)
