"""Benchmark: a month of payroll for the 1,700 staff on the local cloud, against raw boto3 batch writes.

Runs template.yaml (with demo data) on moto server. The demo holds last month's punches and graded work logs
of two departments (localcloud.demo_payroll.DEPARTMENTS: WY, HY); the bench first writes those of the other
nine with the same generators and batch writes (~59,000 punches and ~8,000 graded work logs more: ~74,000 and
~10,000 in all), then:

A. End to end over HTTP: finance (the demo's finance login) POSTs /payroll/runs {month: last month,
   departments: all 11} (202), then polls GET /payroll/runs/{id} every ``--poll`` s until the run is ``draft``
   (``failed``: the bench fails with the reason). The PayrollWorkerFunction computes it in a worker process
   (Timeout 900 s in template.yaml), invoked asynchronously by the API as on Lambda. The time to draft: from
   the run's created_at (the POST) to its finished_at (the switch to draft), both on this machine's clock, so
   the poll interval does not count; also the wall time from the POST to the first poll that sees ``draft``,
   payslips per second, and the worker's own time (started_at -> finished_at, and the invocation's duration).
   Then checked: every staff member has a payslip in the run's generation (progress staff_done == staff_total
   == head count), each payslip's lines add up to its net and net = gross - deductions - tax, the run's totals
   per department are the sums of its payslips, and each department's bonus pool is paid out exactly (parts +
   unpaid = pool).
B. Billed capacity per payslip: finance recomputes the run through the payroll function's app called in this
   process (its asynchronous worker invocation captured instead of sent), then ``Payroll.compute`` of the
   new generation runs in this process against the same moto server inside ``CostMeter.installed()``: the
   worker's work, metered. Each store call is metered apart (wrapped in its module for the block; the people
   are read one at a time instead of 8 and the payslips written in the worker's own thread, so a call's meter
   delta is its own: the totals are the same either way): per department, its punches, corrections and work
   logs' grades (a Query each, every page) and its payslips of the year (one Query per approved month, read
   once a run of the year is approved: none in this bench); per person, what only their own key finds:
   tickets (piece work, repair workers) and, for a member who moved department (none in the demo), the part
   of their month another department holds and their payslips of the year; payslip writes, run (claim,
   finish) and progress writes, the previous generation deleted (a recompute's own cost), and the
   once-per-run reads (departments, staff, posts, rules, income, bonuses, locks). Checked: the recompute
   gives the same totals.
C. Baseline: the run's payslip items, read back as raw DynamoDB items, written with raw boto3 BatchWriteItem
   (25 a request, ``--threads`` threads: as many as the worker's writers, compute.WRITING) into a table with
   the payroll table's schema: wall time (unmetered; the best of ``BASELINE_RUNS``, each into a new table),
   then into another such table under the cost meter: WCU per payslip. Ratios Houqin / baseline: time (to
   draft, end to end polled, and the worker's own) and capacity. The target of issue 19 is reported, never
   asserted: the run reaches draft in at most ``TARGET`` times the baseline's time (met or not, the ratio).

moto is patched in the cloud's process by the local cloud (localcloud.motofixes; ``--moto-as-is``: unchanged).
By default the run holds all 11 departments (1,700 staff: the size the target names); ``--departments`` runs
fewer; ``--worker-timeout`` gives the worker another Timeout. Nothing is asserted on time; a failed check
exits non-zero. About 5 minutes on 2 cores.

    make bench            # all 1,700 staff; or: .venv/bin/python -m bench.payroll --departments HY JT
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib
import inspect
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.tickets import (
    ROOT,
    Http,
    InProcessApi,
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

RESULTS = ROOT / "bench" / "results" / "payroll.json"
WORKER, API = "PayrollWorkerFunction", "PayrollFunction"
MONEY = ("gross_fen", "deductions_fen", "tax_fen", "net_fen")
LOAD_CHUNK = 500
TARGET = 3.0  # issue 19: 1,700 payslips reach draft in at most 3 x the time of batch-writing them
BASELINE_RUNS = 3  # timed baseline writes; the best counts

log = logging.getLogger("bench.payroll")


# ---------------------------------------------------------------------------------------------- the month
def load_month(data: Any, month: str, departments: tuple[str, ...], threads: int) -> dict[str, Any]:
    """The month's punches and graded work logs of ``departments`` (those the demo left out), batch-written as
    the demo loader does, ``threads`` chunks at a time."""
    from houqin.store.base import save_all
    from localcloud import demo_payroll

    started = time.perf_counter()
    punches = demo_payroll.punch_items(data, month, departments)
    logs = demo_payroll.log_items(data, month, departments)
    chunks: list[tuple[str, list[Any]]] = []
    for name, items in (("punches", punches), ("work logs", logs)):
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) == LOAD_CHUNK:
                chunks.append((name, batch))
                batch = []
        if batch:
            chunks.append((name, batch))

    def write(chunk: tuple[str, list[Any]]) -> tuple[str, int]:
        name, items = chunk
        return name, save_all(type(items[0]), items)

    written: Counter[str] = Counter()
    with ThreadPoolExecutor(threads) as pool:
        for name, count in pool.map(write, chunks):
            written[name] += count
    return {"departments": list(departments), "punches": written["punches"], "work_logs": written["work logs"],
            "seconds": time.perf_counter() - started}


def month_totals(data: Any, month: str, departments: Iterable[str]) -> dict[str, int]:
    """Punches and graded logs of the month in ``departments`` (generated again: what the payroll reads)."""
    from localcloud import demo_payroll

    chosen = tuple(departments)
    return {"punches": sum(1 for _ in demo_payroll.punches(data, month, departments=chosen)),
            "work_logs": sum(1 for _ in demo_payroll.worklogs(data, month, departments=chosen))}


# ---------------------------------------------------------------------------------------------- phase A
class WorkerWatch:
    """Each PayrollWorkerFunction invocation (duration, outcome) and how many are running; observed, not changed."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.runtime = cloud.runtimes[WORKER]
        self.original = self.runtime.invoke
        self.seen: list[dict[str, Any]] = []
        self.running = 0
        self.last_end = 0.0
        self.runtime.invoke = self.invoke

    def invoke(self, event: Any) -> Any:
        self.running += 1
        started = time.perf_counter()
        try:
            result = self.original(event)
        finally:
            self.running -= 1
            self.last_end = time.perf_counter()
        self.seen.append({"event": event, "ok": result.ok, "duration_s": result.duration_ms / 1000,
                          "started_s": started, "payload": result.payload, "error": result.error_message or None})
        return result

    def idle_for(self) -> float:
        """Seconds since the last invocation ended with none running (0: one is running, or none ran yet)."""
        return time.perf_counter() - self.last_end if self.seen and not self.running else 0.0

    def restore(self) -> None:
        del self.runtime.invoke  # the instance attribute: the class's method again


