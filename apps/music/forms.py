import re

from django import forms

from apps.engines.music.base import Section

_SECTION = re.compile(r"^(?P<name>.+?)\s+(?P<seconds>\d+(?:\.\d+)?)\s*(?:s|sec|seconds)?$", re.I)


def sections_parse(text: str) -> list[Section]:
    """ "intro 8, verse 16, chorus 16" (or one a line) as sections; ValueError for anything
    else."""
    sections = []
    for part in re.split(r"[,\n;]+", text):
        part = part.strip()
        if not part:
            continue
        match = _SECTION.match(part)
        if not match:
            raise ValueError(part)
        sections.append(Section(match["name"].strip(), float(match["seconds"])))
    return sections


class MusicForm(forms.Form):
    """What the studio asks for a piece of music. Lengths, lyrics and sections are checked by
    the service in the engines' terms."""

    prompt = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    seconds = forms.FloatField(required=False, initial=30)
    instrumental = forms.BooleanField(required=False, initial=True)
    lyrics = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    sections = forms.CharField(required=False, max_length=2000)
    seed = forms.IntegerField(required=False)
    engine = forms.CharField(required=False, max_length=50)

    def clean_seconds(self):
        seconds = self.cleaned_data["seconds"]
        return 30.0 if seconds is None else seconds

    def clean_sections(self):
        try:
            return sections_parse(self.cleaned_data["sections"])
        except ValueError as exc:
            raise forms.ValidationError(
                f"Write sections as “intro 8, verse 16, chorus 16” (name and seconds); "
                f"“{exc}” is not."
            ) from None


class EffectForm(forms.Form):
    text = forms.CharField(required=False, max_length=2000)
    seconds = forms.FloatField(required=False)  # empty: the engine chooses
    seed = forms.IntegerField(required=False)
    engine = forms.CharField(required=False, max_length=50)


class RenameForm(forms.Form):
    title = forms.CharField(required=False, max_length=300)
