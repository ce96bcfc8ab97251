"""Kokoro's network (StyleTTS 2 with an iSTFTNet decoder) in two parts.

One call to the whole network computes a piece's prosody (text encoder, durations, pitch and
energy: about a tenth of the time) and then decodes every frame into audio, the silence its
start and end pads make included, which kokoro-onnx then trims. Cut in two at the decoder's
inputs, the prosody comes first, with each token's length in frames, so the decoder is given
only the words' frames, and a reading's first words can be decoded on their own, the rest after.

Unlike Piper's decoder (vits.py), this one cannot join pieces into exactly the audio of one
decoding: its AdaIN layers normalise over the whole stretch decoded, so each piece has its own
statistics, and its harmonic source is a running sum of the pitch. The sum is carried over (a
`phase` input added at the cut); the pieces are cut between words and joined with a 10 ms
cross-fade. How the words are heard was measured instead (docs/benchmarks.md). The cut needs
the `onnx` package; without it Kokoro runs whole.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .onnx_parts import model_version, store_parts

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
HOP = 600  # samples a frame: 40 frames a second, pitch and energy at 80
# Frames decoded beyond each end of a piece and dropped: the convolutions' edges.
CONTEXT_FRAMES = 8
# Frames of the start pad decoded before the first word: its breath in and onset (kokoro-onnx's
# trim keeps ~3.5 frames of it).
LEAD_FRAMES = 4
# Samples over which a later piece fades in over the end of the one before it (10 ms).
CROSSFADE = 240

# The tensors at the cut, as torch's export named them in Kokoro-82M v1.0.
_ASR = "/encoder/MatMul_1_output_0"  # the text's features, one column a frame
_F0 = "/encoder/Reshape_output_0"  # pitch, two values a frame
_ENERGY = "/encoder/Reshape_1_output_0"  # energy, two values a frame
_DURATIONS = "/encoder/Clip_output_0"  # frames a token, the two pads included
_PHASE_SUM = "/decoder/decoder/generator/m_source/l_sin_gen/CumSum_output_0"
_PHASE_IN, _PHASE_OUT = "phase", "phase_out"
_PROSODY_FILE, _DECODER_FILE, _DONE_FILE = "prosody.onnx", "decoder.onnx", "cut.txt"


@dataclass
class Prosody:
    """The first part's output for one piece of text."""

    features: np.ndarray  # (1, 512, frames)
    pitch: np.ndarray  # (1, 2 * frames)
    energy: np.ndarray  # (1, 2 * frames)
    durations: np.ndarray  # frames a token, the start and end pads included
    style: np.ndarray  # (1, 256)

    @property
    def frames(self) -> int:
        return self.features.shape[2]

    @property
    def speech(self) -> tuple[int, int]:
        """The frames worth decoding: from just before the first word to the end pad."""
        return max(0, int(self.durations[0]) - LEAD_FRAMES), self.frames - int(self.durations[-1])


