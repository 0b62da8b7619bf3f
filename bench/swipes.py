"""Benchmark: a morning burst of gate swipes over MQTT on the local cloud, against raw boto3 batch writes.

Runs template.yaml (with demo data) on moto server, then:

A. End to end over MQTT: every demo resident (6,450) swipes "out" once at a reader of their building, the
   timestamps spread over 30 minutes of a bench morning; each reader publishes live messages of a few
   swipes (QoS 1, client id = reader id, topic houqin/gates/<reader>/swipes). Meanwhile one reader (SB01-B)
   replays a 10,000-swipe offline backlog: 8,000 unique swipes plus 2,000 repeats of them, shuffled, in
   messages of 100. The IoT rule bridge puts each message on the swipes queue; the SQS poller invokes the
   swipes function in a worker process. Wall time from the first publish until every unique swipe is stored
   (the readers' progress items count them) -> swipes/s end to end, beside raw boto3 BatchWriteItems of the
   same items (the swipe items and the presence items Houqin writes for new swipes) into same-schema tables
   on the same moto server, from the same number of threads. Then checked: zero lost, zero double-counted,
   every resident "out" at their bench swipe, nothing quarantined, the queue and its dead-letter queue
   drained. A failed check exits non-zero.
B. Billed capacity per swipe: the swipes function's handler is called in this process with SQS events
   inside ``CostMeter.installed()``: 1,000 new swipes in live-sized messages, then the same messages again
   (all repeats). WCU per new swipe, split into the swipe put, the presence read and update and the reader
   progress (one read and one write per reader per batch, amortized); WCU and RCU per duplicate. Targets (issue
   19): at most 2 WCU per new swipe everything included, at most 1 per duplicate; end to end (A) at least half
   the raw batch writes' rate.

Dates: the bench morning is 06:30-07:00 (campus time) seven days ago, so it never shares a gate-day
partition with the demo's swipes (yesterday and today); the backlog covers the 48 hours before it. Messages
carry sent_at on that morning (the past: a sent_at in the future is refused). The demo's presence items
(newer than the bench morning) are first reset to "in at 22:00 the evening before", so the burst's swipes
are every resident's newest, as on a real morning. Reader seqs start at 1,000,000, above the demo's.

Nothing is asserted on time; only the correctness checks fail the run.

    make bench            # or: .venv/bin/python -m bench.swipes --residents 2000 --backlog 2000
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.tickets import (
    ROOT,
    create_shadow,
    delta,
    demo_cloud_config,
    dynamodb,
    fmt_ratio,
    ratio,
    reset_connections,
    write_items,
    write_result,
)
from houqin.system_clock import SystemClock
from localcloud.cloud import LocalCloud

RESULTS = ROOT / "bench" / "results" / "swipes.json"
FUNCTION = "SwipesFunction"
BASE_SEQ = 1_000_000  # the demo numbers each reader's swipes from 1: bench seqs never collide with them
BACKLOG_READER = "SB01-B"
DAYS_AGO = 7
BURST_START, BURST_MINUTES = clock_time(6, 30), 30
BACKLOG_HOURS = 48
VISITOR_SHARE = 0.05  # of the backlog's unique swipes: cards no resident holds
TARGET_NEW_WCU, TARGET_DUPLICATE_WCU = 2, 1
TARGET_THROUGHPUT = 0.5  # end to end against raw batch writes of the same items

log = logging.getLogger("bench.swipes")


# ---------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class BenchSwipe:
    reader_id: str
    seq: int
    card_id: str
    direction: str
    ts: datetime
    building_id: str  # the gate's building
    resident_id: str | None  # None: a card no resident holds
    home_building: str | None

    def wire(self) -> dict[str, Any]:
        from houqin.clock import to_iso

        return {"seq": self.seq, "card_id": self.card_id, "direction": self.direction, "ts": to_iso(self.ts)}


@dataclass(frozen=True)
class Message:
    reader_id: str
    sent_at: datetime
    swipes: tuple[BenchSwipe, ...]

    @property
    def topic(self) -> str:
        return f"houqin/gates/{self.reader_id}/swipes"

    def payload(self) -> str:
        from houqin.clock import to_iso

        return json.dumps({"v": 1, "reader_id": self.reader_id, "sent_at": to_iso(self.sent_at),
                           "swipes": [s.wire() for s in self.swipes]})


@dataclass
class Plan:
    day: date
    burst: list[BenchSwipe] = field(default_factory=list)  # one "out" per resident
    backlog_unique: list[BenchSwipe] = field(default_factory=list)
    backlog_repeats: int = 0
    messages: list[Message] = field(default_factory=list)

    @property
    def unique(self) -> list[BenchSwipe]:
        return self.burst + self.backlog_unique

    def per_reader(self) -> dict[str, dict[str, int]]:
        expected: dict[str, Counter] = defaultdict(Counter)
        for swipe in self.unique:
            expected[swipe.reader_id]["swipes"] += 1
        for message in self.messages:
            expected[message.reader_id]["messages"] += 1
        expected[BACKLOG_READER]["duplicates"] += self.backlog_repeats
        return {reader: dict(counts) for reader, counts in expected.items()}

    def building_of(self) -> dict[str, str]:
        """Each reader's building (its progress is stored under it)."""
        return {swipe.reader_id: swipe.building_id for swipe in self.unique}


