from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.api.selectors import api_key_list
from apps.core.throttle import (
    client_ip,
    throttle_clear,
    throttle_fail,
    throttle_wait,
    too_many_tries,
)
from apps.webhooks.selectors import webhooks_page_context

from .forms import SignupForm
from .services import login_limits, reset_limits, signup_is_open, signup_limits


class LoginView(auth_views.LoginView):
    """Django's login, slower with every failed try for the account and for the address."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        limits = login_limits(username=request.POST.get("username", ""), ip=client_ip(request))
        if wait := throttle_wait(limits):
            return too_many_tries(wait)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle_clear(limits[:1])  # the account's count; the address's stays
        else:
            throttle_fail(limits)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email; each address may ask for a few mails, then waits."""

    def post(self, request, *args, **kwargs):
        limits = reset_limits(ip=client_ip(request))
        if wait := throttle_wait(limits):
            return too_many_tries(wait)
        throttle_fail(limits)
        return super().post(request, *args, **kwargs)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("transcripts:list")
    if not signup_is_open():
        return render(request, "accounts/signup_closed.html", status=403)
    if request.method == "POST":
        limits = signup_limits(ip=client_ip(request))
        if wait := throttle_wait(limits):
            return too_many_tries(wait)
        throttle_fail(limits)  # every try counts: accounts are made by the batch otherwise
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("transcripts:list")
    return render(request, "accounts/signup.html", {"form": form})


@never_cache  # the page shows the webhook signing secret
@login_required
def account_settings(request):
    return render(
        request,
        "accounts/settings.html",
        {
            "api_keys": api_key_list(owner=request.user),
            **webhooks_page_context(owner=request.user),
        },
    )
