"""Demo gate swipes: yesterday and this morning at every dorm gate, plus who runs which building.

Each resident lives a campus day (out in the morning, some back for lunch, in by the evening),
with the exceptions the reports and alarms look for: late returns (晚归) after the gate closes,
early outs (早出) before it opens, nights not returned (夜不归宿), and visitors' unknown cards.
Swipes are numbered per reader in time order, stored with the same keys the swipes function
uses (``SwipeItem.make``); presence is each resident's newest swipe; one reader (JN04-A) is
left with an offline backlog (its 20 swipes before the newest are not uploaded yet: a gap in its
seqs), so provisional data can be seen.
The seed is fixed; only the dates follow the calendar.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from houqin.clock import CAMPUS_TZ, at_local, local_day

SEED = 11
LATE_RETURN, EARLY_OUT, NOT_RETURNED = 0.03, 0.01, 0.01
LUNCH_BACK = 0.4
VISITORS_PER_DAY = 30
BEHIND_READER, BACKLOG = "JN04-A", 20  # swipes still on that reader: a gap in its seqs


@dataclass(frozen=True)
class DemoSwipe:
    reader_id: str
    card_id: str
    direction: str
    ts: datetime
    resident_id: str | None
    home_building: str | None


def _at(day: date, rng: random.Random, start: str, end: str) -> datetime:
    """A random moment between two local wall-clock times of a day (end may pass midnight: "24:30")."""
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    seconds = rng.randint(h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60)
    return at_local(day, time(0), CAMPUS_TZ) + timedelta(seconds=seconds)


def resident_day(day: date, rng: random.Random) -> list[tuple[str, datetime]]:
    """(direction, moment) of one resident's day."""
    luck = rng.random()
    if luck < NOT_RETURNED:
        return [("out", _at(day, rng, "16:00", "20:00"))]
    out = _at(day, rng, "05:00", "05:55") if luck < NOT_RETURNED + EARLY_OUT else _at(day, rng, "06:30", "09:30")
    moves = [("out", out)]
    if rng.random() < LUNCH_BACK:
        moves += [("in", _at(day, rng, "11:30", "12:30")), ("out", _at(day, rng, "12:40", "14:00"))]
    late = luck > 1 - LATE_RETURN
    moves.append(("in", _at(day, rng, "23:05", "23:55") if late else _at(day, rng, "17:00", "22:45")))
    return moves


def generate(data: Any, now: datetime) -> Iterator[DemoSwipe]:
    """Yesterday (local) in full and today up to ``now``, in no particular order."""
    rng = random.Random(SEED)
    readers: dict[str, list[str]] = defaultdict(list)
    for reader in data.readers:
        readers[reader["building_id"]].append(reader["reader_id"])
    today = local_day(now, CAMPUS_TZ)
    for day in (today - timedelta(days=1), today):
        for resident in data.residents:
            building = resident["building_id"]
            for direction, moment in resident_day(day, rng):
                if moment <= now:
                    yield DemoSwipe(rng.choice(readers[building]), resident["card_id"], direction, moment,
                                    resident["resident_id"], building)
        for _ in range(VISITORS_PER_DAY):
            building = rng.choice(sorted(readers))
            reader, card = rng.choice(readers[building]), f"V{rng.randrange(10**7):07d}"
            arrive = _at(day, rng, "09:00", "19:00")
            for direction, moment in (("in", arrive), ("out", arrive + timedelta(minutes=rng.randint(20, 150)))):
                if moment <= now:
                    yield DemoSwipe(reader, card, direction, moment, None, None)


def load(data: Any, now: datetime) -> dict[str, int]:
    """Write the swipes, presence, reader progress and the managers' and counsellors' assignments."""
    from houqin.clock import to_iso
    from houqin.domain.swipes import Direction, ReaderProgress, Swipe
    from houqin.store import dorms, swipes

    by_reader: dict[str, list[DemoSwipe]] = defaultdict(list)
    for swipe in generate(data, now):
        by_reader[swipe.reader_id].append(swipe)
    building_of = {r["reader_id"]: r["building_id"] for r in data.readers}
    latest: dict[str, DemoSwipe] = {}
    stored = 0
    with swipes.SwipeItem.batch_write() as writer, swipes.ReaderProgressItem.batch_write() as progress_writer:
        for reader_id, day in sorted(by_reader.items()):
            day.sort(key=lambda s: s.ts)
            cut = len(day) - 1 - BACKLOG if reader_id == BEHIND_READER else len(day)
            progress = ReaderProgress()
            for seq, demo_swipe in enumerate(day, start=1):
                swipe = Swipe(reader_id, seq, demo_swipe.card_id, Direction(demo_swipe.direction), demo_swipe.ts)
                if seq > cut and seq != len(day):  # still on the reader, except the newest (live) swipe
                    continue
                writer.save(swipes.SwipeItem.make(swipe, building_of[reader_id], demo_swipe.resident_id,
                                                  demo_swipe.ts))
                progress = progress.advance([(seq, demo_swipe.ts)], demo_swipe.ts, demo_swipe.ts)
                stored += 1
                if demo_swipe.resident_id and (demo_swipe.resident_id not in latest
                                               or latest[demo_swipe.resident_id].ts < demo_swipe.ts):
                    latest[demo_swipe.resident_id] = demo_swipe
            item = swipes.reader_progress(reader_id, building_of[reader_id])
            item.set(progress)
            progress_writer.save(item)
    with dorms.Presence.batch_write() as writer:
        for resident_id, swipe in latest.items():
            writer.save(dorms.Presence.make(swipe.home_building or building_of[swipe.reader_id], resident_id,
                                            swipe.direction, to_iso(swipe.ts), swipe.reader_id,
                                            building_of[swipe.reader_id]))
    assignments = list(_assignments(data))
    with dorms.ManagerBuilding.batch_write() as writer:
        for assignment in assignments:
            writer.save(assignment)
    return {"swipes": stored, "presence": len(latest), "readers": len(by_reader), "assignments": len(assignments)}


def _assignments(data: Any) -> Iterator[Any]:
    """The demo dorm managers run a campus each; the demo counsellors look after a school each."""
    from houqin.store import dorms

    managers = [u.person_id for u in data.users if u.role == "dorm_manager"]
    for building in data.buildings:
        yield dorms.ManagerBuilding.make(managers[0] if building["campus_id"] == "SB" else managers[1],
                                         building["building_id"])
    for user in data.users:
        if user.role == "counsellor":
            yield dorms.CounsellorScope.make(user.person_id, user.note)
