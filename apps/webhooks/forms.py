from django import forms

from .services import event_types


class EndpointForm(forms.Form):
    url = forms.CharField(max_length=2000, label="URL")
    description = forms.CharField(max_length=100, required=False)
    events = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(e, e) for e in event_types()]
