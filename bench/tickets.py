"""Benchmark: the repair-ticket life cycle on the local cloud, against raw boto3 calls.

Runs template.yaml (with demo data) on moto server, then:

A. End to end over HTTP: N tickets through create (+ automatic dispatch) -> accept -> start -> complete ->
   rate with a small thread pool, then a repair point's queue page (timed apart). Throughput and
   p50/p95/max latency per endpoint, beside the same state changes done with raw boto3 PutItems (the items
   Houqin writes, no transaction, no reads) from the same number of threads.
B. Billed capacity per operation: the functions run in worker processes, so the tickets function's Chalice
   app is called in this process with API Gateway events, inside ``CostMeter.installed()``. Baseline: the
   items each operation wrote, replayed as plain PutItems into a table with the same schema, metered the
   same way. Ratios Houqin / baseline per operation.
C. A repair point's queue page (GET /teams/SB-WATER/tickets?state=dispatched&limit=20) at growing table
   sizes: its RCU stays that of the page, while a Scan with a filter (the baseline) grows with the table.

Ratios only, against baselines measured in the same run; nothing is asserted on time.

    make bench            # or: .venv/bin/python -m bench.tickets --tickets 2000 --threads 4
"""

from __future__ import annotations

import argparse
import copy
import http.client
import importlib.util
import json
import logging
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from houqin.system_clock import SystemClock
from localcloud.cloud import CloudConfig, LocalCloud, Ports

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "tickets.json"

TEAM = "SB-WATER"
WORKERS = [f"E{n:04d}" for n in range(1, 9)]  # the demo's SB-WATER repair point
DISPATCHER, ADMIN = "E0097", "E1603"
STUDENTS = [f"S{n:05d}" for n in range(1, 41)]
LINES = [{"kind": "labour", "code": "L01", "name": "更换水龙头", "quantity": 1, "unit_price_fen": 2000},
         {"kind": "material", "code": "M17", "name": "水龙头", "quantity": 1, "unit_price_fen": 3550}]
RATING = {"attitude": 5, "speed": 5, "quality": 5, "price": 5}
STEPS = ("create", "accept", "start", "complete", "rate")
QUEUE = "queue page"
ENDPOINTS = {
    "create": "POST /tickets (create + auto-dispatch)",
    "accept": "POST /tickets/{id}/transitions accept",
    "start": "POST /tickets/{id}/transitions start",
    "complete": "POST /tickets/{id}/transitions complete",
    "rate": "POST /tickets/{id}/rating",
    QUEUE: "GET /teams/SB-WATER/tickets?state=dispatched&limit=20",
}
QUEUE_PATH = f"/teams/{TEAM}/tickets?state=dispatched&limit=20"
WRITES = ("PutItem", "TransactWriteItems")  # what the tickets store writes with (a transaction: system tickets)
PAGE = 20

log = logging.getLogger("bench.tickets")


# ---------------------------------------------------------------------------------------------- helpers
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def stats(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"n": 0}
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95), "max_ms": max(ms),
            "mean_ms": sum(ms) / len(ms)}


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def location(k: int) -> dict[str, str]:
    """A real demo room on campus SB: buildings SB01..SB09, rooms 101..620."""
    rng = random.Random(k)
    return {"campus_id": "SB", "building_id": f"SB{rng.randint(1, 9):02d}",
            "room_no": f"{rng.randint(1, 6)}{rng.randint(1, 20):02d}"}


def intake(k: int) -> dict[str, Any]:
    return {**location(k), "category": "water", "severity": "minor",
            "description": f"卫生间水龙头漏水 (bench {k})", "contact_phone": "13800000000"}


def reset_connections() -> None:
    """Forget every PynamoDB model's cached connection, so the next call creates (metered) clients."""
    from pynamodb.models import Model

    pending = [Model]
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())


def delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The difference of two CostMeter snapshots: rcu, wcu, calls and calls per DynamoDB operation."""
    ops_after, ops_before = after["by_operation"], before["by_operation"]
    calls = {op: totals["calls"] - ops_before.get(op, {}).get("calls", 0) for op, totals in ops_after.items()}
    return {"rcu": after["rcu"] - before["rcu"], "wcu": after["wcu"] - before["wcu"],
            "calls": after["calls"] - before["calls"], "by_operation": {op: n for op, n in calls.items() if n}}


class Metered:
    """Per-operation sums of CostMeter deltas."""

    def __init__(self) -> None:
        self.totals: dict[str, dict[str, Any]] = {}

    def add(self, name: str, change: Mapping[str, Any]) -> None:
        totals = self.totals.setdefault(name, {"n": 0, "rcu": 0.0, "wcu": 0, "calls": 0, "by_operation": Counter()})
        totals["n"] += 1
        for field in ("rcu", "wcu", "calls"):
            totals[field] += change[field]
        totals["by_operation"].update(change["by_operation"])

    def per_op(self, name: str) -> dict[str, Any]:
        totals = self.totals[name]
        n = totals["n"]
        return {"n": n, "rcu": totals["rcu"] / n, "wcu": totals["wcu"] / n, "calls": totals["calls"] / n,
                "by_operation": {op: count / n for op, count in sorted(totals["by_operation"].items())}}


def describe_calls(by_operation: Mapping[str, float]) -> str:
    return " ".join(f"{op}x{count:g}" for op, count in by_operation.items())


# ---------------------------------------------------------------------------------------------- HTTP
class Http:
    """The local API gateway over keep-alive connections, one per thread; tokens minted once per person."""

    def __init__(self, cloud: LocalCloud) -> None:
        url = urlsplit(cloud.urls["api"])
        self.host, self.port = url.hostname or "127.0.0.1", url.port
        self.cloud = cloud
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def token(self, person_id: str, role: str) -> str:
        with self._lock:
            if (person_id, role) not in self._tokens:
                self._tokens[(person_id, role)] = self.cloud.mint_token(person_id, [role], name=person_id)
            return self._tokens[(person_id, role)]

    def call(self, method: str, path: str, who: tuple[str, str], body: Any = None) -> tuple[int, Any, float]:
        """(status, parsed body, seconds)."""
        payload = b"" if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token(*who)}", "Content-Type": "application/json",
                   "Content-Length": str(len(payload))}
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = data.decode(errors="replace")
            return response.status, parsed, seconds
        raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------- in process
class InProcessApi:
    """The tickets function's Chalice app, called with API Gateway REST proxy events in this process."""

    def __init__(self, cloud: LocalCloud) -> None:
        function = cloud.functions["TicketsFunction"]
        module_name = function.handler.rpartition(".")[0]
        path = function.code_uri / f"{module_name.replace('.', '/')}.py"
        spec = importlib.util.spec_from_file_location("bench_tickets_function", path)
        assert spec and spec.loader, f"cannot load {path}"
        self.module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = self.module
        spec.loader.exec_module(self.module)

    class Context:
        function_name = "bench-tickets"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-tickets"
        aws_request_id = "bench"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 10_000

    def call(self, method: str, resource: str, who: tuple[str, str], body: Any = None,
             query: dict[str, str] | None = None, **path_params: str) -> tuple[int, Any]:
        person_id, role = who
        path = resource.format(**path_params)
        headers = {"Content-Type": "application/json"}
        claims = {"sub": f"sub-{person_id}", "cognito:groups": role, "custom:person_id": person_id,
                  "token_use": "id", "name": person_id}
        event = {"resource": resource, "path": path, "httpMethod": method, "headers": headers,
                 "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": query,
                 "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
                 "pathParameters": path_params or None, "stageVariables": None,
                 "requestContext": {"resourcePath": resource, "httpMethod": method, "requestId": "bench",
                                    "stage": "prod", "path": f"/prod{path}", "identity": {"sourceIp": "127.0.0.1"},
                                    "authorizer": {"claims": claims}},
                 "body": None if body is None else json.dumps(body), "isBase64Encoded": False}
        response = self.module.app(event, self.Context())
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None


# ---------------------------------------------------------------------------------------------- tables
def demo_cloud_config(tmp: str, moto_as_is: bool) -> CloudConfig:
    """The benches' local cloud: the real template with the demo data on free ports, a throwaway dev key in
    ``tmp``, moto's whole-table shortcuts fixed unless ``--moto-as-is``."""
    return CloudConfig(template=ROOT / "template.yaml", ports=Ports(aws=0, api=0, lambda_=0, mqtt=0, web=0),
                       web_dir=None, demo=True, key_file=Path(tmp) / "dev.pem", parameters={"Stage": "local"},
                       moto_fixes=not moto_as_is)


def dynamodb(cloud: LocalCloud, threads: int = 4) -> Any:
    return boto3.client("dynamodb", endpoint_url=cloud.urls["aws"], region_name=cloud.config.region,
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(max_pool_connections=max(10, threads * 2), retries={"mode": "standard"}))


def create_shadow(client: Any, source: str, name: str) -> str:
    """A table with the schema (keys, indexes, billing) of ``source``: where the baselines write."""
    table = client.describe_table(TableName=source)["Table"]
    request: dict[str, Any] = {"TableName": name, "AttributeDefinitions": table["AttributeDefinitions"],
                               "KeySchema": table["KeySchema"], "BillingMode": "PAY_PER_REQUEST"}
    if table.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in table["GlobalSecondaryIndexes"]]
    client.create_table(**request)
    return name


def write_items(client: Any, table: str, items: list[dict[str, Any]], threads: int = 4) -> None:
    """BatchWriteItem in chunks of 25, retrying unprocessed items."""

    def write(chunk: list[dict[str, Any]]) -> None:
        pending = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    chunks = [items[i:i + 25] for i in range(0, len(items), 25)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, chunks))