@dataclass
class SplitKokoro:
    """The prosody part (tokens, style, speed → the decoder's inputs) and the decoder (→
    audio, and the running sum of its harmonic source), each an onnxruntime session."""

    prosody_part: object
    decoder: object

    def prosody(self, tokens: list[int], style: np.ndarray, speed: float) -> Prosody:
        feeds = {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style, dtype=np.float32).reshape(1, -1),
            "speed": np.array([speed], dtype=np.float32),
        }
        features, pitch, energy, durations = self.prosody_part.run(
            [_ASR, _F0, _ENERGY, _DURATIONS], feeds
        )
        return Prosody(features, pitch, energy, durations.reshape(-1), feeds["style"])

    def decode(
        self, prosody: Prosody, start: int, end: int, phase: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The samples of frames start..end, decoded alone, and the harmonic source's running
        sum at each pitch value (two a frame), to carry into a later piece as `phase`."""
        feeds = {
            _ASR: prosody.features[:, :, start:end],
            _F0: prosody.pitch[:, 2 * start : 2 * end],
            _ENERGY: prosody.energy[:, 2 * start : 2 * end],
            "style": prosody.style,
            _PHASE_IN: np.zeros((1, 1, 1), np.float32) if phase is None else phase,
        }
        audio, sums = self.decoder.run(None, feeds)
        return audio.reshape(-1), sums

    def speak(self, prosody: Prosody, first_frames: int = 0, spaces=()) -> Iterator[np.ndarray]:
        """The piece's words: decoded in one go, or, with `first_frames`, its words up to the
        space nearest that many frames into them (`spaces`: the spaces' places among the
        durations), then the rest."""
        from kokoro_onnx.trim import trim  # the silence trimmed as kokoro-onnx trims it

        start, end = prosody.speech
        cut = _first_cut(prosody, first_frames, spaces) if first_frames else None
        if cut is None:
            yield trim(self.decode(prosody, start, end)[0])[0]
            return
        # The first words alone, with the whole start pad: its silence keeps the AdaIN
        # layers' statistics near those of the whole piece (from the words' onset, tiny.en
        # misheard twice as many words as with the network whole: docs/benchmarks.md).
        head, sums = self.decode(prosody, 0, cut + CONTEXT_FRAMES)
        held = cut * HOP - CROSSFADE  # the last 10 ms wait to be faded out
        yield head[min(trim(head[:held])[1][0], held - 1) : held]
        later = cut - CONTEXT_FRAMES
        carried = sums[:, 2 * later - 1 : 2 * later, :]
        rest = self.decode(prosody, later, end, carried)[0][CONTEXT_FRAMES * HOP - CROSSFADE :]
        fade = np.linspace(0.0, 1.0, CROSSFADE, dtype=np.float32)
        rest[:CROSSFADE] = rest[:CROSSFADE] * fade + head[held : held + CROSSFADE] * (1 - fade)
        yield rest[: trim(rest)[1][1]]


def _first_cut(prosody: Prosody, first_frames: int, spaces) -> int | None:
    """The middle frame of the space nearest `first_frames` into the words (`spaces`: the
    spaces' places among the durations), at least half that far in and leaving enough after
    it for a piece of its own; None where there is none."""
    ends = np.cumsum(prosody.durations)
    words_from, words_to = int(prosody.durations[0]), prosody.speech[1]
    target = words_from + first_frames
    cuts = [int(ends[index] - prosody.durations[index] / 2) for index in spaces]
    cuts = [
        cut
        for cut in cuts
        if cut >= max(words_from + first_frames / 2, CONTEXT_FRAMES + 1)
        and words_to - cut >= 2 * CONTEXT_FRAMES
    ]
    return min(cuts, key=lambda cut: abs(cut - target), default=None)


def split_kokoro(model_path: Path, *, session, cache: str = "") -> SplitKokoro | None:
    """The model at `model_path` cut at its decoder's inputs, each part opened with `session`
    (a path or bytes → onnxruntime session); None where it cannot be cut (no `onnx` package,
    a model exported otherwise), and the whole network is used instead. With a `cache` folder
    the parts are written there once and opened from their files after."""
    folder = Path(cache) / "kokoro" / f"split-{model_version(model_path)}" if cache else None
    if folder and (folder / _DONE_FILE).exists():
        return SplitKokoro(session(folder / _PROSODY_FILE), session(folder / _DECODER_FILE))
    parts = _cut(model_path)
    if parts is None:
        return None
    prosody_part, decoder = parts
    if folder is not None:
        try:
            files = [(_PROSODY_FILE, prosody_part), (_DECODER_FILE, decoder), (_DONE_FILE, "")]
            store_parts(folder, files)
        except OSError as exc:  # a read-only cache: cut at every start, as without one
            logger.warning("Could not keep Kokoro's cut network in %s: %s", folder, exc)
        else:
            del parts, prosody_part, decoder  # the protos, before the sessions load the files
            return SplitKokoro(session(folder / _PROSODY_FILE), session(folder / _DECODER_FILE))
    return SplitKokoro(
        session(prosody_part.SerializeToString()), session(decoder.SerializeToString())
    )


def _cut(model_path: Path):
    """(the prosody part, the decoder with a `phase` input) as ONNX protos, or None."""
    try:
        import onnx
        from onnx.utils import Extractor
    except ImportError:
        logger.warning("The onnx package is missing: Kokoro decodes each piece whole.")
        return None
    model = onnx.load(str(model_path))
    made = {name for node in model.graph.node for name in node.output}
    if not {_ASR, _F0, _ENERGY, _DURATIONS, _PHASE_SUM} <= made:
        logger.warning("%s is not Kokoro v1.0 as exported: decoded whole.", model_path)
        return None
    extractor = Extractor(model)
    prosody_part = extractor.extract_model(
        ["tokens", "style", "speed"], [_ASR, _F0, _ENERGY, _DURATIONS]
    )
    decoder = extractor.extract_model([_ASR, _F0, _ENERGY, "style"], ["audio"])
    _carry_phase(decoder.graph)
    return prosody_part, decoder


def _carry_phase(graph) -> None:
    """An input added to the harmonic source's running sum, and the sum as an output: a later
    piece starts its sine waves where the piece before left them."""
    from onnx import TensorProto, helper

    graph.input.append(helper.make_tensor_value_info(_PHASE_IN, TensorProto.FLOAT, [1, 1, None]))
    graph.output.append(helper.make_tensor_value_info(_PHASE_OUT, TensorProto.FLOAT, None))
    for node in graph.node:
        node.input[:] = [_PHASE_OUT if name == _PHASE_SUM else name for name in node.input]
    nodes = list(graph.node)
    at = next(i for i, node in enumerate(nodes) if _PHASE_SUM in node.output)
    add = helper.make_node("Add", [_PHASE_SUM, _PHASE_IN], [_PHASE_OUT], name="carried_phase")
    nodes.insert(at + 1, add)  # nodes stay in the order they run
    del graph.node[:]
    graph.node.extend(nodes)
