import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.core.htmx import redirect_after_post
from apps.core.http import ranged_file_response
from apps.core.media import served_type
from apps.jobs.progress import job_progress_response
from apps.jobs.quotas import QuotaExceeded

from . import editing, formats, hooks, search, selectors, services
from .exports import export_response
from .forms import ListFilterForm, RenameForm, SearchForm, upload_form_class

SEARCH_HITS_PER_PAGE = 30


@login_required
@require_GET
def transcript_list(request):
    languages = selectors.transcript_languages(owner=request.user)
    form = ListFilterForm(request.GET, languages=languages)
    filters = form.filters()
    transcripts = selectors.transcript_list(owner=request.user, **filters)
    page = Paginator(transcripts, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "query": filters.get("q", ""),
        "filtered": bool(filters),
        "filter_query": urlencode(filters),  # kept by the pager's links
    }
    return render(request, "transcripts/list.html", context)


@login_required
@require_GET
def transcript_search(request):
    """Search every title and segment of the user's library; hits open the transcript at the
    moment the words are said."""
    languages = selectors.transcript_languages(owner=request.user)
    form = SearchForm(request.GET or None, languages=languages)
    filters = form.filters()
    page = _page_number(request.GET.get("page"))
    context = {"form": form, "filters": filters, "page": page}
    if filters:
        hits = search.search_segments(
            owner=request.user,
            filters=filters,
            limit=SEARCH_HITS_PER_PAGE + 1,
            offset=(page - 1) * SEARCH_HITS_PER_PAGE,
        )
        first = page == 1  # titles head the first page only
        context |= {
            "titles": search.search_titles(owner=request.user, filters=filters) if first else [],
            "hits": hits[:SEARCH_HITS_PER_PAGE],
            "has_next": len(hits) > SEARCH_HITS_PER_PAGE,
            "query": urlencode({k: v for k, v in request.GET.items() if k != "page" and v}),
        }
    return render(request, "transcripts/search.html", context)


def _page_number(value) -> int:
    try:
        return max(1, min(1000, int(value or 1)))
    except ValueError:
        return 1


@login_required
@require_POST
def transcript_delete_selected(request):
    ids = [i for i in request.POST.getlist("ids") if _is_uuid(i)]
    count = services.transcript_delete_many(owner=request.user, ids=ids)
    messages.success(request, f"Deleted {count} transcript{pluralize(count)}.")
    return redirect_after_post(request, "transcripts:list")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def transcript_new(request):
    files = request.FILES if request.method == "POST" else None  # parses (and caps) the upload
    if getattr(request, "upload_too_large", False):
        return _upload_too_large(request)
    form = upload_form_class()(request.POST or None, files or None)
    refused = 0  # a quota's status: 403 or 429
    if request.method == "POST" and form.is_valid():
        try:
            transcript = services.transcript_create(
                owner=request.user,
                upload=form.cleaned_data["file"],
                options=form.cleaned_data["options"],
                title=form.cleaned_data["title"],
                analyses=form.cleaned_data.get("analysis"),
            )
        except ValidationError as exc:
            form.add_error("file", exc.message_dict.get("file", exc.messages))
        except QuotaExceeded as exc:
            form.add_error("file", exc.message)
            refused = exc.status
        else:
            return redirect_after_post(request, transcript)
    # htmx swaps no 4xx answer: the form with its errors comes back as 200 to htmx.
    status = (refused or 400) if form.errors and not request.htmx else 200
    return render(request, "transcripts/new.html", {"form": form}, status=status)


def _upload_too_large(request):
    limit_mb = settings.VOICEPORTAL_MAX_UPLOAD_BYTES / (1024 * 1024)
    context = {
        "form": upload_form_class()(),
        "upload_error": f"The file is larger than the {limit_mb:g} MB limit.",
    }
    return render(request, "transcripts/new.html", context, status=200 if request.htmx else 413)


@login_required
@require_GET
def transcript_detail(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    context = {
        "transcript": transcript,
        "segments": transcript.segments.all(),
        "gaps": selectors.transcript_marks(transcript),
        "segments_poll_url": selectors.transcript_segments_poll_url(transcript),
        "progress": selectors.transcript_progress(transcript),
        "language_unsure": selectors.transcript_language_unsure(transcript),
        "rename_form": RenameForm(initial={"title": transcript.title}),
        **selectors.transcript_edit_context(transcript),
    }
    if request.htmx and request.GET.get("part") == "segments":
        return render(request, "transcripts/detail.html#segments", context)
    for extend in hooks.page_context:  # the analyses' panels
        context |= extend(transcript)
    return render(request, "transcripts/detail.html", context)


@login_required
@require_GET
def transcript_progress(request, pk):
    """Polled by the page while the job runs; answers 286 (stop polling) once it has ended."""
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    # Once it has ended, a reload shows the finished transcript.
    return job_progress_response(request, selectors.transcript_progress(transcript), refresh=True)


@login_required
@require_POST
def transcript_cancel(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    services.transcript_cancel(transcript=transcript)
    return redirect_after_post(request, transcript)


@login_required
@require_POST
def transcript_retry(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    services.transcript_retry(transcript=transcript)
    return redirect_after_post(request, transcript)


@login_required
@require_POST
def transcript_rename(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        services.transcript_rename(transcript=transcript, title=form.cleaned_data["title"])
    else:
        messages.error(request, "A title cannot be empty.")
    return redirect_after_post(request, transcript)


@login_required
@require_POST
def transcript_delete(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    title = transcript.title
    services.transcript_delete(transcript=transcript)
    messages.success(request, f"Deleted “{title}”.")
    url = reverse("transcripts:list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def transcript_export(request, pk, fmt):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    if fmt not in formats.EXPORT_FORMATS:
        raise Http404("Unknown export format")
    document = selectors.transcript_document(transcript)
    if request.GET.get("drop_flagged"):
        document = formats.without_flagged(document)
    return export_response(document, fmt, name=transcript.title)


@login_required
@require_GET
def transcript_media(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    if not transcript.media:
        raise Http404("No media")
    return ranged_file_response(request, transcript.media, content_type=served_type)


@login_required
@require_GET
def segment_detail(request, pk, segment_pk):
    """One segment's text, polled while its words are aligned again."""
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    segment = selectors.segment_get(transcript=transcript, pk=segment_pk)
    return _segment_text(request, transcript, segment)


@login_required
@require_POST
def segment_edit(request, pk, segment_pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    segment = selectors.segment_get(transcript=transcript, pk=segment_pk)
    try:
        text = request.POST.get("text", "")
        editing.segment_edit(segment=segment, editor=request.user, text=text)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.htmx:
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, message)
        return redirect_after_post(request, transcript)
    if request.htmx:
        return _segment_text(request, transcript, segment)
    return redirect_after_post(request, transcript)


@login_required
@require_POST
def transcript_undo(request, pk):
    """Take back the newest edit; htmx gets the segment it changed (204 when none)."""
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    segment = editing.transcript_undo(transcript=transcript)
    if not request.htmx:
        if segment is None:
            messages.info(request, "There is no edit to undo.")
        return redirect_after_post(request, transcript)
    if segment is None:
        return HttpResponse(status=204)
    return _segment_text(request, transcript, segment)


def _segment_text(request, transcript, segment):
    segment.refresh_from_db()
    context = {
        "transcript": transcript,
        "s": segment,
        "aligning_ids": selectors.aligning_ids(transcript),
    }
    return render(request, "transcripts/_segment_text.html", context)
