import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from apps.core.htmx import redirect_after_post
from apps.core.http import ranged_file_response
from apps.core.ids import uuid_or_404
from apps.jobs.progress import job_progress_response
from apps.speech.selectors import default_voice_id, studio_voices
from apps.transcripts.selectors import transcript_get

from . import selectors, services
from .forms import EffectForm, MusicForm, RenameForm

LIBRARY_PER_PAGE = 10
FILES = {"wav": ("audio", "audio/wav"), "mp3": ("mp3", "audio/mpeg"), "mid": ("midi", "audio/midi")}


@login_required
@require_GET
def studio(request):
    current = None
    if request.GET.get("t"):
        current = selectors.track_get(
            owner=request.user, pk=uuid_or_404(request.GET["t"], what="track")
        )
    return render(request, "music/studio.html", _context(request, current=current))


@login_required
@require_POST
def track_compose(request):
    form = MusicForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            track = services.track_create(
                owner=request.user,
                prompt=data["prompt"],
                seconds=data["seconds"],
                instrumental=data["instrumental"],
                lyrics=data["lyrics"],
                sections=data["sections"],
                seed=data["seed"],
                engine=data["engine"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect_after_post(request, track)
    return render(request, "music/studio.html", _context(request, music_form=form), status=400)


@login_required
@require_GET
def prompt_heard(request):
    """What the offline arranger recognises in the prompt, said while the user types."""
    prompt = request.GET.get("prompt", "")[:2000]
    text = selectors.prompt_heard(prompt) if prompt.strip() else ""
    return render(request, "music/studio.html#heard", {"heard": text})


@login_required
@require_POST
def effect_create(request):
    form = EffectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            track = services.effect_create(
                owner=request.user,
                text=data["text"],
                seconds=data["seconds"],
                seed=data["seed"],
                engine=data["engine"],
            )
        except ValidationError as exc:
            _add_errors(form, exc, aliases={"prompt": "text"})
        else:
            return redirect_after_post(request, track)
    return render(request, "music/studio.html", _context(request, effect_form=form), status=400)


def _add_errors(form, exc: ValidationError, aliases: dict | None = None) -> None:
    for field, errors in exc.message_dict.items():
        field = (aliases or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_GET
def track_progress(request, pk):
    """Polled while the track is made; when it ends, the page reloads to play it."""
    track = selectors.track_get(owner=request.user, pk=pk)
    return job_progress_response(request, selectors.track_progress(track), refresh=True)


@login_required
@require_POST
def track_cancel(request, pk):
    track = selectors.track_get(owner=request.user, pk=pk)
    services.track_cancel(track=track)
    return redirect_after_post(request, track)


@login_required
@require_GET
def track_file(request, pk, fmt):
    """The track's WAV, MP3 or MIDI file, with ranges for seeking; `?download=1` saves it."""
    track = selectors.track_get(owner=request.user, pk=pk)
    if fmt not in FILES:
        raise Http404("No such file type.")
    field, content_type = FILES[fmt]
    stored = getattr(track, field)
    if not track.has_audio or not stored:
        raise Http404("This track has no such file.")
    response = ranged_file_response(request, stored, content_type=content_type)
    if request.GET.get("download"):
        name = f"{slugify(str(track))[:60] or 'track'}.{fmt}"
        response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_POST
def track_rename(request, pk):
    track = selectors.track_get(owner=request.user, pk=pk)
    form = RenameForm(request.POST)
    try:
        form.is_valid()
        services.track_rename(track=track, title=form.cleaned_data.get("title", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect_after_post(request, track)


@login_required
@require_POST
def track_again(request, pk):
    """The same settings and seed, as a new track."""
    return _again(request, pk, new_seed=False)


@login_required
@require_POST
def track_variation(request, pk):
    """The same settings with a new seed."""
    return _again(request, pk, new_seed=True)


def _again(request, pk, *, new_seed: bool):
    track = selectors.track_get(owner=request.user, pk=pk)
    try:
        new = services.track_again(track=track, new_seed=new_seed)
    except ValidationError as exc:  # the engine it used is no longer configured
        messages.error(request, " ".join(exc.messages))
        return redirect_after_post(request, track)
    return redirect_after_post(request, new)


@login_required
@require_POST
def track_delete(request, pk):
    track = selectors.track_get(owner=request.user, pk=pk)
    services.track_delete(track=track)
    return redirect_after_post(request, "music:studio")


def _context(request, *, current=None, music_form=None, effect_form=None) -> dict:
    page = request.GET.get("page")
    library = Paginator(selectors.track_list(owner=request.user), LIBRARY_PER_PAGE).get_page(page)
    music_engines = selectors.music_engines()
    if music_form is None:
        initial = {"engine": music_engines[0].alias if music_engines else ""}
        if current and current.kind == "music":
            initial |= {
                "prompt": current.prompt,
                "seconds": current.seconds,
                "instrumental": current.instrumental,
                "lyrics": current.lyrics,
                "sections": selectors.sections_text(current.sections),
                "engine": current.engine,
            }
        music_form = MusicForm(initial=initial)
    prompt = music_form["prompt"].value() or ""
    return {
        "heard": selectors.prompt_heard(prompt) if prompt.strip() else "",
        "music_form": music_form,
        "effect_form": effect_form or EffectForm(),
        "music_engines": music_engines,
        "effect_engines": selectors.effect_engines(),
        "current": current,
        "current_progress": selectors.track_progress(current) if current else None,
        "library": library,
    }


@login_required
@require_GET
def spoken_summary_form(request, transcript_pk):
    """The "spoken summary" card on a transcript page, loaded into it by htmx."""
    transcript = transcript_get(owner=request.user, pk=transcript_pk)
    return render(request, "music/_spoken_summary.html", _spoken_context(request, transcript))


@login_required
@require_POST
def spoken_summary(request, transcript_pk):
    """The summary spoken in the chosen voice over the chosen bed, made in the music studio."""
    transcript = transcript_get(owner=request.user, pk=transcript_pk)
    try:
        track = services.spoken_summary_create(
            owner=request.user,
            transcript=transcript,
            voice_id=request.POST.get("voice", ""),
            bed_id=_uuid_or_none(request.POST.get("bed", "")),
        )
    except ValidationError as exc:
        context = _spoken_context(request, transcript) | {"error": " ".join(exc.messages)}
        return render(request, "music/_spoken_summary.html", context, status=400)
    return redirect_after_post(request, track)


def _spoken_context(request, transcript) -> dict:
    groups = studio_voices(user=request.user)  # grouped and ordered as in the speech studio
    return {
        "transcript": transcript,
        "voice_groups": groups,
        "selected_voice": default_voice_id(groups),
        "beds": selectors.music_beds(owner=request.user),
    }


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