def at(day: date, moment: clock_time) -> datetime:
    from houqin.clock import at_local

    return at_local(day, moment)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_plan(data: Any, day: date, residents: int, backlog: int, duplicate_share: float, live_batch: int,
              seed: int = 2026) -> Plan:
    rng = random.Random(seed)
    plan = Plan(day)
    readers_of: dict[str, list[str]] = defaultdict(list)
    for reader in data.readers:
        readers_of[reader["building_id"]].append(reader["reader_id"])
    building_of = {r["reader_id"]: r["building_id"] for r in data.readers}
    burst_start = at(day, BURST_START)

    # B. the backlog: swipes of the 48 hours before the burst, numbered in time order, then replayed shuffled
    unique_n = round(backlog * (1 - duplicate_share))
    plan.backlog_repeats = backlog - unique_n
    home = building_of[BACKLOG_READER]
    neighbours = [r for r in data.residents if r["building_id"] == home]
    raw = []
    for _ in range(unique_n):
        ts = burst_start - timedelta(milliseconds=rng.randrange(1, BACKLOG_HOURS * 3_600_000))
        if rng.random() < VISITOR_SHARE:
            raw.append((ts, f"V{rng.randrange(10**8):08d}", None))
        else:
            raw.append((ts, None, rng.choice(neighbours)))
    raw.sort(key=lambda entry: entry[0])
    for k, (ts, card, resident) in enumerate(raw):
        plan.backlog_unique.append(BenchSwipe(
            BACKLOG_READER, BASE_SEQ + k, resident["card_id"] if resident else card, rng.choice(("in", "out")), ts,
            home, resident["resident_id"] if resident else None, resident["building_id"] if resident else None))
    replay = plan.backlog_unique + rng.sample(plan.backlog_unique, plan.backlog_repeats)
    rng.shuffle(replay)
    for n, batch in enumerate(chunks(replay, 100)):
        plan.messages.append(Message(BACKLOG_READER, burst_start + timedelta(seconds=n), tuple(batch)))

    # A. the burst: every resident out once, at a reader of their building, within 30 minutes
    live: dict[str, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for resident in data.residents[:residents]:
        reader = rng.choice(readers_of[resident["building_id"]])
        live[reader].append((burst_start + timedelta(milliseconds=rng.randrange(BURST_MINUTES * 60_000)), resident))
    for reader, swipes in sorted(live.items()):
        swipes.sort(key=lambda entry: entry[0])
        first = BASE_SEQ + (unique_n if reader == BACKLOG_READER else 0)
        numbered = [BenchSwipe(reader, first + k, resident["card_id"], "out", ts, building_of[reader],
                               resident["resident_id"], resident["building_id"])
                    for k, (ts, resident) in enumerate(swipes)]
        plan.burst += numbered
        for batch in chunks(numbered, live_batch):
            plan.messages.append(Message(reader, batch[-1].ts + timedelta(seconds=1), tuple(batch)))
    plan.messages.sort(key=lambda m: m.sent_at)
    return plan


# ---------------------------------------------------------------------------------------------- items
def swipe_item(swipe: BenchSwipe, received_at: datetime) -> dict[str, Any]:
    """The swipe item Houqin stores (wire format)."""
    from houqin.domain.swipes import Direction, Swipe
    from houqin.store import swipes as store

    domain = Swipe(swipe.reader_id, swipe.seq, swipe.card_id, Direction(swipe.direction), swipe.ts)
    return store.SwipeItem.make(domain, swipe.building_id, swipe.resident_id, received_at).serialize()


def presence_item(resident_id: str, home: str, state: str, ts: datetime, reader_id: str,
                  building_id: str) -> dict[str, Any]:
    from houqin.clock import to_iso
    from houqin.store import dorms

    return dorms.Presence.make(home, resident_id, state, to_iso(ts), reader_id, building_id).serialize()


def reset_presence(cloud: LocalCloud, data: Any, day: date, threads: int) -> int:
    """Every demo resident "in" at 22:00 the evening before the bench morning (the demo's presence is newer)."""
    evening = at(day - timedelta(days=1), clock_time(22, 0))
    items = [presence_item(r["resident_id"], r["building_id"], "in", evening, f"{r['building_id']}-A",
                           r["building_id"]) for r in data.residents]
    write_items(dynamodb(cloud, threads), cloud.template.physical_name("DormsTable"), items, threads)
    return len(items)


def _key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def progress_items(client: Any, table: str, readers: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The stored progress of ``readers`` (reader id -> its building), by reader id."""
    keys = [{"pk": {"S": f"READERS#{b}"}, "sk": {"S": f"READER#{r}"}} for r, b in sorted(readers.items())]
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(keys, 100):
        pending: dict[str, Any] = {table: {"Keys": batch, "ConsistentRead": True}}
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            for item in response["Responses"].get(table, []):
                found[item["reader_id"]["S"]] = item
            pending = response.get("UnprocessedKeys") or {}
    return found


def counts_of(item: Mapping[str, Any] | None) -> dict[str, int]:
    item = item or {}
    return {name: int(item.get(name, {}).get("N", 0)) for name in ("swipes", "duplicates", "messages")}


# ---------------------------------------------------------------------------------------------- phase A
def observe_batches(cloud: LocalCloud) -> tuple[list[dict[str, Any]], Callable[[], None]]:
    """Record the shape of every batch the swipes queue's poller hands the function (records, readers)."""
    poller = next(p for p in cloud.pollers if p.function.logical_id == FUNCTION)
    original, seen = poller._invoke, []  # noqa: SLF001 - observed, not changed

    def invoke(logical_id: str, event: Any) -> Any:
        started = time.perf_counter()
        result = original(logical_id, event)
        readers = Counter()
        for record in event["Records"]:
            with contextlib.suppress(Exception):
                readers[json.loads(record["body"]).get("reader_id")] += 1
        seen.append({"records": len(event["Records"]), "readers": len(readers), "seconds":
                     time.perf_counter() - started, "ok": bool(getattr(result, "ok", True)),
                     "error": (getattr(result, "error", None) or {}).get("errorMessage")})
        return result

    poller._invoke = invoke  # noqa: SLF001

    def restore() -> None:
        poller._invoke = original  # noqa: SLF001

    return seen, restore


def publish_all(cloud: LocalCloud, plan: Plan, threads: int, started: threading.Event) -> dict[str, Any]:
    """Connect one paho client per reader; ``threads`` threads publish their readers' messages in time order."""
    import paho.mqtt.client as paho

    readers = sorted({m.reader_id for m in plan.messages})
    clients: dict[str, Any] = {}
    for reader in readers:
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=reader)
        client.max_inflight_messages_set(100)
        client.connect("127.0.0.1", cloud.ports["mqtt"])
        client.loop_start()
        clients[reader] = client
    assigned: dict[int, list[Message]] = defaultdict(list)
    slot = {reader: n % threads for n, reader in enumerate(readers)}
    for message in plan.messages:
        assigned[slot[message.reader_id]].append(message)
    errors: list[str] = []
    finished: dict[int, float] = {}
    barrier = threading.Barrier(threads + 1)

    def run(n: int) -> None:
        infos = []
        barrier.wait()
        for message in assigned[n]:
            infos.append((message, clients[message.reader_id].publish(message.topic, message.payload(), qos=1)))
        for message, info in infos:
            info.wait_for_publish(timeout=120)
            if info.rc != paho.MQTT_ERR_SUCCESS or not info.is_published():
                errors.append(f"{message.reader_id} {message.sent_at}: rc {info.rc}")
        finished[n] = time.perf_counter()

    workers = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started.set()
    t0 = time.perf_counter()
    for worker in workers:
        worker.join()
    for client in clients.values():
        client.loop_stop()
        client.disconnect()
    return {"clients": len(clients), "seconds": max(finished.values(), default=t0) - t0, "errors": errors}


def phase_a(cloud: LocalCloud, plan: Plan, threads: int, stall_s: float, wait_s: float) -> dict[str, Any]:
    from localcloud.costmeter import item_size

    client = dynamodb(cloud, threads)
    swipes_table = cloud.template.physical_name("SwipesTable")
    expected = plan.per_reader()
    building_of = plan.building_of()
    readers = {r: building_of[r] for r in sorted(expected)}  # reader -> its building (where its progress is)
    before = {r: counts_of(i) for r, i in progress_items(client, swipes_table, readers).items()}
    poller = next(p for p in cloud.pollers if p.function.logical_id == FUNCTION)
    batches, restore = observe_batches(cloud)
    forwarded = cloud.bridge.forwarded
    started = threading.Event()
    publishing: dict[str, Any] = {}
    publisher = threading.Thread(target=lambda: publishing.update(publish_all(cloud, plan, threads, started)),
                                 daemon=True)
    publisher.start()
    started.wait()
    t0 = time.perf_counter()
    t_stored = t_drained = None
    largest: dict[str, dict[str, int]] = {}
    last_change, last_seen = time.perf_counter(), None
    try:
        while True:
            time.sleep(0.25)
            now = time.perf_counter()
            items = progress_items(client, swipes_table, readers)
            for reader, item in items.items():
                size, gaps = item_size(item), len(json.loads(item.get("gaps", {}).get("S", "[]") or "[]"))
                top = largest.setdefault(reader, {"bytes": 0, "gaps": 0})
                top["bytes"], top["gaps"] = max(top["bytes"], size), max(top["gaps"], gaps)
            done = {r: {k: v - before.get(r, {}).get(k, 0) for k, v in counts_of(items.get(r)).items()}
                    for r in readers}
            if t_stored is None and all(done[r]["swipes"] >= expected[r].get("swipes", 0) for r in readers):
                t_stored = now - t0
            if all(done[r]["messages"] >= expected[r]["messages"] for r in readers) and t_stored is not None:
                t_drained = now - t0
                break
            seen = json.dumps(done, sort_keys=True)
            if seen != last_seen:
                last_seen, last_change = seen, now
            elif now - last_change > stall_s and not publisher.is_alive():
                log.warning("no progress for %.0f s: giving up waiting", stall_s)
                break
            if now - t0 > wait_s:
                log.warning("not done %.0f s after the first publish: giving up waiting", wait_s)
                break
    finally:
        publisher.join(timeout=120)
        restore()
    unique = len(plan.unique)
    received = sum(len(m.swipes) for m in plan.messages)
    return {
        "residents": len(plan.burst), "backlog_unique": len(plan.backlog_unique),
        "backlog_repeats": plan.backlog_repeats, "unique_swipes": unique, "swipes_sent": received,
        "messages": len(plan.messages), "forwarded": cloud.bridge.forwarded - forwarded,
        "threads": threads, "mqtt_clients": publishing.get("clients"),
        "publish_seconds": publishing.get("seconds"), "publish_errors": publishing.get("errors", ["no result"]),
        "stored_seconds": t_stored, "drained_seconds": t_drained,
        "swipes_per_s": unique / t_stored if t_stored else None,
        "all_swipes_per_s": received / t_drained if t_drained else None,
        "before": before, "expected": expected, "batch_size": poller.batch_size, "batch_window_s": poller.window,
        "function_timeout_s": cloud.runtimes[FUNCTION].function.timeout,
        "batches": {"n": len(batches), "records": sum(b["records"] for b in batches),
                    "max_records": max((b["records"] for b in batches), default=0),
                    "reader_batches": sum(b["readers"] for b in batches),
                    "failed": sum(1 for b in batches if not b["ok"]),
                    "errors": dict(Counter(b["error"] for b in batches if not b["ok"])),
                    "invoke_seconds": sum(b["seconds"] for b in batches)},
        "largest_progress": largest,
    }


def baseline(cloud: LocalCloud, plan: Plan, threads: int) -> dict[str, Any]:
    """The same items as raw BatchWriteItems into same-schema tables: swipe items and presence items."""
    client = dynamodb(cloud, threads)
    swipes_shadow = create_shadow(client, cloud.template.physical_name("SwipesTable"), "bench-swipes-baseline")
    dorms_shadow = create_shadow(client, cloud.template.physical_name("DormsTable"), "bench-dorms-baseline")
    received_at = SystemClock().now()
    swipe_items = [swipe_item(s, received_at) for s in plan.unique]
    presence = [presence_item(s.resident_id, s.home_building or s.building_id, s.direction, s.ts, s.reader_id,
                              s.building_id) for s in plan.unique if s.resident_id]
    started = time.perf_counter()
    write_items(client, swipes_shadow, swipe_items, threads)
    write_items(client, dorms_shadow, presence, threads)
    seconds = time.perf_counter() - started
    items = len(swipe_items) + len(presence)
    return {"seconds": seconds, "swipe_items": len(swipe_items), "presence_items": len(presence), "items": items,
            "items_per_s": items / seconds, "swipes_per_s": len(swipe_items) / seconds,
            "batch_calls": sum(-(-n // 25) for n in (len(swipe_items), len(presence)))}


# ---------------------------------------------------------------------------------------------- checks
def queue_depth(cloud: LocalCloud, logical_id: str) -> int:
    from localcloud.resources import aws_client

    sqs = aws_client("sqs", cloud.template)
    url = sqs.get_queue_url(QueueName=cloud.template.physical_name(logical_id))["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def count_query(client: Any, **params: Any) -> int:
    total, start = 0, None
    while True:
        response = client.query(Select="COUNT", **params, **({"ExclusiveStartKey": start} if start else {}))
        total += response["Count"]
        start = response.get("LastEvaluatedKey")
        if not start:
            return total


def checks(cloud: LocalCloud, data: Any, plan: Plan, a: dict[str, Any], run_started: datetime) -> dict[str, Any]:
    from houqin.clock import local_day, to_iso

    client = dynamodb(cloud)
    swipes_table = cloud.template.physical_name("SwipesTable")
    dorms_table = cloud.template.physical_name("DormsTable")
    results: dict[str, Any] = {}

    # lost: every unique swipe stored, as sent
    wanted = {_key_of(swipe_item(s, run_started)): s for s in plan.unique}  # keys do not hold received_at
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for batch in chunks(list(wanted), 100):
        pending: dict[str, Any] = {swipes_table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in batch]}}
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            found.update({_key_of(item): item for item in response["Responses"].get(swipes_table, [])})
            pending = response.get("UnprocessedKeys") or {}
    wrong = []
    for key, swipe in wanted.items():
        item = found.get(key)
        if item is None:
            continue
        stored = (item["card_id"]["S"], item["direction"]["S"], item["ts"]["S"], item["building_id"]["S"],
                  item.get("resident_id", {}).get("S"))
        if stored != (swipe.card_id, swipe.direction, to_iso(swipe.ts), swipe.building_id, swipe.resident_id):
            wrong.append("#".join(key))
    lost = len(wanted) - len(found)
    results["lost"] = {"ok": lost == 0 and not wrong, "sent": len(wanted), "stored": len(found), "lost": lost,
                       "stored_wrong": len(wrong), "examples": wrong[:3]}

    # double-counted: nothing stored beyond the unique swipes (gate-day index of the bench days), progress exact
    days = sorted({local_day(s.ts) for s in plan.unique})
    buildings = sorted({b["building_id"] for b in data.buildings})
    indexed = sum(count_query(client, TableName=swipes_table, KeyConditionExpression="pk = :k",
                              ExpressionAttributeValues={":k": {"S": f"GATE#{b}#{d.isoformat()}"}})
                  for b in buildings for d in days)
    building_of = plan.building_of()
    after = {r: counts_of(i) for r, i in progress_items(client, swipes_table,
                                                        {r: building_of[r] for r in a["expected"]}).items()}
    progress = {}
    for reader, expected in a["expected"].items():
        got = {k: after.get(reader, {}).get(k, 0) - a["before"].get(reader, {}).get(k, 0)
               for k in ("swipes", "duplicates", "messages")}
        progress[reader] = {"expected": expected, "counted": got}
    miscounted = {r: p for r, p in progress.items() if p["counted"]["swipes"] != p["expected"].get("swipes", 0)}
    duplicates = sum(p["counted"]["duplicates"] for p in progress.values())
    messages = sum(p["counted"]["messages"] for p in progress.values())
    results["double_counted"] = {
        "ok": indexed == len(wanted) and not miscounted and duplicates == plan.backlog_repeats,
        "gate_day_items": indexed, "days": [d.isoformat() for d in days],
        "progress_swipes": sum(p["counted"]["swipes"] for p in progress.values()),
        "progress_duplicates": duplicates, "expected_duplicates": plan.backlog_repeats,
        "progress_messages": messages, "messages_sent": len(plan.messages),
        "miscounted_readers": miscounted}

    # presence: every resident "out" at their bench swipe
    presence: dict[str, dict[str, Any]] = {}
    for building in buildings:
        start = None
        while True:
            params: dict[str, Any] = {"TableName": dorms_table,
                                      "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                                      "ExpressionAttributeValues": {":p": {"S": f"BLDG#{building}"},
                                                                    ":s": {"S": "PRES#"}}}
            response = client.query(**params, **({"ExclusiveStartKey": start} if start else {}))
            presence.update({i["resident_id"]["S"]: i for i in response["Items"]})
            start = response.get("LastEvaluatedKey")
            if not start:
                break
    off = [s.resident_id for s in plan.burst
           if (p := presence.get(s.resident_id or "")) is None
           or (p["state"]["S"], p["last_ts"]["S"], p["reader_id"]["S"]) != ("out", to_iso(s.ts), s.reader_id)]
    results["presence"] = {"ok": not off, "residents": len(plan.burst), "not_out_at_bench_swipe": len(off),
                           "examples": off[:3]}

    # quarantine: nothing for the days the run received messages on
    now = SystemClock().now()
    received_days = sorted({local_day(run_started), local_day(now)})
    quarantined = sum(count_query(client, TableName=swipes_table, KeyConditionExpression="pk = :p",
                                  ExpressionAttributeValues={":p": {"S": f"QUARANTINE#{d.isoformat()}"}})
                      for d in received_days)
    results["quarantine"] = {"ok": quarantined == 0, "items": quarantined,
                             "days": [d.isoformat() for d in received_days]}

    # queues drained (the poller deletes a batch just after the function returns: allow it a moment)
    deadline = time.monotonic() + 15
    while True:
        depth = {q: queue_depth(cloud, q) for q in ("SwipesQueue", "SwipesDeadLetterQueue")}
        if not any(depth.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    results["queues"] = {"ok": not any(depth.values()), **depth}
    results["mqtt"] = {"ok": not a["publish_errors"] and a["batches"]["failed"] == 0
                       and a["forwarded"] == len(plan.messages), "forwarded": a["forwarded"],
                       "publish_errors": a["publish_errors"][:3], "failed_invocations": a["batches"]["failed"]}
    results["ok"] = all(check["ok"] for check in results.values() if isinstance(check, dict))
    return results


# ---------------------------------------------------------------------------------------------- phase B
class Context:
    function_name = "bench-swipes"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-swipes"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def load_function(cloud: LocalCloud, logical_id: str) -> ModuleType:
    """A function's handler module, loaded in this process from its CodeUri (as bench.tickets.InProcessApi)."""
    function = cloud.functions[logical_id]
    module_name = function.handler.rpartition(".")[0]
    path = function.code_uri / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{logical_id.lower()}", path)
    assert spec and spec.loader, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def sqs_record(body: str, received_at: datetime, message_id: str) -> dict[str, Any]:
    """One SQS record as Lambda receives it (tests/integration/sqs.py)."""
    import hashlib

    return {"messageId": message_id, "receiptHandle": "handle", "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(received_at.timestamp() * 1000)),
                           "SenderId": "iot", "ApproximateFirstReceiveTimestamp": "0"},
            "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:swipes",
            "awsRegion": "us-east-1"}


@contextlib.contextmanager
def split_by_store_call(meter: Any) -> Iterator[dict[str, Counter]]:
    """Meter deltas per store call the swipes service makes (module attributes wrapped for the block).

    The service writes a message's swipes side by side; here they run one at a time, so the meter's delta
    around a call is that call's cost alone (the totals are the same either way).
    """
    from concurrent.futures import ThreadPoolExecutor

    from houqin.services import swipes as service
    from houqin.store import dorms
    from houqin.store import swipes as store

    parts: dict[str, Counter] = defaultdict(Counter)
    wrapped = [(store, "insert_all", "swipe put"), (dorms, "set_presence", "presence update"),
               (dorms, "move_presence", "presence update"),
               (dorms, "presence_of", "presence read"), (store, "existing", "repeat check"),
               (store, "progress_of", "progress"), (store, "reader_progress", "progress"),
               (store, "save_progress", "progress")]
    originals = []
    for module, name, part in wrapped:
        original = getattr(module, name)
        originals.append((module, name, original))

        def metered(*args: Any, _original: Callable[..., Any] = original, _part: str = part, **kwargs: Any) -> Any:
            before = meter.snapshot()
            try:
                return _original(*args, **kwargs)
            finally:
                change = delta(meter.snapshot(), before)
                parts[_part].update({"rcu": change["rcu"], "wcu": change["wcu"], "calls": change["calls"]})

        setattr(module, name, metered)
    pool, service._pool = service._pool, ThreadPoolExecutor(max_workers=1)
    try:
        yield parts
    finally:
        service._pool.shutdown()
        service._pool = pool
        for module, name, original in originals:
            setattr(module, name, original)


def phase_b(cloud: LocalCloud, data: Any, day: date, count: int, per_message: int, per_event: int,
            reader_count: int) -> dict[str, Any]:
    from houqin.store import dorms
    from localcloud.costmeter import CostMeter

    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the template's Globals (given to this process) say INFO
    module = load_function(cloud, FUNCTION)
    from houqin.observability import logger

    logger.setLevel(logging.WARNING)
    buildings = [b["building_id"] for b in data.buildings][:reader_count]
    readers = {f"{b}-BENCH": b for b in buildings}
    for reader_id, building in readers.items():  # fresh readers: new seqs, their own progress items
        dorms.Reader.make(reader_id, building, "bench").save()
    per_reader = -(-count // len(readers))
    evening = at(day, clock_time(18, 0))
    messages: list[Message] = []
    rng = random.Random(7)
    total = 0
    for reader_id, building in readers.items():
        residents = [r for r in data.residents if r["building_id"] == building][:per_reader]
        residents = residents[:max(0, min(len(residents), count - total))]
        total += len(residents)
        swipes = sorted(((evening + timedelta(milliseconds=rng.randrange(3_600_000)), r) for r in residents),
                        key=lambda entry: entry[0])
        numbered = [BenchSwipe(reader_id, BASE_SEQ + k, r["card_id"], "in", ts, building, r["resident_id"],
                               r["building_id"]) for k, (ts, r) in enumerate(swipes)]
        messages += [Message(reader_id, batch[-1].ts + timedelta(seconds=1), tuple(batch))
                     for batch in chunks(numbered, per_message)]
    messages.sort(key=lambda m: m.sent_at)  # live readers' messages interleave on the queue
    swipes_n = sum(len(m.swipes) for m in messages)
    bodies = [json.dumps({**json.loads(m.payload()), "topic_reader": m.reader_id}) for m in messages]

    def run(label: str) -> tuple[dict[str, Any], dict[str, Counter], list[str], int]:
        received_at = SystemClock().now()
        failures: list[str] = []
        reader_batches = 0
        before = meter.snapshot()
        with split_by_store_call(meter) as parts:
            for n, batch in enumerate(chunks(list(zip(messages, bodies, strict=True)), per_event)):
                event = {"Records": [sqs_record(body, received_at, f"{label}-{n}-{k}")
                                     for k, (_, body) in enumerate(batch)]}
                reader_batches += len({m.reader_id for m, _ in batch})
                response = module.handler(event, Context())
                failures += [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        return delta(meter.snapshot(), before), parts, failures, reader_batches

    reset_connections()
    with CostMeter.installed() as meter:
        new_total, new_parts, new_failures, reader_batches = run("new")
        repeat_total, repeat_parts, repeat_failures, _ = run("repeat")
        errors = meter.errors
    progress = progress_items(dynamodb(cloud), cloud.template.physical_name("SwipesTable"), readers)
    counted = {r: counts_of(progress.get(r)) for r in readers}

    def per_swipe(total: Mapping[str, Any], parts: Mapping[str, Counter]) -> dict[str, Any]:
        split = {name: {"rcu": part["rcu"] / swipes_n, "wcu": part["wcu"] / swipes_n, "calls": part["calls"]}
                 for name, part in parts.items()}
        known = {u: sum(part[u] for part in parts.values()) for u in ("rcu", "wcu")}
        split["lookups (reader, card)"] = {"rcu": (total["rcu"] - known["rcu"]) / swipes_n,
                                           "wcu": (total["wcu"] - known["wcu"]) / swipes_n,
                                           "calls": total["calls"] - sum(p["calls"] for p in parts.values())}
        return {"rcu": total["rcu"] / swipes_n, "wcu": total["wcu"] / swipes_n, "calls": total["calls"] / swipes_n,
                "by_operation": {op: n / swipes_n for op, n in sorted(total["by_operation"].items())},
                "split": split}

    new, repeat = per_swipe(new_total, new_parts), per_swipe(repeat_total, repeat_parts)
    stored = sum(c["swipes"] for c in counted.values())
    duplicates = sum(c["duplicates"] for c in counted.values())
    return {
        "swipes": swipes_n, "messages": len(messages), "swipes_per_message": per_message,
        "records_per_event": per_event, "events": -(-len(messages) // per_event), "readers": len(readers),
        "reader_batches": reader_batches, "new": new, "duplicate": repeat,
        "new_wcu_without_progress": new["wcu"] - new["split"].get("progress", {}).get("wcu", 0),
        "duplicate_wcu_without_progress": repeat["wcu"] - repeat["split"].get("progress", {}).get("wcu", 0),
        "progress_wcu_per_save": (new_parts["progress"]["wcu"] / reader_batches) if reader_batches else None,
        "stored": stored, "duplicates_counted": duplicates,
        "ok": stored == swipes_n and duplicates == swipes_n and not new_failures and not repeat_failures,
        "failures": (new_failures + repeat_failures)[:5], "meter_errors": errors,
    }


# ---------------------------------------------------------------------------------------------- report
class LatePubacks(logging.Filter):
    """amqtt logs, at shutdown, each delivery to the IoT rule bridge whose PUBACK came after its timeout (the
    bridge acknowledges once it has sent the message to SQS, which waits on the busy moto server). The message
    was delivered (the forwarded count says so): count these instead of printing a traceback each."""

    count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "PUBACK" in record.getMessage():  # late ones, and their acks arriving after the timeout
            LatePubacks.count += 1
            return False
        return True


def late_acks(result: Mapping[str, Any]) -> str:
    n = result.get("late_pubacks", 0)
    return f" (amqtt logged {n} late PUBACKs from the bridge)" if n else ""


def report(result: dict[str, Any]) -> str:
    a, base, c, b = result["phase_a"], result["baseline"], result["checks"], result["phase_b"]
    out = [f"Houqin gate swipes on the local cloud (template.yaml on moto server, {result['python']}, "
           f"{result['cpus']} CPUs)",
           f"  cloud started in {result['startup_s']:.1f} s with demo data; {result['presence_reset']} presence items "
           f"reset to 'in' the evening before; bench morning {result['day']} "
           f"{BURST_START:%H:%M}+{BURST_MINUTES} min (campus time)"]
    if result["moto_patched"]:
        out.append("  moto patched in this process (localcloud.motofixes: a GSI Query "
                   "starts from\n  the items holding its key instead of sorting the whole table); --moto-as-is: "
                   "moto unchanged")
    out += ["",
            f"A. End to end over MQTT: {a['residents']} residents out within {BURST_MINUTES} min at "
            f"{len(a['expected']) } readers + {BACKLOG_READER} replaying a backlog of "
            f"{a['backlog_unique'] + a['backlog_repeats']} ({a['backlog_unique']} unique + "
            f"{a['backlog_repeats']} repeats, shuffled, 100 per message)",
            f"  {a['messages']} messages ({a['swipes_sent']} swipes, {a['unique_swipes']} unique) from "
            f"{a['mqtt_clients']} paho clients on {a['threads']} threads, QoS 1; published in "
            f"{a['publish_seconds'] or 0:.1f} s; the IoT rule put {a['forwarded']} on the swipes queue"
            f"{late_acks(result)}",
            f"  swipes function: Timeout {a['function_timeout_s']} s (template.yaml: {result['template_timeout_s']} s"
            f"{'' if a['function_timeout_s'] == result['template_timeout_s'] else '; --function-timeout'}), "
            f"SQS BatchSize {a['batch_size']}, batching window {a['batch_window_s']:g} s, one poller"]
    if a["stored_seconds"]:
        out.append(f"  Houqin   every unique swipe stored {a['stored_seconds']:.1f} s after the first publish: "
                   f"{a['swipes_per_s']:.1f} swipes/s end to end")
    else:
        out.append("  Houqin   NOT every unique swipe was stored (see the checks)")
    if a["drained_seconds"]:
        out.append(f"           every message (repeats too) processed after {a['drained_seconds']:.1f} s: "
                   f"{a['all_swipes_per_s']:.1f} swipes/s")
    out.append(f"  baseline raw boto3 BatchWriteItem of the same items ({base['swipe_items']} swipe + "
               f"{base['presence_items']} presence items, {base['batch_calls']} calls, {a['threads']} threads): "
               f"{base['seconds']:.1f} s: {base['swipes_per_s']:.1f} swipes/s, {base['items_per_s']:.1f} items/s")
    throughput = ratio(a["swipes_per_s"] or 0, base["swipes_per_s"])
    met = throughput is not None and throughput >= TARGET_THROUGHPUT
    out.append(f"  throughput Houqin / baseline: {fmt_ratio(throughput)} "
               f"({'met' if met else 'NOT met'}: the target is at least {TARGET_THROUGHPUT:g})")
    bt = a["batches"]
    out.append(f"  the poller handed the function {bt['n']} batches ({bt['records']} records, up to "
               f"{bt['max_records']} per batch, {bt['reader_batches'] / max(1, bt['n']):.1f} readers per batch), "
               f"{bt['invoke_seconds']:.1f} s inside invocations")
    for error, n in bt["errors"].items():
        out.append(f"  {n} invocations FAILED: {error} (their messages return after the queue's visibility timeout)")
    big = a["largest_progress"].get(BACKLOG_READER)
    if big:
        out.append(f"  {BACKLOG_READER}'s progress item peaked at {big['gaps']} gaps, {big['bytes'] / 1024:.1f} KB "
                   f"(the shuffled backlog arrives with holes; each batch rewrites it)")
    out += ["", "Checks"]
    lost, double, presence = c["lost"], c["double_counted"], c["presence"]
    mark = {True: "ok  ", False: "FAIL"}
    out.append(f"  {mark[lost['ok']]} lost: {lost['lost']} of {lost['sent']} unique swipes missing, "
               f"{lost['stored_wrong']} stored with other values")
    out.append(f"  {mark[double['ok']]} double-counted: {double['gate_day_items']} items in the gate-day index for "
               f"{', '.join(double['days'])} (expected {lost['sent']}); progress counted {double['progress_swipes']} "
               f"new, {double['progress_duplicates']} duplicates (expected {double['expected_duplicates']}), "
               f"{double['progress_messages']} messages of {double['messages_sent']}")
    if double["miscounted_readers"]:
        out.append(f"       miscounted readers: {double['miscounted_readers']}")
    out.append(f"  {mark[presence['ok']]} presence: {presence['residents'] - presence['not_out_at_bench_swipe']} of "
               f"{presence['residents']} residents 'out' at their bench swipe")
    out.append(f"  {mark[c['quarantine']['ok']]} quarantine: {c['quarantine']['items']} items "
               f"({', '.join(c['quarantine']['days'])})")
    out.append(f"  {mark[c['queues']['ok']]} queues: SwipesQueue {c['queues']['SwipesQueue']}, dead-letter "
               f"{c['queues']['SwipesDeadLetterQueue']} messages left")
    out.append(f"  {mark[c['mqtt']['ok']]} MQTT to function: {len(c['mqtt']['publish_errors'])} publish errors, "
               f"{c['mqtt']['forwarded']} of {a['messages']} messages forwarded by the IoT rule, "
               f"{c['mqtt']['failed_invocations']} failed invocations")
    out += ["",
            f"B. Billed capacity (cost meter; the swipes handler in process): {b['swipes']} new swipes of residents "
            f"at {b['readers']} fresh readers,",
            f"  {b['swipes_per_message']} per message, {b['records_per_event']} messages per SQS event "
            f"({b['events']} events, {b['reader_batches'] / max(1, b['events']):.1f} readers per event); then the same "
            f"messages again (all repeats)",
            f"  {'per swipe':<26}{'WCU new':>9}{'RCU new':>9} |{'WCU dup':>9}{'RCU dup':>9}"]
    names = ["swipe put", "presence update", "presence read", "repeat check", "progress", "lookups (reader, card)"]
    for name in names:
        n, d = b["new"]["split"].get(name, {}), b["duplicate"]["split"].get(name, {})
        out.append(f"  {name:<26}{n.get('wcu', 0):>9.2f}{n.get('rcu', 0):>9.2f} |{d.get('wcu', 0):>9.2f}"
                   f"{d.get('rcu', 0):>9.2f}")
    out.append(f"  {'total':<26}{b['new']['wcu']:>9.2f}{b['new']['rcu']:>9.2f} |{b['duplicate']['wcu']:>9.2f}"
               f"{b['duplicate']['rcu']:>9.2f}")
    verdict = {True: "within", False: "OVER"}
    new_core, dup_core = b["new_wcu_without_progress"], b["duplicate_wcu_without_progress"]
    out.append(f"  new swipe: {new_core:.2f} WCU for the swipe and its presence ({verdict[new_core <= TARGET_NEW_WCU]} "
               f"the target of {TARGET_NEW_WCU}), {b['new']['wcu']:.2f} with the reader progress "
               f"({verdict[b['new']['wcu'] <= TARGET_NEW_WCU]} the target)")
    out.append(f"  duplicate: {dup_core:.2f} WCU for the refused put ({verdict[dup_core <= TARGET_DUPLICATE_WCU]} the "
               f"target of {TARGET_DUPLICATE_WCU}), {b['duplicate']['wcu']:.2f} with the reader progress "
               f"({verdict[b['duplicate']['wcu'] <= TARGET_DUPLICATE_WCU]} the target)")
    if b["progress_wcu_per_save"] is not None:
        out.append(f"  reader progress: one consistent read and one write per reader per batch "
                   f"({b['progress_wcu_per_save']:.2f} WCU per save here); per swipe it is that divided by the "
                   f"reader's swipes in the batch")
    out.append(f"  {mark[b['ok']]} stored {b['stored']} new and counted {b['duplicates_counted']} duplicates of "
               f"{b['swipes']}; {len(b['failures'])} batch item failures; cost meter errors: {b['meter_errors']}")
    out += ["",
            "  How a swipe is billed: the swipe item (~0.3 KB, keyed by gate and day: no index) is one conditional",
            "  PartiQL INSERT (1 WCU), 25 a BatchExecuteStatement; presence, read for the batch in one BatchGetItem",
            "  (0.5 RCU a resident), a conditional PartiQL UPDATE (1 WCU) only for each resident's newest swipe when",
            "  it is newer. A repeat its reader's progress has writes nothing; one it cannot rule out (in a gap) is a",
            "  refused INSERT (1 WCU) and a look-up (1 RCU). Cards (0.5 RCU) and readers: one BatchGetItem each."]
    out.append("")
    out.append("Bench wall time: " + ", ".join(f"{name} {value:.0f} s" for name, value in
                                             {"start-up": result["startup_s"], **result["seconds"]}.items()))
    out.append(f"RESULT: {'all checks passed' if result['ok'] else 'CHECKS FAILED'}")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=6450, help="residents in the burst (the demo has 6,450)")
    parser.add_argument("--backlog", type=int, default=10_000, help="swipes in the replayed backlog, repeats included")
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of the backlog that repeats")
    parser.add_argument("--live-batch", type=int, default=5, help="swipes per live message")
    parser.add_argument("--threads", type=int, default=4, help="publishing threads (and baseline threads)")
    parser.add_argument("--metered", type=int, default=1000, help="phase B: new swipes metered in process")
    parser.add_argument("--metered-event", type=int, default=10, help="phase B: messages per SQS event")
    parser.add_argument("--metered-readers", type=int, default=10, help="phase B: fresh readers")
    parser.add_argument("--function-timeout", type=int, default=None,
                        help="run the swipes function with this Timeout (s) instead of the template's")
    parser.add_argument("--wait", type=float, default=420,
                        help="phase A: stop waiting this long (s) after the first publish")
    parser.add_argument("--stall", type=float, default=90, help="give up when nothing is stored for this long (s)")
    parser.add_argument("--moto-as-is", action="store_true", help="run moto unchanged (see localcloud.motofixes)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for name in ("amqtt.broker", "amqtt.mqtt.protocol.handler"):
        logging.getLogger(name).addFilter(LatePubacks())
    os.environ.update({"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})

    from localcloud import demo

    data = demo.generate()
    with tempfile.TemporaryDirectory(prefix="houqin-bench-") as tmp:
        config = demo_cloud_config(tmp, args.moto_as_is)
        log.info("starting the local cloud ...")
        with LocalCloud(config) as cloud:
            from houqin.clock import local_day

            runtime = cloud.runtimes[FUNCTION]
            template_timeout = runtime.function.timeout
            if args.function_timeout:
                runtime.function = dataclasses.replace(runtime.function, timeout=args.function_timeout)
            run_started = SystemClock().now()
            day = local_day(run_started) - timedelta(days=DAYS_AGO)
            plan = make_plan(data, day, args.residents, args.backlog, args.duplicates, args.live_batch)
            reset = reset_presence(cloud, data, day, args.threads)
            log.info("phase A: %d messages (%d swipes) over MQTT ...", len(plan.messages),
                     sum(len(m.swipes) for m in plan.messages))
            clock = [time.perf_counter()]

            def lap() -> float:
                clock.append(time.perf_counter())
                return clock[-1] - clock[-2]

            a = phase_a(cloud, plan, args.threads, args.stall, args.wait)
            seconds = {"phase A": lap()}
            log.info("checks ...")
            c = checks(cloud, data, plan, a, run_started)
            seconds["checks"] = lap()
            log.info("baseline: raw BatchWriteItems ...")
            base = baseline(cloud, plan, args.threads)
            seconds["baseline"] = lap()
            log.info("phase B: %d swipes metered in process ...", args.metered)
            b = phase_b(cloud, data, day, args.metered, args.live_batch, args.metered_event, args.metered_readers)
            seconds["phase B"] = lap()
            result = {"python": f"Python {sys.version.split()[0]}", "cpus": os.cpu_count(),
                      "startup_s": cloud.startup_seconds, "moto_patched": not args.moto_as_is,
                      "day": day.isoformat(), "presence_reset": reset, "template_timeout_s": template_timeout,
                      "function_timeout_s": runtime.function.timeout, "args": vars(args) | {"out": str(args.out)},
                      "phase_a": a, "baseline": base, "checks": c, "phase_b": b,
                      "seconds": seconds, "throughput_ratio": ratio(a["swipes_per_s"] or 0, base["swipes_per_s"]),
                      "ok": c["ok"] and b["ok"]}
    result["late_pubacks"] = LatePubacks.count  # logged as the broker shuts down
    write_result(result, report(result), args.out)
    if not result["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
