"""Suno-style text to music over HTTP. Suno has no official API or SDK; this speaks the shape
of the self-hosted `suno-api` proxy that the seed's example follows: `POST /api/generate`
(a description) or `/api/custom_generate` (lyrics with `tags` and `title`), each answering with
clips, then `GET /api/get?ids=` until a clip is complete, then its `audio_url`. The base URL is
configurable; a key, where the service wants one, goes as a Bearer token."""

import time
from functools import cached_property

import httpx

from ..cloud import kind_for_status
from ..errors import ErrorKind, ProviderError
from .audio import decode
from .base import AudioResult, MusicBackend, MusicRequest

DEFAULT_TIMEOUT = 60.0
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_POLL_TIMEOUT = 600.0


class SunoMusic(MusicBackend):
    label = "Suno-style API (cloud)"
    supports_lyrics = True
    description = (
        "A Suno-compatible service at a configured address: songs with vocals; Suno chooses "
        "the length itself."
    )

    def __init__(self, *, alias: str, base_url: str = "", api_key: str = "",
                 model: str = "chirp-v3-5", timeout: float = DEFAULT_TIMEOUT,
                 poll_interval: float = DEFAULT_POLL_INTERVAL,
                 poll_timeout: float = DEFAULT_POLL_TIMEOUT, **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    def configuration_problem(self) -> str | None:
        return None if self.base_url else "no base URL (set SUNO_BASE_URL)"

    @cached_property
    def http(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout)

    def compose(self, request: MusicRequest, *, progress=None) -> AudioResult:
        self.check(request)
        if request.lyrics:
            path, body = (
                "/api/custom_generate",
                {
                    "prompt": request.lyrics,
                    "tags": request.prompt.strip(),
                    "title": request.prompt.strip()[:80],
                },
            )
        else:
            path, body = "/api/generate", {"prompt": request.prompt.strip()}
        body |= {"make_instrumental": request.instrumental and not request.lyrics,
                 "model": self.model, "wait_audio": False}  # fmt: skip
        clips = self._json("POST", path, json=body)
        if not isinstance(clips, list) or not clips or "id" not in clips[0]:
            raise ProviderError("Suno: the reply held no clips.", kind=ErrorKind.INTERNAL)
        clip = self._wait(clips[0]["id"], progress)
        data = self._request("GET", clip["audio_url"]).content
        samples, rate = decode(data)
        return AudioResult(
            samples=samples,
            sample_rate=rate,
            encoded=data,
            encoded_format="mp3",
            understood=f"Suno {clip.get('model_name') or self.model}; tags: {clip.get('tags', '')}",
            title=str(clip.get("title") or ""),
        )

    def _wait(self, clip_id: str, progress) -> dict:
        deadline = time.monotonic() + self.poll_timeout
        while True:
            [clip] = [c for c in self._json("GET", "/api/get", params={"ids": clip_id})
                      if c.get("id") == clip_id] or [{}]  # fmt: skip
            status = clip.get("status")
            if status == "complete" and clip.get("audio_url"):
                return clip
            if status == "error" or not clip:
                reason = clip.get("error_message") or "no reason given"
                raise ProviderError(f"Suno could not make the song: {reason}",
                                    kind=ErrorKind.UNAVAILABLE)  # fmt: skip
            if time.monotonic() > deadline:
                raise ProviderError("Suno did not finish the song in time.",
                                    kind=ErrorKind.TIMEOUT)  # fmt: skip
            if progress:
                progress(0.5 if status == "streaming" else 0.1)
            time.sleep(self.poll_interval)

    def _json(self, method: str, path: str, **kwargs):
        try:
            return self._request(method, path, **kwargs).json()
        except ValueError as exc:
            raise ProviderError("Suno: the reply was not JSON.", kind=ErrorKind.INTERNAL) from exc

    def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderError("Suno did not answer in time.", kind=ErrorKind.TIMEOUT) from exc
        except httpx.TransportError as exc:
            raise ProviderError(f"Could not reach Suno: {exc}",
                                kind=ErrorKind.UNAVAILABLE) from exc  # fmt: skip
        if response.status_code >= 400:
            raise ProviderError(
                f"Suno: {_message(response)}", kind=kind_for_status(response.status_code)
            )
        return response


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("error") if isinstance(body, dict) else None
    return str(message or f"HTTP {response.status_code}")
