from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.http import ranged_file_response
from apps.engines.errors import ProviderError
from apps.voices.selectors import voice_options

from . import selectors, services
from .forms import ConversationForm


@login_required
@require_http_methods(["GET", "POST"])
def conversation_list(request):
    """The user's conversations, and a new one (instructions and voice)."""
    voices = voice_options(user=request.user)
    form = ConversationForm(request.POST or None, voices=voices)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_create(
                owner=request.user, instructions=form.cleaned_data["instructions"],
                voice_id=form.cleaned_data["voice"],
            )  # fmt: skip
        except ProviderError as exc:
            form.add_error("voice", exc.message)
        else:
            return redirect("conversation:page", pk=conversation.pk)
    context = {"form": form, "conversations": selectors.conversation_list(owner=request.user)}
    return render(request, "conversation/list.html", context)


@login_required
@require_GET
def conversation_page(request, pk):
    """Talk with the assistant; the saved turns can be replayed and the talk continued."""
    conversation = selectors.conversation_get(owner=request.user, pk=pk)
    context = {"conversation": conversation, "turns": conversation.turns.all()}
    return render(request, "conversation/page.html", context)


@login_required
@require_GET
def turn_audio(request, pk):
    turn = selectors.turn_get(owner=request.user, pk=pk)
    if not turn.audio:
        raise Http404("No audio")
    return ranged_file_response(request, turn.audio, content_type="audio/wav")


@login_required
@require_POST
def conversation_delete(request, pk):
    conversation = selectors.conversation_get(owner=request.user, pk=pk)
    services.conversation_delete(conversation=conversation)
    return redirect("conversation:list")
