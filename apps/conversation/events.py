"""The conversation page's JSON events, one per engine event (audio goes as binary frames)."""

from apps.engines.conversation.base import (
    ConversationError,
    ResponseDone,
    ResponseStarted,
    TranscriptDelta,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurn,
)


def event_json(event) -> dict | None:
    match event:
        case UserSpeechStarted():
            return {"type": "speech_started", "item_id": event.item_id}
        case UserSpeechStopped():
            return {"type": "speech_stopped", "item_id": event.item_id}
        case UserTurn():
            return {"type": "user", "item_id": event.item_id, "text": event.text}
        case ResponseStarted():
            return {"type": "response_started", "item_id": event.item_id}
        case TranscriptDelta():
            return {"type": "assistant_delta", "item_id": event.item_id, "text": event.text}
        case ResponseDone():
            return {"type": "response_done", "item_id": event.item_id, "status": event.status,
                    "text": event.text}  # fmt: skip
        case ConversationError():
            return error_json(event.kind, event.message)
    return None


def error_json(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}