def synthetic_tickets(count: int, at: datetime, team_for: Callable[[int], tuple[str, str, str]],
                      seed: int) -> list[dict[str, Any]]:
    """``count`` new (dispatched) tickets as wire-format items: the ticket and its submit + dispatch events."""
    from houqin.auth import Role
    from houqin.domain import tickets as rules
    from houqin.settings import settings
    from houqin.store import tickets as store

    rng = random.Random(seed)
    tz = settings().tz
    items = []
    for k in range(count):
        category, campus, team = team_for(k)
        student = rng.choice(STUDENTS)
        moment = at - timedelta(seconds=rng.randint(0, 86_400))
        building = f"{campus}{rng.randint(1, 6):02d}"
        ticket, events = rules.open_ticket(
            ticket_id=store.new_ticket_id(moment), actor=rules.Actor(student, frozenset({Role.STUDENT})), at=moment,
            tz=tz, rule=rules.SlaRule(category), team_id=team, channel="web", requester_id=student,
            campus_id=campus, building_id=building, room_no=f"{rng.randint(1, 6)}{rng.randint(1, 20):02d}",
            place=None, category=category, severity=rng.choice(rules.SEVERITIES),
            description=f"synthetic backlog ticket {seed}-{k}", contact_phone=None, caller_name=None)
        item = store.TicketItem.from_ticket(ticket, None, [store.journal_entry(event, 1) for event in events])
        item.version = 1
        items.append(item.serialize())  # the events ride in the ticket's journal, as when Houqin writes it
    return items


def queue_query(client: Any, table: str) -> dict[str, Any]:
    """The queue page as raw calls (what the endpoint reads): one Query of the repair point's Work partition
    (keys and completed_at), then BatchGetItem of its tickets in deadline order until a page is dispatched."""
    entries, start = [], None
    while True:
        params: dict[str, Any] = {
            "TableName": table, "IndexName": "Work", "KeyConditionExpression": "#w = :team",
            "FilterExpression": "attribute_not_exists(completed_at)", "ExpressionAttributeNames": {"#w": "work"},
            "ExpressionAttributeValues": {":team": {"S": TEAM}}}
        if start:
            params["ExclusiveStartKey"] = start
        response = client.query(**params)
        entries += response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    entries.sort(key=lambda entry: (entry["deadline"]["S"], entry["pk"]["S"]))
    page: list[dict[str, Any]] = []
    for first in range(0, len(entries), PAGE):
        keys = [{"pk": entry["pk"], "sk": entry["sk"]} for entry in entries[first:first + PAGE]]
        found: dict[str, dict[str, Any]] = {}
        pending: dict[str, Any] = {table: {"Keys": keys}}
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            found.update({item["pk"]["S"]: item for item in response["Responses"].get(table, [])})
            pending = response.get("UnprocessedKeys") or {}
        page += [found[k["pk"]["S"]] for k in keys if found.get(k["pk"]["S"], {}).get("state") == {"S": "dispatched"}]
        if len(page) >= PAGE:
            break
    return {"Items": page[:PAGE]}


def queue_scan(client: Any, table: str) -> tuple[list[dict[str, Any]], int]:
    """The queue page the way a table without the Work index would answer it: Scan with a filter, sort, cut."""
    found, pages, start = [], 0, None
    while True:
        params: dict[str, Any] = {
            "TableName": table, "FilterExpression": "#w = :team AND #s = :state AND attribute_not_exists(completed_at)",
            "ExpressionAttributeNames": {"#w": "work", "#s": "state"},
            "ExpressionAttributeValues": {":team": {"S": TEAM}, ":state": {"S": "dispatched"}}}
        if start:
            params["ExclusiveStartKey"] = start
        response = client.scan(**params)
        pages += 1
        found += response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    found.sort(key=lambda item: (item["deadline"]["S"], item["pk"]["S"]))
    return found[:PAGE], pages


# ---------------------------------------------------------------------------------------------- phase B
def phase_b(cloud: LocalCloud, api: InProcessApi, shadow: str, count: int) -> dict[str, Any]:
    """Billed capacity per operation, in process; returns the per-op figures and the captured writes."""
    from houqin.store import tickets as store
    from localcloud.costmeter import CostMeter

    reset_connections()
    houqin, baseline = Metered(), Metered()
    writes: list[dict[str, list[dict[str, Any]]]] = []  # per ticket: step -> the items it wrote
    captured: list[list[dict[str, Any]]] = []
    failures: list[str] = []

    def capture(params: Mapping[str, Any], **_: Any) -> None:
        puts = [entry["Put"]["Item"] for entry in params["TransactItems"] if "Put" in entry] \
            if "TransactItems" in params else [params["Item"]]
        captured.append(copy.deepcopy(puts))

    with CostMeter.installed() as meter:
        # each model class makes its own client (created here: metered); the audit items are TrailItems
        clients = [model._get_connection().connection.client for model in (store.TicketItem, store.TrailItem)]
        for client in clients:
            for operation in WRITES:
                client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", capture)
        for k in range(count):
            steps: dict[str, list[dict[str, Any]]] = {}
            ticket_id = ""
            for name in (STEPS[0], QUEUE, *STEPS[1:]):
                captured.clear()
                before = meter.snapshot()
                status, body = in_process_step(api, name, k, ticket_id)
                change = delta(meter.snapshot(), before)
                if status != (201 if name == "create" else 200):
                    failures.append(f"{name}: {status} {str(body)[:300]}")
                    break
                if name == "create":
                    ticket_id = body["ticket_id"]
                houqin.add(name, change)
                if name != QUEUE:
                    steps[name] = [item for puts in captured for item in puts]
            else:
                writes.append(steps)
        for client in clients:
            for operation in WRITES:
                client.meta.events.unregister(f"before-parameter-build.dynamodb.{operation}", capture)

        raw = dynamodb(cloud)  # created inside the block: metered the same way
        for steps in writes:
            for step in STEPS:
                before = meter.snapshot()
                for item in steps[step]:
                    raw.put_item(TableName=shadow, Item=item)
                baseline.add(step, delta(meter.snapshot(), before))
                if step == "create":
                    before = meter.snapshot()
                    queue_query(raw, shadow)
                    baseline.add(QUEUE, delta(meter.snapshot(), before))
        errors = meter.errors

    split = wcu_split(cloud, shadow, writes)
    operations = {}
    for name in (*STEPS[:1], QUEUE, *STEPS[1:]):
        if name not in houqin.totals or name not in baseline.totals:
            continue
        ours, theirs = houqin.per_op(name), baseline.per_op(name)
        operations[name] = {"houqin": ours, "baseline": theirs, "rcu_ratio": ratio(ours["rcu"], theirs["rcu"]),
                            "wcu_ratio": ratio(ours["wcu"], theirs["wcu"]), "baseline_wcu_split": split.get(name)}
    return {"tickets": len(writes), "operations": operations, "failures": failures, "meter_errors": errors,
            "writes": writes}


