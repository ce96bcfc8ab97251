"""Creating and revoking API keys from the account settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from . import services


@login_required
@require_POST
def api_key_new(request):
    _, raw = services.api_key_create(owner=request.user, name=request.POST.get("name", ""))
    # Shown once on the next page, then gone: only its hash is stored.
    request.session["new_api_key"] = raw
    return redirect("account_settings")


@login_required
@require_POST
def api_key_revoke(request, key_id):
    services.api_key_revoke(owner=request.user, key_id=key_id)
    messages.success(request, "The key was revoked.")
    return redirect("account_settings")
