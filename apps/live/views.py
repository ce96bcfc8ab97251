from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services


@login_required
@require_GET
def live_page(request):
    """The recorder; ?transcript=<id> continues one of the user's live recordings."""
    continued = None
    if pk := request.GET.get("transcript"):
        continued = _own_live_transcript(request, pk)
    context = {
        "continued": continued,
        "interrupted": selectors.live_interrupted(owner=request.user),
        "languages": selectors.live_languages(),
    }
    return render(request, "live/page.html", context)


@login_required
@require_POST
def live_save(request, pk):
    """Save, as it is, a recording whose session was cut off."""
    transcript = _own_live_transcript(request, pk)
    services.live_transcript_save(transcript=transcript)
    return redirect(transcript)


def _own_live_transcript(request, pk):
    try:
        transcript = selectors.live_transcript(owner=request.user, pk=pk)
    except Exception as exc:  # a malformed id is as unknown as another user's
        raise Http404 from exc
    if transcript is None:
        raise Http404
    return transcript
