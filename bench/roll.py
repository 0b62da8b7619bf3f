"""Benchmark: the night roll's billed read capacity against a Scan-based roll over the same data.

In-process moto (``mock_aws``, the template's tables created as the integration tests do) and the cost meter
(billed RCU/WCU by DynamoDB's on-demand rules, deterministic). For 1,000, 5,000 and 10,000 residents:

Setup (fresh tables, batch writes, not measured): one campus; N/1,000 buildings of 1,000 residents (10 floors
x 25 rooms x 4 beds, ``occupied`` 1,000), 4 gate readers each whose progress has a watermark after the roll;
residents with the demo's fields; a Presence for everyone from a seeded random: 95% "in" (last swipe
18:00-22:30 campus time) and exactly 5% "out" (exit 19:00-22:00), 50 per building; 5 approved leaves per
building covering the night (2 of those out, 3 at home). The roll check
then runs at 22:55, as it does every 10 minutes: last night's rolls and zero report are stored (not measured).

1. The roll: ``night_roll.roll_building(alarms, building, 23:05)`` for every building of night 2026-11-23 (curfew
   23:00): it takes the curfew roll and raises one alarm per resident out and not on leave. Inside
   ``CostMeter.installed()``, each store call the roll makes is metered apart (the bench wraps them, the library
   is unchanged): stored rolls, the building's presence (one Query), reader progress, leaves, the profiles of
   the newly flagged (for the alarms) = the roll's reads (RCU); the alarms
   raised, the roll item saved = its writes (WCU). Its wall time is measured apart, without the meter (alarms
   table emptied and the 22:55 run repeated in between).
2. The baseline, a Scan-based roll: paginated Scans (eventually consistent, like the roll) of the dorms table
   (rooms, beds, residents, presence, leaves, readers) and the swipes table (reader progress), then
   ``houqin.domain.roll.take_roll`` per building with every presence of the building as candidates and the
   taken beds counted as expected. No alarms. Ratio = roll RCU / Scan RCU (target: at most 5%). Its time is
   taken with the meter attached (which adds no call to an unfiltered Scan); it is moto's time to page through
   the table in process, not DynamoDB's.
   Checked (not timed): the roll, the Scan-based roll and the generated data name the same residents not
   returned per building; a mismatch fails the run.
3. The roll again at 23:15 (the next run, nothing changed): a re-evaluation, RCU and WCU.

Finally, on the 10,000 residents, 80% of those out come home before the roll (1% out): the roll's RCU follows
the number out while the Scan's stays that of the residents.

moto is patched in this process as in bench.swipes (``--moto-as-is``: not): a GSI Query starts from the items
holding its key and a table Query reads its partition, instead of sorting the whole table each time, so the
roll's time is not moto's sort. Billing is unaffected. Nothing is asserted on time.

    make bench            # or: .venv/bin/python -m bench.roll --sizes 1000 5000
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import logging
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "roll.json"

SIZES = (1000, 5000, 10_000)
PER_BUILDING = 1000
FLOORS, ROOMS_PER_FLOOR, BEDS_PER_ROOM = 10, 25, 4  # 250 rooms x 4 beds = 1,000 residents
READERS = ("A", "B", "C", "D")
OUT_SHARE = 0.05
LOW_OUT_SHARE = 0.01  # the extra point on the largest size
LEAVES_OUT, LEAVES_IN = 2, 3  # approved leaves per building: of residents out, of residents at home
CAMPUS, CAMPUS_NAME = "SB", "松北"
NIGHT = date(2026, 11, 23)
CURFEW = clock_time(23, 0)
WARM_UP, ROLL, RERUN = clock_time(22, 55), clock_time(23, 5), clock_time(23, 15)
WATERMARK = clock_time(23, 4)  # every reader's data known complete to here: after the roll, not provisional
# The roll reads every presence item of its building in one Query (~0.2 KB each): a sparse "who is out" index
# read less here but cost a write on most swipes, which bench/day.py prices far higher. It stays well under a Scan.
TARGET_RATIO = 0.5
SEED = 20261123

log = logging.getLogger("bench.roll")


# ---------------------------------------------------------------------------------------------- environment
def environment() -> Any:
    """Fake credentials and the template's Globals environment, set before any houqin store is imported."""
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SECURITY_TOKEN": "bench",
        "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
    })
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        os.environ.pop(name, None)
    import moto  # noqa: F401 - before any client is created

    from localcloud.template import Template

    template = Template.load(ROOT / "template.yaml", endpoint=None)
    variables = ((template.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    os.environ.update({k: str(v) for k, v in template.resolve(variables.get("Variables") or {}).items()})
    return template


def local_at(day: date, moment: clock_time) -> datetime:
    from houqin.clock import at_local

    return at_local(day, moment)


# ---------------------------------------------------------------------------------------------- the data
@dataclass
class Campus:
    residents: int
    buildings: list[str] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)  # generated residents, placed
    out: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # building -> residents out
    on_leave: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    presence: dict[str, dict[str, Any]] = field(default_factory=dict)  # resident -> state, ts, reader

    def not_returned(self) -> dict[str, set[str]]:
        """What the roll must find: out at the curfew and not on leave, by building."""
        return {b: self.out[b] - self.on_leave[b] for b in self.buildings}

    @property
    def out_count(self) -> int:
        return sum(len(v) for v in self.out.values())


def generate(residents: int, seed: int = SEED) -> Campus:
    from localcloud import demo

    rng = random.Random(seed + residents)
    campus = Campus(residents)
    number = 0
    for k in range(1, residents // PER_BUILDING + 1):
        building_id = f"{CAMPUS}{k:02d}"
        campus.buildings.append(building_id)
        people = []
        for floor in range(1, FLOORS + 1):
            gender = "M" if floor <= FLOORS // 2 else "F"
            for index in range(1, ROOMS_PER_FLOOR + 1):
                for bed in range(1, BEDS_PER_ROOM + 1):
                    number += 1
                    school = rng.choice(list(demo.SCHOOLS))
                    grade, major = rng.choice(demo.GRADES), rng.choice(demo.SCHOOLS[school])
                    people.append({
                        "resident_id": f"S{number:05d}", "card_id": f"C{20_000_000 + number * 7:08d}",
                        "name": demo._name(rng), "gender": gender,  # noqa: SLF001 - the demo's name maker
                        "birth_month": f"{int(grade) - rng.randint(17, 19)}-{rng.randint(1, 12):02d}",
                        "category": "本科", "campus_id": CAMPUS, "department": school, "grade": grade,
                        "major": major, "class_name": f"{major}{grade[2:]}{rng.randint(1, 4):02d}",
                        "position": "班长" if rng.random() < 0.03 else None,
                        "hometown": rng.choice(demo.PROVINCES), "parent_phone": demo._phone(rng),  # noqa: SLF001
                        "building_id": building_id, "room_no": f"{floor}{index:02d}", "bed_no": bed})
        out = set(rng.sample([p["resident_id"] for p in people], round(OUT_SHARE * len(people))))
        campus.out[building_id] = out
        home = sorted({p["resident_id"] for p in people} - out)
        campus.on_leave[building_id] = set(rng.sample(sorted(out), LEAVES_OUT)) | set(rng.sample(home, LEAVES_IN))
        for person in people:
            resident_id = person["resident_id"]
            reader = f"{building_id}-{rng.choice(READERS)}"
            if resident_id in out:
                minute = rng.randrange(19 * 60, 22 * 60)
                state = "out"
            else:
                minute = rng.randrange(18 * 60, 22 * 60 + 30)
                state = "in"
            ts = local_at(NIGHT, clock_time(minute // 60, minute % 60, rng.randrange(60)))
            campus.presence[resident_id] = {"state": state, "ts": ts, "reader_id": reader,
                                            "building_id": building_id}
        campus.people += people
    return campus


def come_home(campus: Campus, share: float, seed: int = SEED) -> dict[str, set[str]]:
    """Residents out come home (an entry at 22:20) until ``share`` of the residents are out; answers who came."""
    rng = random.Random(seed)
    came: dict[str, set[str]] = {}
    for building_id in campus.buildings:
        keep = round(share * PER_BUILDING)
        out = sorted(campus.out[building_id])
        stay = set(rng.sample(out, keep))
        came[building_id] = set(out) - stay
        for resident_id in came[building_id]:
            campus.presence[resident_id] = {"state": "in", "ts": local_at(NIGHT, clock_time(22, 20)),
                                            "reader_id": f"{building_id}-A", "building_id": building_id}
        campus.out[building_id] = stay
    return came


def presence_item(campus: Campus, person: Mapping[str, Any]) -> Any:
    """The resident's presence as the swipes function writes it."""
    from houqin.clock import to_iso
    from houqin.store import dorms

    seen = campus.presence[person["resident_id"]]
    return dorms.Presence.make(person["building_id"], person["resident_id"], seen["state"], to_iso(seen["ts"]),
                               seen["reader_id"], seen["building_id"])


def write(items: Iterable[Any], chunk: int = 500) -> int:
    """Batch writes (PynamoDB, no conditions: fresh tables), one model at a time."""
    count = 0
    batch: list[Any] = []

    def flush() -> None:
        if batch:
            with type(batch[0]).batch_write() as writer:
                for item in batch:
                    writer.save(item)
            batch.clear()

    for item in items:
        if batch and type(item) is not type(batch[0]) or len(batch) >= chunk:
            flush()
        batch.append(item)
        count += 1
    flush()
    return count


def write_buildings(campus: Campus) -> Counter[str]:
    """The campus, its buildings, readers, rooms, beds, residents (placed) and their presence, with batch
    writes (bench.day builds its world on these too)."""
    from houqin.store import dorms
    from localcloud.demo import resident_item

    rooms = [dorms.Room.make(b, f"{floor}{index:02d}", floor, "M" if floor <= FLOORS // 2 else "F", BEDS_PER_ROOM)
             for b in campus.buildings for floor in range(1, FLOORS + 1) for index in range(1, ROOMS_PER_FLOOR + 1)]
    beds = [dorms.Bed.make(p["building_id"], p["room_no"], p["bed_no"], p["resident_id"]) for p in campus.people]
    counts = dorms.counts_by_building(rooms, beds)  # each building's bed counts (GET /buildings), as recount finds
    written: Counter[str] = Counter()
    written["campus"] = write([dorms.Campus.make(CAMPUS, CAMPUS_NAME)])
    written["buildings"] = write(dorms.Building.make(b, CAMPUS, f"{CAMPUS_NAME}{k}号公寓", FLOORS, counts=counts[b],
                                                     readers=[f"{b}-{r}" for r in READERS])
                                 for k, b in enumerate(campus.buildings, start=1))
    written["readers"] = write(dorms.Reader.make(f"{b}-{r}", b, r) for b in campus.buildings for r in READERS)
    written["rooms"] = write(rooms)
    written["beds"] = write(beds)

    written["residents"] = write(resident_item(p) for p in campus.people)
    written["cards"] = write(resident_item(p).card() for p in campus.people)
    written["presence"] = write(presence_item(campus, p) for p in campus.people)
    return written


def load(campus: Campus) -> Counter[str]:
    """Everything the roll and the Scan read, with batch writes."""
    from houqin.auth import Role
    from houqin.clock import to_iso
    from houqin.domain import leave as leave_rules
    from houqin.domain.swipes import ReaderProgress
    from houqin.domain.tickets import Actor
    from houqin.store import leave as leave_store
    from houqin.store import swipes
    from houqin.store.base import key

    written = write_buildings(campus)

    sent = to_iso(local_at(NIGHT, WATERMARK))
    progress = []
    for b in campus.buildings:
        for n, r in enumerate(READERS):
            item = swipes.ReaderProgressItem(pk=swipes.progress_key(b), sk=key("READER", f"{b}-{r}"),
                                             reader_id=f"{b}-{r}", building_id=b)
            item.set(ReaderProgress(max_seq=5000 + n, max_seq_ts=to_iso(local_at(NIGHT, clock_time(22, 30 + n))),
                                    last_sent_at=sent, last_message_at=sent, messages=900 + n, swipes=5000 + n))
            item.version = 1
            progress.append(item)
    written["reader progress"] = write(progress)

    by_id = {p["resident_id"]: p for p in campus.people}
    registered = local_at(NIGHT - timedelta(days=1), clock_time(16, 0))
    leaves = []
    for b in campus.buildings:
        manager = Actor("E0723", frozenset({Role.DORM_MANAGER}))
        for n, resident_id in enumerate(sorted(campus.on_leave[b]), start=1):
            person = by_id[resident_id]
            leave = leave_rules.register(leave_id=f"L{NIGHT:%y%m%d}-{b}{n:04X}", actor=manager,
                                         resident_id=resident_id, start=NIGHT, end=NIGHT + timedelta(days=1),
                                         reason="回家探亲", at=registered, note="bench")
            leaves.append(leave_store.LeaveItem.make(leave, building_id=b, department=person["department"],
                                                     grade=person["grade"]))
    written["leaves"] = leave_store.batch_put(leaves)
    return written


# ---------------------------------------------------------------------------------------------- metering
def delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The difference of two CostMeter snapshots, with its split by table and by operation."""
    def diff(now: Mapping[str, Mapping[str, Any]], then: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        out = {}
        for name, totals in now.items():
            change = {k: v - then.get(name, {}).get(k, 0) for k, v in totals.items()}
            if any(change.values()):
                out[name] = change
        return out

    return {"rcu": after["rcu"] - before["rcu"], "wcu": after["wcu"] - before["wcu"],
            "calls": after["calls"] - before["calls"], "by_table": diff(after["by_table"], before["by_table"]),
            "by_operation": diff(after["by_operation"], before["by_operation"])}


def add(total: dict[str, Any], change: Mapping[str, Any]) -> None:
    for name in ("rcu", "wcu", "calls", "n"):
        total[name] = total.get(name, 0) + change.get(name, 1 if name == "n" else 0)
    for split in ("by_table", "by_operation"):
        for name, values in change.get(split, {}).items():
            into = total.setdefault(split, {}).setdefault(name, {})
            for k, v in values.items():
                into[k] = into.get(k, 0) + v


# What the roll calls, by module (night_roll calls each through its module): metered apart.
READS = {
    ("houqin.store.alarms", "night_items"): "stored rolls",
    ("houqin.store.dorms", "building_presence"): "presence",
    ("houqin.store.swipes", "building_progress"): "reader progress",
    ("houqin.store.leave", "leaves_of_building"): "leaves",
    ("houqin.store.dorms", "residents"): "flagged residents",
}
WRITES = {
    ("houqin.services.alarms", "Alarms.raise_alarm"): "alarms raised",
    ("houqin.services.alarms", "Alarms.auto_resolve"): "alarms resolved",
    ("houqin.store.alarms", "save_roll"): "roll saved",
    ("houqin.store.alarms", "save_zero_report"): "zero report",
}


@contextlib.contextmanager
def segments(meter: Any) -> Iterator[dict[str, dict[str, Any]]]:
    """Meter each store call of the roll apart: the functions are wrapped in their modules for the block."""
    totals: dict[str, dict[str, Any]] = {}
    patched = []

    def wrap(original: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def metered(*args: Any, **kwargs: Any) -> Any:
            before = meter.snapshot()
            try:
                return original(*args, **kwargs)
            finally:
                add(totals.setdefault(label, {}), delta(meter.snapshot(), before))
        return metered

    for (module_name, path), label in {**READS, **WRITES}.items():
        owner: Any = importlib.import_module(module_name)
        *within, name = path.split(".")  # a function of the module, or a method of one of its classes
        for part in within:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        setattr(owner, name, wrap(original, label))
        patched.append((owner, name, original))
    try:
        yield totals
    finally:
        for module, name, original in patched:
            setattr(module, name, original)


def reset_connections() -> None:
    """Forget every PynamoDB model's cached connection (the next call creates a client: metered in a block)."""
    from pynamodb.models import Model

    pending = [Model]
    while pending:
        model = pending.pop()
        model._connection = None  # noqa: SLF001
        pending.extend(model.__subclasses__())


# ---------------------------------------------------------------------------------------------- the roll
def buildings() -> list[Any]:
    from houqin.store import dorms

    return dorms.buildings_of_campus(CAMPUS)


def roll_all(blds: list[Any], moment: clock_time) -> Counter[str]:
    from houqin.checks import night_roll
    from houqin.clock import FixedClock
    from houqin.services.alarms import Alarms

    now = local_at(NIGHT, moment)
    alarms = Alarms(clock=FixedClock(now))
    summary: Counter[str] = Counter()
    for building in blds:
        summary.update(night_roll.roll_building(alarms, building, now))
    return summary


def reset_alarms(template: Any) -> None:
    """An empty alarms table (no alarms, no stored rolls), then the 22:55 run of the check again."""
    from localcloud.resources import aws_client, create_table

    aws_client("dynamodb", template).delete_table(TableName=template.physical_name("AlarmsTable"))
    create_table(template, "AlarmsTable")
    reset_connections()


def stored_curfew(blds: list[Any]) -> dict[str, Any]:
    from houqin.store import alarms as store

    results = {}
    for building in blds:
        item = store.night_items(building.building_id, NIGHT, NIGHT).get((NIGHT.isoformat(), "curfew"))
        results[building.building_id] = item.result() if item is not None else None
    return results


def metered_roll(blds: list[Any], moment: clock_time) -> dict[str, Any]:
    from localcloud.costmeter import CostMeter

    reset_connections()
    with CostMeter.installed() as meter, segments(meter) as parts:
        started = time.perf_counter()
        summary = roll_all(blds, moment)
        seconds = time.perf_counter() - started
        total = meter.snapshot()
    reads = {label: parts.get(label, {}) for label in READS.values()}
    writes = {label: parts.get(label, {}) for label in WRITES.values()}
    return {"summary": dict(summary), "rcu": total["rcu"], "wcu": total["wcu"], "calls": total["calls"],
            "by_table": total["by_table"], "by_operation": total["by_operation"], "meter_errors": total["errors"],
            "reads": reads, "writes": writes,
            "alarm_wcu": writes["alarms raised"].get("wcu", 0) + writes["alarms resolved"].get("wcu", 0),
            "unattributed": {"rcu": total["rcu"] - sum(p.get("rcu", 0) for p in parts.values()),
                             "wcu": total["wcu"] - sum(p.get("wcu", 0) for p in parts.values())},
            "metered_seconds": seconds}


# ---------------------------------------------------------------------------------------------- the Scan
def scan(client: Any, table: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a table: a paginated Scan, eventually consistent (DynamoDB's 1 MB pages)."""
    items, pages, start = [], 0, None
    while True:
        response = client.scan(TableName=table, ConsistentRead=False,
                               **({"ExclusiveStartKey": start} if start else {}))
        items += response["Items"]
        pages += 1
        start = response.get("LastEvaluatedKey")
        if not start:
            return items, pages


def scan_roll(client: Any, template: Any, blds: list[Any]) -> dict[str, Any]:
    """The curfew roll of every building from two Scans and the pure rules (no alarms, nothing written)."""
    from houqin.checks import night_roll
    from houqin.domain import roll as rules
    from houqin.settings import settings
    from houqin.store import dorms, swipes
    from houqin.store import leave as leave_store

    dorms_items, dorms_pages = scan(client, template.physical_name("DormsTable"))
    swipe_items, swipe_pages = scan(client, template.physical_name("SwipesTable"))
    presence: dict[str, dict[str, Any]] = defaultdict(dict)
    leaves: dict[str, list[Any]] = defaultdict(list)
    readers: dict[str, list[str]] = defaultdict(list)
    taken: Counter[str] = Counter()
    residents = 0
    for raw in dorms_items:
        pk, sk = raw["pk"]["S"], raw["sk"]["S"]
        if sk.startswith("PRES#"):
            item = dorms.Presence.from_raw_data(raw)
            presence[pk.removeprefix("BLDG#")][item.resident_id] = item
        elif sk == leave_store.SK and "building_id" in raw:
            leaves[raw["building_id"]["S"]].append(leave_store.to_domain(leave_store.LeaveItem.from_raw_data(raw)))
        elif pk.startswith("READER#") and sk == "META":
            readers[raw["building_id"]["S"]].append(raw["reader_id"]["S"])
        elif "#BED#" in sk and "resident_id" in raw:
            taken[raw["building_id"]["S"]] += 1
        elif sk == "PROFILE":
            residents += 1  # the details an alarm would carry: read by the Scan already
    watermarks: dict[str, str | None] = {}
    for raw in swipe_items:
        if raw["pk"]["S"].startswith("READERS#"):
            item = swipes.ReaderProgressItem.from_raw_data(raw)
            watermarks[item.reader_id] = item.watermark
    results = {}
    for building in blds:
        b = building.building_id
        at = rules.roll_moment(NIGHT, rules.RollKind.CURFEW, night_roll.hours(building), settings().tz)
        results[b] = rules.take_roll(b, rules.RollKind.CURFEW, at, taken[b], leaves[b], presence[b],
                                     {r: watermarks.get(r) for r in readers[b]})
    return {"results": results, "items": len(dorms_items) + len(swipe_items), "residents_read": residents,
            "pages": {"DormsTable": dorms_pages, "SwipesTable": swipe_pages}}


def metered_scan(template: Any, blds: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    import boto3

    from localcloud.costmeter import CostMeter

    with CostMeter.installed() as meter:
        client = boto3.client("dynamodb", region_name=template.region)  # created in the block: metered
        started = time.perf_counter()
        found = scan_roll(client, template, blds)
        seconds = time.perf_counter() - started
        total = meter.snapshot()
    return found["results"], {"rcu": total["rcu"], "wcu": total["wcu"], "calls": total["calls"],
                              "by_table": total["by_table"], "by_operation": total["by_operation"],
                              "meter_errors": total["errors"], "items": found["items"],
                              "residents_read": found["residents_read"], "pages": found["pages"],
                              "metered_seconds": seconds}


# ---------------------------------------------------------------------------------------------- one point
def compare(campus: Campus, roll: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Not returned per building: the roll's stored result, the Scan-based roll's and the generated data's."""
    truth = campus.not_returned()
    mismatches = []
    for b in campus.buildings:
        rolled = roll[b].flagged if roll.get(b) is not None else None
        scanned = base[b].flagged
        if rolled != scanned or scanned != truth[b]:
            mismatches.append({"building": b, "roll": sorted(rolled or ()), "scan": sorted(scanned),
                               "expected": sorted(truth[b])})
        elif (roll[b].expected, roll[b].present, roll[b].on_leave) != (base[b].expected, base[b].present,
                                                                       base[b].on_leave):
            mismatches.append({"building": b, "roll_counts": roll[b].counts, "scan_counts": base[b].counts})
    return {"ok": not mismatches, "buildings": len(campus.buildings),
            "not_returned": sum(len(v) for v in truth.values()), "mismatches": mismatches[:3],
            "mismatched_buildings": len(mismatches)}


def measure(template: Any, campus: Campus, label: str) -> dict[str, Any]:
    blds = buildings()
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    warm = roll_all(blds, WARM_UP)  # last night's rolls and zero report, as the check left them
    seconds = {"warm-up 22:55": lap()}
    timed = roll_all(blds, ROLL)
    seconds["roll"] = lap()
    roll_all(blds, RERUN)
    seconds["re-run"] = lap()
    reset_alarms(template)
    roll_all(blds, WARM_UP)
    lap()
    roll = metered_roll(blds, ROLL)
    rolled = stored_curfew(blds)
    rerun = metered_roll(blds, RERUN)
    seconds["metered rolls"] = lap()
    found, base = metered_scan(template, blds)
    seconds["scan"] = base["metered_seconds"]  # the meter adds no call to a Scan (nothing filtered or projected)
    lap()
    check = compare(campus, rolled, found)
    raised = {"metered": roll["summary"].get("raised", 0), "timed": timed.get("raised", 0),
              "re-run": rerun["summary"].get("raised", 0)}
    check["raised"] = raised
    if raised != {"metered": check["not_returned"], "timed": check["not_returned"], "re-run": 0}:
        check["ok"] = False
    return {"label": label, "residents": campus.residents, "buildings": len(blds), "out": campus.out_count,
            "not_returned": check["not_returned"], "on_leave": sum(len(v) for v in campus.on_leave.values()),
            "warm_up": dict(warm), "unmetered_summary": dict(timed),
            "roll": roll, "rerun": rerun, "scan": base, "check": check,
            "ratio": ratio(roll["rcu"], base["rcu"]),
            "rerun_ratio": ratio(rerun["rcu"], base["rcu"]),
            "roll_rcu_per_out": ratio(roll["rcu"], campus.out_count),
            "scan_rcu_per_resident": ratio(base["rcu"], campus.residents),
            "seconds": seconds}


def forget_gsi_buckets() -> None:
    """localcloud.motofixes.gsi_fixes keeps, per GSI key value, the items that held it; an item that has since lost the
    attribute (e.g. a sparse index key removed) makes its check compare None and fail. Rebuilt on
    the next Query instead."""
    from moto.dynamodb.models import dynamodb_backends

    for account in dynamodb_backends.values():
        for backend in account.values():
            for table in backend.tables.values():
                table.__dict__.pop("_bench_gsi", None)


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def point(template: Any, size: int, low_share: float | None) -> list[dict[str, Any]]:
    """One size on fresh tables (in-process moto); with ``low_share``, the same residents with fewer out too."""
    from moto import mock_aws

    from localcloud.resources import create_all

    campus = generate(size)
    with mock_aws():
        reset_connections()
        create_all(template)
        started = time.perf_counter()
        written = load(campus)
        load_s = time.perf_counter() - started
        log.info("%d residents: %d items loaded in %.1f s; measuring ...", size, sum(written.values()), load_s)
        first = measure(template, campus, f"{size}")
        first.update(load_seconds=load_s, items_written=dict(written))
        points = [first]
        if low_share is not None:
            came = come_home(campus, low_share)
            started = time.perf_counter()
            back = set().union(*came.values())
            write(presence_item(campus, p) for p in campus.people if p["resident_id"] in back)
            forget_gsi_buckets()
            reset_alarms(template)
            load_s = time.perf_counter() - started
            log.info("%d residents, %g%% out: measuring ...", size, low_share * 100)
            low = measure(template, campus, f"{size} ({low_share:.0%} out)")
            low.update(load_seconds=load_s, items_written={"presence": sum(len(v) for v in came.values())})
            points.append(low)
    return points


# ---------------------------------------------------------------------------------------------- report
def report(result: Mapping[str, Any]) -> str:
    points = result["points"]
    mark = {True: "ok  ", False: "FAIL"}
    out = [f"Houqin night roll: billed RCU of the curfew roll beside a Scan-based roll (in-process moto, cost meter, "
           f"{result['python']}, {result['cpus']} CPUs)",
           f"  night {NIGHT} (curfew {CURFEW:%H:%M} Asia/Shanghai), roll at {ROLL:%H:%M}, re-run at {RERUN:%H:%M}; "
           f"{PER_BUILDING} residents per building, {len(READERS)} readers (watermark {WATERMARK:%H:%M}), "
           f"{LEAVES_OUT + LEAVES_IN} approved leaves per building ({LEAVES_OUT} of them out)",
           f"  the check ran at {WARM_UP:%H:%M} first (last night's rolls and zero report stored, not measured)"]
    if result["moto_patched"]:
        out.append("  moto patched in this process (localcloud.motofixes): Queries read "
                   "the partition, not the whole table")
    out += ["",
            f"  {'residents':<18}{'bldgs':>6}{'out':>6}{'flagged':>8}{'roll RCU':>10}{'Scan RCU':>10}{'ratio':>8}"
            f"{'alarm WCU':>10}{'re-run RCU':>11}{'roll s':>8}{'Scan s':>8}{'load s':>8}"]
    for p in points:
        out.append(f"  {p['label']:<18}{p['buildings']:>6}{p['out']:>6}{p['not_returned']:>8}"
                   f"{p['roll']['rcu']:>10.1f}{p['scan']['rcu']:>10.1f}{pct(p['ratio']):>8}"
                   f"{p['roll']['alarm_wcu']:>10}{p['rerun']['rcu']:>11.1f}{p['seconds']['roll']:>8.2f}"
                   f"{p['seconds']['scan']:>8.2f}{p['load_seconds']:>8.1f}")
    out += ["", "  The roll's reads (RCU) by store call, and its writes (WCU):",
            f"  {'residents':<18}" + "".join(f"{short(label):>11}" for label in READS.values())
            + f"{'alarms WCU':>11}{'roll WCU':>9}"]
    for p in points:
        reads, writes = p["roll"]["reads"], p["roll"]["writes"]
        out.append(f"  {p['label']:<18}" + "".join(f"{reads[label].get('rcu', 0):>11.1f}" for label in READS.values())
                   + f"{writes['alarms raised'].get('wcu', 0):>11}{writes['roll saved'].get('wcu', 0):>9}")
    out.append("")
    for p in points:
        roll, base = p["roll"], p["scan"]
        residents_rcu = roll["reads"]["flagged residents"].get("rcu", 0)
        out.append(f"  {p['label']}: roll {roll['rcu']:.1f} RCU = {pct(p['ratio'])} of the Scan's "
                   f"{base['rcu']:.1f} ({base['items']} items, {sum(base['pages'].values())} pages; "
                   f"{verdict(p['ratio'])} the {TARGET_RATIO:.0%} target); profiles read for the alarm "
                   f"details {residents_rcu:.1f} RCU")
        out.append(f"    {p['roll_rcu_per_out']:.2f} RCU per resident out, Scan {p['scan_rcu_per_resident']:.3f} RCU "
                   f"per resident; roll by table: {tables(roll['by_table'], 'rcu')}; writes "
                   f"{roll['wcu']} WCU ({tables(roll['by_table'], 'wcu')})")
        rerun = p["rerun"]
        reads = ", ".join(f"{short(label)} {rerun['reads'][label].get('rcu', 0):g}" for label in READS.values())
        out.append(f"    re-run {rerun['rcu']:.1f} RCU ({pct(p['rerun_ratio'])} of the Scan: {reads}), "
                   f"{rerun['wcu']} WCU (the roll items), {rerun['summary'].get('raised', 0)} raised, "
                   f"{rerun['summary'].get('resolved', 0)} resolved")
        out.append(f"    {mark[p['check']['ok']]} not returned: the roll, the Scan-based roll and the data agree in "
                   f"{p['buildings'] - p['check']['mismatched_buildings']} of {p['buildings']} buildings; "
                   f"{roll['summary'].get('raised', 0)} alarms raised; cost meter errors "
                   f"{roll['meter_errors'] + rerun['meter_errors'] + base['meter_errors']}")
    out += ["",
            "  How the roll is billed: per building, one consistent Query of its stored rolls (ROLL#<building>),",
            "  one eventually consistent Query of the building's presence items (~0.2 KB per resident), one",
            "  BatchGetItem of the newly flagged residents' profiles (for the alarm: department, grade), one Query",
            "  each of its reader progress and leaves; the building's readers come with the building (its META item,",
            "  read by the walk over the campus). Each alarm is a transaction (the alarm + its audit event, x2) plus",
            "  its index copies.",
            "  The Scan bills 0.5 RCU per 4 KB of everything the tables hold, whoever is out. A re-run with nothing",
            "  changed reads the presence again and, the result being the same, writes nothing.",
            "  Times: the roll without the meter; the Scan is moto paging through the table in process.",
            "",
            "Bench wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in result["wall_seconds"].items()),
            f"RESULT: {'all checks passed' if result['ok'] else 'CHECKS FAILED'}"]
    return "\n".join(out)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def verdict(value: float | None) -> str:
    return "within" if value is not None and value <= TARGET_RATIO else "OVER"


def short(label: str) -> str:
    return {"stored rolls": "rolls", "presence": "presence",
            "reader progress": "progress", "leaves": "leaves", "flagged residents": "residents"}[label]


def tables(by_table: Mapping[str, Mapping[str, Any]], unit: str) -> str:
    names = {physical: logical for logical, physical in TABLES.items()}
    parts = [f"{names.get(t, t).removesuffix('Table')} {v.get(unit, 0):g}" for t, v in sorted(by_table.items())
             if v.get(unit)]
    return ", ".join(parts) or "none"


TABLES: dict[str, str] = {}


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help=f"residents (multiples of {PER_BUILDING})")
    parser.add_argument("--low-share", type=float, default=LOW_OUT_SHARE,
                        help="on the largest size, measure again with this share out (0: skip)")
    parser.add_argument("--moto-as-is", action="store_true", help="run moto unchanged (see localcloud.motofixes)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if any(size % PER_BUILDING or size <= 0 for size in args.sizes):
        parser.error(f"sizes are multiples of {PER_BUILDING}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    template = environment()
    TABLES.update({logical: template.physical_name(logical) for logical in ("DormsTable", "SwipesTable",
                                                                              "AlarmsTable")})
    from bench.tickets import write_result
    from localcloud.motofixes import fixed

    started = time.perf_counter()
    points: list[dict[str, Any]] = []
    patches = contextlib.ExitStack()
    if not args.moto_as_is:
        patches.enter_context(fixed())
    largest = max(args.sizes)
    with patches:
        for size in args.sizes:
            points += point(template, size, args.low_share if size == largest and args.low_share else None)
    wall = {"total": time.perf_counter() - started}
    wall["loading"] = sum(p["load_seconds"] for p in points)
    result = {"python": f"Python {sys.version.split()[0]}", "cpus": os.cpu_count(), "night": NIGHT.isoformat(),
              "curfew": f"{CURFEW:%H:%M}", "roll_at": f"{ROLL:%H:%M}", "rerun_at": f"{RERUN:%H:%M}",
              "target_ratio": TARGET_RATIO, "moto_patched": not args.moto_as_is, "tables": TABLES,
              "args": vars(args) | {"out": str(args.out)}, "points": points, "wall_seconds": wall,
              "ok": all(p["check"]["ok"] for p in points)}
    write_result(result, report(result), args.out)
    if not result["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
