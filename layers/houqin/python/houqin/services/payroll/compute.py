"""Computing a payroll run: the PayrollWorkerFunction's work (functions/payroll_worker/app.py is the glue), done
through the service's ports (houqin.services.payroll.base: repositories, clock, ``pause``).

The API answers ``POST /payroll/runs`` with 202 and invokes the worker asynchronously with
``{"run_id", "generation"}``; the worker computes every payslip of the run's departments and leaves the
run ``draft`` (or ``failed`` with the reason). API Gateway's 29 seconds never matter.

One invocation, step by step:

1. claim: the run must be ``queued`` in the event's generation (``start``, acting as ``SYSTEM``); a
   ``computing`` run whose last heartbeat is older than ``STALE_AFTER`` is taken over (Lambda retrying
   after a timeout or a crash). A computing run with a fresh heartbeat is watched (``pause`` between
   reads) until it leaves ``computing`` (the invocation is then ``skipped``) or goes stale (taken over):
   Lambda's retry comes a minute after a timeout, sooner than ``STALE_AFTER``, and must neither give up
   on a dead attempt nor compete with a live one; out of time while watching, it fails, and the run
   reaches the on-failure path. Anything else (an older generation, a run already computed) is left
   alone: ``skipped``. The claim is a put conditional on the run's version, so of two invocations one
   computes;
2. read once per run: the posts, each department, its staff (GSI1 Query per department), the rules in
   force in the month (``rules_for``: a past month is recomputed with the rules it had), the unit's
   income, the month's named bonuses (one Query), the approved runs of the year (the lock items);
3. read per department, not per person: its month of attendance (houqin.services.attendance.DepartmentMonth:
   one Query of its punches, one of its corrections and, if anyone in it is graded, one of its work logs'
   grades, each every page and asking for the attributes it uses only: a month of punches is ~40 items a
   person, most of what the worker reads) and, once a run of the year up to the month is approved, its
   payslips of the year: one Query of the department's payslips of each approved month (the approved run's
   partition, HISTORY_FIELDS only): a person's latest approved payslip carries the tax year so far, all of
   them name the tickets paid. Then per person, ``PARALLEL`` people at a time (threads), what only a person's
   own key finds: the confirmed repair tickets of a worker (tickets table index ByWorker, created from
   ``TICKET_LOOKBACK_DAYS`` before the month) and, for a person who moved department (houqin/store/staff.py),
   the part of their month another department holds (per person, in that department's partitions) and their
   payslips of the year (one Query of the person index: some are under another department);
4. per department: the bonus pool split by points (support staff: their monthly score, 0 without grades;
   everyone else 100 points: the pool rewards the month's grade where there is one, and is shared
   equally otherwise), then each payslip (houqin.domain.payroll.payslip.compute_payslip);
5. payslips are written with BatchWriteItem (25 a request; PynamoDB resends what DynamoDB leaves
   unprocessed) under the new generation, ``PROGRESS_EVERY`` at a time by up to ``WRITING`` writer threads
   while the next people are read; the run's progress (staff done / total, heartbeat) is updated after each
   ``PROGRESS_EVERY`` payslips are handed over (``staff_done`` counts those stored), and before each
   ``PROGRESS_EVERY`` people are read, right after their department's month and payslips of the year;
   the time left is checked at both, so a run about to be killed fails cleanly instead. A failed write fails
   the run; a failing run waits for the writes under way before its payslips are deleted;
6. finish: one conditional put switches the run to ``draft`` and its ``payslip_version`` to the new
   generation, with the totals by department; then the previous generation's items are deleted.

A person already paid for the month by another approved run (they moved department) is skipped with a
warning, never paid twice. An error (bad data: a person without a post, a department without income)
marks the run ``failed`` with the reason and the invocation ends normally (no Lambda retry: the data has
to be fixed, then finance recomputes). A timeout or crash is retried once by Lambda (takeover above) and
then lands in PayrollFailuresQueue; ``record_failure`` reads it back and marks the run failed (if it is
still queued or computing in that generation: a second record changes nothing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from houqin.clock import at_local, local_day, parse_iso, to_iso
from houqin.domain.actors import SYSTEM
from houqin.domain.attendance import AttendanceSummary, month_summary
from houqin.domain.audit import Event
from houqin.domain.payroll.earnings import Award, BonusSplit, PieceWork, split_bonus_pool
from houqin.domain.payroll.payslip import PayslipInput, compute_payslip, mask_account
from houqin.domain.payroll.rules import PayRules, rules_for
from houqin.domain.payroll.run_state import RunState, transition
from houqin.domain.payroll.tax import TaxYearToDate, with_opening
from houqin.domain.tickets import State
from houqin.domain.worklogs import monthly_score
from houqin.errors import HouqinError, ValidationError
from houqin.services import attendance
from houqin.services.payroll.base import PayrollPorts
from houqin.settings import settings
from houqin.store.payroll import LockItem, OpeningYearToDate, PayslipItem, Refused, RunItem
from houqin.store.staff import Department, Post, StaffMember

log = logging.getLogger(__name__)

PROGRESS_EVERY = 100  # payslips between progress reports (and BatchWriteItem flushes)
STALE_AFTER = timedelta(minutes=3)  # a computing run without a heartbeat this long is taken over
PARALLEL = 8  # people read at once
WRITING = 2  # payslip batches written at once, while the next people are read
TICKET_LOOKBACK_DAYS = 92  # a ticket completed in the month was created at most this long before it
MAX_WARNINGS = 100  # warnings kept on the run item (all are counted)
MAX_REASON = 1000
MIN_TIME_LEFT_MS = 20_000  # stop (failed: out of time) rather than be killed mid-write
WATCH_EVERY = timedelta(seconds=15)  # how often a retry re-reads a run another attempt is computing
POINTS_WITHOUT_GRADES = Decimal(100)  # the bonus points of staff who are not graded daily
PAID_STATES = frozenset({State.CONFIRMED, State.CLOSED})
# Readers kept across invocations: PynamoDB keeps a botocore session per thread, so long-lived threads
# create their clients once per container, not once per run.
_readers = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="payroll-reader")
_writers = ThreadPoolExecutor(max_workers=WRITING, thread_name_prefix="payroll-writer")


class Superseded(Exception):
    """The run is no longer this invocation's to compute (taken over, or marked failed meanwhile)."""


