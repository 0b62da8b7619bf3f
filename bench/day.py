"""Benchmark: one campus day, billed part by part, priced, and set against its floor.

In-process moto (``mock_aws``, the template's tables, moto patched as in bench.roll) and the cost meter (billed
RCU/WCU by DynamoDB's on-demand rules). For N residents (multiples of 1,000):

World (fresh tables, batch writes, not metered): bench.roll's campus (buildings of 1,000 residents: 10 floors x
25 rooms x 4 beds, 4 gate readers each, the demo's resident fields), everyone "in" since 21:00 the evening
before, each reader's progress complete to 06:50 (seq 1,000); one dorm manager per building; the demo's water
repair point SB-WATER (8 workers) and its routing rule. The night roll check runs once at 06:55 (not metered):
last night's rolls are final and its zero report is written, as on any morning.

The day (campus time, DAY; the check's clock and the services' clocks are pinned to the moment of each event):

1. swipes: 4 per resident at the readers of their building (95%: out 07:00-09:30, in 11:30-12:30, out
   13:00-14:30, in 17:00-22:30; the 5% who stay out: out, in, in 17:00-18:30, out 19:00-22:00). Each reader
   numbers its swipes in time order and sends up to 5 per message (what it holds once a minute passes without a
   swipe); the SQS poller hands the function up to 10 messages per event (the template allows 100 gathered over
   1 s: at a day's pace a 1 s window rarely gathers even 10, and 10 keeps the figures comparable across runs).
   5% of the swipes are replayed (whole messages sent again a minute later, delivered in events of their own so
   they are metered apart). 10% (none a resident's last of the day) are held back and arrive as a backlog of 100
   per message at 06:20 the next morning, after both rolls. Every event goes through the swipes function's
   handler (functions/swipes/app.py:
   the SQS message handling of houqin.services.swipes ``Swipes``), called in this process.
2. rolls: the night roll check (houqin.checks.night_roll with the alarms service) every 10 minutes from 07:00 to
   06:50 the next morning, as its schedule runs it: the curfew roll at 23:00 and the morning roll at 06:00 of
   night DAY, each raising one alarm per resident out (split out as "alarms").
3. star map: each dorm manager opens their building's room-status map (houqin.services.dorms ``Dorms``) twice.
4. dorm report: each dorm manager runs one nights-out report of their building for night DAY
   (houqin.services.dorm_reports ``DormReports``) after the backlog is in.
5. tickets: TICKETS repair tickets (a fixed number whatever the size) through their life cycle with
   houqin.services.tickets ``Tickets``: create (a web report, dispatched to SB-WATER at once), accept, start,
   complete (with fee lines), rate.

Each part is metered apart (CostMeter snapshots around it) and priced at on-demand rates (write $1.25, read
$0.25 per million request units), per 1,000 residents per day. The floor is computed from the same events (see
``floor``): one write per new swipe and none per repeat; presence at most 1 KB with no index copy (1 WCU per
presence change); each roll one eventually consistent Query of the building's presence partition (RCU from the
presence items' size); alarms one write each; one write per ticket step and per audit line, no transaction.
The brief sets no floor for the map and the report: here each is one eventually consistent read of what it
shows (the building's partition: rooms, beds, presence; the building's swipes of the day).

Checked (a failure exits non-zero): no swipe lost or counted twice (the handler's answers, the readers' progress
and the gate-day index agree with the plan), every resident's presence at their last swipe, both rolls of every
building naming exactly the residents out, one alarm per roll per resident out, every map showing them out,
every report naming them, every ticket confirmed. The targets (per-swipe WCU, the day and the tickets against
their floors) are reported met or not met and never fail the run. Nothing is asserted on time.

    make bench            # or: .venv/bin/python -m bench.day --residents 1000
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "day.json"

SIZES = (1000, 10_000)
PER_BUILDING = 1000
DAY = date(2026, 11, 23)
NEXT = DAY + timedelta(days=1)
OUT_SHARE = 0.05
REPLAY_SHARE = 0.05
LATE_SHARE = 0.10
SWIPES_PER_MESSAGE = 5
FLUSH = timedelta(seconds=60)  # a reader sends what it holds when no swipe followed for this long
MESSAGES_PER_EVENT = 10
BACKLOG_PER_MESSAGE = 100
FIRST_SEQ = 1001  # each reader's progress stands at seq 1,000 (yesterday's)
BACKLOG_AT = clock_time(6, 20)  # next morning: after both rolls
MAPS_PER_MANAGER = 2
MAP_TIMES = (clock_time(10, 0), clock_time(21, 30))
TICKETS = 300
TEAM = "SB-WATER"
LINES = [{"kind": "labour", "code": "L01", "name": "更换水龙头", "quantity": 1, "unit_price_fen": 2000},
         {"kind": "material", "code": "M17", "name": "水龙头", "quantity": 1, "unit_price_fen": 3550}]
RATING = {"attitude": 5, "speed": 5, "quality": 5, "price": 5}
SEED = 20261123

# On-demand prices, dollars per million request units.
WRITE_PRICE, READ_PRICE = 1.25, 0.25
# The targets.
TARGET_NEW_WCU, TARGET_REPEAT_WCU = 2.0, 1.0
TARGET_DAY, TARGET_TICKETS = 1.3, 1.5
PARTS = ("swipes", "rolls", "alarms", "star map", "dorm report", "tickets")

log = logging.getLogger("bench.day")


# ---------------------------------------------------------------------------------------------- pure arithmetic
def read_units(size: int, consistent: bool = False) -> float:
    """RCU of reading ``size`` bytes in one request: 1 per started 4 KB (at least 1), halved when eventually
    consistent (localcloud.costmeter.read_units, restated so this arithmetic imports nothing)."""
    units = max(1, -(-size // 4096))
    return float(units) if consistent else units / 2


@dataclass(frozen=True)
class DayEvents:
    """What the day did, counted from the services' answers and the stored items' sizes."""

    residents: int
    new_swipes: int = 0  # stored for the first time (late ones too)
    repeats: int = 0
    presence_changes: int = 0  # new swipes that moved a resident's presence (not late, card known)
    roll_reads: tuple[int, ...] = ()  # per roll taken: bytes of the building's presence items
    alarms: int = 0
    map_reads: tuple[int, ...] = ()  # per map opened: bytes of the building's partition (rooms, beds, presence)
    report_reads: tuple[int, ...] = ()  # per report: bytes of the building's swipes of the day
    ticket_steps: int = 0  # ticket writes (one per step: create with its dispatch is one)
    audit_lines: int = 0


def floor(events: DayEvents) -> dict[str, dict[str, float]]:
    """The least each part could bill for the same events (see the module docstring), by part: rcu and wcu."""
    return {
        "swipes": {"rcu": 0.0, "wcu": float(events.new_swipes + events.presence_changes)},
        "rolls": {"rcu": sum(read_units(size) for size in events.roll_reads), "wcu": 0.0},
        "alarms": {"rcu": 0.0, "wcu": float(events.alarms)},
        "star map": {"rcu": sum(read_units(size) for size in events.map_reads), "wcu": 0.0},
        "dorm report": {"rcu": sum(read_units(size) for size in events.report_reads), "wcu": 0.0},
        "tickets": {"rcu": 0.0, "wcu": float(events.ticket_steps + events.audit_lines)},
    }


def price(rcu: float, wcu: float) -> float:
    """Dollars at on-demand rates."""
    return (wcu * WRITE_PRICE + rcu * READ_PRICE) / 1_000_000


def per_thousand(dollars: float, residents: int) -> float:
    """Dollars per 1,000 residents."""
    return dollars * 1000 / residents


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def priced(billed: Mapping[str, Mapping[str, float]], least: Mapping[str, Mapping[str, float]],
           residents: int) -> dict[str, Any]:
    """Each part's units, price (per day, per 1,000 residents), share of the day and ratio to its floor."""
    total = sum(price(p["rcu"], p["wcu"]) for p in billed.values())
    parts = {}
    for name, units in billed.items():
        dollars, base = price(units["rcu"], units["wcu"]), price(least[name]["rcu"], least[name]["wcu"])
        parts[name] = {"rcu": units["rcu"], "wcu": units["wcu"], "dollars": dollars,
                       "per_1000": per_thousand(dollars, residents), "share": ratio(dollars, total),
                       "floor_rcu": least[name]["rcu"], "floor_wcu": least[name]["wcu"], "floor_dollars": base,
                       "ratio": ratio(dollars, base)}
    floor_total = sum(price(u["rcu"], u["wcu"]) for u in least.values())
    day = {"rcu": sum(p["rcu"] for p in billed.values()), "wcu": sum(p["wcu"] for p in billed.values()),
           "dollars": total, "per_1000": per_thousand(total, residents), "floor_dollars": floor_total,
           "floor_per_1000": per_thousand(floor_total, residents), "ratio": ratio(total, floor_total)}
    return {"parts": parts, "day": day}


