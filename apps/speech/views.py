from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from apps.analysis.selectors import analysis_results
from apps.core.http import ranged_file_response
from apps.core.ids import uuid_or_404
from apps.engines.errors import ErrorKind, ProviderError
from apps.jobs.progress import job_progress_render, job_progress_response
from apps.transcripts.selectors import transcript_get

from . import paragraphs, selectors, services
from .forms import ParagraphForm, SpeechForm
from .models import Generation
from .streaming import GrowingAudio, SynthesisFailed, audio_response, wav_response

HISTORY_PER_PAGE = 10
# Tells the history list to reload itself (a new generation, or one that just finished).
HISTORY_EVENT = "speech:history"


@login_required
@require_GET
def studio(request):
    current, initial = None, {}
    if request.GET.get("g"):
        current = selectors.generation_get(
            owner=request.user, pk=uuid_or_404(request.GET["g"], what="generation")
        )
        initial = selectors.generation_form_initial(current)
    form = SpeechForm(initial=initial)
    return render(request, "speech/studio.html", _context(request, form, current))


@login_required
@require_POST
def generation_create(request):
    form = SpeechForm(request.POST)
    generation = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            generation = services.generation_create(
                owner=request.user,
                text=data["text"],
                voice_id=data["voice"],
                language=data["language"],
                speed=data["speed"],
                audio_format=data["format"],
                instructions=data["instructions"],
                voice_settings=form.voice_settings(),
                max_chars=services.STUDIO_MAX_CHARS,
                paragraphs=True,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
    if generation and not request.htmx:
        return redirect(f"{reverse('speech:studio')}?g={generation.pk}")
    template = "speech/studio.html#workspace" if request.htmx else "speech/studio.html"
    # htmx swaps only 2xx answers: the form with its errors comes back as 200 there.
    status = 400 if form.errors and not request.htmx else 200
    response = render(request, template, _context(request, form, generation), status=status)
    if not generation:
        return response
    # The address names the generation, so a reload mid-synthesis keeps text, voice and player.
    response["HX-Push-Url"] = f"{reverse('speech:studio')}?g={generation.pk}"
    return trigger_client_event(response, HISTORY_EVENT)


@login_required
@require_GET
def generation_history(request):
    return render(request, "speech/studio.html#history", {"history": _history_page(request)})


@login_required
@require_GET
def generation_progress(request, pk):
    """Polled while the synthesis runs; answers 286 (stop polling) with the final state."""
    generation = selectors.generation_get(owner=request.user, pk=pk)
    # Once it has ended the history shows it with its duration.
    return job_progress_response(
        request, selectors.generation_progress(generation), event=HISTORY_EVENT
    )


@login_required
@require_GET
async def generation_stream(request, pk):
    """The audio as the worker writes it, so playback starts with the first sentence. Raw PCM
    is wrapped in WAV with `?as=wav`, for players."""
    generation = await selectors.generation_aget(owner=await request.auser(), pk=pk)
    audio = GrowingAudio(generation)
    try:
        first = await audio.next() or b""
    except SynthesisFailed as exc:
        status = ProviderError(exc.message, kind=ErrorKind(exc.kind)).http_status
        return HttpResponse(exc.message, status=status, content_type="text/plain; charset=utf-8")
    if generation.format == "pcm" and request.GET.get("as") == "wav":
        return wav_response(first, audio)
    return audio_response(first, audio, content_type=generation.content_type)


@login_required
@require_POST
def generation_cancel(request, pk):
    generation = selectors.generation_get(owner=request.user, pk=pk)
    services.generation_cancel(generation=generation)
    if not request.htmx:
        return redirect(f"{reverse('speech:studio')}?g={generation.pk}")
    if request.htmx.target == "history":  # a row's button
        return render(request, "speech/studio.html#history", {"history": _history_page(request)})
    progress = selectors.generation_progress(generation)
    return job_progress_render(request, progress, event=HISTORY_EVENT)


@login_required
@require_GET
def generation_audio(request, pk):
    """The finished file, with ranges for seeking; `?download=1` saves it."""
    generation = selectors.generation_get(owner=request.user, pk=pk)
    if not generation.has_file:
        if generation.is_finished:
            raise Http404("This generation has no audio.")
        return redirect("speech:stream", pk=generation.pk)
    response = ranged_file_response(request, generation.audio, content_type=generation.content_type)
    if request.GET.get("download"):
        name = f"speech-{generation.created_at:%Y%m%d-%H%M%S}.{generation.file_extension}"
        response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_POST
def generation_delete(request, pk):
    generation = selectors.generation_get(owner=request.user, pk=pk)
    services.generation_delete(generation=generation)
    if request.htmx:
        return render(request, "speech/studio.html#history", {"history": _history_page(request)})
    return redirect("speech:studio")


def _context(request, form: SpeechForm, current: Generation | None) -> dict:
    groups = selectors.studio_voices(user=request.user)
    selected = form["voice"].value() or selectors.default_voice_id(groups)
    voice = selectors.studio_voice_find(groups, selected)
    shown = _paragraphs_context(request, current, groups=groups) if current else {}
    return shown | {
        "form": form,
        "voice_groups": groups,
        "selected_voice": selected,
        "selected": voice,
        "generation": current,
        "generation_progress": selectors.generation_progress(current) if current else None,
        "history": _history_page(request),
        "max_chars": services.STUDIO_MAX_CHARS,
        "voice_setting_fields": _voice_setting_fields(form, voice),
    }


_SETTING_TEXTS = {
    "stability": ("Stability", "Higher: every reading alike; lower: more varied."),
    "similarity_boost": ("Similarity", "How close a custom voice stays to its samples."),
    "style": ("Style", "How expressive the reading is."),
}


def _voice_setting_fields(form: SpeechForm, selected: selectors.StudioVoice | None) -> list[dict]:
    """One slider per voice setting, shown where the chosen voice follows it; it starts at the
    value asked for before, else at the voice's own."""
    own = selected.voice_settings if selected else {}
    fields = []
    for name, (label, help_text) in _SETTING_TEXTS.items():
        value = form[name].value()
        fields.append(
            {
                "name": name,
                "label": label,
                "help": help_text,
                "value": own.get(name, 0.5) if value in (None, "") else value,
                "shown": name in own,
                "errors": form[name].errors,
            }
        )
    return fields


def _history_page(request):
    page = request.POST.get("page") or request.GET.get("page")
    return Paginator(selectors.generation_list(owner=request.user), HISTORY_PER_PAGE).get_page(page)


@login_required
@require_GET
def read_aloud_form(request, transcript_pk):
    """The "listen" card on a transcript page, loaded into it by htmx."""
    transcript = transcript_get(owner=request.user, pk=transcript_pk)
    return render(request, "speech/_read_aloud.html", _read_aloud_context(request, transcript))


def _read_aloud_context(request, transcript, generation: Generation | None = None) -> dict:
    groups = selectors.studio_voices(user=request.user)  # grouped and ordered as in the studio
    return {
        "transcript": transcript,
        "voice_groups": groups,
        "selected_voice": generation.voice_id if generation else selectors.default_voice_id(groups),
        "has_summary": analysis_results(transcript).summary is not None,
        "generation": generation,
        "generation_progress": selectors.generation_progress(generation) if generation else None,
    }


@login_required
@require_POST
def read_aloud(request, transcript_pk):
    """Speak a transcript's summary or text in a chosen voice, kept as a generation."""
    transcript = transcript_get(owner=request.user, pk=transcript_pk)
    try:
        generation = services.generation_read_aloud(
            owner=request.user,
            transcript=transcript,
            voice_id=request.POST.get("voice", ""),
            what=request.POST.get("what", "summary"),
        )
    except ValidationError as exc:
        if request.htmx:  # said in the card, where it was asked
            context = _read_aloud_context(request, transcript) | {"error": " ".join(exc.messages)}
            return render(request, "speech/_read_aloud.html", context)
        messages.error(request, " ".join(exc.messages))
        return redirect(transcript)
    if request.htmx:  # played in place: the reader stays with the transcript
        context = _read_aloud_context(request, transcript, generation)
        response = render(request, "speech/_read_aloud.html", context)
        return trigger_client_event(response, HISTORY_EVENT)
    return redirect(f"{reverse('speech:studio')}?g={generation.pk}")


# --- Paragraphs: one spoken again without the rest ---------------------------------------------


def _followed(request, generation: Generation, groups=None) -> dict[str, float]:
    """The voice settings the generation's voice follows, at the voice's own values."""
    groups = groups or selectors.studio_voices(user=request.user)
    voice = selectors.studio_voice_find(groups, generation.voice_id)
    return voice.voice_settings if voice else {}


def _paragraphs_context(request, generation: Generation, *, groups=None, sent=None) -> dict:
    followed = _followed(request, generation, groups)
    return {
        "generation": generation,
        "paragraph_rows": selectors.paragraph_rows(generation, followed=followed, sent=sent),
        "can_regenerate": selectors.paragraphs_can_regenerate(generation),
    }


@login_required
@require_GET
def paragraph_list(request, pk):
    """The paragraphs card, reloaded when the generation ends (its forms then appear)."""
    generation = selectors.generation_get(owner=request.user, pk=pk)
    return render(request, "speech/_paragraphs.html", _paragraphs_context(request, generation))


@login_required
@require_GET
def paragraph_form(request, pk, index):
    """A paragraph's regenerate form, fetched when opened (a long text's page stays light)."""
    paragraph = selectors.paragraph_get(owner=request.user, pk=pk, index=index)
    row = selectors.paragraph_row(paragraph, followed=_followed(request, paragraph.generation))
    context = {"row": row, "generation": paragraph.generation}
    return render(request, "speech/_paragraphs.html#regenerate_form", context)


@login_required
@require_POST
def paragraph_regenerate(request, pk, index):
    paragraph = selectors.paragraph_get(owner=request.user, pk=pk, index=index)
    form = ParagraphForm(request.POST)
    regeneration = None
    if form.is_valid():
        try:
            regeneration = paragraphs.paragraph_regenerate(
                owner=request.user,
                paragraph=paragraph,
                text=form.cleaned_data["text"],
                speed=form.cleaned_data["speed"],
                voice_settings=form.voice_settings(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    studio_url = f"{reverse('speech:studio')}?g={pk}#paragraph-{paragraph.number}"
    if not request.htmx:
        for message in [e for errors in form.errors.values() for e in errors]:
            messages.error(request, message)
        return redirect(studio_url)
    sent = None
    if form.errors:
        errors = {"text": form.errors.get("text", []), "speed": form.errors.get("speed", [])}
        errors["other"] = [e for k, v in form.errors.items() if k not in errors for e in v]
        sent = {"index": index, "data": request.POST.dict(), "errors": errors}
    if (
        regeneration
        and selectors.regeneration_get(owner=request.user, pk=regeneration.pk).is_finished
    ):
        # Spoken already (a task backend that runs inline): the page shows the new audio.
        return HttpResponseClientRefresh()
    context = _paragraphs_context(request, paragraph.generation, sent=sent)
    return render(request, "speech/_paragraphs.html", context)


@login_required
@require_GET
def paragraph_audio(request, pk, index):
    """The paragraph's own audio (its latest take)."""
    paragraph = selectors.paragraph_get(owner=request.user, pk=pk, index=index)
    if not paragraph.audio:
        raise Http404("This paragraph has no audio.")
    return ranged_file_response(request, paragraph.audio, content_type="audio/flac")


@login_required
@require_GET
def regeneration_progress(request, pk):
    """Polled while the paragraph is spoken again; once done, the page reloads with the
    re-joined audio."""
    regeneration = selectors.regeneration_get(owner=request.user, pk=pk)
    progress = selectors.regeneration_progress(regeneration)
    done = regeneration.status == regeneration.Status.DONE
    return job_progress_response(request, progress, refresh=done, event=HISTORY_EVENT)


@login_required
@require_POST
def regeneration_cancel(request, pk):
    regeneration = selectors.regeneration_get(owner=request.user, pk=pk)
    paragraphs.regeneration_cancel(regeneration=regeneration)
    if not request.htmx:
        return redirect(f"{reverse('speech:studio')}?g={regeneration.generation_id}")
    return job_progress_render(request, selectors.regeneration_progress(regeneration))
