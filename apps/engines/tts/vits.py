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

import numpy as np

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


def split_network(model_path, *, hop: int, session) -> SplitNetwork | None:
    """The model at `model_path` cut at its decoder's input, each part opened with `session`
    (bytes → onnxruntime session); None when it cannot be cut (no `onnx` package, or a graph
    whose decoder is not one scope with one input), and the whole network is used instead."""
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
    first = extractor.extract_model(inputs, [name])
    decoder = extractor.extract_model([name], outputs)
    return SplitNetwork(
        latent=session(first.SerializeToString()),
        decoder=session(decoder.SerializeToString()),
        latent_name=name,
        hop=hop,
    )


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
