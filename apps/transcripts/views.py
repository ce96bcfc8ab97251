import json
import uuid
from pathlib import Path
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
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.core.htmx import redirect_after_post
from apps.core.http import ranged_file_response
from apps.core.media import served_type
from apps.jobs.progress import job_progress_response
from apps.jobs.quotas import QuotaExceeded

from . import formats, hooks, selectors, services
from .docx import to_docx
from .forms import ListFilterForm, RenameForm, upload_form_class


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
        "segments_poll_url": selectors.transcript_segments_poll_url(transcript),
        "progress": selectors.transcript_progress(transcript),
        "rename_form": RenameForm(initial={"title": transcript.title}),
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
    extension, content_type = formats.EXPORT_FORMATS[fmt]
    document = selectors.transcript_document(transcript)
    if fmt == "txt":
        body = formats.to_dialogue(document)
    elif fmt == "json":
        body = json.dumps(formats.to_export_json(document), ensure_ascii=False, indent=2)
    elif fmt == "docx":
        body = to_docx(document)
    else:
        body = formats.render(document, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{transcript.title}.{extension}"
    )
    return response


@login_required
@require_GET
def transcript_media(request, pk):
    transcript = selectors.transcript_get(owner=request.user, pk=pk)
    if not transcript.media:
        raise Http404("No media")
    path = Path(transcript.media.path)
    return ranged_file_response(request, path, content_type=served_type(path))