class OutOfTime(Exception):
    pass


# ---------------------------------------------------------------- the worker's use cases
class Compute(PayrollPorts):
    # -------------------------------------------------------- entry points
    def handle(self, event: Mapping[str, Any], time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """The worker's async event ``{"run_id", "generation"}``."""
        run_id, generation = event.get("run_id"), event.get("generation")
        if not isinstance(run_id, str) or isinstance(generation, bool) or not isinstance(generation, int):
            raise ValueError(f"a payroll worker event is {{run_id, generation}}, not {dict(event)!r}")
        return self.compute(run_id, generation, time_left_ms)

    def compute(self, run_id: str, generation: int, time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """Compute one generation of a run (see the module docstring). Returns what happened."""
        run = self.payroll.get_run(run_id)
        if run is None:
            log.warning("payroll run %s does not exist", run_id)
            return {"run_id": run_id, "outcome": "skipped", "why": "no such run"}
        claimed = self.claim(run, generation)
        while claimed is None and _computing(run, generation):
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS + WATCH_EVERY.total_seconds() * 1000:
                raise OutOfTime(f"payroll run {run_id} is still computing under attempt {run.attempt}: "
                                "gave up watching")
            self.pause(WATCH_EVERY.total_seconds())
            run = self.payroll.get_run(run_id)
            if run is None:
                break
            claimed = self.claim(run, generation)
        if claimed is None:
            state = f"{run.state} in generation {run.generation}" if run else "gone"
            return {"run_id": run_id, "outcome": "skipped", "why": f"run is {state}"}
        attempt = claimed.attempt
        try:
            computed = Computation(self, claimed, time_left_ms).execute()
        except Superseded:
            log.warning("payroll run %s generation %s: superseded", run_id, generation)
            return {"run_id": run_id, "outcome": "superseded"}
        except Exception as exc:  # noqa: BLE001 - every error is recorded on the run, then the run is failed
            reason = failure_reason(exc)
            log.exception("payroll run %s generation %s failed: %s", run_id, generation, reason)
            marked = self.mark_failed(run_id, generation, reason, attempt=attempt)
            if marked:  # else another attempt owns this generation now: its payslips stay
                self.delete_quietly(run_id, generation, claimed.departments)
            return {"run_id": run_id, "outcome": "failed" if marked else "superseded", "reason": reason}
        return {"run_id": run_id, "outcome": "draft", **computed}

    def record_failure(self, body: Mapping[str, Any]) -> str:
        """An on-failure destination record (Lambda gave up on an invocation): mark its run failed.
        Idempotent: only a run still queued or computing in that generation changes."""
        payload = body.get("requestPayload") or {}
        run_id, generation = payload.get("run_id"), payload.get("generation")
        if not isinstance(run_id, str) or not isinstance(generation, int):
            log.error("on-failure record without a payroll run: %s", body)
            return "ignored"
        context = body.get("requestContext") or {}
        response = body.get("responsePayload") or {}
        message = response.get("errorMessage") if isinstance(response, dict) else str(response)
        reason = f"the worker failed ({context.get('condition', 'unknown condition')}): {message or 'no message'}"
        if self.mark_failed(run_id, generation, reason[:MAX_REASON]):
            run = self.payroll.get_run(run_id)
            self.delete_quietly(run_id, generation, run.departments if run else ())
            return "failed"
        return "unchanged"

    # -------------------------------------------------------- run state changes (as SYSTEM)
    def claim(self, run: RunItem, generation: int) -> RunItem | None:
        """The run, now ``computing`` under a fresh attempt; None when it is not this event's to compute."""
        if int(run.generation) != generation:
            return None
        now = self.clock.now()
        state = RunState(run.state)
        note = None
        if state == RunState.QUEUED:
            transition(state, "start", SYSTEM)
        elif state == RunState.COMPUTING and stale(run, now):
            note = f"took over from attempt {run.attempt} (no progress since {run.heartbeat_at})"
        else:
            return None
        read_version = int(run.version)
        run.state = RunState.COMPUTING.value
        run.attempt = uuid.uuid4().hex
        run.heartbeat_at = run.started_at = run.updated_at = to_iso(now)
        run.staff_done, run.staff_total, run.failure_reason = 0, 0, None
        run.version = read_version + 1
        event = Event(to_iso(now), SYSTEM.person_id, "start", state.value, RunState.COMPUTING.value,
                      {"generation": [None, generation]}, note)
        try:
            self.payroll.write_run(run, read_version, [event])
        except Refused:
            return None  # another invocation claimed it first
        return run

    def mark_failed(self, run_id: str, generation: int, reason: str, attempt: str | None = None) -> bool:
        """``computing`` (or still ``queued``: the worker died before it claimed the run) -> ``failed``, if
        the run is in that generation (and, given an attempt, still that attempt's). False: nothing changed."""
        now = self.clock.now()
        for _ in range(3):  # a lost race with a progress write is retried; anything else is an answer
            run = self.payroll.get_run(run_id)
            if run is None or int(run.generation) != generation:
                return False
            state = RunState(run.state)
            if state not in (RunState.QUEUED, RunState.COMPUTING) or (attempt and run.attempt != attempt):
                return False
            transition(transition(state, "start", SYSTEM) if state == RunState.QUEUED else state, "fail", SYSTEM)
            read_version = int(run.version)
            run.state, run.failure_reason, run.updated_at = RunState.FAILED.value, reason, to_iso(now)
            run.finished_at = to_iso(now)
            run.version = read_version + 1
            event = Event(to_iso(now), SYSTEM.person_id, "fail", state.value, RunState.FAILED.value, {}, reason)
            try:
                self.payroll.write_run(run, read_version, [event])
                return True
            except Refused:
                continue
        return False

    def delete_quietly(self, run_id: str, generation: int, departments: Iterable[str]) -> None:
        try:
            self.payroll.delete_generation(run_id, generation, departments)
        except Exception:  # noqa: BLE001 - leftovers are never read (readers follow the run's generation)
            log.exception("could not delete generation %s of payroll run %s", generation, run_id)

    # -------------------------------------------------------- what is read per person
    def piece_work(self, staff_id: str, month: str) -> tuple[PieceWork, ...]:
        """The worker's tickets confirmed (confirmed or closed) whose completion falls in the local month:
        one Query of the tickets' worker index over those created from TICKET_LOOKBACK_DAYS before the month
        to its end (a ticket is completed after it is created). The ticket class is its severity."""
        start, end = month_window(month)
        found = self.tickets.reported_between("worker", staff_id,
                                              to_iso(start - timedelta(days=TICKET_LOOKBACK_DAYS)), to_iso(end))
        work = [PieceWork(t.ticket_id, t.severity) for t in found
                if t.state in PAID_STATES and t.completed_at and start <= parse_iso(t.completed_at) < end]
        return tuple(sorted(work, key=lambda w: w.ticket_id))

    def history(self, staff_id: str, month: str, approved: Mapping[tuple[str, int], str]) -> History:
        """From the person's payslips of the year (one Query of the person index), those of approved runs
        (``approved`` maps (run, generation) to the month it paid). No approved run up to the month: nothing to
        read. For a person who moved department; the others' are read by department (``histories``)."""
        if not approved:
            return History()
        return history_of(self.payroll.year_of_person(staff_id, month), month, approved)

    def histories(self, department_id: str, members: Iterable[StaffMember], month: str, locks: Iterable[LockItem],
                  approved: Mapping[tuple[str, int], str]) -> dict[str, History]:
        """The history of each member who stayed in the department all year, from the department's payslips of
        each approved month up to ``month`` (one Query of each approved run's partition of the department).
        A member who left another department this year is left out: their payslips may be under it
        (``history`` reads theirs)."""
        year_start = date(int(month[:4]), 1, 1)
        stayed = {m.staff_id for m in members if not any(e.left_on >= year_start for e in m.left())}
        if not approved:
            return dict.fromkeys(stayed, History())
        items: dict[str, list[PayslipItem]] = defaultdict(list)
        for lock in locks:
            if lock.department_id == department_id:
                for item in self.payroll.department_history(lock.run_id, int(lock.generation), department_id):
                    items[item.staff_id].append(item)
        return {staff_id: history_of(items.get(staff_id, ()), month, approved) for staff_id in stayed}


def history_of(items: Iterable[PayslipItem], month: str, approved: Mapping[tuple[str, int], str]) -> History:
    """A person's History from their payslips of the year: those of approved runs (``approved`` maps (run,
    generation) to the month it paid) before ``month``, and any of ``month`` itself (paid elsewhere)."""
    earlier: list[PayslipItem] = []
    elsewhere = None
    for item in items:
        if (item.run_id, int(item.generation)) not in approved:
            continue
        if item.month == month:
            elsewhere = item.run_id
        elif item.month < month:
            earlier.append(item)
    if not earlier:
        return History(paid_elsewhere=elsewhere)
    latest = max(earlier, key=lambda i: i.month)
    paid = frozenset(ticket for item in earlier for ticket in item.paid_tickets or ())
    ytd = TaxYearToDate(**{name: int(latest.ytd[name]) for name in TaxYearToDate.__dataclass_fields__})
    return History(ytd, len({item.month for item in earlier}), paid, elsewhere)


def _computing(run: RunItem, generation: int) -> bool:
    """Another attempt is computing this generation (claim refused it only for a fresh heartbeat)."""
    return int(run.generation) == generation and run.state == RunState.COMPUTING.value


def stale(run: RunItem, now: datetime) -> bool:
    return not run.heartbeat_at or now - parse_iso(run.heartbeat_at) > STALE_AFTER


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, HouqinError):
        text = exc.message + (f" (field {exc.field})" if exc.field else "")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_REASON]

