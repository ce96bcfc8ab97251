from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.api.selectors import api_key_list

from .forms import SignupForm
from .services import signup_is_open


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("transcripts:list")
    if not signup_is_open():
        return render(request, "accounts/signup_closed.html", status=403)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("transcripts:list")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def account_settings(request):
    return render(
        request,
        "accounts/settings.html",
        {
            "api_keys": api_key_list(owner=request.user),
            "new_key": request.session.pop("new_api_key", None),
        },
    )
