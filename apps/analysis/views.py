from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.htmx import redirect_after_post
from apps.jobs.progress import job_progress_response
from apps.transcripts.exports import export_response
from apps.transcripts.selectors import transcript_get

from . import selectors, services
from .forms import AnalysisForm, MergeForm, NameForm, ReassignForm
from .options import unavailable_analyses


@login_required
@require_POST
def analysis_start(request, pk):
    """Run (or run again) the chosen analyses of a transcript, e.g. with another speaker count."""
    transcript = transcript_get(owner=request.user, pk=pk)
    language = selectors.analysis_language(transcript)
    form = AnalysisForm(request.POST, unavailable=unavailable_analyses(language))
    if form.is_valid() and form.cleaned_data["analysis"].kinds:
        try:
            services.analyses_start(transcript=transcript, options=form.cleaned_data["analysis"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose at least one analysis that is available.")
    return redirect_after_post(request, transcript.get_absolute_url() + "#analyses")


@login_required
@require_GET
def analysis_status(request, pk, kind):
    """Polled while one analysis waits or runs; once it has ended a reload shows its result."""
    transcript = transcript_get(owner=request.user, pk=pk)
    run = get_object_or_404(transcript.analysis_runs, kind=kind)
    return job_progress_response(request, selectors.analysis_run_progress(run), refresh=True)


@login_required
@require_POST
def speaker_rename(request, pk):
    speaker = selectors.speaker_get(owner=request.user, pk=pk)
    form = NameForm(request.POST)
    if form.is_valid():
        services.speaker_rename(speaker=speaker, name=form.cleaned_data["name"])
    return _back_to_speakers(request, speaker.transcript)


@login_required
@require_POST
def speaker_merge(request, pk):
    speaker = selectors.speaker_get(owner=request.user, pk=pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        into = selectors.speaker_get(owner=request.user, pk=form.cleaned_data["into"])
        try:
            services.speaker_merge(speaker=speaker, into=into)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return _back_to_speakers(request, speaker.transcript)


@login_required
@require_POST
def speaker_save_profile(request, pk):
    speaker = selectors.speaker_get(owner=request.user, pk=pk)
    form = NameForm(request.POST)
    form.is_valid()
    try:
        profile = services.voice_profile_save(speaker=speaker, name=form.cleaned_data["name"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Saved the voice of {profile.name}: later recordings will be labelled."
        )
    return _back_to_speakers(request, speaker.transcript)


@login_required
@require_POST
def segment_reassign(request, pk):
    segment = selectors.segment_get(owner=request.user, pk=pk)
    form = ReassignForm(request.POST)
    if form.is_valid():
        speaker = selectors.speaker_get(owner=request.user, pk=form.cleaned_data["speaker"])
        try:
            services.segment_reassign(segment=segment, speaker=speaker)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    url = segment.transcript.get_absolute_url()
    return redirect_after_post(request, f"{url}#segment-{segment.pk}")


@login_required
@require_GET
def profile_list(request):
    profiles = selectors.voice_profile_list(owner=request.user).select_related("source_transcript")
    return render(request, "analysis/profiles.html", {"profiles": profiles})


@login_required
@require_POST
def profile_rename(request, pk):
    profile = selectors.voice_profile_get(owner=request.user, pk=pk)
    form = NameForm(request.POST)
    try:
        form.is_valid()
        services.voice_profile_rename(profile=profile, name=form.cleaned_data.get("name", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect_after_post(request, reverse("analysis:profiles"))


@login_required
@require_POST
def profile_delete(request, pk):
    profile = selectors.voice_profile_get(owner=request.user, pk=pk)
    services.voice_profile_delete(profile=profile)
    messages.success(request, f"Deleted the voice profile {profile.name}.")
    return redirect_after_post(request, reverse("analysis:profiles"))


def _back_to_speakers(request, transcript):
    return redirect_after_post(request, transcript.get_absolute_url() + "#speakers")


@login_required
@require_GET
def redacted_export(request, pk, fmt):
    """The transcript with personal details replaced by their type; the original is kept."""
    transcript = transcript_get(owner=request.user, pk=pk)
    document = selectors.redacted_transcript(transcript)
    return export_response(document, fmt, name=document.title)


@login_required
@require_GET
def redacted_audio(request, pk):
    """The recording with a tone (or, with ?silence=1, silence) over the personal details."""
    transcript = transcript_get(owner=request.user, pk=pk)
    if not transcript.media:
        raise Http404("No media")
    wav = services.redacted_audio_file(transcript=transcript, tone=not request.GET.get("silence"))
    name = f"{transcript.title} (redacted).wav"
    return FileResponse(wav, as_attachment=True, filename=name, content_type="audio/wav")