# ---------------------------------------------------------------- what is read per person
@dataclass(frozen=True)
class History:
    """A person's approved payslips of the tax year before this month (with the previous system's opening figures
    when Houqin went live this year: ``Computation.facts``)."""

    ytd: TaxYearToDate = TaxYearToDate()
    months_paid: int = 0
    already_paid: frozenset[str] = frozenset()
    paid_elsewhere: str | None = None  # a run that already paid them this month


@dataclass(frozen=True)
class Facts:
    member: StaffMember
    post: Post
    attendance: AttendanceSummary
    grades: tuple[str, ...]
    piece_work: tuple[PieceWork, ...]
    history: History


def month_window(month: str) -> tuple[datetime, datetime]:
    """The local month as UTC instants [start, end)."""
    tz = settings().tz
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return at_local(first, time(0, 0), tz), at_local(following, time(0, 0), tz)


# ---------------------------------------------------------------- one computation
class Computation:
    def __init__(self, ports: Compute, run: RunItem, time_left_ms: Callable[[], int] | None) -> None:
        self.ports = ports
        self.payroll, self.clock = ports.payroll, ports.clock
        self.run = run
        self.time_left_ms = time_left_ms
        self.run_id, self.month, self.generation = run.run_id, run.month, int(run.generation)
        self.attempt = run.attempt
        self.done = 0
        self.total = 0
        self.warnings: list[dict[str, str]] = []
        self.writing: deque[tuple[Future[int], int]] = deque()  # payslip batches under way, oldest first

    # -------------------------------------------------------- the whole run
    def execute(self) -> dict[str, Any]:
        try:
            totals = self.totals()
            self.settle(under_way=0)
        except BaseException:
            self.abandon()
            raise
        return self.finish(totals)

    def totals(self) -> dict[str, dict[str, Any]]:
        """Every department computed, its payslips handed to the writers: its totals, by department."""
        departments = self.departments()
        members = {d.department_id: self.members(d.department_id) for d in departments}
        self.total = sum(len(m) for m in members.values())  # reported by the first department's heartbeat
        posts = {post.post_id: post for post in self.ports.staff.posts()}
        awards = self.awards(members)
        locks = [lock for lock in self.payroll.locks_of_year(self.month[:4])  # the months the history reads
                 if lock.run_id != self.run_id and lock.month <= self.month]
        approved = {(lock.run_id, int(lock.generation)): lock.month for lock in locks}
        until = self.until()
        return {d.department_id: self.department(d, members[d.department_id], posts, awards, locks, approved, until)
                for d in departments}

    def departments(self) -> list[Department]:
        found = []
        for department_id in self.run.departments:
            department = self.ports.staff.department(department_id)
            if department is None:
                raise ValidationError(f"department {department_id} does not exist", field="departments")
            found.append(department)
        return found

    def members(self, department_id: str) -> list[StaffMember]:
        return sorted(self.ports.staff.members_of(department_id), key=lambda m: m.staff_id)

    def awards(self, members: Mapping[str, list[StaffMember]]) -> dict[str, list[Award]]:
        """The month's named bonuses by person; one for a person of the run's departments who is no longer
        there is named in the warnings (it is not paid by this run)."""
        present = {m.staff_id for group in members.values() for m in group}
        by_staff: dict[str, list[Award]] = defaultdict(list)
        for item in self.payroll.bonuses_of_month(self.month):
            if item.staff_id in present:
                by_staff[item.staff_id].append(Award(item.kind, int(item.amount_fen), item.note or ""))
            elif item.department_id in self.run.departments:
                self.warn(item.staff_id, item.department_id,
                          f"bonus {item.bonus_id} not paid: {item.staff_id} is not in {item.department_id} now")
        return by_staff

    def until(self) -> date | None:
        """The current month is read up to yesterday (today is not over); a past month whole."""
        today = local_day(self.clock.now(), settings().tz)
        if f"{today:%Y-%m}" == self.month:
            return today - timedelta(days=1)
        return None

    # -------------------------------------------------------- one department
    def department(self, department: Department, members: list[StaffMember], posts: Mapping[str, Post],
                   awards: Mapping[str, list[Award]], locks: list[LockItem], approved: Mapping[tuple[str, int], str],
                   until: date | None) -> dict[str, Any]:
        department_id = department.department_id
        rules = rules_for(self.month, self.payroll.rule_versions(department_id))
        income_item = self.payroll.income(self.month, department_id, consistent=True)
        if rules.bonus_pool_share > 0 and income_item is None:
            raise ValidationError(f"no income entered for {department_id} in {self.month}", field="income")
        income_fen = int(income_item.income_fen) if income_item else 0
        shift = attendance.shift_of(department)
        # the department's month and payslips of the year (a few Queries of a few pages each), then the first
        # people's heartbeat
        self.check_time()
        month = attendance.DepartmentMonth(self.ports.attendance, department_id, self.month,
                                           grades=any(m.support_staff for m in members))
        histories = self.ports.histories(department_id, members, self.month, locks, approved)
        openings = self.payroll.openings(int(self.month[:4]), [m.staff_id for m in members])  # a go-live this year
        facts: list[Facts] = []
        for start in range(0, len(members), PROGRESS_EVERY):  # per-person reads too: keep beating
            self.beat()
            facts += _readers.map(lambda m: self.facts(m, posts, shift, rules, histories.get(m.staff_id), approved,
                                                       until, month, openings.get(m.staff_id)),
                                  members[start:start + PROGRESS_EVERY])
        paid: list[Facts] = []
        for fact in facts:
            if fact.history.paid_elsewhere:
                self.warn(fact.member.staff_id, department_id,
                          f"not paid: already paid for {self.month} by run {fact.history.paid_elsewhere}")
            else:
                paid.append(fact)
        split = self.split(rules, income_fen, paid)
        sums = {"staff": 0, "gross_fen": 0, "deductions_fen": 0, "tax_fen": 0, "net_fen": 0}
        batch: list[PayslipItem] = []
        for fact in paid:
            item = self.payslip(fact, rules, split, awards.get(fact.member.staff_id, ()))
            sums["staff"] += 1
            for name in ("gross_fen", "deductions_fen", "tax_fen", "net_fen"):
                sums[name] += int(getattr(item, name))
            batch.append(item)
            if len(batch) >= PROGRESS_EVERY:
                self.flush(batch, len(batch))
                batch = []
        skipped = len(facts) - len(paid)
        self.flush(batch, len(batch) + skipped)
        return {**sums, "skipped": skipped, "income_fen": income_fen, "rules_version": rules.version,
                "bonus_pool_fen": split.pool_fen if split else 0, "bonus_unpaid_fen": split.unpaid_fen if split else 0}

    def facts(self, member: StaffMember, posts: Mapping[str, Post], shift: Any, rules: PayRules,
              history: History | None, approved: Mapping[tuple[str, int], str], until: date | None,
              month: attendance.DepartmentMonth, opening: OpeningYearToDate | None = None) -> Facts:
        """A person's inputs: their month from the department's (``month``: read per person only where another
        department holds part of it), their tickets, and their history (read per person when ``history`` is
        None: they moved department this year)."""
        post = posts.get(member.post_id or "")
        if post is None:
            raise ValidationError(f"{member.staff_id} has no post ({member.post_id or 'none'}): assign one",
                                  field="post_id")
        records = attendance.month_records(member, self.month, shift, until, reads=month)
        grades = tuple(attendance.month_grades(member, self.month, reads=month)) if member.support_staff else ()
        work = self.ports.piece_work(member.staff_id, self.month) if rules.piece_rates_fen and member.team_id else ()
        if history is None:
            history = self.ports.history(member.staff_id, self.month, approved)
        if opening is not None:  # the previous system's figures of the year (houqin import)
            figures = TaxYearToDate(**{name: int(getattr(opening, name) or 0)
                                       for name in TaxYearToDate.__dataclass_fields__})
            ytd, months = with_opening(history.ytd, history.months_paid, figures, int(opening.months_paid or 0))
            history = dataclasses.replace(history, ytd=ytd, months_paid=months)
        return Facts(member, post, month_summary(records), grades, work, history)

    @staticmethod
    def split(rules: PayRules, income_fen: int, facts: list[Facts]) -> BonusSplit | None:
        """The department's pool by points: support staff their monthly score (0 without grades),
        everyone else POINTS_WITHOUT_GRADES. No share in the rules: no pool line at all."""
        if rules.bonus_pool_share <= 0:
            return None
        points = {}
        for fact in facts:
            if fact.member.support_staff:
                score = monthly_score(fact.grades, rules.grade_scores)
                points[fact.member.staff_id] = score if score is not None else Decimal(0)
            else:
                points[fact.member.staff_id] = POINTS_WITHOUT_GRADES
        return split_bonus_pool(income_fen, rules.bonus_pool_share, points)

    def payslip(self, fact: Facts, rules: PayRules, split: BonusSplit | None, awards: Iterable[Award]
                ) -> PayslipItem:
        member = fact.member
        base = member.social_insurance_base_fen
        inputs = PayslipInput(
            staff_id=member.staff_id, month=self.month, months_in_year=fact.history.months_paid + 1,
            post_salary_fen=int(fact.post.salary_fen),
            social_insurance_base_fen=int(base) if base is not None else int(fact.post.salary_fen),
            attendance=fact.attendance, support_staff=bool(member.support_staff), grades=fact.grades,
            piece_work=fact.piece_work, already_paid_ticket_ids=fact.history.already_paid, bonus_split=split,
            awards=tuple(awards), special_additional_deduction_fen=int(member.special_deduction_fen or 0))
        slip = compute_payslip(inputs, rules, fact.history.ytd)
        lines = [dataclasses.asdict(line) for line in slip.lines]
        paid_tickets = [p["ticket_id"] for line in lines if line["code"] == "piece_rate"
                        for p in line["inputs"]["paid"]]
        warnings = list(slip.warnings)
        if not member.bank_account:
            warnings.append("no bank account")
        for warning in warnings:
            self.warn(member.staff_id, member.department_id, warning)
        return self.payroll.new_payslip(
            self.run_id, self.generation, self.month, member.department_id, member.staff_id, name=member.name,
            post_id=fact.post.post_id, post_name=fact.post.name, support_staff=bool(member.support_staff),
            rules_version=rules.version, score=None if slip.score is None else str(slip.score), lines=lines,
            gross_fen=slip.gross_fen, deductions_fen=slip.deductions_fen, tax_fen=slip.tax_fen, net_fen=slip.net_fen,
            months_in_year=inputs.months_in_year, ytd=dataclasses.asdict(slip.year_to_date),
            paid_tickets=paid_tickets, bank_account=mask_account(member.bank_account) if member.bank_account else None,
            warnings=warnings)

    def warn(self, staff_id: str, department_id: str, warning: str) -> None:
        self.warnings.append({"staff_id": staff_id, "department_id": department_id, "warning": warning})

    # -------------------------------------------------------- writes
    def flush(self, batch: list[PayslipItem], people: int) -> None:
        """Hand the batch to a writer (BatchWriteItem, 25 a request) and go on reading; a writer is waited for
        when WRITING batches are under way already."""
        self.check_time()
        self.writing.append((_writers.submit(self.payroll.write_payslips, batch), people))
        self.settle(under_way=WRITING)
        self.progress()

    def settle(self, under_way: int | None = None) -> None:
        """Count the batches written, oldest first (``staff_done`` counts only payslips stored), waiting until
        at most ``under_way`` are left when given. A failed write fails the run here."""
        while self.writing and (self.writing[0][0].done() or (under_way is not None
                                                               and len(self.writing) > under_way)):
            future, people = self.writing.popleft()
            future.result()
            self.done += people

    def abandon(self) -> None:
        """The computation failed: let the writes under way end before the run is marked failed and its
        payslips deleted, so none lands after the deletion."""
        for future, _ in self.writing:
            with contextlib.suppress(Exception):
                future.result()
        self.writing.clear()

    def beat(self) -> None:
        """Between reads: out of time fails the run now; otherwise the heartbeat says this attempt lives."""
        self.check_time()
        self.settle()
        self.progress()

    def check_time(self) -> None:
        if self.time_left_ms is not None and self.time_left_ms() < MIN_TIME_LEFT_MS:
            raise OutOfTime(f"ran out of time after {self.done} of {self.total} staff: recompute to try again")

    def progress(self) -> None:
        if not self.payroll.report_progress(self.run_id, self.attempt, self.done, self.total, to_iso(self.clock.now())):
            raise Superseded(self.run_id)

    def finish(self, totals: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """computing -> draft: the new generation becomes the one readers use, in one conditional put."""
        run, now = self.run, to_iso(self.clock.now())
        transition(RunState.COMPUTING, "finish", SYSTEM)
        previous = int(run.payslip_version or 0)
        read_version = int(run.version)
        everything = {name: sum(t[name] for t in totals.values())
                      for name in ("staff", "skipped", "gross_fen", "deductions_fen", "tax_fen", "net_fen",
                                   "income_fen", "bonus_pool_fen", "bonus_unpaid_fen")}
        run.state, run.payslip_version = RunState.DRAFT.value, self.generation
        run.totals = {"departments": totals, "all": everything}
        run.warnings, run.warning_count = self.warnings[:MAX_WARNINGS], len(self.warnings)
        run.staff_done, run.staff_total = self.done, self.total
        run.finished_at = run.updated_at = run.heartbeat_at = now
        run.version = read_version + 1
        event = Event(now, SYSTEM.person_id, "finish", RunState.COMPUTING.value, RunState.DRAFT.value,
                      {"payslip_version": [previous, self.generation]}, None)
        try:
            self.payroll.write_run(run, read_version, [event], attempt=self.attempt)
        except Refused:
            raise Superseded(self.run_id) from None
        if previous and previous != self.generation:
            self.ports.delete_quietly(self.run_id, previous, run.departments)
        return {"generation": self.generation, "staff": self.done, "warnings": len(self.warnings)}

