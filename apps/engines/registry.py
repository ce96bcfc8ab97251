"""Settings-selected engine backends, one handler per capability (like STORAGES and TASKS)."""

from functools import cached_property
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

B = TypeVar("B")


class BackendHandler(Generic[B]):
    """Loads backends named in a settings dict of aliases and caches one instance per alias.

    `settings.<setting_name>` maps alias -> {"BACKEND": dotted path, "OPTIONS": {...}}.
    """

    def __init__(self, setting_name: str, default_setting: str):
        self.setting_name = setting_name
        self.default_setting = default_setting
        self._instances: dict[str, B] = {}

    @cached_property
    def config(self) -> dict[str, dict[str, Any]]:
        return dict(getattr(settings, self.setting_name, {}))

    @property
    def default_alias(self) -> str:
        alias = getattr(settings, self.default_setting, None) or next(iter(self.config), "")
        if alias not in self.config:
            raise ImproperlyConfigured(
                f"{self.default_setting}={alias!r} is not a key of {self.setting_name}"
            )
        return alias

    def aliases(self) -> list[str]:
        return list(self.config)

    def __contains__(self, alias: str) -> bool:
        return alias in self.config

    def __getitem__(self, alias: str) -> B:
        if alias not in self._instances:
            self._instances[alias] = self._create(alias)
        return self._instances[alias]

    def default(self) -> B:
        return self[self.default_alias]

    def all(self) -> list[B]:
        return [self[alias] for alias in self.config]

    def _create(self, alias: str) -> B:
        try:
            params = self.config[alias]
        except KeyError:
            raise ImproperlyConfigured(
                f"Unknown engine {alias!r}: {self.setting_name} has {sorted(self.config)}"
            ) from None
        try:
            backend_class = import_string(params["BACKEND"])
        except ImportError as exc:
            raise ImproperlyConfigured(f"Could not load engine {alias!r}: {exc}") from exc
        return backend_class(alias=alias, **params.get("OPTIONS", {}))

    def reset(self) -> None:
        self.__dict__.pop("config", None)
        self._instances.clear()


_handlers: list[BackendHandler] = []


def register_handler(handler: BackendHandler) -> BackendHandler:
    _handlers.append(handler)
    return handler


def all_handlers() -> list[BackendHandler]:
    # Importing the capability packages registers their handlers.
    from importlib import import_module

    for package in _CAPABILITIES:
        import_module(package)
    return list(_handlers)


# Capability packages, each registering one handler in its __init__.
_CAPABILITIES = (
    "apps.engines.stt",
    "apps.engines.stt.streaming",
    "apps.engines.analysis",
    "apps.engines.tts",
    "apps.engines.cloning",
    "apps.engines.llm",
    "apps.engines.conversation",
    "apps.engines.music",
)


def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    for handler in _handlers:
        if setting in (handler.setting_name, handler.default_setting):
            handler.reset()


setting_changed.connect(_reset_on_setting_change)
