"""The fake ElevenLabs API (elevenlabs_server.py) with its music and sound-effect endpoints
(WIRE_FORMATS.md §4.6-4.7): `POST /v1/music` (a prompt with `music_length_ms`, or a
`composition_plan` whose sections set the length) and `POST /v1/sound-generation` (`text`,
`duration_seconds`). Each answers with a tone of the asked length in `output_format`."""

from .elevenlabs_server import OUTPUT_FORMATS, FakeElevenLabsServer, encode_tone
from .server import RecordedRequest, Reply

MUSIC_MODELS = {"music_v1", "music_v2", "music_v2_5"}


class FakeElevenLabsMusicServer(FakeElevenLabsServer):
    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path == "/v1/music":
            return self._music(request)
        if request.method == "POST" and request.path == "/v1/sound-generation":
            return self._effect(request)
        return super().route(request)

    def _music(self, request) -> Reply:
        body = request.json or {}
        output_format = request.param("output_format", "mp3_44100_128")
        if output_format not in OUTPUT_FORMATS:
            return self.error(422, f"Invalid output_format {output_format!r}.")
        if body.get("model_id", "music_v1") not in MUSIC_MODELS:
            return self.error(422, "Invalid model_id.")
        prompt, plan = body.get("prompt"), body.get("composition_plan")
        if (prompt is None) == (plan is None):
            return self.error(422, "Exactly one of prompt and composition_plan is required.")
        if plan is not None:
            sections = plan.get("sections") or []
            if not sections:
                return self.error(422, "A composition plan needs sections.")
            ms = sum(s["duration_ms"] for s in sections)
        else:
            ms = body.get("music_length_ms", 30_000)
        if not 3000 <= ms <= 600_000:
            return self.error(422, "music_length_ms must be between 3000 and 600000.")
        return Reply(body=encode_tone(output_format, ms / 1000), content_type="audio/mpeg")

    def _effect(self, request) -> Reply:
        body = request.json or {}
        output_format = request.param("output_format", "mp3_44100_128")
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            return self.error(422, "Field required: text.")
        seconds = body.get("duration_seconds") or 2.0
        if not 0.5 <= seconds <= 30:
            return self.error(422, "duration_seconds must be between 0.5 and 30.")
        return Reply(body=encode_tone(output_format, seconds), content_type="audio/mpeg")
