"""The Realtime conversation protocol's translation, without an engine: session updates are
checked and echoed, text-only sessions get text events, and a cancelled reply says so."""

import pytest

from apps.api import realtime_conversation as rc
from apps.api.realtime_protocol import ProtocolError
from apps.engines.conversation.base import AudioDelta, ResponseDone, TranscriptDelta


def test_openai_voice_names_map_to_library_voices_and_other_ids_pass():
    session = rc.RealtimeSession(model="gpt-realtime")
    rc.session_update(session, {"session": {"audio": {"output": {"voice": "echo"}}}})
    assert session.voice_id == "piper:joe"
    rc.session_update(session, {"session": {"audio": {"output": {"voice": {"id": "voice_ab"}}}}})
    assert session.voice_id == "voice_ab"


def test_semantic_vad_is_accepted_and_fixed_once_started():
    session = rc.RealtimeSession(model="gpt-realtime")
    vad = {"type": "semantic_vad", "interrupt_response": False}
    rc.session_update(session, {"session": {"audio": {"input": {"turn_detection": vad}}}})
    assert session.turn_detection["interrupt_response"] is False
    session.started = True
    with pytest.raises(ProtocolError) as caught:
        rc.session_update(session, {"session": {"audio": {"input": {"turn_detection": None}}}})
    assert caught.value.code == "session_started"
    rc.session_update(session, {"session": {"instructions": "Still allowed."}})


def test_a_text_only_session_gets_text_events_and_no_audio():
    session = rc.RealtimeSession(model="gpt-realtime", output_modalities=["text"])
    assert rc.server_events(session, AudioDelta("resp_1", "item_1", b"\0\0")) == []
    (delta,) = rc.server_events(session, TranscriptDelta("resp_1", "item_1", "Hello."))
    assert (delta["type"], delta["delta"]) == ("response.output_text.delta", "Hello.")
    done = rc.server_events(session, ResponseDone("resp_1", "item_1", "completed", "Hello."))
    assert [e["type"] for e in done][0] == "response.output_text.done"
    assert done[-1]["response"]["output"][0]["content"][0] == {"type": "output_text",
                                                               "text": "Hello."}  # fmt: skip


def test_a_cancelled_reply_is_done_with_its_status_and_an_incomplete_item():
    session = rc.RealtimeSession(model="gpt-realtime")
    events = rc.server_events(session, ResponseDone("resp_1", "item_1", "cancelled", "Once"))
    response = events[-1]["response"]
    assert (response["status"], response["output"][0]["status"]) == ("cancelled", "incomplete")
    assert response["status_details"]["reason"] == "turn_detected"
    assert session.previous_item == "item_1"
