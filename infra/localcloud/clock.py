"""The local cloud's one clock: the real time shifted by an offset, running forward at the real rate.

``houqin run --at 2026-11-23T21:30+08:00`` (or ``HOUQIN_AT``) starts the cloud at that instant and
``houqin clock +6h`` moves a running cloud forward. Everything in the local cloud that reads the time reads
this clock: the scheduler, the gateway (token expiry, ``requestTime``), the tokens it mints, the IoT rules'
``timestamp()``, SQS's ``SentTimestamp`` as functions see it, async invocation records and the demo data.
Each invocation hands the offset to the function's worker as ``HOUQIN_CLOCK_OFFSET`` (seconds), which
``houqin.system_clock.SystemClock`` adds; nothing sets it in AWS, where the offset is always zero.

This module and ``houqin/clock.py`` are the only places that read the real time (ruff's banned-api rule).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# The variable houqin.system_clock.SystemClock reads (CLOCK_OFFSET_ENV in houqin.settings; a test keeps the two
# the same). The local cloud stays generic: it imports nothing of Houqin's into a function's worker.
OFFSET_ENV = "HOUQIN_CLOCK_OFFSET"
CAMPUS_TZ = ZoneInfo("Asia/Shanghai")  # an --at without an offset is campus time
AT_ENV = "HOUQIN_AT"
_DELTA = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def real_now() -> datetime:
    """The machine's time, for what must not follow the cloud's clock (deadlines, request signing)."""
    return datetime.now(UTC)


def real_epoch_ms() -> int:
    return int(time.time() * 1000)


class CloudClock:
    def __init__(self, at: datetime | None = None) -> None:
        if at is not None and at.tzinfo is None:
            raise ValueError("CloudClock needs an aware datetime")
        self._offset = timedelta(0) if at is None else at - real_now()
        self._lock = threading.Lock()
        self._moved: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return real_now() + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def epoch_ms(self) -> int:
        return int(self.timestamp() * 1000)

    @property
    def offset_seconds(self) -> float:
        return self._offset.total_seconds()

    def environment(self) -> dict[str, str]:
        """What a function's worker needs to agree with this clock (set before each invocation)."""
        return {OFFSET_ENV: f"{self.offset_seconds:.6f}"}

    def on_move(self, listener: Callable[[], None]) -> None:
        self._moved.append(listener)

    def move(self, delta: timedelta) -> datetime:
        """Move forward (a demo's "six hours later"); never back: stored data and schedules only go forward."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        for listener in self._moved:
            listener()
        return self.now()


def parse_at(text: str) -> datetime:
    """``2026-11-23T21:30+08:00``; without an offset the time is campus time (Asia/Shanghai)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--at {text!r}: not an ISO-8601 time such as 2026-11-23T21:30+08:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=CAMPUS_TZ)).astimezone(UTC)


def parse_delta(text: str) -> timedelta:
    """``+6h``, ``90m``, ``1d2h``, ``+30s``: a step forward."""
    body = text.strip().removeprefix("+")
    parts = _DELTA.findall(body)
    if not body or "".join(n + u for n, u in parts) != body:
        raise ValueError(f"{text!r}: say how far forward, e.g. +6h, +90m, +1d, +1h30m")
    return sum((timedelta(**{_UNITS[unit]: float(n)}) for n, unit in parts), timedelta(0))
