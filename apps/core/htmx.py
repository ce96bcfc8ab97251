from django.shortcuts import redirect, resolve_url
from django_htmx.http import HttpResponseClientRedirect


def redirect_after_post(request, to):
    """After a POST, go to `to` (a URL, a view name or an object with get_absolute_url):
    htmx follows a client redirect, a plain form a normal one."""
    url = resolve_url(to)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
