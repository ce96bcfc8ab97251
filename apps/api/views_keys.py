"""Creating and revoking API keys from the account settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.webhooks.selectors import webhooks_page_context

from . import services
from .selectors import api_key_list


@login_required
@require_POST
def api_key_new(request):
    _, raw = services.api_key_create(owner=request.user, name=request.POST.get("name", ""))
    # Shown in this answer only, never stored (not even in the session): only its hash is kept.
    context = {
        "api_keys": api_key_list(owner=request.user),
        "new_key": raw,
        **webhooks_page_context(owner=request.user),
    }
    response = render(request, "accounts/settings.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke(request, key_id):
    if not services.api_key_revoke(owner=request.user, key_id=key_id):
        raise Http404("No such key.")  # another user's key: as if it did not exist
    messages.success(request, "The key was revoked.")
    return redirect("account_settings")
