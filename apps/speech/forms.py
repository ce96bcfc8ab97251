from django import forms

from apps.engines.tts.base import AUDIO_FORMATS, MAX_SPEED, MIN_SPEED

FORMAT_LABELS = {
    "mp3": "MP3",
    "wav": "WAV (uncompressed)",
    "opus": "Opus (Ogg)",
    "flac": "FLAC (lossless)",
    "aac": "AAC",
    "pcm": "PCM (raw 24 kHz 16-bit)",
}


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

    def clean_speed(self):
        speed = self.cleaned_data["speed"]
        return 1.0 if speed is None else speed

    def clean_format(self):
        return self.cleaned_data["format"] or "mp3"
