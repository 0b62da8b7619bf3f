"""The real time: the one clock of Houqin that reads it (functions use it; tests pin a FixedClock instead).

In the local cloud it runs ``clock_offset_seconds`` ahead of the machine's time (`houqin run --at`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from houqin.settings import clock_offset_seconds


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=clock_offset_seconds())