# ---------------------------------------------------------------------------------------------- environment
def environment() -> Any:
    from bench import roll

    return roll.environment()


def at(day: date, moment: clock_time) -> datetime:
    from houqin.clock import at_local

    return at_local(day, moment)


# ---------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class PlannedSwipe:
    reader_id: str
    seq: int
    card_id: str
    resident_id: str
    building_id: str
    direction: str
    ts: datetime

    def wire(self) -> dict[str, Any]:
        from houqin.clock import to_iso

        return {"seq": self.seq, "card_id": self.card_id, "direction": self.direction, "ts": to_iso(self.ts)}


@dataclass(frozen=True)
class Message:
    kind: str  # "live", "replay", "backlog"
    reader_id: str
    sent_at: datetime
    received_at: datetime
    swipes: tuple[PlannedSwipe, ...]

    def body(self) -> str:
        from houqin.clock import to_iso

        return json.dumps({"v": 1, "reader_id": self.reader_id, "sent_at": to_iso(self.sent_at),
                           "swipes": [s.wire() for s in self.swipes], "topic_reader": self.reader_id})


@dataclass
class Plan:
    swipes: list[PlannedSwipe] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    late: set[tuple[str, int]] = field(default_factory=set)  # (reader, seq) held back to the backlog
    last: dict[str, PlannedSwipe] = field(default_factory=dict)  # resident -> their last swipe of the day

    def count(self, kind: str) -> int:
        return sum(len(m.swipes) for m in self.messages if m.kind == kind)

    def per_reader(self) -> dict[str, Counter[str]]:
        expected: dict[str, Counter[str]] = defaultdict(Counter)
        for swipe in self.swipes:
            expected[swipe.reader_id]["swipes"] += 1
        for message in self.messages:
            expected[message.reader_id]["messages"] += 1
            if message.kind == "replay":
                expected[message.reader_id]["duplicates"] += len(message.swipes)
        return expected


