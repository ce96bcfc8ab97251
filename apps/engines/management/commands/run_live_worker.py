import asyncio
import contextlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.engines.conversation import conversation_backends
from apps.engines.conversation.remote import serve_conversation
from apps.engines.errors import ProviderError
from apps.engines.stt.streaming.remote import DEFAULT_CHANNEL, serve, serve_stream, worker_engine

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run live transcription (the live page, the Realtime API) and voice conversations for "
        "the web processes: takes sessions from the channel layer (Redis) and keeps the models "
        "loaded. "
        "Start as many as the machines allow; each session runs in one of them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--channel",
            default=DEFAULT_CHANNEL,
            help=f"The channel the web processes send sessions to ({DEFAULT_CHANNEL}).",
        )
        parser.add_argument(
            "--alive-file",
            type=Path,
            help="A file touched every 10 s while Redis answers (for a container's health check).",
        )

    def handle(self, *args, channel: str, alive_file: Path | None, **options):
        if settings.VOICEPORTAL_LIVE_INFERENCE != "worker":
            raise CommandError(
                "Live inference runs in the web processes here (it needs REDIS_URL and "
                "VOICEPORTAL_LIVE_INFERENCE=worker): nothing would reach this worker."
            )
        self._warm_up()
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(channel, alive_file=alive_file, openers={
                "stream.open": serve_stream, "conversation.open": serve_conversation,
            }))  # fmt: skip

    def _warm_up(self) -> None:
        """Load the models now, so the first session does not wait for them."""
        if not getattr(settings, "VOICEPORTAL_WARM_UP", True):
            return
        engine = worker_engine(settings.STREAMING_SPEECH_TO_TEXT_DEFAULT)
        if hasattr(engine, "model"):
            for name in dict.fromkeys([engine.default_model, engine.partial_model]):
                try:
                    engine.model(name)
                except ProviderError as exc:
                    logger.warning("Could not load %s for live sessions: %s", name, exc.message)
        conversation = getattr(conversation_backends.default(), "engine", None)
        if hasattr(conversation, "warm_up"):  # the language model of conversations
            try:
                conversation.warm_up()
            except ProviderError as exc:
                logger.warning("Could not load the conversations' model: %s", exc.message)
