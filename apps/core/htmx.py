from django.shortcuts import redirect, resolve_url
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    HttpResponseStopPolling,
)


def redirect_after_post(request, to):
    """After a POST, go to `to` (a URL, a view name or an object with get_absolute_url):
    htmx follows a client redirect, a plain form a normal one."""
    url = resolve_url(to)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def stop_polling_and_refresh() -> HttpResponseStopPolling:
    """The answer to a poll whose work has ended: stop polling (286) and reload the page, which
    shows the result."""
    response = HttpResponseStopPolling()
    response["HX-Refresh"] = HttpResponseClientRefresh()["HX-Refresh"]
    return response
