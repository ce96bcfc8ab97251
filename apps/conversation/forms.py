from django import forms


class ConversationForm(forms.Form):
    instructions = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the assistant should behave (a system prompt). Empty: a friendly, brief "
        "voice assistant.",
    )  # fmt: skip
    voice = forms.ChoiceField(required=False)

    def __init__(self, *args, voices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voice"].choices = [("", "The default voice")] + [
            (v.id, f"{v.name} · {v.engine}") for v in voices
        ]
