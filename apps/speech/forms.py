from django import forms

from apps.engines.tts.base import AUDIO_FORMATS, MAX_SPEED, MIN_SPEED, VOICE_SETTINGS, VoiceSettings

FORMAT_LABELS = {
    "mp3": "MP3",
    "wav": "WAV (uncompressed)",
    "opus": "Opus (Ogg)",
    "flac": "FLAC (lossless)",
    "aac": "AAC",
    "pcm": "PCM (raw 24 kHz 16-bit)",
}


def _unit_field(label: str) -> forms.FloatField:
    message = f"{label} must be a number from 0 to 1."
    return forms.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
    )


class SpeechForm(forms.Form):
    """What the studio asks for. The text and the voice are checked by the service, which says
    what is wrong in the engine's terms (empty, too long, unknown voice)."""

    text = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7}),  # no maxlength: it cuts a paste silently
    )
    voice = forms.CharField(required=False, max_length=200)
    language = forms.CharField(required=False, max_length=16)
    speed = forms.FloatField(min_value=MIN_SPEED, max_value=MAX_SPEED, required=False, initial=1.0)
    format = forms.ChoiceField(
        choices=[(f, FORMAT_LABELS[f]) for f in AUDIO_FORMATS], required=False, initial="mp3"
    )
    instructions = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # ElevenLabs-style voice settings, 0 to 1 as the API takes them; absent: the voice's own.
    # The page sends only those the chosen voice follows.
    stability = _unit_field("Stability")
    similarity_boost = _unit_field("Similarity")
    style = _unit_field("Style")

    def voice_settings(self) -> VoiceSettings:
        return VoiceSettings(
            **{
                n: self.cleaned_data[n]
                for n in VOICE_SETTINGS
                if self.cleaned_data.get(n) is not None
            }
        )

    def clean_speed(self):
        speed = self.cleaned_data["speed"]
        return 1.0 if speed is None else speed

    def clean_format(self):
        return self.cleaned_data["format"] or "mp3"


class ParagraphForm(forms.Form):
    """One paragraph spoken again: its text (checked by the service), speed and the voice
    settings its voice follows (absent: as the paragraph was last spoken)."""

    text = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    speed = forms.FloatField(min_value=MIN_SPEED, max_value=MAX_SPEED, required=False)
    stability = _unit_field("Stability")
    similarity_boost = _unit_field("Similarity")
    style = _unit_field("Style")

    def voice_settings(self) -> VoiceSettings | None:
        given = {
            n: self.cleaned_data[n] for n in VOICE_SETTINGS if self.cleaned_data.get(n) is not None
        }
        return VoiceSettings(**given) if given else None
