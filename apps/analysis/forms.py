from django import forms
from django.core.exceptions import ValidationError

from .options import analysis_choices, analysis_options_validate, speaker_count_choices


class AnalysisForm(forms.Form):
    """Which analyses to run and how many speakers to look for; `cleaned_data["analysis"]` holds
    the checked `AnalysisOptions`."""

    analyses = forms.MultipleChoiceField(
        choices=analysis_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each runs on its own after the transcription, in the background.",
    )
    speakers = forms.ChoiceField(
        label="Number of speakers", choices=speaker_count_choices, initial="auto", required=False
    )

    def __init__(self, *args, unavailable: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable = unavailable or {}
        if self.unavailable:
            # The language is known: leave out what cannot run on it (the page says why).
            field = self.fields["analyses"]
            field.choices = [c for c in field.choices if c[0] not in self.unavailable]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["analysis"] = analysis_options_validate(
                kinds=data.get("analyses") or (), num_speakers=data.get("speakers")
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


class NameForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)


class MergeForm(forms.Form):
    into = forms.IntegerField()


class ReassignForm(forms.Form):
    speaker = forms.IntegerField()
