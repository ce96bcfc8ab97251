"""Piper's network (VITS) in two parts, so that a sentence's audio can be decoded in pieces.

One call to the whole network gives a sentence's audio only when all of it is rendered, and
about two thirds of that time is the decoder (HiFi-GAN) turning the sentence's latent frames
into samples. Cut in two at the decoder's input, the network gives the latent frames of the
whole sentence first (text encoder, durations, flow: about a third), and the decoder then
renders any stretch of frames on its own: the first few words' audio is ready after the first
third and a slice of the decoder, the rest later.

The decoder is convolutional and sees a bounded number of frames either side: decoded with
CONTEXT_FRAMES of overlap, pieces join into exactly the audio of one whole decoding (with 12
frames of context the difference is float rounding, under 1e-6; with 8 it is 3e-4), so there
is no seam to hear. The cut needs the `onnx` package (as Piper's own alignment patch does).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .onnx_parts import model_version, store_parts

logger = logging.getLogger(__name__)

# Frames of latent decoded beyond each end of a piece and dropped: more than the 12 at which
# the pieces already equal one whole decoding.
CONTEXT_FRAMES = 16
# The decoder's nodes are named by the module they were exported from (torch's scopes).
_DECODER_SCOPE = "/dec/"


@dataclass
class SplitNetwork:
    """The network's first part (phoneme ids → latent frames) and its decoder (latent frames →
    samples, `hop` samples a frame), each an onnxruntime session."""

    latent: object
    decoder: object
    latent_name: str
    hop: int

    def latents(self, feeds: dict) -> np.ndarray:
        """The sentence's latent frames, shape (1, channels, frames), from the feeds the whole
        network takes."""
        return self.latent.run(None, feeds)[0]

    def decode(self, latents: np.ndarray, start: int, end: int) -> np.ndarray:
        """The samples of frames start..end, decoded with context so that pieces join exactly."""
        frames = latents.shape[2]
        before, after = min(CONTEXT_FRAMES, start), min(CONTEXT_FRAMES, frames - end)
        part = latents[:, :, start - before : end + after]
        audio = self.decoder.run(None, {self.latent_name: part})[0].reshape(-1)
        return audio[before * self.hop : len(audio) - after * self.hop]


def split_network(model_path: Path, *, hop: int, session, cache: str = "") -> SplitNetwork | None:
    """The model at `model_path` cut at its decoder's input, each part opened with `session`
    (a path or bytes → onnxruntime session); None when it cannot be cut (no `onnx` package, or
    a graph whose decoder is not one scope with one input), and the whole network is used
    instead. With a `cache` folder the parts are written there once and opened from their
    files after: cutting costs a second, and a session made from bytes keeps ~60 MB more."""
    folder = (
        Path(cache) / "piper" / f"{model_path.stem}-{model_version(model_path)}" if cache else None
    )
    if folder and (folder / _NAME_FILE).exists():
        name = (folder / _NAME_FILE).read_text()
        return _opened(name, folder / _LATENT_FILE, folder / _DECODER_FILE, hop, session)
    parts = _cut(model_path)
    if parts is None:
        return None
    name, latent, decoder = parts
    if folder is not None:
        try:
            # The decoder's input name last: it marks the parts as whole.
            store_parts(
                folder, [(_LATENT_FILE, latent), (_DECODER_FILE, decoder), (_NAME_FILE, name)]
            )
        except OSError as exc:  # a read-only cache: cut at every start, as without one
            logger.warning("Could not keep Piper's cut network in %s: %s", folder, exc)
        else:
            del parts, latent, decoder  # the protos: ~60 MB, before the sessions load the files
            return _opened(name, folder / _LATENT_FILE, folder / _DECODER_FILE, hop, session)
    return _opened(name, latent.SerializeToString(), decoder.SerializeToString(), hop, session)


_LATENT_FILE, _DECODER_FILE, _NAME_FILE = "latent.onnx", "decoder.onnx", "decoder-input.txt"


def _cut(model_path: Path):
    """(the decoder's input, the first part, the decoder) as ONNX protos, or None."""
    try:
        import onnx
        from onnx.utils import Extractor
    except ImportError:
        logger.warning("The onnx package is missing: Piper decodes each sentence whole.")
        return None
    model = onnx.load(str(model_path))
    name = _decoder_input(model.graph)
    if name is None:
        logger.warning("No decoder found in %s: Piper decodes each sentence whole.", model_path)
        return None
    inputs = [i.name for i in model.graph.input if i.name not in _initializers(model.graph)]
    outputs = [o.name for o in model.graph.output]
    extractor = Extractor(model)
    return name, extractor.extract_model(inputs, [name]), extractor.extract_model([name], outputs)


def _opened(name: str, latent, decoder, hop: int, session) -> SplitNetwork:
    return SplitNetwork(latent=session(latent), decoder=session(decoder), latent_name=name, hop=hop)


def _decoder_input(graph) -> str | None:
    """The one tensor the decoder's nodes take from outside the decoder (weights aside)."""
    made_by = {out: node.name for node in graph.node for out in node.output}
    weights = _initializers(graph)
    taken = {
        name
        for node in graph.node
        if node.name.startswith(_DECODER_SCOPE)
        for name in node.input
        if name and name not in weights
        and not made_by.get(name, "").startswith(_DECODER_SCOPE)
    }  # fmt: skip
    return taken.pop() if len(taken) == 1 else None


def _initializers(graph) -> set[str]:
    return {i.name for i in graph.initializer}
