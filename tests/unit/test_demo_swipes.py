"""The demo day of swipes: every resident's day, with the exceptions the reports and alarms look for."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from houqin.clock import CAMPUS_TZ, local
from localcloud import demo, demo_swipes

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_a_day_of_swipes_for_every_resident_with_late_returns_early_outs_nights_out_and_visitors():
    data = demo.generate()
    swipes = list(demo_swipes.generate(data, NOW))
    assert swipes == list(demo_swipes.generate(data, NOW))  # the same on every start
    assert all(s.ts <= NOW for s in swipes)
    by_resident = defaultdict(list)
    for s in swipes:
        if s.resident_id:
            by_resident[s.resident_id].append(s)
    assert len(by_resident) == len(data.residents) == 6450
    yesterday = [s for s in swipes if local(s.ts, CAMPUS_TZ).day == 22]
    hours = Counter((s.direction, local(s.ts, CAMPUS_TZ).hour) for s in yesterday if s.resident_id)
    late_returns = sum(n for (d, h), n in hours.items() if d == "in" and h == 23)
    early_outs = sum(n for (d, h), n in hours.items() if d == "out" and h == 5)
    assert 100 < late_returns < 300 and 30 < early_outs < 120
    last_yesterday = {r: max((s for s in ss if local(s.ts, CAMPUS_TZ).day == 22), key=lambda s: s.ts, default=None)
                      for r, ss in by_resident.items()}
    not_returned = [r for r, s in last_yesterday.items() if s and s.direction == "out"]
    assert 30 < len(not_returned) < 120
    visitors = [s for s in swipes if s.resident_id is None]
    assert visitors and all(s.card_id.startswith("V") for s in visitors)
    readers = {r["reader_id"] for r in data.readers}
    assert {s.reader_id for s in swipes} <= readers
    assert demo_swipes.BEHIND_READER in {s.reader_id for s in swipes}
