from django import template

from apps.core.clock import clock

register = template.Library()
register.filter("clock", clock)


@register.filter
def percent(value) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""
