from django import forms

from .models import VoiceConsent, VoiceSample
from .services import Consent, SampleUpload

ACCEPTED_AUDIO = "audio/*,.mp3,.wav,.m4a,.aac,.ogg,.opus,.flac,.webm"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_AUDIO}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class SamplesForm(forms.Form):
    """Recordings of one speaker and the consent under which they are given."""

    samples = MultipleFileField(
        required=False,
        help_text="Recordings of one person speaking: 10-60 s in all is best (3 s to 5 min).",
    )
    # Filled by the page's recorder (static/js/voices.js).
    recordings = MultipleFileField(required=False, widget=MultipleFileInput(attrs={"hidden": True}))
    consent_basis = forms.ChoiceField(
        label="Whose voice is this?",
        choices=VoiceConsent.Basis.choices,
        widget=forms.RadioSelect,
    )
    speaker_name = forms.CharField(
        max_length=200, label="The speaker's name", help_text="The person heard in the samples."
    )
    consent = forms.BooleanField(
        label="I confirm the statement above",
        error_messages={
            "required": "A voice is made only after you confirm the consent statement."
        },
    )

    def clean(self):
        data = super().clean()
        if not data.get("samples") and not data.get("recordings"):
            self.add_error("samples", "Upload or record at least one sample.")
        return data

    def uploads(self) -> list[SampleUpload]:
        data = self.cleaned_data
        return [SampleUpload(f) for f in data.get("samples", [])] + [
            SampleUpload(f, VoiceSample.Source.RECORDING) for f in data.get("recordings", [])
        ]

    def consent_from(self, request) -> Consent:
        return Consent(
            basis=self.cleaned_data["consent_basis"],
            speaker_name=self.cleaned_data["speaker_name"],
            confirmed=self.cleaned_data["consent"],
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", ""),
        )


class VoiceForm(SamplesForm):
    field_order = ["name", "description", "samples", "recordings"]

    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)


class ShareForm(forms.Form):
    username = forms.CharField(max_length=150, label="Share with (user name)")


class PronunciationForm(forms.Form):
    word = forms.CharField(max_length=100)
    kind = forms.ChoiceField(
        choices=[("respelling", "Respelling"), ("phonemes", "IPA phonemes")],
        required=False,
        widget=forms.RadioSelect,
        initial="respelling",
    )
    say_as = forms.CharField(max_length=200, required=False, label="Say it as")
    phonemes = forms.CharField(max_length=200, required=False, label="Phonemes (IPA)")

    def entry(self) -> dict[str, str]:
        """What `pronunciation_set` takes: the phonemes only for a phoneme entry."""
        data = self.cleaned_data
        phonemes = data["phonemes"] if data["kind"] == "phonemes" else ""
        return {"word": data["word"], "say_as": data["say_as"], "phonemes": phonemes}

    def clean(self):
        data = super().clean()
        if data.get("kind") == "phonemes" and not data.get("phonemes", "").strip():
            self.add_error("phonemes", "Give the word's phonemes in IPA, e.g. nəˈvɛʁ.")
        return data


class PronunciationImportForm(forms.Form):
    file = forms.FileField(
        label="PLS file",
        widget=forms.ClearableFileInput(attrs={"accept": ".pls,.xml,application/pls+xml,text/xml"}),
    )