def seconds_between(start: str | None, end: str | None) -> float | None:
    from houqin.clock import parse_iso

    if not start or not end:
        return None
    return (parse_iso(end) - parse_iso(start)).total_seconds()


def phase_a(cloud: LocalCloud, http: Http, finance: tuple[str, str], month: str, departments: list[str],
            poll_s: float, wait_s: float, idle_s: float = 30) -> dict[str, Any]:
    watch = WorkerWatch(cloud)
    samples: list[tuple[float, int]] = []
    stuck = None
    try:
        t0 = time.perf_counter()
        status, run, _ = http.call("POST", "/payroll/runs", finance, {"month": month, "departments": departments})
        if status != 202:
            return {"ok": False, "status": status, "reason": f"POST /payroll/runs answered {status}: {run}"}
        path = f"/payroll/runs/{run['run_id']}"
        seen: dict[str, Any] = run
        done_s = None
        while time.perf_counter() - t0 < wait_s:
            time.sleep(poll_s)
            status, body, _ = http.call("GET", path, finance)
            if status != 200:
                log.warning("GET %s answered %s: %s", path, status, body)
                continue
            seen = body
            samples.append((time.perf_counter() - t0, int(body["progress"]["staff_done"])))
            if body["state"] in ("draft", "failed"):
                done_s = time.perf_counter() - t0
                break
            if watch.idle_for() > idle_s:  # Lambda's retry and the on-failure record come within seconds here
                stuck = (f"still {body['state']} {watch.idle_for():.0f} s after the last of "
                         f"{len(watch.seen)} worker invocations ended, none running")
                break
        deadline = time.perf_counter() + 30
        while not watch.seen and time.perf_counter() < deadline:  # the invocation returns just after the write
            time.sleep(0.2)
    finally:
        watch.restore()
    invocations = [{k: v for k, v in i.items() if k != "started_s"} | {"started_s": i["started_s"] - t0}
                   for i in watch.seen]
    staff = int(seen["progress"]["staff_done"])
    draft = seen["state"] == "draft"
    reason = seen.get("failure_reason") or stuck or (None if draft else f"still {seen['state']} after {wait_s:g} s")
    return {"ok": draft, "run_id": run["run_id"], "state": seen["state"], "reason": reason,
            "run": seen, "seconds": done_s if draft else None, "payslips_per_s": staff / done_s if draft else None,
            "draft_seconds": seconds_between(seen.get("created_at"), seen.get("finished_at")) if draft else None,
            "worker_seconds": seconds_between(seen.get("started_at"), seen.get("finished_at")),
            "queued_seconds": seconds_between(seen.get("created_at"), seen.get("started_at")),
            "invocations": invocations, "progress_samples": samples, "poll_s": poll_s}


