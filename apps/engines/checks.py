from django.core.checks import Error, Warning, register

from .stt import stt_backends


@register()
def check_speech_to_text_engines(app_configs=None, **kwargs):
    messages = []
    for alias in stt_backends.aliases():
        try:
            backend = stt_backends[alias]
        except Exception as exc:  # report any failure to load as a check, not a crash
            messages.append(Error(str(exc), id="engines.E001"))
            continue
        problem = getattr(backend, "configuration_problem", lambda: None)()
        if problem:
            messages.append(Warning(f"Engine {alias!r}: {problem}", id="engines.W001"))
    return messages
