"""Webhook endpoints, the signing secret and redelivery, from the account settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from . import services
from .forms import EndpointForm


def _back():
    response = redirect("account_settings")
    response["Location"] += "#webhooks"
    return response


@login_required
@require_POST
def endpoint_new(request):
    form = EndpointForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the endpoint a URL (and known event types).")
        return _back()
    try:
        services.endpoint_create(
            owner=request.user,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            events=form.cleaned_data["events"],
        )
    except ValidationError as exc:
        messages.error(request, "The endpoint was not added: " + " ".join(exc.messages))
    else:
        messages.success(request, "The endpoint was added.")
    return _back()


@login_required
@require_POST
def endpoint_delete(request, endpoint_id):
    if not services.endpoint_delete(owner=request.user, endpoint_id=endpoint_id):
        raise Http404("No such endpoint.")
    messages.success(request, "The endpoint was removed.")
    return _back()


@login_required
@require_POST
def endpoint_enable(request, endpoint_id):
    if not services.endpoint_enable(owner=request.user, endpoint_id=endpoint_id):
        raise Http404("No such endpoint.")
    messages.success(request, "The endpoint is on again.")
    return _back()


@login_required
@require_POST
def secret_rotate(request):
    services.secret_rotate(owner=request.user)
    messages.success(request, "A new signing secret is in use; update your receivers.")
    return _back()


@login_required
@require_POST
def delivery_redeliver(request, delivery_id):
    if not services.delivery_redeliver(owner=request.user, delivery_id=delivery_id):
        raise Http404("No such delivery, or it is being sent now.")
    messages.success(request, "The delivery is queued again.")
    return _back()
