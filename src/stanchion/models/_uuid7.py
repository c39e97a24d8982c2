"""UUIDv7 (RFC 9562): time-ordered keys that index like integers. The stdlib has it from 3.14."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = [0, 0]  # last millisecond, last 12-bit counter


def uuid7() -> uuid.UUID:
    """A new UUIDv7, monotonic within this process (a counter orders keys in one millisecond)."""
    native = getattr(uuid, "uuid7", None)
    if native is not None:  # Python 3.14+
        return native()  # type: ignore[no-any-return]
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last[0]:
            millis = _last[0]
            counter = _last[1] + 1
            if counter > 0xFFF:  # counter overflow: borrow the next millisecond
                millis, counter = millis + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2)) & 0x3FF
        _last[0], _last[1] = millis, counter
    tail = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | tail
    return uuid.UUID(int=value)
