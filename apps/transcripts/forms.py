from django import forms
from django.core.exceptions import ValidationError

from apps.engines.stt import stt_backends
from apps.engines.stt.languages import LANGUAGES

from . import hooks
from .models import Transcript
from .options import engine_choices, model_choices, options_validate
from .search import SearchFilters

ACCEPTED_MEDIA = "audio/*,video/*,.mp3,.wav,.m4a,.aac,.ogg,.opus,.flac,.webm,.mp4,.mov,.mkv"


def language_choices() -> list[tuple[str, str]]:
    named = sorted(((code, name.title()) for code, name in LANGUAGES.items()), key=lambda c: c[1])
    return [("", "Detect automatically")] + named


class UploadFormBase(forms.Form):
    """The recording and how to transcribe it; `upload_form_class()` adds what other apps ask
    with it (the analyses to run)."""

    field_order = ["file", "title", "engine", "model", "language", "task", "prompt"]

    file = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_MEDIA}))
    title = forms.CharField(max_length=200, required=False, help_text="Defaults to the file name.")
    engine = forms.ChoiceField(choices=engine_choices)
    model = forms.ChoiceField(choices=model_choices)
    language = forms.ChoiceField(choices=language_choices, required=False)
    task = forms.ChoiceField(
        choices=[("transcribe", "Transcribe"), ("translate", "Translate to English")]
    )
    prompt = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Names, terms and context that help recognition.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine"].initial = stt_backends.default_alias
        self.fields["model"].initial = stt_backends.default().default_model

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["options"] = options_validate(
                engine=data["engine"],
                model=data["model"],
                language=data.get("language", ""),
                task=data["task"],
                prompt=data.get("prompt", ""),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


def upload_form_class() -> type[forms.Form]:
    """The upload form with the fields of the apps registered in `hooks.upload_form_bases`."""
    bases = (UploadFormBase, *hooks.upload_form_bases)
    return type("UploadForm", bases, {"field_order": UploadFormBase.field_order})


class RenameForm(forms.Form):
    title = forms.CharField(max_length=200)


class ListFilterForm(forms.Form):
    """The transcript list's search and filters (GET); an unknown value is simply ignored."""

    q = forms.CharField(required=False, label="Search")
    source = forms.ChoiceField(
        required=False, choices=[("", "Any source"), *Transcript.Source.choices]
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Transcript.Status.choices]
    )
    language = forms.ChoiceField(required=False, choices=[("", "Any language")])

    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", "Any language")] + [(c, c) for c in languages]

    def filters(self) -> dict:
        """The valid filters, keyword arguments for selectors.transcript_list."""
        if not self.is_valid():
            return {}
        return {name: value.strip() for name, value in self.cleaned_data.items() if value}


class SearchForm(forms.Form):
    """Search across the library (GET): words, then optional filters."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(required=False, choices=[("", "Any language")])
    speaker = forms.CharField(
        required=False,
        max_length=100,
        label="Speaker",
        widget=forms.TextInput(attrs={"placeholder": "Speaker or voice profile"}),
    )

    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", "Any language")] + [(c, c) for c in languages]

    def filters(self) -> SearchFilters | None:
        """What to search for; None when there are no words to search."""
        if not self.is_valid() or not self.cleaned_data["q"].strip():
            return None
        data = self.cleaned_data
        return SearchFilters(
            q=data["q"].strip(),
            date_from=data["date_from"],
            date_to=data["date_to"],
            language=data["language"],
            speaker=data["speaker"].strip(),
        )
