from django import template

from apps.engines.stt.languages import language_name
from apps.transcripts.flags import FLAGS

register = template.Library()


@register.filter
def flag_label(flag: str, heard_language: str = "") -> str:
    """The flag as the page names it; "other_language" with the language heard, where known."""
    label = FLAGS.get(flag, flag.replace("_", " ").capitalize())
    if flag == "other_language" and heard_language:
        return f"{label} ({language_name(heard_language).title()})"
    return label
