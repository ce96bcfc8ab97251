from django.core.checks import Error, Warning, register

from .registry import all_handlers


@register()
def check_engines(app_configs=None, **kwargs):
    """Every configured engine loads, and says whether its packages or keys are missing."""
    messages = []
    for handler in all_handlers():
        for alias in handler.aliases():
            try:
                backend = handler[alias]
            except Exception as exc:  # report any failure to load as a check, not a crash
                messages.append(
                    Error(f"{handler.setting_name}[{alias!r}]: {exc}", id="engines.E001")
                )
                continue
            problem = getattr(backend, "configuration_problem", lambda: None)()
            if problem:
                messages.append(
                    Warning(f"{handler.setting_name}[{alias!r}]: {problem}", id="engines.W001")
                )
    return messages
