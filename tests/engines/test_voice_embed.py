"""The numpy speaker encoder against resemblyzer's torch model, on real recordings."""

import io
import pickle

import numpy as np
import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.voice import embed

# Cosine similarities from resemblyzer 0.1.4's own pipeline (torch 2.13, librosa 0.11 decoding
# and resampling the files), so this check runs where torch is not installed.
RESEMBLYZER_SIMILARITIES = [
    ("eagle_spk1_utt1.wav", "eagle_spk1_utt2.wav", 0.9267),  # same speaker
    ("eagle_spk1_utt1.wav", "eagle_spk2_test.wav", 0.4815),
    ("libri_2412-153948-0000.flac", "libri_2412-153948-0001.flac", 0.9423),  # same speaker
    ("rtvc_1320.mp3", "rtvc_8230.mp3", 0.6092),
    ("rtvc_p240.mp3", "rtvc_p260.mp3", 0.6757),  # mp3 decoders differ slightly: 0.6745 here
]


@pytest.fixture(scope="module")
def embeddings(corpus):
    names = {name for a, b, _ in RESEMBLYZER_SIMILARITIES for name in (a, b)}
    return {name: embed.embed_utterance(embed.load_audio(corpus / name)) for name in names}


@pytest.mark.parametrize(("a", "b", "expected"), RESEMBLYZER_SIMILARITIES)
def test_it_gives_resemblyzers_similarities(embeddings, a, b, expected):
    assert embed.similarity(embeddings[a], embeddings[b]) == pytest.approx(expected, abs=0.002)


def test_it_gives_unit_length_non_negative_embeddings(embeddings):
    for vector in embeddings.values():
        assert vector.shape == (256,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert vector.min() >= 0


def test_it_reads_the_weights_without_torch():
    weights = embed.load_weights()
    assert weights["lstm.weight_ih_l0"].shape == (1024, 40)
    assert weights["lstm.weight_hh_l2"].shape == (1024, 256)
    assert weights["linear.weight"].shape == (256, 256)
    assert all(w.dtype == np.float32 and np.isfinite(w).all() for w in weights.values())


def test_it_runs_no_code_from_the_checkpoint(tmp_path):
    path = tmp_path / "evil.pt"
    payload = io.BytesIO()
    for part in (0x1950A86A20F9469CFC6C, 1001, {}):
        pickle.dump(part, payload, protocol=2)
    payload.write(b"cos\nsystem\n(S'echo owned'\ntR.")
    path.write_bytes(payload.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="Unexpected os.system"):
        embed.read_legacy_torch_file(path)


def test_it_matches_the_torch_lstm_exactly():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    checkpoint = torch.load(embed.weights_path(), map_location="cpu", weights_only=True)
    lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
    linear = torch.nn.Linear(256, 256)
    state = checkpoint["model_state"]
    lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
    mels = np.random.default_rng(0).gamma(0.5, 2.0, (4, 160, 40)).astype(np.float32)
    with torch.no_grad():
        _, (hidden, _) = lstm(torch.from_numpy(mels))
        expected = torch.relu(linear(hidden[-1]))
        expected = (expected / expected.norm(dim=1, keepdim=True)).numpy()
    ours = embed.forward(mels)
    assert np.abs(ours - expected).max() < 1e-5
    assert (ours * expected).sum(axis=1).min() > 0.99999


def test_it_matches_librosas_mel_spectrogram(corpus):
    librosa = pytest.importorskip("librosa")
    wav = embed.load_audio(corpus / "eagle_spk1_utt1.wav")
    expected = librosa.feature.melspectrogram(
        y=wav, sr=16_000, n_fft=400, hop_length=160, n_mels=40
    ).T
    ours = embed.mel_spectrogram(wav)
    assert ours.shape == expected.shape
    assert np.abs(ours - expected).max() < 1e-5 * np.abs(expected).max()


def test_it_refuses_silence():
    with pytest.raises(ProviderError) as error:
        embed.embed_utterance(np.zeros(5 * 16_000, np.float32))
    assert error.value.kind == ErrorKind.INVALID_INPUT
    assert "too little speech" in str(error.value)


def test_it_refuses_a_file_that_is_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all")
    with pytest.raises(ProviderError) as error:
        embed.load_audio(path)
    assert error.value.kind == ErrorKind.INVALID_INPUT
