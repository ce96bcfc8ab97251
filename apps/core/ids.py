"""Ids that come as text (a query string, a form field) rather than through a URL converter."""

import uuid

from django.http import Http404


def uuid_or_404(value: str, *, what: str) -> uuid.UUID:
    """`value` as a UUID; a malformed one is a 404 ("No such <what>"), as an unknown id is."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404(f"No such {what}") from None
