from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from apps.core.htmx import redirect_after_post
from apps.core.http import ranged_file_response
from apps.core.media import served_type
from apps.core.throttle import Limit, throttle_fail, throttle_wait, too_many_tries
from apps.engines.errors import ProviderError
from apps.jobs.progress import job_progress_response

from . import selectors, services
from .forms import (
    PronunciationForm,
    PronunciationImportForm,
    SamplesForm,
    ShareForm,
    VoiceForm,
)
from .library import LibraryFilters, library_page, voice_page
from .models import VoicePreview, VoiceSample
from .services.custom import CONSENT_STATEMENTS


@login_required
@require_GET
def voice_library(request):
    filters = LibraryFilters.from_query(request.GET)
    library = library_page(user=request.user, filters=filters, page=request.GET.get("page"))
    template = "voices/library.html"
    if request.htmx and request.htmx.target == "stock-voices":
        template += "#stock"
    return render(request, template, {"library": library})


@login_required
@require_http_methods(["GET", "POST"])
def voice_new(request):
    files = request.FILES if request.method == "POST" else None  # parses (and caps) the upload
    if getattr(request, "upload_too_large", False):
        limit_mb = settings.VOICEPORTAL_MAX_UPLOAD_BYTES / (1024 * 1024)
        messages.error(request, f"The samples are larger than the {limit_mb:g} MB limit.")
        return redirect("voices:new")
    form = VoiceForm(request.POST or None, files or None)
    if request.method == "POST" and form.is_valid():
        try:
            voice = services.voice_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                samples=form.uploads(),
                consent=form.consent_from(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect(voice)
    status = 400 if form.errors else 200
    return render(request, "voices/new.html", _form_context(form), status=status)


def _form_context(form) -> dict:
    return {"form": form, "statements": _statements()}


def _statements() -> list[tuple[str, str]]:
    """(basis, statement) with a slot the page fills with the speaker's name as it is typed."""
    slot = format_html("<span data-speaker-slot>{}</span>", "the speaker")
    return [
        (basis.value, format_html(text, speaker=slot)) for basis, text in CONSENT_STATEMENTS.items()
    ]


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_GET
def voice_detail(request, pk):
    voice = selectors.custom_voice_get_visible(user=request.user, pk=pk)
    context = {"page": voice_page(user=request.user, voice=voice)}
    if context["page"].is_owner:
        context |= {"share_form": ShareForm(), **_form_context(SamplesForm())}
    return render(request, "voices/detail.html", context)


@login_required
@require_GET
def voice_status(request, pk):
    """Polled while the voice is being made; a reload once done."""
    voice = selectors.custom_voice_get_visible(user=request.user, pk=pk)
    page = voice_page(user=request.user, voice=voice)
    # Once it has ended a reload shows the voice (or what failed).
    return job_progress_response(request, page.build_progress, refresh=True)


@login_required
@require_GET
def voice_clone_status(request, pk):
    """Polled while the voice is being cloned at the provider."""
    voice = selectors.custom_voice_get_visible(user=request.user, pk=pk)
    page = voice_page(user=request.user, voice=voice)
    if page.clone_progress is None:
        raise Http404("This voice is not being cloned.")
    return job_progress_response(request, page.clone_progress, refresh=True)


@login_required
@require_POST
def voice_retry(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    services.voice_retry(voice=voice)
    return _back_to(request, voice)


@login_required
@require_POST
def voice_rebase(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    engine, _, voice_id = request.POST.get("base", "").partition(":")
    try:
        services.voice_rebase(voice=voice, engine=engine, voice_id=voice_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back_to(request, voice)


@login_required
@require_POST
def voice_clone_retry(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    services.clone_retry(voice=voice)
    return _back_to(request, voice)


@login_required
@require_POST
def voice_delete(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    name = voice.name
    try:
        services.voice_delete(voice=voice, keep_cloud=request.POST.get("keep_cloud") == "1")
    except ProviderError as exc:
        context = {
            "page": voice_page(user=request.user, voice=voice),
            "delete_error": exc.message,
            "share_form": ShareForm(),
            **_form_context(SamplesForm()),
        }
        if not request.htmx:
            return render(request, "voices/detail.html", context, status=502)
        # htmx swaps no 5xx answer: the page with the notice replaces the page.
        response = render(request, "voices/detail.html", context)
        return reswap(retarget(response, "body"), "innerHTML")
    messages.success(request, f"Deleted the voice “{name}”, its samples and files.")
    return redirect("voices:library")


# Shares a user may make before each next one waits (doubling).
SHARES_FREE = 20


@login_required
@require_POST
def voice_share(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    limits = [Limit(f"share:user:{request.user.pk}", SHARES_FREE)]
    if wait := throttle_wait(limits):
        return too_many_tries(wait, text=f"Too many shares at once; try in {wait} seconds.")
    throttle_fail(limits)  # every try: usernames are not guessed by the thousand
    form = ShareForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"].strip()
        try:
            services.voice_share(voice=voice, username=username)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:  # the same words whether or not the account exists
            messages.success(request, f"If “{username}” has an account here, they can use it now.")
    return _back_to(request, voice)


@login_required
@require_POST
def voice_unshare(request, pk, user_id):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    services.voice_unshare(voice=voice, user_id=user_id)
    return _back_to(request, voice)


@login_required
@require_POST
def samples_add(request, pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    form = SamplesForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.samples_add(
                voice=voice, samples=form.uploads(), consent=form.consent_from(request)
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back_to(request, voice)


@login_required
@require_GET
def sample_audio(request, pk, sample_pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    sample = get_object_or_404(VoiceSample, pk=sample_pk, voice=voice)
    return ranged_file_response(request, sample.file, content_type=served_type)


@login_required
@require_POST
def sample_delete(request, pk, sample_pk):
    voice = selectors.custom_voice_get(owner=request.user, pk=pk)
    sample = get_object_or_404(VoiceSample, pk=sample_pk, voice=voice)
    try:
        services.sample_delete(sample=sample)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back_to(request, voice)


@login_required
@require_http_methods(["GET", "POST"])
def preview(request, voice_id):
    """POST asks for a voice's preview (synthesised by a worker, once); GET is polled until it
    is ready. Both answer the preview button in its new state."""
    resolved = _resolve_or_404(request.user, voice_id)
    if request.method == "POST":
        item = services.preview_request(voice=resolved)
    else:
        item = get_object_or_404(VoicePreview, key=resolved.id)
    state = {"done": "ready", "failed": "failed"}.get(item.status, "pending")
    context = {
        "voice_id": resolved.id,
        "preview": state,
        "preview_url": selectors.preview_audio_url(resolved.id) if state == "ready" else None,
        "autoplay": True,
        "error": item.error,
    }
    return render(request, "voices/_preview_button.html", context)


@login_required
@require_GET
def preview_audio(request, voice_id):
    resolved = _resolve_or_404(request.user, voice_id)
    item = get_object_or_404(VoicePreview, key=resolved.id, status=VoicePreview.Status.DONE)
    return ranged_file_response(request, item.file, content_type="audio/mpeg")


def _resolve_or_404(user, voice_id: str) -> selectors.ResolvedVoice:
    try:
        return selectors.voice_resolve(user=user, voice_id=voice_id)
    except ProviderError as exc:
        raise Http404(exc.message) from exc


def _back_to(request, voice):
    return redirect_after_post(request, reverse("voices:detail", args=[voice.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def pronunciations(request):
    form = PronunciationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pronunciation_set(owner=request.user, **form.entry())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
        else:
            return redirect_after_post(request, reverse("voices:pronunciations"))
    return _pronunciations_page(request, form=form)


def _pronunciations_page(request, *, form=None, import_form=None):
    context = {
        "form": form or PronunciationForm(),
        "import_form": import_form or PronunciationImportForm(),
        "entries": selectors.pronunciations(owner=request.user),
        "engines": selectors.phoneme_engines(),
    }
    status = 400 if context["form"].errors or context["import_form"].errors else 200
    return render(request, "voices/pronunciations.html", context, status=status)


@login_required
@require_POST
def pronunciations_import(request):
    form = PronunciationImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            saved, problems = services.pls_import(
                owner=request.user, data=form.cleaned_data["file"].read()
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, f"{saved} word{'s' if saved != 1 else ''} imported.")
            for problem in problems:
                messages.warning(request, f"Not imported: {problem}")
            return redirect_after_post(request, reverse("voices:pronunciations"))
    return _pronunciations_page(request, import_form=form)


@login_required
@require_GET
def pronunciations_export(request):
    response = HttpResponse(
        services.pls_export(owner=request.user), content_type="application/pls+xml"
    )
    response["Content-Disposition"] = 'attachment; filename="pronunciations.pls"'
    return response


@login_required
@require_POST
def pronunciation_delete(request, pk):
    entry = selectors.pronunciation_get(owner=request.user, pk=pk)
    services.pronunciation_delete(entry=entry)
    return redirect_after_post(request, reverse("voices:pronunciations"))