def minute_between(rng: random.Random, day: date, start: tuple[int, int], end: tuple[int, int]) -> datetime:
    first, last = start[0] * 60 + start[1], end[0] * 60 + end[1]
    minute = rng.randrange(first, last)
    return at(day, clock_time(minute // 60, minute % 60, rng.randrange(60), rng.randrange(1000) * 1000))


def make_plan(campus: Any, seed: int = SEED) -> Plan:
    from bench.roll import READERS

    rng = random.Random(seed + campus.residents)
    out = set().union(*campus.out.values())
    raw: dict[str, list[tuple[datetime, dict[str, Any], str]]] = defaultdict(list)  # reader -> (ts, person, dir)
    for person in campus.people:
        if person["resident_id"] in out:
            day = [("out", (7, 0), (9, 30)), ("in", (11, 30), (12, 30)), ("in", (17, 0), (18, 30)),
                   ("out", (19, 0), (22, 0))]
        else:
            day = [("out", (7, 0), (9, 30)), ("in", (11, 30), (12, 30)), ("out", (13, 0), (14, 30)),
                   ("in", (17, 0), (22, 30))]
        for direction, start, end in day:
            reader = f"{person['building_id']}-{rng.choice(READERS)}"
            raw[reader].append((minute_between(rng, DAY, start, end), person, direction))
    plan = Plan()
    for reader, entries in sorted(raw.items()):
        entries.sort(key=lambda e: e[0])
        for n, (ts, person, direction) in enumerate(entries):
            plan.swipes.append(PlannedSwipe(reader, FIRST_SEQ + n, person["card_id"], person["resident_id"],
                                            person["building_id"], direction, ts))
    for swipe in sorted(plan.swipes, key=lambda s: s.ts):
        plan.last[swipe.resident_id] = swipe
    last = {(s.reader_id, s.seq) for s in plan.last.values()}
    candidates = sorted((s.reader_id, s.seq) for s in plan.swipes if (s.reader_id, s.seq) not in last)
    plan.late = set(rng.sample(candidates, round(LATE_SHARE * len(plan.swipes))))

    by_reader: dict[str, list[PlannedSwipe]] = defaultdict(list)
    for swipe in plan.swipes:
        by_reader[swipe.reader_id].append(swipe)
    live: list[Message] = []
    backlog_at = at(NEXT, BACKLOG_AT)
    for reader, swipes in sorted(by_reader.items()):
        sent = [s for s in swipes if (s.reader_id, s.seq) not in plan.late]
        held = [s for s in swipes if (s.reader_id, s.seq) in plan.late]
        for chunk in messages_of(sent):
            sent_at = chunk[-1].ts + timedelta(seconds=2)
            live.append(Message("live", reader, sent_at, sent_at + timedelta(seconds=1), tuple(chunk)))
        for n, chunk in enumerate(chunks(held, BACKLOG_PER_MESSAGE)):
            sent_at = backlog_at + timedelta(seconds=n)
            plan.messages.append(Message("backlog", reader, sent_at, sent_at + timedelta(seconds=1), tuple(chunk)))
    replays: list[Message] = []
    wanted = round(REPLAY_SHARE * len(plan.swipes))
    for message in rng.sample(live, len(live)):
        if sum(len(m.swipes) for m in replays) >= wanted:
            break
        replays.append(Message("replay", message.reader_id, message.sent_at,
                               message.received_at + timedelta(minutes=1), message.swipes))
    plan.messages = sorted(live + replays, key=lambda m: m.received_at) + plan.messages
    return plan


def messages_of(swipes: list[PlannedSwipe]) -> Iterator[list[PlannedSwipe]]:
    """A reader's live messages: up to 5 swipes, sent when full or when no swipe followed within FLUSH."""
    chunk: list[PlannedSwipe] = []
    for swipe in swipes:
        if chunk and (len(chunk) == SWIPES_PER_MESSAGE or swipe.ts - chunk[-1].ts > FLUSH):
            yield chunk
            chunk = []
        chunk.append(swipe)
    if chunk:
        yield chunk


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def events_of(messages: list[Message]) -> list[list[Message]]:
    """SQS events as the poller hands them over: up to 10 messages in arrival order; a replayed message is in an
    event of its own kind (so replays are metered apart)."""
    events: list[list[Message]] = []
    for message in messages:
        if events and len(events[-1]) < MESSAGES_PER_EVENT and events[-1][0].kind == message.kind:
            events[-1].append(message)
        else:
            events.append([message])
    return events


# ---------------------------------------------------------------------------------------------- the world
def load_world(campus: Any, data: Any) -> Counter[str]:
    """bench.roll's buildings, everyone in, reader progress to 06:50, a manager per building, a repair point."""
    from bench.roll import READERS, write, write_buildings
    from houqin.clock import to_iso
    from houqin.domain.swipes import ReaderProgress
    from houqin.store import dorms, staff, swipes
    from houqin.store import tickets as ticket_store
    from houqin.store.base import key

    evening = at(DAY - timedelta(days=1), clock_time(21, 0))
    for person in campus.people:
        campus.presence[person["resident_id"]] = {"state": "in", "ts": evening,
                                                  "reader_id": f"{person['building_id']}-A",
                                                  "building_id": person["building_id"]}
    written = write_buildings(campus)
    sent = to_iso(at(DAY, clock_time(6, 50)))
    progress = []
    for b in campus.buildings:
        for r in READERS:
            item = swipes.ReaderProgressItem(pk=swipes.progress_key(b), sk=key("READER", f"{b}-{r}"),
                                             reader_id=f"{b}-{r}", building_id=b)
            item.set(ReaderProgress(max_seq=FIRST_SEQ - 1, max_seq_ts=to_iso(evening), last_sent_at=sent,
                                    last_message_at=sent, messages=300, swipes=FIRST_SEQ - 1))
            item.version = 1
            progress.append(item)
    written["reader progress"] = write(progress)
    written["managers"] = write(dorms.ManagerBuilding.make(manager_of(b), b) for b in campus.buildings)
    team = next(t for t in data.teams if t["team_id"] == TEAM)
    workers = [s for s in data.staff if s["team_id"] == TEAM]
    written["repair point"] = write([staff.RepairTeam.make(**team)])
    written["workers"] = write(staff.StaffMember.make(**s) for s in workers)
    written["routing"] = write([ticket_store.RoutingRule.make("water.SB", TEAM, "bench", sent)])
    return written


def manager_of(building_id: str) -> str:
    return f"M{building_id}"


# ---------------------------------------------------------------------------------------------- metering
@contextlib.contextmanager
def part(meter: Any, totals: dict[str, dict[str, Any]], name: str) -> Iterator[None]:
    """Add the meter's delta over the block to ``totals[name]``."""
    from bench.roll import add, delta

    before = meter.snapshot()
    try:
        yield
    finally:
        add(totals.setdefault(name, {}), delta(meter.snapshot(), before))


class Context:
    """What the Lambda runtime hands a handler (powertools reads these)."""

    function_name = "bench-day-swipes"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-day-swipes"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def swipes_function() -> ModuleType:
    """functions/swipes/app.py loaded in this process, its service recording each message's answer."""
    from houqin.services.swipes import Ingested, Swipes

    path = ROOT / "functions" / "swipes" / "app.py"
    spec = importlib.util.spec_from_file_location("bench_day_swipes", path)
    assert spec and spec.loader, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)

    class Recording(Swipes):
        def __init__(self) -> None:
            super().__init__()
            self.results: list[Ingested] = []

        def ingest(self, *args: Any, **kwargs: Any) -> list[Ingested]:
            results = super().ingest(*args, **kwargs)
            self.results += results
            return results

    module.service = Recording()
    from houqin.observability import logger

    logger.setLevel(logging.WARNING)
    return module


def deliver(module: ModuleType, meter: Any, totals: dict[str, dict[str, Any]], messages: list[Message],
            prefix: str, split: dict[str, Counter[str]]) -> list[str]:
    """Every message through the handler, event by event, metered by kind (and into ``split`` by store call, as
    bench.swipes does: the swipes of a message are then written one at a time); the failed record ids."""
    from bench.swipes import split_by_store_call

    failures: list[str] = []
    with split_by_store_call(meter) as parts:
        failures += _deliver(module, meter, totals, messages, prefix)
    for name, counts in parts.items():
        split.setdefault(name, Counter()).update(counts)
    return failures


def _deliver(module: ModuleType, meter: Any, totals: dict[str, dict[str, Any]], messages: list[Message],
             prefix: str) -> list[str]:
    from bench.swipes import sqs_record

    failures: list[str] = []
    for n, event_messages in enumerate(events_of(messages)):
        records = []
        for k, message in enumerate(event_messages):
            record = sqs_record(message.body(), message.received_at, f"{prefix}-{n}-{k}")
            records.append(record)
        with part(meter, totals, f"swipes: {event_messages[0].kind}"):
            response = module.handler({"Records": records}, Context())
        module.metrics.clear_metrics()  # the EMF lines Lambda would have printed: not kept here
        failures += [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
    return failures


class MeteredAlarms:
    """The alarms service with each raise and resolve metered apart (the roll's own reads and writes are the
    rest of the check)."""

    def __new__(cls, meter: Any, totals: dict[str, dict[str, Any]], clock: Any) -> Any:
        from houqin.services.alarms import Alarms

        class Metered(Alarms):
            def raise_alarm(self, **kwargs: Any) -> Any:
                with part(meter, totals, "alarms"):
                    return super().raise_alarm(**kwargs)

            def auto_resolve(self, alarm_id: str, reason: str) -> bool:
                with part(meter, totals, "alarms"):
                    return super().auto_resolve(alarm_id, reason)

        return Metered(clock=clock)


def check_runs(first: datetime, last: datetime) -> Iterator[datetime]:
    """The check's schedule (cron 0/10, campus time) from ``first`` to ``last``."""
    moment = first
    while moment <= last:
        yield moment
        moment += timedelta(minutes=10)


def run_check(alarms: Any, blds: list[Any], now: datetime) -> Counter[str]:
    from houqin.checks import night_roll

    alarms.clock.current = now
    summary: Counter[str] = Counter()
    for building in blds:
        summary.update(night_roll.roll_building(alarms, building, now))
    return summary


class CountingTickets:
    """The tickets repository (houqin.store.tickets) counting the ticket writes and audit lines it is given."""

    def __init__(self) -> None:
        from houqin.store import tickets

        self.store = tickets
        self.steps = 0
        self.audit_lines = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def save(self, ticket: Any, version: int | None, events: Iterable[Any]) -> int:
        events = list(events)
        self.steps += 1
        self.audit_lines += len(events)
        return self.store.save(ticket, version, events)


def ticket_life(tickets: Any, clock: Any, k: int, campus: Any) -> str:
    """One ticket from a resident's web report to their rating; its final state."""
    from houqin.auth import Principal
    from houqin.contract import parse
    from houqin.domain.actors import Role
    from houqin.services.tickets import Intake, Rating, Transition

    rng = random.Random(k)
    person = rng.choice(campus.people)
    student = Principal(f"sub-{person['resident_id']}", person["resident_id"], frozenset({Role.STUDENT}))
    worker_id = WORKERS[k % len(WORKERS)]
    worker = Principal(f"sub-{worker_id}", worker_id, frozenset({Role.WORKER}))
    clock.current = at(DAY, clock_time(8, 0)) + timedelta(minutes=2 * k)
    ticket, _ = tickets.create(student, parse(Intake, {
        "campus_id": "SB", "building_id": person["building_id"], "room_no": person["room_no"], "category": "water",
        "severity": "minor", "description": f"卫生间水龙头漏水 (bench day {k})", "contact_phone": "13800000000"}))
    for action in ("accept", "start", "complete"):
        clock.current += timedelta(minutes=10 + rng.randrange(20))
        body = {"action": action, **({"lines": LINES} if action == "complete" else {})}
        ticket, _ = tickets.transition(worker, ticket.ticket_id, parse(Transition, body), None)
    clock.current += timedelta(minutes=30)
    ticket, _ = tickets.rate(student, ticket.ticket_id, parse(Rating, RATING), None)
    return str(ticket.state)


WORKERS: list[str] = []


# ---------------------------------------------------------------------------------------------- the day
def the_day(template: Any, size: int, tickets_n: int) -> dict[str, Any]:
    from moto import mock_aws

    from bench.roll import forget_gsi_buckets, generate, reset_connections
    from houqin.auth import Principal
    from houqin.clock import FixedClock
    from houqin.contract import parse
    from houqin.domain.actors import Role
    from houqin.services.dorm_reports import DormReports, ReportQuery, report_request
    from houqin.services.dorms import Dorms
    from houqin.services.tickets import Tickets
    from houqin.store import dorms as dorm_store
    from localcloud import demo
    from localcloud.costmeter import CostMeter
    from localcloud.resources import create_all

    clock_s: dict[str, float] = {}
    started = time.perf_counter()
    campus = generate(size)
    campus.on_leave.clear()  # nobody on leave: every resident out is not returned
    data = demo.generate()
    WORKERS[:] = [s["staff_id"] for s in data.staff if s["team_id"] == TEAM]
    plan = make_plan(campus)
    out = {b: set(v) for b, v in campus.out.items()}
    with mock_aws():
        reset_connections()
        create_all(template)
        written = load_world(campus, data)
        blds = dorm_store.buildings_of_campus("SB")
        warm_clock = FixedClock(at(DAY, clock_time(6, 55)))
        from houqin.services.alarms import Alarms

        warm = run_check(Alarms(clock=warm_clock), blds, warm_clock.now())
        clock_s["load"] = time.perf_counter() - started
        log.info("%d residents: world loaded in %.1f s (%s); the day ...", size, clock_s["load"], dict(written))

        module = swipes_function()
        totals: dict[str, dict[str, Any]] = {}
        live = [m for m in plan.messages if m.kind != "backlog"]
        backlog = [m for m in plan.messages if m.kind == "backlog"]
        summary: Counter[str] = Counter()
        maps: list[dict[str, Any]] = []
        reports: dict[str, Any] = {}
        states: Counter[str] = Counter()
        split: dict[str, Counter[str]] = {}
        reset_connections()
        with CostMeter.installed() as meter:
            lap = time.perf_counter()
            failures = deliver(module, meter, totals, live, "live", split)
            clock_s["swipes"] = time.perf_counter() - lap
            forget_gsi_buckets()  # presence left and joined the who-is-out index all day (see bench.roll)

            lap = time.perf_counter()
            dorms = Dorms(clock=FixedClock(at(DAY, MAP_TIMES[0])))
            for moment in MAP_TIMES[:MAPS_PER_MANAGER]:
                dorms.clock.current = at(DAY, moment)  # type: ignore[attr-defined]
                for b in campus.buildings:
                    manager = Principal(f"sub-{manager_of(b)}", manager_of(b), frozenset({Role.DORM_MANAGER}))
                    with part(meter, totals, "star map"):
                        maps.append({"building": b, "map": dorms.building_map(manager, b)})
            clock_s["star map"] = time.perf_counter() - lap

            lap = time.perf_counter()
            alarms = MeteredAlarms(meter, totals, FixedClock(at(DAY, clock_time(7, 0))))
            for now in check_runs(at(DAY, clock_time(7, 0)), at(NEXT, clock_time(6, 10))):
                with part(meter, totals, "rolls"):
                    summary.update(run_check(alarms, blds, now))
            failures += deliver(module, meter, totals, backlog, "backlog", split)
            forget_gsi_buckets()
            for now in check_runs(at(NEXT, clock_time(6, 20)), at(NEXT, clock_time(6, 50))):
                with part(meter, totals, "rolls"):
                    summary.update(run_check(alarms, blds, now))
            clock_s["rolls"] = time.perf_counter() - lap

            lap = time.perf_counter()
            for b in campus.buildings:
                manager = Principal(f"sub-{manager_of(b)}", manager_of(b), frozenset({Role.DORM_MANAGER}))
                query = parse(ReportQuery, {"building_id": b, "from": DAY.isoformat(), "to": DAY.isoformat()})
                request = report_request(manager, "nights-out", query)
                with part(meter, totals, "dorm report"):
                    reports[b] = DormReports().build(manager, request)
            clock_s["dorm report"] = time.perf_counter() - lap

            lap = time.perf_counter()
            counting = CountingTickets()
            ticket_clock = FixedClock(at(DAY, clock_time(8, 0)))
            tickets = Tickets(tickets=counting, clock=ticket_clock)  # type: ignore[arg-type]
            ticket_failures: list[str] = []
            for k in range(tickets_n):
                with part(meter, totals, "tickets"):
                    try:
                        states[ticket_life(tickets, ticket_clock, k, campus)] += 1
                    except Exception as exc:  # noqa: BLE001 - counted and reported: a check fails
                        ticket_failures.append(f"{k}: {type(exc).__name__}: {exc}")
            clock_s["tickets"] = time.perf_counter() - lap
            meter_errors = meter.errors
        results = module.service.results
        lap = time.perf_counter()
        measured = sizes(template, campus, maps, reports)
        checks = check_day(template, campus, plan, results, failures, summary, out, maps, reports, states,
                           ticket_failures)
        clock_s["checks"] = time.perf_counter() - lap

    new = sum(r.stored for r in results)
    late = sum(r.late for r in results)
    unknown = sum(r.unknown_cards for r in results)
    events = DayEvents(
        residents=size, new_swipes=new, repeats=sum(r.duplicates for r in results),
        presence_changes=new - late - unknown,
        roll_reads=tuple(measured["presence_bytes"][b] for b in campus.buildings for _ in ("curfew", "morning")),
        alarms=summary.get("raised", 0),
        map_reads=tuple(measured["partition_bytes"][m["building"]] for m in maps),
        report_reads=tuple(measured["day_swipe_bytes"][b] for b in campus.buildings),
        ticket_steps=counting.steps, audit_lines=counting.audit_lines)
    billed = billed_parts(totals)
    figures = priced(billed, floor(events), size)
    swipes_split = {kind: totals.get(f"swipes: {kind}", {}) for kind in ("live", "replay", "backlog")}
    new_wcu = (swipes_split["live"].get("wcu", 0) + swipes_split["backlog"].get("wcu", 0))
    repeat_wcu = swipes_split["replay"].get("wcu", 0)
    targets = {
        "new_swipe_wcu": {"value": ratio(new_wcu, new), "target": TARGET_NEW_WCU},
        "repeat_wcu": {"value": ratio(repeat_wcu, events.repeats), "target": TARGET_REPEAT_WCU},
        "day_vs_floor": {"value": figures["day"]["ratio"], "target": TARGET_DAY},
        "tickets_vs_floor": {"value": figures["parts"]["tickets"]["ratio"], "target": TARGET_TICKETS},
    }
    for target in targets.values():
        target["met"] = target["value"] is not None and target["value"] <= target["target"]
    return {"residents": size, "buildings": len(campus.buildings), "out": sum(len(v) for v in out.values()),
            "tickets": tickets_n, "events": asdict(events), "plan": plan_counts(plan), "late": late,
            "unknown_cards": unknown, "totals": totals, "swipes_by_store_call": swipe_split(split, totals),
            "billed": billed, "figures": figures, "targets": targets,
            "summary": dict(summary), "warm_up": dict(warm), "ticket_states": dict(states),
            "checks": checks, "ok": all(c["ok"] for c in checks.values()), "meter_errors": meter_errors,
            "items_written": dict(written), "seconds": clock_s}


def billed_parts(totals: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """The metered blocks as the day's parts: the swipes' kinds together; the alarms out of the rolls."""
    def units(name: str) -> dict[str, float]:
        t = totals.get(name, {})
        return {"rcu": float(t.get("rcu", 0)), "wcu": float(t.get("wcu", 0))}

    swipes = [units(f"swipes: {kind}") for kind in ("live", "replay", "backlog")]
    rolls, alarms = units("rolls"), units("alarms")
    return {"swipes": {u: sum(s[u] for s in swipes) for u in ("rcu", "wcu")},
            "rolls": {u: rolls[u] - alarms[u] for u in ("rcu", "wcu")}, "alarms": alarms,
            "star map": units("star map"), "dorm report": units("dorm report"), "tickets": units("tickets")}


def swipe_split(split: Mapping[str, Counter[str]], totals: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The swipes' units by store call; what no wrapped call billed is the card and reader lookups."""
    kinds = [totals.get(f"swipes: {kind}", {}) for kind in ("live", "replay", "backlog")]
    whole = {u: sum(k.get(u, 0) for k in kinds) for u in ("rcu", "wcu", "calls")}
    out = {name: {u: counts.get(u, 0) for u in ("rcu", "wcu", "calls")} for name, counts in split.items()}
    out["lookups (reader, card)"] = {u: whole[u] - sum(v[u] for v in out.values()) for u in ("rcu", "wcu", "calls")}
    return out


def plan_counts(plan: Plan) -> dict[str, int]:
    return {"swipes": len(plan.swipes), "messages": len(plan.messages), "live": plan.count("live"),
            "replayed": plan.count("replay"), "backlog": plan.count("backlog"),
            "events": len(events_of([m for m in plan.messages if m.kind != "backlog"]))
            + len(events_of([m for m in plan.messages if m.kind == "backlog"]))}


# ---------------------------------------------------------------------------------------------- sizes and checks
def raw_client(template: Any) -> Any:
    """A client made outside the meter (its calls are not billed to the day)."""
    import boto3

    return boto3.client("dynamodb", region_name=template.region)


def query_all(client: Any, **params: Any) -> list[dict[str, Any]]:
    items, start = [], None
    while True:
        response = client.query(**params, **({"ExclusiveStartKey": start} if start else {}))
        items += response["Items"]
        start = response.get("LastEvaluatedKey")
        if not start:
            return items


def sizes(template: Any, campus: Any, maps: list[dict[str, Any]], reports: Mapping[str, Any]) -> dict[str, Any]:
    """Bytes of what each floor read reads: presence items, the building partition, the day's swipes."""
    from localcloud.costmeter import item_size

    client = raw_client(template)
    dorms, swipes = template.physical_name("DormsTable"), template.physical_name("SwipesTable")
    presence_bytes, partition_bytes, day_bytes = {}, {}, {}
    for b in campus.buildings:
        items = query_all(client, TableName=dorms, KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": {"S": f"BLDG#{b}"}})
        presence_bytes[b] = sum(item_size(i) for i in items if i["sk"]["S"].startswith("PRES#"))
        partition_bytes[b] = sum(item_size(i) for i in items if i["sk"]["S"] != "META")
        day_bytes[b] = sum(item_size(i) for i in gate_day_items(client, swipes, b, DAY))
    return {"presence_bytes": presence_bytes, "partition_bytes": partition_bytes, "day_swipe_bytes": day_bytes}


def gate_day_items(client: Any, table: str, building_id: str, day: date) -> list[dict[str, Any]]:
    from houqin.store import swipes as store

    return query_all(client, TableName=table, KeyConditionExpression="pk = :pk",
                     ExpressionAttributeValues={":pk": {"S": store.gate_day_key(building_id, day)}})


def check_day(template: Any, campus: Any, plan: Plan, results: list[Any], failures: list[str],
              summary: Mapping[str, int], out: Mapping[str, set[str]], maps: list[dict[str, Any]],
              reports: Mapping[str, Any], states: Mapping[str, int], ticket_failures: list[str]) -> dict[str, Any]:
    from houqin.store import alarms as alarm_store
    from houqin.store import dorms, swipes

    checks: dict[str, Any] = {}
    unique, repeats = len(plan.swipes), plan.count("replay")
    stored, duplicates = sum(r.stored for r in results), sum(r.duplicates for r in results)
    late, quarantined = sum(r.late for r in results), sum(r.quarantined for r in results)
    client = raw_client(template)
    table = template.physical_name("SwipesTable")
    in_index = sum(len(gate_day_items(client, table, b, DAY)) for b in campus.buildings)
    expected = plan.per_reader()
    counted: dict[str, Counter[str]] = {}
    for b in campus.buildings:
        for reader_id, item in swipes.building_progress(b).items():
            p = item.progress()
            counted[reader_id] = Counter({"swipes": p.swipes - (FIRST_SEQ - 1), "messages": p.messages - 300,
                                          "duplicates": p.duplicates})
    miscounted = sorted(r for r in expected if +counted.get(r, Counter()) != +expected[r])
    checks["swipes"] = {
        "ok": stored == unique and duplicates == repeats and in_index == unique and not miscounted
        and not failures and not quarantined and late == len(plan.late),
        "sent_unique": unique, "stored": stored, "repeats_sent": repeats, "duplicates": duplicates,
        "gate_day_items": in_index, "late": late, "held_back": len(plan.late), "quarantined": quarantined,
        "failed_records": failures[:5], "miscounted_readers": miscounted[:5],
        "gaps_left": sum(1 for b in campus.buildings for i in swipes.building_progress(b).values()
                         if i.progress().gaps)}
    wrong = []
    for b in campus.buildings:
        seen = dorms.building_presence(b)
        for person in campus.people:
            if person["building_id"] != b:
                continue
            last = plan.last[person["resident_id"]]
            p = seen.get(person["resident_id"])
            if p is None or p.state != last.direction or p.reader_id != last.reader_id:
                wrong.append(person["resident_id"])
    checks["presence"] = {"ok": not wrong, "wrong": len(wrong), "examples": wrong[:5]}
    mismatches = []
    for b in campus.buildings:
        stored_rolls = alarm_store.night_items(b, DAY, DAY)
        for kind in ("curfew", "morning"):
            item = stored_rolls.get((DAY.isoformat(), kind))
            flagged = set(item.result().flagged) if item is not None else None
            if flagged != out[b]:
                mismatches.append({"building": b, "roll": kind, "flagged": sorted(flagged or ())[:5],
                                   "expected": sorted(out[b])[:5]})
    total_out = sum(len(v) for v in out.values())
    checks["rolls"] = {"ok": not mismatches and summary.get("raised", 0) == 2 * total_out
                       and not summary.get("resolved", 0),
                       "mismatches": mismatches[:3], "raised": summary.get("raised", 0),
                       "expected_alarms": 2 * total_out, "resolved": summary.get("resolved", 0)}
    bad_maps = []
    for entry in maps:
        shown_out = {bed["resident"]["resident_id"] for room in entry["map"]["rooms"] for bed in room["beds"]
                     if not bed["empty"] and (bed["presence"] or {}).get("state") == "out"}
        if shown_out != out[entry["building"]]:
            bad_maps.append(entry["building"])
    checks["star map"] = {"ok": not bad_maps and len(maps) == MAPS_PER_MANAGER * len(campus.buildings),
                          "maps": len(maps), "wrong": bad_maps[:3]}
    bad_reports = []
    for b, table_ in reports.items():
        named = {row.get("resident_id") for row in table_.rows}
        if named != out[b]:
            bad_reports.append({"building": b, "rows": len(table_.rows), "expected": len(out[b])})
    checks["dorm report"] = {"ok": not bad_reports and len(reports) == len(campus.buildings),
                             "reports": len(reports), "wrong": bad_reports[:3]}
    checks["tickets"] = {"ok": not ticket_failures and set(states) == {"confirmed"}, "states": dict(states),
                         "failures": ticket_failures[:3]}
    return checks


# ---------------------------------------------------------------------------------------------- report
def money(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def report(result: Mapping[str, Any]) -> str:
    mark = {True: "ok  ", False: "FAIL"}
    out = [f"Houqin: one campus day, billed part by part (in-process moto, cost meter, {result['python']}, "
           f"{result['cpus']} CPUs)",
           f"  day {DAY} (campus time); on-demand prices: write ${WRITE_PRICE}, read ${READ_PRICE} per million "
           f"request units; figures per 1,000 residents per day unless said otherwise",
           "  floor: 1 WCU per new swipe + 1 per presence change, 0 per repeat; each roll one eventually consistent",
           "  Query of the building's presence items; 1 WCU per alarm; 1 WCU per ticket step and per audit line;",
           "  map and report (no floor in the brief): one eventually consistent read of what they show"]
    for p in result["points"]:
        f, plan = p["figures"], p["plan"]
        out += ["",
                f"{p['residents']:,} residents ({p['buildings']} buildings, {p['out']} out at night), {p['tickets']} "
                f"tickets: {plan['swipes']:,} swipes ({plan['live']:,} live, {plan['replayed']:,} replayed, "
                f"{plan['backlog']:,} in the next morning's backlog) in {plan['messages']:,} messages",
                f"  {'part':<12}{'RCU':>11}{'WCU':>10}{'$/day':>10}{'$/1k res':>10}{'share':>8}"
                f"{'floor RCU':>11}{'floor WCU':>11}{'x floor':>9}"]
        for name in PARTS:
            q = f["parts"][name]
            out.append(f"  {name:<12}{q['rcu']:>11,.1f}{q['wcu']:>10,.0f}{money(q['dollars']):>10}"
                       f"{money(q['per_1000']):>10}{fmt(q['share'], '.1%'):>8}{q['floor_rcu']:>11,.1f}"
                       f"{q['floor_wcu']:>11,.0f}{fmt(q['ratio'], '.2f'):>9}")
        d = f["day"]
        out.append(f"  {'the day':<12}{d['rcu']:>11,.1f}{d['wcu']:>10,.0f}{money(d['dollars']):>10}"
                   f"{money(d['per_1000']):>10}{'100%':>8}{'':>22}{fmt(d['ratio'], '.2f'):>9}")
        out.append(f"  floor of the day {money(d['floor_dollars'])} ({money(d['floor_per_1000'])} per 1,000 "
                   f"residents); billed {money(d['dollars'])}")
        t = p["targets"]
        verdict = {True: "met    ", False: "NOT met"}
        out += ["  targets (the issue's; reported, never failing the run):",
                f"    {verdict[t['new_swipe_wcu']['met']]} <= {TARGET_NEW_WCU:g} WCU per new swipe, everything "
                f"included: {fmt(t['new_swipe_wcu']['value'])}",
                f"    {verdict[t['repeat_wcu']['met']]} <= {TARGET_REPEAT_WCU:g} WCU per repeat, everything "
                f"included: {fmt(t['repeat_wcu']['value'])}",
                f"    {verdict[t['day_vs_floor']['met']]} the day <= {TARGET_DAY:g} x its floor: "
                f"{fmt(t['day_vs_floor']['value'])}",
                f"    {verdict[t['tickets_vs_floor']['met']]} tickets <= {TARGET_TICKETS:g} x their floor: "
                f"{fmt(t['tickets_vs_floor']['value'])}",
                "    (end-to-end swipes against raw batch writes: bench.swipes)"]
        tot = p["totals"]
        split = ", ".join(f"{kind} {tot.get(f'swipes: {kind}', {}).get('wcu', 0):,} WCU / "
                          f"{tot.get(f'swipes: {kind}', {}).get('rcu', 0):,.1f} RCU"
                          for kind in ("live", "replay", "backlog"))
        s = p["summary"]
        by_call = ", ".join(f"{name} {v['wcu']:,} WCU / {v['rcu']:,.1f} RCU"
                            for name, v in p["swipes_by_store_call"].items())
        out += [f"  swipes by delivery: {split}",
                f"  swipes by store call: {by_call}",
                f"  the check: {s.get('rolls', 0)} roll evaluations ({2 * p['buildings']} rolls taken, the rest "
                f"re-evaluations), {s.get('raised', 0)} alarms raised, {s.get('zero_reports', 0)} zero reports "
                f"written; per building {len(list(check_runs(at(DAY, clock_time(7, 0)), at(NEXT, clock_time(6, 50)))))}"
                f" runs"]
        out.append("  checks:")
        for name, c in p["checks"].items():
            detail = {k: v for k, v in c.items() if k != "ok"}
            out.append(f"    {mark[c['ok']]} {name}: {json.dumps(detail, ensure_ascii=False, default=str)[:200]}")
        out.append(f"  cost meter errors: {p['meter_errors']}; seconds: "
                   + ", ".join(f"{k} {v:.0f}" for k, v in p["seconds"].items()))
    out += ["", f"RESULT: {'all checks passed' if result['ok'] else 'CHECKS FAILED'}"]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, nargs="+", default=list(SIZES),
                        help=f"residents (multiples of {PER_BUILDING}); one day each")
    parser.add_argument("--tickets", type=int, default=TICKETS, help="repair tickets in the day")
    parser.add_argument("--moto-as-is", action="store_true", help="run moto unchanged (see localcloud.motofixes)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if any(size % PER_BUILDING or size <= 0 for size in args.residents):
        parser.error(f"sizes are multiples of {PER_BUILDING}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    template = environment()
    from bench.tickets import write_result
    from localcloud.motofixes import faithful, fixed

    started = time.perf_counter()
    points = []
    with contextlib.ExitStack() as patches:
        patches.enter_context(faithful())
        if not args.moto_as_is:
            patches.enter_context(fixed())
        for size in args.residents:
            points.append(the_day(template, size, args.tickets))
    result = {"python": f"Python {sys.version.split()[0]}", "cpus": os.cpu_count(), "day": DAY.isoformat(),
              "prices_per_million": {"write": WRITE_PRICE, "read": READ_PRICE}, "moto_patched": not args.moto_as_is,
              "args": vars(args) | {"out": str(args.out)}, "points": points,
              "wall_seconds": time.perf_counter() - started, "ok": all(p["ok"] for p in points)}
    write_result(result, report(result), args.out)
    if not result["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
