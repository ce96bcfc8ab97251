"""A live session whose socket is in a web process (Daphne) and whose inference runs in the
live inference worker, another process, through Redis: a real websocket client speaks a
recording into it and gets its words back, saved on PostgreSQL."""

import json

import pytest
from websockets.sync.client import connect

from apps.live.models import LiveSession
from tests.live.conftest import frames, pcm24, session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.scale]


def test_a_live_session_is_transcribed_by_the_inference_worker(web, live_worker, make_user, corpus):
    alice = make_user("alice")
    url = web.url.replace("http://", "ws://") + "/ws/live/"
    headers = {"Cookie": session_cookie(alice).decode(), "Origin": web.url}
    with connect(url, additional_headers=headers, open_timeout=30) as ws:
        ready = _next(ws)
        assert ready["type"] == "ready", ready
        for frame in frames(pcm24(corpus / "jfk.flac")):
            ws.send(frame)
        ws.send(json.dumps({"type": "stop"}))
        events = [_next(ws)]
        while events[-1]["type"] not in ("saved", "error"):
            events.append(_next(ws))

    saved = events[-1]
    assert saved["type"] == "saved", f"{events}\n{live_worker.said()[-3000:]}"
    words = "".join(c for c in saved["text"].lower() if c.isalpha() or c == " ")
    assert "fellow americans" in words and "what you can do for your country" in words
    assert any(e["type"] == "final" for e in events)
    # The worker heard the whole recording (11 s); the web process only relayed it.
    assert "Served a live session: 11.0 s of audio" in live_worker.said()
    session = LiveSession.objects.get(transcript_id=saved["transcript"])
    assert session.transcript.owner == alice and session.transcript.segments.exists()


def _next(ws) -> dict:
    return json.loads(ws.recv(timeout=60))
