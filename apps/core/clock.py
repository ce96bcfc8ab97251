"""Durations as people read them, in pages, messages and exports alike."""


def clock(seconds) -> str:
    """Seconds as m:ss or h:mm:ss."""
    try:
        total = int(float(seconds or 0))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