def raw_payslips(cloud: LocalCloud, run_id: str, generation: int, departments: Iterable[str]) -> list[dict[str, Any]]:
    """A generation's payslip items, as raw DynamoDB items (one Query per department, every page)."""
    from houqin.store.payroll import slips_key

    client = dynamodb(cloud)
    table = cloud.template.physical_name("PayrollTable")
    items: list[dict[str, Any]] = []
    for department_id in departments:
        start = None
        while True:
            response = client.query(TableName=table, KeyConditionExpression="pk = :p", ConsistentRead=True,
                                    ExpressionAttributeValues={":p": {"S": slips_key(run_id, generation,
                                                                                      department_id)}},
                                    **({"ExclusiveStartKey": start} if start else {}))
            items += response["Items"]
            start = response.get("LastEvaluatedKey")
            if not start:
                break
    return items


def check_run(run: Mapping[str, Any], items: list[dict[str, Any]], head_count: Mapping[str, int]) -> dict[str, Any]:
    """Every staff member paid once, each payslip adds up, the run's totals are the sums of its payslips."""
    from houqin.store.payroll import PayslipItem

    slips = [PayslipItem.from_raw_data(item) for item in items]
    by_department: dict[str, Counter] = {d: Counter() for d in head_count}
    wrong_slips: list[str] = []
    pool_paid: Counter[str] = Counter()
    for slip in slips:
        sums = by_department.setdefault(slip.department_id, Counter())
        sums["staff"] += 1
        for name in MONEY:
            sums[name] += int(getattr(slip, name))
        lines = sum(int(line["amount_fen"]) for line in slip.lines)
        if lines != int(slip.net_fen) or int(slip.net_fen) != int(slip.gross_fen) - int(slip.deductions_fen) - int(
                slip.tax_fen):
            wrong_slips.append(slip.staff_id)
        pool_paid[slip.department_id] += sum(int(line["amount_fen"]) for line in slip.lines
                                             if line["code"] == "bonus_pool")
    totals = (run.get("totals") or {}).get("departments", {})
    departments = {}
    for department_id, expected in head_count.items():
        total, sums = totals.get(department_id) or {}, by_department.get(department_id, Counter())
        adds_up = all(int(total.get(name, -1)) == sums[name] for name in MONEY)
        net_ok = total and int(total["net_fen"]) == (int(total["gross_fen"]) - int(total["deductions_fen"])
                                                     - int(total["tax_fen"]))
        pool_ok = total and pool_paid[department_id] + int(total.get("bonus_unpaid_fen", 0)) == int(
            total.get("bonus_pool_fen", 0))
        departments[department_id] = {
            "staff": expected, "payslips": sums["staff"], "run_staff": int(total.get("staff", -1)),
            "totals_match_payslips": adds_up, "net_adds_up": bool(net_ok), "pool_paid_out": bool(pool_ok),
            "pool_fen": int(total.get("bonus_pool_fen", 0)), "pool_lines_fen": pool_paid[department_id],
            "ok": sums["staff"] == expected == int(total.get("staff", -1)) and adds_up and bool(net_ok)
            and bool(pool_ok)}
    progress = run["progress"]
    staff = sum(head_count.values())
    unique = len({(s.department_id, s.staff_id) for s in slips})
    return {"ok": all(d["ok"] for d in departments.values()) and not wrong_slips
            and progress["staff_done"] == progress["staff_total"] == staff == len(slips) == unique,
            "staff": staff, "payslips": len(slips), "unique": unique, "progress": dict(progress),
            "slips_not_adding_up": len(wrong_slips), "examples": wrong_slips[:3], "departments": departments,
            "all": (run.get("totals") or {}).get("all", {}), "warning_count": run.get("warning_count", 0)}


# ---------------------------------------------------------------------------------------------- phase B
# What the worker calls, by module (its production repositories are these modules; services.attendance reads
# through the attendance one): each is wrapped as a module attribute.
READS = {
    ("houqin.store.attendance", "department_punches"): "punches (a Query per department)",
    ("houqin.store.attendance", "department_corrections"): "corrections (a Query per department)",
    ("houqin.store.attendance", "department_grades"): "work logs' grades (a Query per department)",
    ("houqin.store.payroll", "department_history"): "payslips of the year (per department, approved month)",
    ("houqin.store.attendance", "punches_of_month"): "a moved person's month elsewhere (per person)",
    ("houqin.store.attendance", "corrections_of_month"): "a moved person's month elsewhere (per person)",
    ("houqin.store.attendance", "grades_of_month"): "a moved person's month elsewhere (per person)",
    ("houqin.store.payroll", "year_of_person"): "a moved person's payslips of the year (per person)",
    ("houqin.store.tickets", "reported_between"): "tickets (piece work, per repair worker)",
}
WRITES = {
    ("houqin.store.payroll", "write_payslips"): "payslip writes",
    ("houqin.store.payroll", "get_run"): "run (claim, finish)",
    ("houqin.store.payroll", "write_run"): "run (claim, finish)",
    ("houqin.store.payroll", "report_progress"): "progress",
    ("houqin.store.payroll", "delete_generation"): "previous generation deleted",
}
ONCE = "once per run (departments, staff, posts, rules, income, bonuses, locks)"
PARTS = [*dict.fromkeys(READS.values()), *dict.fromkeys(WRITES.values()), ONCE]


