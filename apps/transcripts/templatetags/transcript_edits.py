from django import template

from apps.transcripts.flags import FLAGS

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    return FLAGS.get(flag, flag.replace("_", " ").capitalize())