def wcu_split(cloud: LocalCloud, table: str, writes: list[dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Per step, the baseline's WCU split into the items themselves and their GSI copies (same billing rules)."""
    from localcloud.costmeter import TableSchema, index_write_units, item_size, write_units

    schema = TableSchema.from_description(dynamodb(cloud).describe_table(TableName=table)["Table"])
    sums: dict[str, Counter] = defaultdict(Counter)
    for steps in writes:
        stored: dict[tuple[str, str], dict[str, Any]] = {}
        for step in STEPS:
            for item in steps[step]:
                key = (item["pk"]["S"], item["sk"]["S"])
                old = stored.get(key)
                sums[step]["item_wcu"] += write_units(max(item_size(old), item_size(item)))
                sums[step]["gsi_wcu"] += sum(index_write_units(old, item, index, schema.keys)
                                             for index in schema.indexes)
                if item["sk"]["S"] == "META":
                    sums[step]["ticket_bytes"] += item_size(item)
                stored[key] = item
    return {step: {name: value / len(writes) for name, value in totals.items()} for step, totals in sums.items()}


def in_process_step(api: InProcessApi, name: str, k: int, ticket_id: str) -> tuple[int, Any]:
    """One step of ticket ``k``'s life through the in-process app."""
    student, worker = (STUDENTS[k % len(STUDENTS)], "student"), (WORKERS[k % len(WORKERS)], "worker")
    if name == "create":
        return api.call("POST", "/tickets", student, intake(k))
    if name == QUEUE:
        return api.call("GET", "/teams/{team_id}/tickets", worker, query={"state": "dispatched", "limit": str(PAGE)},
                        team_id=TEAM)
    if name == "rate":
        return api.call("POST", "/tickets/{ticket_id}/rating", student, RATING, ticket_id=ticket_id)
    body: dict[str, Any] = {"action": name, **({"lines": LINES} if name == "complete" else {})}
    return api.call("POST", "/tickets/{ticket_id}/transitions", worker, body, ticket_id=ticket_id)


# ---------------------------------------------------------------------------------------------- phase A
def http_lifecycle(http: Http, k: int) -> tuple[dict[str, float], str | None]:
    """One ticket through its life over HTTP: latency per endpoint, or the first failure."""
    student, worker = (STUDENTS[k % len(STUDENTS)], "student"), (WORKERS[k % len(WORKERS)], "worker")
    seconds: dict[str, float] = {}
    status, body, seconds["create"] = http.call("POST", "/tickets", student, intake(k))
    if status != 201:
        return seconds, f"create: {status} {str(body)[:300]}"
    if body.get("state") != "dispatched" or body.get("team_id") != TEAM:
        return seconds, f"create: not dispatched to {TEAM}: {body.get('state')} {body.get('team_id')}"
    ticket_id = body["ticket_id"]
    for step in STEPS[1:]:
        if step == "rate":
            status, body, seconds[step] = http.call("POST", f"/tickets/{ticket_id}/rating", student, RATING)
        else:
            request = {"action": step, **({"lines": LINES} if step == "complete" else {})}
            status, body, seconds[step] = http.call("POST", f"/tickets/{ticket_id}/transitions", worker, request)
        if status != 200:
            return seconds, f"{step}: {status} {str(body)[:300]}"
    if body.get("state") != "confirmed":
        return seconds, f"rate: state {body.get('state')}, expected confirmed"
    return seconds, None


def http_queue_page(http: Http, k: int) -> tuple[dict[str, float], str | None]:
    who = (WORKERS[k % len(WORKERS)], "worker") if k % 2 else (DISPATCHER, "dispatcher")
    status, body, seconds = http.call("GET", QUEUE_PATH, who)
    if status != 200 or len(body.get("items", ())) != PAGE:
        return {QUEUE: seconds}, f"{QUEUE}: {status} {str(body)[:300]}"
    return {QUEUE: seconds}, None


def raw_lifecycle(client: Any, table: str, steps: Mapping[str, list[dict[str, Any]]]) -> dict[str, float]:
    """The baseline of one ticket: each step's items as plain PutItems."""
    seconds: dict[str, float] = {}
    for step in STEPS:
        started = time.perf_counter()
        for item in steps[step]:
            client.put_item(TableName=table, Item=item)
        seconds[step] = time.perf_counter() - started
    return seconds


def raw_queue_page(client: Any, table: str) -> dict[str, float]:
    started = time.perf_counter()
    queue_query(client, table)
    return {QUEUE: time.perf_counter() - started}


def renamed(steps: Mapping[str, list[dict[str, Any]]], old: str, new: str) -> dict[str, list[dict[str, Any]]]:
    """A captured ticket's writes, for another ticket id."""
    return json.loads(json.dumps(steps).replace(old, new))


def run_pool(count: int, threads: int, one: Callable[[int], Any]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, range(count)))
    return results, time.perf_counter() - started


def collect(results: Iterable[dict[str, float] | tuple[dict[str, float], str | None]],
            latencies: dict[str, list[float]], failures: Counter, examples: list[str]) -> int:
    """Add latencies per endpoint; count failures; the number of runs without one."""
    done = 0
    for result in results:
        seconds, failure = result if isinstance(result, tuple) else (result, None)
        for name, value in seconds.items():
            latencies[name].append(value)
        if failure:
            failures[failure.split(":")[0]] += 1
            if len(examples) < 5:
                examples.append(failure)
        else:
            done += 1
    return done


def phase_a(cloud: LocalCloud, templates: list[dict[str, list[dict[str, Any]]]], count: int, threads: int,
            pages: int, warmup: int) -> dict[str, Any]:
    from houqin.store import tickets as store

    http = Http(cloud)
    table = cloud.template.physical_name("TicketsTable")
    client = dynamodb(cloud, threads)
    run_pool(warmup, threads, lambda k: http_lifecycle(http, 1_000_000 + k))  # start the Lambda workers

    latencies: dict[str, list[float]] = defaultdict(list)
    raw_latencies: dict[str, list[float]] = defaultdict(list)
    failures: Counter = Counter()
    examples: list[str] = []
    results, wall = run_pool(count, threads, lambda k: http_lifecycle(http, k))
    done = collect(results, latencies, failures, examples)

    # Baseline: the items of the tickets measured in phase B, under fresh ids, as plain PutItems into the same
    # table.
    now = SystemClock().now()
    plans = []
    for k in range(count):
        template = templates[k % len(templates)]
        old = template["create"][0]["ticket_id"]["S"]
        plans.append(renamed(template, old, store.new_ticket_id(now)))
    raw_results, raw_wall = run_pool(count, threads, lambda k: raw_lifecycle(client, table, plans[k]))
    collect(raw_results, raw_latencies, Counter(), [])
    raw_calls = sum(len(steps[s]) for steps in plans for s in STEPS)

    # The queue page apart from the writes: moto answers a GSI Query by reading the whole table while holding
    # the interpreter lock, which would stall the writes around it (DynamoDB reads one index partition).
    queue_items = client.describe_table(TableName=table)["Table"]["ItemCount"]
    collect(run_pool(pages, threads, lambda k: http_queue_page(http, k))[0], latencies, failures, examples)
    collect(run_pool(pages, threads, lambda k: raw_queue_page(client, table))[0], raw_latencies, Counter(), [])

    endpoints = {}
    for name in (*STEPS, QUEUE):
        ours, theirs = stats(latencies.get(name, [])), stats(raw_latencies.get(name, []))
        endpoints[name] = {"endpoint": ENDPOINTS[name], "houqin": ours, "baseline": theirs,
                           "p50_ratio": ratio(ours.get("p50_ms", 0), theirs.get("p50_ms", 0)),
                           "p95_ratio": ratio(ours.get("p95_ms", 0), theirs.get("p95_ms", 0))}
    requests = sum(len(latencies[s]) for s in STEPS)
    return {
        "tickets": count, "completed": done, "threads": threads, "warmup_tickets": warmup,
        "queue_pages": pages, "queue_table_items": queue_items,
        "houqin": {"seconds": wall, "tickets_per_s": done / wall, "requests": requests,
                   "requests_per_s": requests / wall},
        "baseline": {"seconds": raw_wall, "tickets_per_s": count / raw_wall, "requests": raw_calls,
                     "requests_per_s": raw_calls / raw_wall},
        "throughput_ratio": ratio(done / wall, count / raw_wall),
        "endpoints": endpoints, "failures": dict(failures), "failure_examples": examples,
    }


# ---------------------------------------------------------------------------------------------- phase C
def queue_point(cloud: LocalCloud, api: InProcessApi, label: str) -> dict[str, Any]:
    """Meter one queue page (and the next) through the endpoint, the raw Work Query + BatchGetItem and a Scan with a
    filter."""
    from localcloud.costmeter import CostMeter, item_size

    table = cloud.template.physical_name("TicketsTable")
    items = dynamodb(cloud).describe_table(TableName=table)["Table"]["ItemCount"]
    query = {"state": "dispatched", "limit": str(PAGE)}
    with CostMeter.installed() as meter:
        reset_connections()  # clients created inside this block: metered by this meter
        raw = dynamodb(cloud)
        before = meter.snapshot()
        status, body = api.call("GET", "/teams/{team_id}/tickets", (WORKERS[0], "worker"), query=query, team_id=TEAM)
        page = delta(meter.snapshot(), before)
        if status != 200:
            raise SystemExit(f"queue page: {status} {body}")
        before = meter.snapshot()
        status, following = api.call("GET", "/teams/{team_id}/tickets", (DISPATCHER, "dispatcher"),
                                     query={**query, "cursor": body["cursor"]}, team_id=TEAM)
        next_page = delta(meter.snapshot(), before)
        if status != 200:
            raise SystemExit(f"next queue page: {status} {following}")
        before = meter.snapshot()
        response = queue_query(raw, table)
        raw_query = delta(meter.snapshot(), before)
        before = meter.snapshot()
        started = time.perf_counter()
        scanned, scan_pages = queue_scan(raw, table)
        scan_seconds = time.perf_counter() - started
        scan = delta(meter.snapshot(), before)
        errors = meter.errors
    same = [i["pk"]["S"] for i in scanned] == [i["pk"]["S"] for i in response["Items"]]
    same = same and [i["ticket_id"] for i in body["items"]] == [i["ticket_id"]["S"] for i in response["Items"]]
    return {"label": label, "table_items": items, "page_items": len(body["items"]),
            "page_bytes": sum(item_size(item) for item in response["Items"]), "endpoint": page,
            "endpoint_next_page": next_page, "raw_query": raw_query,
            "scan": {**scan, "pages": scan_pages, "seconds": scan_seconds}, "same_page": same,
            "scan_ratio": ratio(scan["rcu"], page["rcu"]), "meter_errors": errors}


def grow(cloud: LocalCloud, factor: float, threads: int) -> float:
    """Add dispatched tickets of all 12 repair points until the tickets table holds ``factor`` x its items."""
    client = dynamodb(cloud, threads)
    table = cloud.template.physical_name("TicketsTable")
    teams = [(category, campus, f"{campus}-{code}") for campus in ("SB", "JN")
             for category, code in (("water", "WATER"), ("electric", "ELEC"), ("carpentry", "CARP"),
                                    ("masonry", "MASON"), ("hvac", "HVAC"), ("doors_locks", "DOOR"))]
    items = client.describe_table(TableName=table)["Table"]["ItemCount"]
    count = int(items * (factor - 1))  # one item a ticket (its submit + dispatch events in its journal)
    started = time.perf_counter()
    write_items(client, table, synthetic_tickets(count, SystemClock().now(), lambda k: teams[k % len(teams)],
                                                 seed=int(factor * 1000)), threads)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- report
def report(result: dict[str, Any]) -> str:
    out: list[str] = []
    a, b, c = result["phase_a"], result["phase_b"], result["phase_c"]
    out.append(f"Houqin repair tickets on the local cloud (template.yaml on moto server, {result['python']})")
    out.append(f"  cloud started in {result['startup_s']:.1f} s with demo data; backlog of {result['backlog']} "
               f"dispatched tickets put in {TEAM}'s queue first, so every queue page is a full page")
    if result["moto_patched"]:
        out.append("  moto patched in this process (localcloud.motofixes): TransactWriteItems backs up the items "
                   "it touches,\n  not whole tables; a table Query reads its partition instead of sorting the table "
                   "(--moto-as-is: moto unchanged)")
    out.append("")
    out.append(f"A. End to end over HTTP: {a['tickets']} tickets x (create, accept, start, complete, rate), "
               f"{a['threads']} threads ({a['warmup_tickets']} warm-up tickets not counted)")
    h, r = a["houqin"], a["baseline"]
    out.append(f"  Houqin   {a['completed']}/{a['tickets']} tickets in {h['seconds']:.1f} s: "
               f"{h['tickets_per_s']:.1f} tickets/s, {h['requests_per_s']:.1f} requests/s")
    out.append(f"  baseline raw boto3 PutItems of the same items: {r['seconds']:.1f} s: {r['tickets_per_s']:.1f} "
               f"tickets/s, {r['requests_per_s']:.1f} DynamoDB calls/s")
    out.append(f"  throughput Houqin / baseline: {fmt_ratio(a['throughput_ratio'])}")
    out.append(f"  {'endpoint':<56}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9} |{'base p50':>9}{'base p95':>9}"
               f"{'p50 x':>8}{'p95 x':>8}")
    for e in a["endpoints"].values():
        ours, theirs = e["houqin"], e["baseline"]
        if not ours.get("n"):
            continue
        out.append(f"  {e['endpoint']:<56}{ours['n']:>6}{ours['p50_ms']:>9.1f}{ours['p95_ms']:>9.1f}"
                   f"{ours['max_ms']:>9.1f} |{theirs.get('p50_ms', 0):>9.2f}{theirs.get('p95_ms', 0):>9.2f}"
                   f"{fmt_ratio(e['p50_ratio']):>8}{fmt_ratio(e['p95_ratio']):>8}")
    if a["failures"]:
        out.append(f"  FAILURES: {a['failures']}")
        out += [f"    {example}" for example in a["failure_examples"]]
    out += [
        "  (baseline per step: that step's PutItems back to back, into the same table. Queue page: timed after the",
        f"  writes, {a['queue_pages']} pages as worker/dispatcher against {a['queue_pages']} raw Work Queries + "
        f"BatchGetItems, table at {a['queue_table_items']} items;",
        "  moto answers a GSI Query by reading the whole table, so its latency here grows with the table; its cost",
        "  does not: see C.)",
    ]
    out.append("")
    out.append(f"B. Billed capacity per operation (cost meter; the tickets function's app in process, "
               f"{b['tickets']} tickets; baseline: the same items as plain PutItems into a same-schema table)")
    out.append(f"  {'operation':<12}{'RCU':>7}{'WCU':>7}{'calls':>7}  {'DynamoDB calls per op':<44}|"
               f"{'base RCU':>9}{'base WCU':>9}{'= items + GSIs':>16}{'RCU x':>7}{'WCU x':>7}{'ticket B':>10}")
    for name, op in b["operations"].items():
        ours, theirs, split = op["houqin"], op["baseline"], op["baseline_wcu_split"]
        parts = f"{split['item_wcu']:.2f} + {split['gsi_wcu']:.2f}" if split else ""
        size = f"{split['ticket_bytes']:.0f}" if split else ""
        out.append(f"  {name:<12}{ours['rcu']:>7.2f}{ours['wcu']:>7.2f}{ours['calls']:>7.2f}  "
                   f"{describe_calls(ours['by_operation']):<44}|{theirs['rcu']:>9.2f}{theirs['wcu']:>9.2f}"
                   f"{parts:>16}{fmt_ratio(op['rcu_ratio']):>7}{fmt_ratio(op['wcu_ratio']):>7}"
                   f"{size:>10}")
    life = [op for name, op in b["operations"].items() if name in STEPS]
    total = {side: {u: sum(op[side][u] for op in life) for u in ("rcu", "wcu")} for side in ("houqin", "baseline")}
    out.append(f"  {'life cycle':<12}{total['houqin']['rcu']:>7.2f}{total['houqin']['wcu']:>7.2f}{'':>53}|"
               f"{total['baseline']['rcu']:>9.2f}{total['baseline']['wcu']:>9.2f}{'':>16}"
               f"{fmt_ratio(ratio(total['houqin']['rcu'], total['baseline']['rcu'])):>7}"
               f"{fmt_ratio(ratio(total['houqin']['wcu'], total['baseline']['wcu'])):>7}")
    if b["failures"]:
        out.append(f"  FAILURES: {len(b['failures'])}: {b['failures'][:3]}")
    if b["meter_errors"]:
        out.append(f"  cost meter could not bill {b['meter_errors']} calls (see warnings)")
    out += [
        "  What Houqin bills beside the baseline (houqin/store/tickets.py):",
        "  * WCU: the same PutItems. A change is one PutItem of the ticket, conditional on its version (409 on a",
        "    lost race, which still bills the write), carrying its events in the ticket's journal; when the ticket",
        "    would pass 1 KB the journal is first put as one audit item (EVENT#<first version>). No transaction.",
        "  * Index copies: four indexes (requester, worker, board, work) copy keys only (plus team_id, completed_at),",
        "    so a step writes an index only when the ticket joins or leaves a list: create joins three, accept",
        "    joins the worker's, complete marks Work's copy, the rating leaves Work. 'ticket B' is the ticket",
        "    item's size after the step: past 1 KB (1024 B) it would bill 2 WCU, not 1.",
        "  * RCU: validation and permission reads the baseline skips: create reads the campus, building, room",
        "    (GetItem), the SLA and routing rules (Query); each transition re-reads the ticket with its trail",
        "    (consistent Query of its partition, 1 RCU up to 4 KB) and, for a worker, the staff profile for the",
        "    team (GetItem, 0.5 RCU).",
        "  * queue page: the same Work Query and BatchGetItem, plus the worker's staff profile GetItem for the",
        "    permission check.",
        "",
        f"C. One queue page ({ENDPOINTS[QUEUE]}), metered in process, as the table grows",
        f"  {'when':<16}{'table items':>12}{'page':>5}{'page KB':>8} |{'endpoint':>9}{'next pg':>8}{'raw calls':>10} |"
        f"{'Scan+filter':>12}{'pages':>6}{'Scan s':>7}{'Scan/endpoint':>14}  (RCU)",
    ]
    for p in c["points"]:
        out.append(f"  {p['label']:<16}{p['table_items']:>12}{p['page_items']:>5}{p['page_bytes'] / 1024:>8.1f} |"
                   f"{p['endpoint']['rcu']:>9.2f}{p['endpoint_next_page']['rcu']:>8.2f}{p['raw_query']['rcu']:>10.2f} |"
                   f"{p['scan']['rcu']:>12.1f}{p['scan']['pages']:>6}{p['scan']['seconds']:>7.1f}"
                   f"{fmt_ratio(p['scan_ratio']):>14}")
    first, last = c["points"][0], c["points"][-1]
    if not all(p["same_page"] for p in c["points"]):
        out.append("  NOTE: the Scan's page differs from the Query's (see same_page in the JSON)")
    out += [
        f"  Table x{last['table_items'] / first['table_items']:.1f}: the endpoint's RCU x"
        f"{fmt_ratio(ratio(last['endpoint']['rcu'], first['endpoint']['rcu']))}, the Scan's x"
        f"{fmt_ratio(ratio(last['scan']['rcu'], first['scan']['rcu']))}.",
        "  The endpoint reads the repair point's Work partition (index entries: keys and completed_at, ~150 B",
        "  each) 20 at a time by deadline, and BatchGets those tickets (0.5 RCU each, eventually consistent) until",
        "  20 are in the state asked for; plus 0.5 RCU for the worker's staff profile (next page: as the",
        "  dispatcher, 0.5 RCU to check the team exists). A Scan bills every item it evaluates, filtered out or",
        "  not, so it grows with the table (same 20 tickets: Scan's pages sorted by deadline client-side).",
    ]
    return "\n".join(out)


def strip(value: Any) -> Any:
    """JSON-safe copy: Counters to dicts."""
    if isinstance(value, Mapping):
        return {str(k): strip(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip(v) for v in value]
    return value


def write_result(result: dict[str, Any], text: str, out: Path) -> None:
    """Print the report and keep it with the figures as JSON (every bench ends this way)."""
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(strip({**result, "report": text.splitlines()}), indent=2, ensure_ascii=False,
                              default=str))
    print(f"\nwritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=2000, help="tickets through the HTTP life cycle (phase A)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (the cloud runs 4 Lambda workers)")
    parser.add_argument("--metered", type=int, default=100, help="tickets metered in process (phase B)")
    parser.add_argument("--backlog", type=int, default=200, help="dispatched tickets put in the queue first")
    parser.add_argument("--queue-pages", type=int, default=50, help="phase A: queue pages timed after the writes")
    parser.add_argument("--grow", type=float, default=2, help="phase C: grow the table this many times at the end")
    parser.add_argument("--moto-as-is", action="store_true",
                        help="run moto unchanged (see localcloud.motofixes)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.update({"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})

    with tempfile.TemporaryDirectory(prefix="houqin-bench-") as tmp:
        config = demo_cloud_config(tmp, args.moto_as_is)
        log.info("starting the local cloud ...")
        with LocalCloud(config) as cloud:
            # LocalCloud._load_demo gave this process the functions' environment (tables, endpoint).
            client = dynamodb(cloud)
            table = cloud.template.physical_name("TicketsTable")
            shadow = create_shadow(client, table, f"{table}-baseline")
            ensure_routing(cloud)
            backlog = synthetic_tickets(args.backlog, SystemClock().now(), lambda k: ("water", "SB", TEAM), seed=0)
            write_items(client, table, backlog)
            write_items(client, shadow, backlog)

            api = InProcessApi(cloud)
            points = [queue_point(cloud, api, "demo + backlog")]
            log.info("phase B: %d tickets metered in process ...", args.metered)
            b = phase_b(cloud, api, shadow, args.metered)
            if not b["writes"]:
                raise SystemExit(f"phase B: no ticket went through: {b['failures'][:3]}")
            log.info("phase A: %d tickets over HTTP, %d threads ...", args.tickets, args.threads)
            a = phase_a(cloud, b.pop("writes"), args.tickets, args.threads, args.queue_pages,
                        warmup=2 * args.threads)
            log.info("phase C: queue page at growing table sizes ...")
            points.append(queue_point(cloud, api, "after phase A"))
            if args.grow > 1:
                seconds = grow(cloud, args.grow, args.threads)
                log.info("grew the table x%g in %.1f s", args.grow, seconds)
                points.append(queue_point(cloud, api, f"grown x{args.grow:g}"))
            c = {"points": points}
            result = {"python": f"Python {sys.version.split()[0]}", "startup_s": cloud.startup_seconds,
                      "moto_patched": not args.moto_as_is,
                      "backlog": args.backlog,
                      "phase_a": a, "phase_b": b, "phase_c": c}
    write_result(result, report(result), args.out)


def ensure_routing(cloud: LocalCloud) -> None:
    """The demo data may or may not carry routing rules: PUT water.SB -> SB-WATER as the admin if missing."""
    http = Http(cloud)
    status, body, _ = http.call("GET", "/routing-rules", (ADMIN, "admin"))
    rules = {r["rule_id"]: r["team_id"] for r in (body or {}).get("items", [])} if status == 200 else {}
    if rules.get("water.SB") != TEAM:
        status, body, _ = http.call("PUT", "/routing-rules/water.SB", (ADMIN, "admin"), {"team_id": TEAM})
        if status != 200:
            raise SystemExit(f"cannot set the routing rule water.SB: {status} {body}")
        log.info("routing rule water.SB -> %s set through the API", TEAM)


if __name__ == "__main__":
    main()