@contextlib.contextmanager
def split_by_store_call(meter: Any) -> Iterator[dict[str, Counter]]:
    """Meter deltas per store call of the worker (module attributes wrapped for the block), with the people read
    one at a time (compute._readers: 1 thread instead of PARALLEL) and the payslips written in the calling
    thread (compute._writers: none), so each delta is that call's alone."""
    from houqin.services.payroll import compute

    parts: dict[str, Counter] = {}
    patched = []

    def wrap(original: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def metered(*args: Any, **kwargs: Any) -> Any:
            before, started = meter.snapshot(), time.perf_counter()
            try:
                result = original(*args, **kwargs)
                if inspect.isgenerator(result):  # reported_between Queries as it is iterated: do it here
                    result = iter(list(result))
                return result
            finally:
                change = delta(meter.snapshot(), before)
                parts.setdefault(label, Counter()).update(
                    {"rcu": change["rcu"], "wcu": change["wcu"], "calls": change["calls"], "n": 1,
                     "seconds": time.perf_counter() - started})
        return metered

    for (module_name, name), label in {**READS, **WRITES}.items():
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        setattr(module, name, wrap(original, label))
        patched.append((module, name, original))
    readers, compute._readers = compute._readers, ThreadPoolExecutor(max_workers=1)  # noqa: SLF001
    writers, compute._writers = compute._writers, InlineWrites()  # noqa: SLF001
    try:
        yield parts
    finally:
        compute._readers.shutdown()  # noqa: SLF001
        compute._readers, compute._writers = readers, writers  # noqa: SLF001
        for module, name, original in patched:
            setattr(module, name, original)


class InlineWrites:
    """compute's writer pool as a plain call: each batch written before ``submit`` returns."""

    @staticmethod
    def submit(fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - the worker's settle() raises it, as from a writer thread
            future.set_exception(exc)
        return future


def phase_b(cloud: LocalCloud, finance: tuple[str, str], run_id: str, departments: list[str]) -> dict[str, Any]:
    from bench.swipes import load_function
    from houqin.observability import logger
    from houqin.services.payroll import Payroll
    from localcloud.costmeter import CostMeter

    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the template's Globals (given to this process) say INFO
    api = InProcessApi.__new__(InProcessApi)  # its call() on the payroll function's app (its __init__ loads tickets')
    api.module = load_function(cloud, API)
    logger.setLevel(logging.WARNING)
    logging.getLogger("houqin").setLevel(logging.ERROR)
    sent: list[dict[str, Any]] = []

    class Captured:  # the recompute's asynchronous invocation (the Invoker port): captured, computed below
        @staticmethod
        def invoke_async(function_name: str, payload: Mapping[str, Any]) -> None:
            sent.append(dict(payload))

    service = Payroll(invoker=Captured(), worker_function="captured")
    api.module.service = service
    reset_connections()
    with CostMeter.installed() as meter:
        start = meter.snapshot()
        status, body = api.call("POST", "/payroll/runs/{run_id}/{action}", finance, {}, run_id=run_id,
                                action="recompute")
        recompute = delta(meter.snapshot(), start)
        if status != 202 or not sent:
            return {"ok": False, "reason": f"recompute answered {status}: {body}", "recompute_request": recompute}
        generation = int(sent[-1]["generation"])
        before = meter.snapshot()
        with split_by_store_call(meter) as parts:
            started = time.perf_counter()
            outcome = service.compute(run_id, generation)
            seconds = time.perf_counter() - started
        after = meter.snapshot()
        total = delta(after, before)
        errors = meter.errors
    by_table = {t: {u: v.get(u, 0) - before["by_table"].get(t, {}).get(u, 0) for u in ("rcu", "wcu")}
                for t, v in after["by_table"].items()}
    payslips = int(outcome.get("staff") or 0)
    split = {name: {u: parts[name][u] for u in ("rcu", "wcu", "calls", "n", "seconds")}
             for name in PARTS if name in parts}
    known = {u: sum(p[u] for p in split.values()) for u in ("rcu", "wcu", "calls")}
    split[ONCE] = {u: total[u] - known[u] for u in ("rcu", "wcu", "calls")}
    split[ONCE]["seconds"] = seconds - sum(p["seconds"] for p in split.values() if "n" in p)
    names = {cloud.template.physical_name(t): t.removesuffix("Table") for t in ("PayrollTable", "StaffTable",
                                                                                "TicketsTable")}
    return {"ok": outcome.get("outcome") == "draft", "outcome": outcome, "generation": generation,
            "payslips": payslips, "seconds": seconds, "total": total, "split": split,
            "per_payslip": {"rcu": ratio(total["rcu"], payslips), "wcu": ratio(total["wcu"], payslips),
                            "calls": ratio(total["calls"], payslips)},
            "by_table": {names.get(t, t): v for t, v in by_table.items()},
            "recompute_request": recompute, "meter_errors": errors, "departments": departments}


# ---------------------------------------------------------------------------------------------- phase C
def count_items(client: Any, table: str) -> int:
    total, start = 0, None
    while True:
        response = client.scan(TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        total += response["Count"]
        start = response.get("LastEvaluatedKey")
        if not start:
            return total


def baseline(cloud: LocalCloud, items: list[dict[str, Any]], threads: int) -> dict[str, Any]:
    """The same payslip items as raw BatchWriteItems into same-schema tables: timed BASELINE_RUNS times, each
    into a new table (the best time counts: a burst of ~2 s is at the mercy of whatever else the machine runs,
    and the best is the strictest yardstick), then metered."""
    from localcloud.costmeter import CostMeter, item_size

    client = dynamodb(cloud, threads)
    source = cloud.template.physical_name("PayrollTable")
    tables, times = [], []
    for run in range(BASELINE_RUNS):
        tables.append(create_shadow(client, source, f"bench-payslips-baseline-{run + 1}"))
        started = time.perf_counter()
        write_items(client, tables[-1], items, threads)
        times.append(time.perf_counter() - started)
    seconds = min(times)
    metered = create_shadow(client, source, "bench-payslips-metered")
    with CostMeter.installed() as meter:
        write_items(dynamodb(cloud, threads), metered, items, threads)  # a client created in the block: metered
        cost = meter.snapshot()
    stored = sum(count_items(client, table) for table in (*tables, metered))
    sizes = [item_size(item) for item in items]
    n = len(items)
    return {"payslips": n, "threads": threads, "seconds": seconds, "runs_seconds": times,
            "payslips_per_s": ratio(n, seconds),
            "batch_calls": -(-n // 25), "wcu": cost["wcu"], "rcu": cost["rcu"],
            "wcu_per_payslip": ratio(cost["wcu"], n),
            "meter_errors": cost["errors"], "stored": stored, "ok": stored == (len(tables) + 1) * n,
            "item_bytes": {"mean": ratio(sum(sizes), n), "max": max(sizes, default=0),
                           "min": min(sizes, default=0)}}


# ---------------------------------------------------------------------------------------------- report
def report(result: dict[str, Any]) -> str:
    a, b, c, base = result["phase_a"], result.get("phase_b") or {}, result.get("checks") or {}, result.get(
        "baseline") or {}
    loaded, mark = result["loaded"], {True: "ok  ", False: "FAIL"}
    out = [f"Houqin payroll on the local cloud (template.yaml on moto server, {result['python']}, "
           f"{result['cpus']} CPUs)",
           f"  cloud started in {result['startup_s']:.1f} s with demo data (month {result['month']} for "
           f"{', '.join(result['demo_departments'])}); the bench wrote that month for "
           f"{', '.join(loaded['departments']) or 'no other department'}: {loaded['punches']} punches and "
           f"{loaded['work_logs']} graded work logs in {loaded['seconds']:.1f} s (batch writes)",
           f"  the run's {len(result['departments'])} departments ({', '.join(result['departments'])}): "
           f"{result['staff']} staff, {result['month_items']['punches']} punches and "
           f"{result['month_items']['work_logs']} graded work logs in {result['month']}"]
    out.append("  moto unchanged (--moto-as-is)" if result["moto_fixes"] == "none" else
               "  moto patched in this process (localcloud.motofixes): GSI and table Queries read the items "
               "concerned,\n  not the whole table")
    out += ["", f"A. End to end over HTTP: finance POST /payroll/runs, PayrollWorkerFunction (Timeout "
                f"{result['worker_timeout_s']} s{timeout_note(result)}) computes it asynchronously; GET polled every "
                f"{a['poll_s']:g} s"]
    if a.get("seconds"):
        out.append(f"  Houqin   {a['run']['progress']['staff_done']} payslips: draft {a['draft_seconds']:.1f} s after "
                   f"the POST (run created_at -> finished_at; first poll seeing it: {a['seconds']:.1f} s): "
                   f"{a['payslips_per_s']:.1f} payslips/s end to end")
        inv = a["invocations"][0] if a["invocations"] else {}
        out.append(f"           the worker: {a['worker_seconds'] or 0:.1f} s from claim to draft (run started_at -> "
                   f"finished_at), invocation {inv.get('duration_s', 0):.1f} s, queued {a['queued_seconds'] or 0:.1f}"
                   f" s; {len(a['invocations'])} invocation(s)")
    else:
        out.append(f"  Houqin   the run did NOT reach draft: state {a.get('state')}, reason: {a.get('reason')}")
        for inv in a.get("invocations", []):
            what = inv["payload"] if inv["ok"] else inv["error"]
            out.append(f"           worker invocation at +{inv['started_s']:.0f} s, {inv['duration_s']:.1f} s: "
                       f"{'ok' if inv['ok'] else 'FAILED'} {what}")
    if base:
        threads = f"{base['threads']} thread{'s' if base['threads'] > 1 else ''}"
        out.append(f"  baseline raw boto3 BatchWriteItem of the same {base['payslips']} payslip items "
                   f"({base['batch_calls']} calls, {threads}) into a same-schema table: {base['seconds']:.1f} s "
                   f"(best of {', '.join(f'{t:.1f}' for t in base['runs_seconds'])} s, each into a new table): "
                   f"{base['payslips_per_s']:.1f} payslips/s")
        r = result["ratios"]
        out.append(f"  time Houqin / baseline: to draft {fmt_ratio(r['time_to_draft'])} (polled end to end "
                   f"{fmt_ratio(r['time_end_to_end'])}), the worker's own {fmt_ratio(r['time_worker'])}")
        target = result["target"]
        out.append(f"  target (issue 19, reported, not asserted): {result['staff']} payslips reach draft in <= "
                   f"{target['times']:g} x the batch write ({target['times'] * base['seconds']:.1f} s): "
                   f"{'met' if target['met'] else 'NOT met'}, {fmt_ratio(target['ratio'])} x "
                   f"({a['draft_seconds']:.1f} s / {base['seconds']:.1f} s)")
    if c:
        out += ["", "Checks"]
        out.append(f"  {mark[c['progress_ok']]} progress: staff_done {c['progress'].get('staff_done')} == staff_total "
                   f"{c['progress'].get('staff_total')} == {c['staff']} staff; {c['payslips']} payslips stored "
                   f"({c['unique']} people) in the run's generation")
        out.append(f"  {mark[c['slips_not_adding_up'] == 0]} every payslip: lines add up to net, net = gross - "
                   f"deductions - tax ({c['slips_not_adding_up']} not)")
        bad = [d for d, v in c["departments"].items() if not v["ok"]]
        out.append(f"  {mark[not bad]} per department: head count = payslips = run staff, net = gross - deductions - "
                   f"tax, the run's totals = the sums of its payslips, bonus pool parts + unpaid = pool "
                   f"({len(c['departments']) - len(bad)} of {len(c['departments'])} departments{': ' if bad else ''}"
                   f"{', '.join(bad)})")
        if "recompute_same" in result:
            out.append(f"  {mark[result['recompute_same']]} recompute (phase B, generation {b.get('generation')}): "
                       f"the same totals as the run")
        if base:
            expected = (len(base["runs_seconds"]) + 1) * base["payslips"]
            out.append(f"  {mark[base['ok']]} baseline tables hold {base['stored']} items ({expected} expected)")
        total = c["all"]
        if total:
            out.append(f"  run totals: gross {total['gross_fen'] / 100:,.2f} yuan, deductions "
                       f"{total['deductions_fen'] / 100:,.2f}, tax {total['tax_fen'] / 100:,.2f}, net "
                       f"{total['net_fen'] / 100:,.2f}; bonus pools {total['bonus_pool_fen'] / 100:,.2f} "
                       f"({total['bonus_unpaid_fen'] / 100:,.2f} unpaid); {c['warning_count']} warnings")
    if b.get("ok"):
        per = b["per_payslip"]
        n = b["payslips"]
        out += ["", f"B. Billed capacity (cost meter; Payroll.compute of a recompute in process, {n} payslips, "
                    f"people read one at a time: {b['seconds']:.1f} s metered; ms includes the meter's own Query "
                    f"again in full where a projection hid the items it bills)",
                f"  {'per payslip':<74}{'RCU':>8}{'WCU':>8}{'calls':>8}{'ms':>8}"]
        for name in PARTS:
            part = b["split"].get(name)
            if part:
                out.append(f"  {name:<74}{part['rcu'] / n:>8.3f}{part['wcu'] / n:>8.3f}{part['calls'] / n:>8.3f}"
                           f"{part['seconds'] * 1000 / n:>8.1f}")
        out.append(f"  {'total':<74}{per['rcu']:>8.3f}{per['wcu']:>8.3f}{per['calls']:>8.3f}"
                   f"{b['seconds'] * 1000 / n:>8.1f}")
        out.append(f"  run total: {b['total']['rcu']:.1f} RCU, {b['total']['wcu']} WCU in {b['total']['calls']} calls "
                   f"({', '.join(f'{op} {k}' for op, k in sorted(b['total']['by_operation'].items()))}); by table: "
                   + ", ".join(f"{t} {v.get('rcu', 0):g} RCU / {v.get('wcu', 0):g} WCU"
                               for t, v in sorted(b["by_table"].items())))
        first = b["total"]["wcu"] - b["split"].get("previous generation deleted", {}).get("wcu", 0)
        out.append(f"  a first computation (no previous generation to delete): {first / n:.3f} WCU per payslip")
        r = b["recompute_request"]
        out.append(f"  the recompute request (POST …/recompute, in process): {r['rcu']:g} RCU, {r['wcu']} WCU; cost "
                   f"meter errors: {b['meter_errors']}")
        if base:
            size = base["item_bytes"]
            out.append(f"  baseline: {base['wcu_per_payslip']:.3f} WCU per payslip (items {size['mean'] / 1024:.1f} KB "
                       f"on average, {size['min'] / 1024:.1f}-{size['max'] / 1024:.1f} KB, each with its GSI1 copy), "
                       f"0 RCU")
            ratios = result["ratios"]
            out.append(f"  capacity Houqin / baseline: WCU {fmt_ratio(ratios['wcu'])} (payslip writes alone "
                       f"{fmt_ratio(ratios['wcu_payslip_writes'])}; first computation {fmt_ratio(ratios['wcu_first'])})"
                       f"; Houqin also reads {per['rcu']:.2f} RCU per payslip, the baseline none")
    elif b:
        out += ["", f"B. FAILED: {b.get('reason') or b.get('outcome')}"]
    out += [] if not base else ["",
            "  What the figures mean: A is the whole service path (API, async invocation, worker process on moto",
            "  server over HTTP) from finance's POST to a draft run; the baseline only puts the finished payslips,",
            "  so the time ratio is the price of computing them (the month's reads, rules, progress) on this machine;",
            "  moto spends its time per item read (~84,000 punches and logs for 1,700 people), not per request.",
            "  B is what DynamoDB would bill for the worker's calls: per department one GSI1 Query of the month's",
            "  punches, one Query of its corrections and one of its work logs (every page), and, once a run of the",
            "  year is approved, one Query of its payslips per approved month; per person the tickets of a repair",
            "  worker (and a moved member's other department); each payslip put plus its GSI1 copy (1 WCU per",
            "  started KB each), a progress UpdateItem every 100 payslips and before every 100 people, the claim and",
            "  finish transactions (x2), and a recompute deletes the previous generation (1 WCU per item and its",
            "  copy). The WCU ratio is Houqin's writes over the bare puts."]
    out.append("")
    out.append("Bench wall time: " + ", ".join(f"{name} {value:.0f} s" for name, value in
                                             {"start-up": result["startup_s"], **result["wall_seconds"]}.items()))
    out.append(f"RESULT: {'all checks passed' if result['ok'] else 'CHECKS FAILED'}")
    return "\n".join(out)


def timeout_note(result: Mapping[str, Any]) -> str:
    same = result["worker_timeout_s"] == result["template_timeout_s"]
    return "" if same else f"; template.yaml: {result['template_timeout_s']} s, --worker-timeout"


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    from localcloud import demo

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", nargs="+", default=None,
                        help="departments in the run (default: all 11 of the demo)")
    parser.add_argument("--threads", type=int, default=None,
                        help="baseline threads (default: as many as the worker's payslip writers, compute.WRITING)")
    parser.add_argument("--load-threads", type=int, default=2, help="threads writing the month's punches and logs")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between GET /payroll/runs/{id}")
    parser.add_argument("--wait", type=float, default=1200, help="stop waiting for draft after this long (s)")
    parser.add_argument("--worker-timeout", type=int, default=None,
                        help="run the worker with this Timeout (s) instead of the template's")
    parser.add_argument("--skip-metered", action="store_true", help="skip phase B (the metered recompute)")
    parser.add_argument("--moto-as-is", action="store_true", help="run moto unchanged (see localcloud.motofixes)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    all_departments = [d[0] for d in demo.DEPARTMENTS]
    departments = sorted(args.departments or all_departments)
    unknown = sorted(set(departments) - set(all_departments))
    if unknown:
        parser.error(f"unknown departments {unknown}: the demo has {', '.join(all_departments)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.update({"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})

    from localcloud import demo_payroll

    data = demo.generate()
    users = {u.role: u for u in data.users}
    finance = (users["finance"].person_id, "finance")
    head_count = {d["department_id"]: sum(1 for s in data.staff if s["department_id"] == d["department_id"])
                  for d in data.departments if d["department_id"] in departments}
    wall: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        clock.append(time.perf_counter())
        wall[name] = clock[-1] - clock[-2]

    fixes = "none" if args.moto_as_is else "local cloud"
    with tempfile.TemporaryDirectory(prefix="houqin-bench-") as tmp:
        config = demo_cloud_config(tmp, args.moto_as_is)
        log.info("starting the local cloud ...")
        with LocalCloud(config) as cloud:
            clock.append(time.perf_counter())
            template_timeout = cloud.runtimes[WORKER].function.timeout
            if args.worker_timeout:
                runtime = cloud.runtimes[WORKER]
                runtime.function = dataclasses.replace(runtime.function, timeout=args.worker_timeout)
            month = demo_payroll.month_before(SystemClock().now())
            rest = tuple(d for d in departments if d not in demo_payroll.DEPARTMENTS)
            log.info("writing %s's punches and work logs of %s ...", ", ".join(rest) or "no department", month)
            loaded = load_month(data, month, rest, args.load_threads)
            lap("loading")
            log.info("phase A: payroll run of %d departments (%d staff) over HTTP ...", len(departments),
                     sum(head_count.values()))
            a = phase_a(cloud, Http(cloud), finance, month, departments, args.poll, args.wait)
            lap("phase A")
            result: dict[str, Any] = {
                "python": f"Python {sys.version.split()[0]}", "cpus": os.cpu_count(),
                "startup_s": cloud.startup_seconds, "moto_fixes": fixes, "month": month,
                "demo_departments": list(demo_payroll.DEPARTMENTS), "departments": departments,
                "staff": sum(head_count.values()), "loaded": loaded,
                "month_items": month_totals(data, month, departments),
                "worker_timeout_s": cloud.runtimes[WORKER].function.timeout, "template_timeout_s": template_timeout,
                "args": vars(args) | {"out": str(args.out)}, "phase_a": a, "wall_seconds": wall}
            checks: dict[str, Any] = {}
            if a["ok"]:
                log.info("checks ...")
                run = a["run"]
                items = raw_payslips(cloud, run["run_id"], int(run["payslip_version"]), departments)
                checks = check_run(run, items, head_count)
                checks["progress_ok"] = (run["progress"]["staff_done"] == run["progress"]["staff_total"]
                                         == checks["staff"])
                lap("checks")
                log.info("baseline: raw BatchWriteItems of %d payslips ...", len(items))
                from houqin.services.payroll import compute  # imported once the cloud's settings are in place

                base = baseline(cloud, items, args.threads or compute.WRITING)
                result["baseline"] = base
                lap("baseline")
                if not args.skip_metered:
                    log.info("phase B: the recompute metered in process ...")
                    b = phase_b(cloud, finance, run["run_id"], departments)
                    result["phase_b"] = b
                    if b["ok"]:
                        http = Http(cloud)
                        _, again, _ = http.call("GET", f"/payroll/runs/{run['run_id']}", finance)
                        result["recompute_same"] = (again["totals"] == run["totals"]
                                                    and again["payslip_version"] == b["generation"])
                    lap("phase B")
                result["checks"] = checks
                result["ratios"] = ratios(a, base, result.get("phase_b"))
                draft_ratio = result["ratios"]["time_to_draft"]
                result["target"] = {"times": TARGET, "ratio": draft_ratio,
                                    "met": draft_ratio is not None and draft_ratio <= TARGET}
            result["ok"] = bool(a["ok"] and checks.get("ok") and checks.get("progress_ok")
                                and result.get("baseline", {}).get("ok")
                                and (args.skip_metered or (result["phase_b"]["ok"] and result["recompute_same"])))
    write_result(result, report(result), args.out)
    if not result["ok"]:
        raise SystemExit(1)


def ratios(a: Mapping[str, Any], base: Mapping[str, Any], b: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {"time_to_draft": ratio(a["draft_seconds"] or 0, base["seconds"]),
           "time_end_to_end": ratio(a["seconds"] or 0, base["seconds"]),
           "time_worker": ratio(a["worker_seconds"] or 0, base["seconds"])}
    if b and b.get("ok"):
        n, wcu = b["payslips"], base["wcu_per_payslip"] or 0
        deleted = b["split"].get("previous generation deleted", {}).get("wcu", 0)
        out.update(wcu=ratio(b["per_payslip"]["wcu"], wcu),
                   wcu_payslip_writes=ratio(b["split"]["payslip writes"]["wcu"] / n, wcu),
                   wcu_first=ratio((b["total"]["wcu"] - deleted) / n, wcu))
    return out


if __name__ == "__main__":
    main()
