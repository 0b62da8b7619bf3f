"""The payroll table: everything staff pay is computed from and what it produces.

Access patterns (Queries and GetItems only) — attendance and work logs (houqin/store/attendance.py: a person's
month is a range of their department's, begins_with "<staff>#"):
- a punch, deduplicated ............... pk = "PUNCH#<device>", sk = "SEQ#<seq, 10 digits>"
- a department's punches of a month ... GSI1 gsi1pk = "ATT#<department>#<yyyy-mm>",
                                        gsi1sk = "<staff>#<at>#<device>#<seq>"
- a department's corrections of a month pk = "ATT#<department>#<yyyy-mm>", sk = "FIX#<staff>#<yyyy-mm-dd>"
- a department's work logs of a month . pk = "LOG#<department>#<yyyy-mm>", sk = "<staff>#<yyyy-mm-dd>"

Pay (this module):
- a department's pay rules ............ pk = "RULES#<department>", sk = "V#<version, 6 digits>" (every version
                                        kept; a new one is a put conditional on its key being free, so two
                                        finance users adding a version at once get one stored and one 409)
- a month's income per unit ........... pk = "INCOME#<yyyy-mm>", sk = "DEPT#<department>" (one Query lists
                                        the month; a change is conditional on the ``version`` read)
- a month's named bonuses ............. pk = "BONUS#<yyyy-mm>", sk = "<staff>#<bonus>" (the worker reads the
                                        whole month in one Query; a person's: begins_with "<staff>#")
- a payroll run ....................... pk = "RUN#<run>", sk = "RUN"
- its audit trail ..................... pk = "RUN#<run>", sk = "EVENT#<run version, 8 digits>#<n>"
- runs by month ....................... GSI1 gsi1pk = "RUNS", gsi1sk = "<yyyy-mm>#<run>" (tens of runs a year)
- a run's payslips, one department .... pk = "SLIPS#<run>#<generation, 4 digits>#<department>", sk = "<staff>"
                                        (a partition per department spreads a big run's writes; the report
                                        of a department is one Query, and so is its part of the worker's
                                        history of an approved month)
- a person's payslips ................. GSI1 gsi1pk = "PAYSLIPS#<staff>", gsi1sk = "<yyyy-mm>#<run>#<generation>"
- approved (locked) months ............ pk = "LOCK#<yyyy>", sk = "<yyyy-mm>#<department>" (written with the
                                        approval in one transaction, conditional on not existing: a month
                                        of a department is approved once, by one run)
- opening year to date (go-live) ...... pk = "OPENING#<yyyy>", sk = "<staff>" (income tax figures of the year
                                        before Houqin paid anyone, from the previous system: ``houqin import``
                                        writes them; the worker reads a department's staff in one BatchGetItem)

Generations: a run's payslips are written under a new generation each time it is computed; the run's
``payslip_version`` names the generation readers use and is switched in the same conditional write that
finishes the computation. The previous generation is deleted afterwards; until then (and for the items of
a failed generation) the person index holds items no reader accepts: every read of the index keeps only
items whose (run, generation) is the run's current one.

Year to date (income tax, cumulative withholding): read, not kept. A payslip stores the tax year so far
*including* its month (``ytd``), so the person's latest approved payslip earlier in the year is all the
next month needs. The year's lock items (one Query) name every approved run and its generation (no
lock up to the run's month: nothing to read, no Query); the worker reads, per department of the run, that
department's payslips of each approved month up to the run's month (one Query of the approved run's
partition each, every page, HISTORY_FIELDS only, not their lines: ``department_history``), and, for a person
who moved department this year (houqin/store/staff.py), their own payslips of the year (one Query of the
person index: some are under the department they left). The same read names the tickets already paid on
those payslips, and any approved payslip of the same month (the person is then not paid twice).
Chosen over a per-person YTD item written at approval: approval stays one small transaction (the run and
a lock per department) instead of 1,700 more writes inside a 29-second API call, and nothing can go out
of step with the payslips it summarises.

Cost of a run of N people: N payslip puts (BatchWriteItem, 25 a request, a payslip is 2-8 KB plus its
copy in GSI1), a progress UpdateItem every 100 payslips (and before every 100 people are read), once a run of
the year is approved one Query per department and approved month (and one per person who moved this year),
one staff Query (GSI1 of the staff table) per department, and the few rule, income, bonus and lock Queries; a
department's month of attendance is houqin/store/attendance.py's (three Queries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from houqin.domain.payroll.contributions import ContributionRules
from houqin.domain.payroll.rules import PayRules
from houqin.store.base import Gsi1, audit_event_model, condition_held, find, key, save_all, table_base
from houqin.store.paging import Page, query_page

PayrollTable = table_base("PayrollTable", "payroll")

RUN_SK = "RUN"
RUNS = "RUNS"
BATCH = 25  # BatchWriteItem's limit: PynamoDB's batch_write sends 25 at a time


# ---------------------------------------------------------------- keys
def rules_key(department_id: str) -> str:
    return key("RULES", department_id)


def income_key(month: str) -> str:
    return key("INCOME", month)


def bonus_key(month: str) -> str:
    return key("BONUS", month)


def run_key(run_id: str) -> str:
    return key("RUN", run_id)


def slips_key(run_id: str, generation: int, department_id: str) -> str:
    return key("SLIPS", run_id, f"{generation:04d}", department_id)


def person_key(staff_id: str) -> str:
    return key("PAYSLIPS", staff_id)


def person_sort(month: str, run_id: str, generation: int) -> str:
    return key(month, run_id, f"{generation:04d}")


def lock_key(year: str) -> str:
    return key("LOCK", year)


# ---------------------------------------------------------------- pay rules
class RulesItem(PayrollTable):
    """One version of a department's pay rules (houqin.domain.payroll.rules.PayRules), kept for good."""

    department_id = UnicodeAttribute()
    version = NumberAttribute()
    effective_from = UnicodeAttribute()
    rules = JSONAttribute()  # the PayRules fields; rates and scores as text (exact decimals)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @classmethod
    def make(cls, rules: PayRules, by: str, at: str) -> RulesItem:
        return cls(rules_key(rules.department_id), key("V", f"{rules.version:06d}"), department_id=rules.department_id,
                   version=rules.version, effective_from=rules.effective_from, rules=rules_data(rules),
                   created_by=by, created_at=at)

    def to_rules(self) -> PayRules:
        return rules_from_data(self.department_id, self.effective_from, int(self.version), self.rules)


def rules_data(rules: PayRules) -> dict[str, Any]:
    """PayRules as plain JSON (decimals as text)."""
    c = rules.contributions
    return {
        "performance_base_fen": rules.performance_base_fen,
        "piece_rates_fen": dict(rules.piece_rates_fen),
        "bonus_pool_share": str(rules.bonus_pool_share),
        "late_deduction_fen": rules.late_deduction_fen,
        "early_leave_deduction_fen": rules.early_leave_deduction_fen,
        "grade_scores": {grade: str(score) for grade, score in rules.grade_scores.items()},
        "contributions": {"base_floor_fen": c.base_floor_fen, "base_cap_fen": c.base_cap_fen,
                          "pension_rate": str(c.pension_rate), "medical_rate": str(c.medical_rate),
                          "unemployment_rate": str(c.unemployment_rate),
                          "housing_fund_rate": str(c.housing_fund_rate)},
    }


def rules_from_data(department_id: str, effective_from: str, version: int, data: dict[str, Any]) -> PayRules:
    c = data["contributions"]
    contributions = ContributionRules(
        base_floor_fen=int(c["base_floor_fen"]), base_cap_fen=int(c["base_cap_fen"]),
        pension_rate=Decimal(c["pension_rate"]), medical_rate=Decimal(c["medical_rate"]),
        unemployment_rate=Decimal(c["unemployment_rate"]), housing_fund_rate=Decimal(c["housing_fund_rate"]))
    return PayRules(
        department_id=department_id, effective_from=effective_from, version=version, contributions=contributions,
        performance_base_fen=int(data["performance_base_fen"]),
        piece_rates_fen={k: int(v) for k, v in data["piece_rates_fen"].items()},
        bonus_pool_share=Decimal(data["bonus_pool_share"]),
        late_deduction_fen=int(data["late_deduction_fen"]),
        early_leave_deduction_fen=int(data["early_leave_deduction_fen"]),
        grade_scores={grade: Decimal(score) for grade, score in data["grade_scores"].items()})


def rules_items(department_id: str) -> list[RulesItem]:
    """Every stored version of the department's rules, oldest first (one Query)."""
    return list(RulesItem.query(rules_key(department_id), consistent_read=True))


def rule_versions(department_id: str) -> list[PayRules]:
    """Every version of the department's rules, oldest first (one Query)."""
    return [item.to_rules() for item in rules_items(department_id)]


def add_rules(rules: PayRules, by: str, at: str) -> bool:
    """Store a new version; False when that version number is taken already (someone was first)."""
    item = RulesItem.make(rules, by, at)
    return condition_held(lambda: item.save(condition=RulesItem.pk.does_not_exist()))


# ---------------------------------------------------------------- income
class IncomeItem(PayrollTable):
    """A unit's income for a month (本单位本月的收入), entered by finance; the bonus pool is a share of it."""

    month = UnicodeAttribute()
    department_id = UnicodeAttribute()
    income_fen = NumberAttribute()
    note = UnicodeAttribute(null=True)
    entered_by = UnicodeAttribute()
    entered_at = UnicodeAttribute()
    version = NumberAttribute()

    @staticmethod
    def keys(month: str, department_id: str) -> tuple[str, str]:
        return income_key(month), key("DEPT", department_id)


def income(month: str, department_id: str, consistent: bool = False) -> IncomeItem | None:
    return find(IncomeItem, *IncomeItem.keys(month, department_id), consistent_read=consistent)


def incomes(month: str) -> list[IncomeItem]:
    return list(IncomeItem.query(income_key(month)))


def save_income(month: str, department_id: str, income_fen: int, note: str | None, by: str, at: str,
                read_version: int | None) -> IncomeItem | None:
    """Store the income, conditional on the version read (None: there was none). None when someone else
    changed it first."""
    item = IncomeItem(*IncomeItem.keys(month, department_id), month=month, department_id=department_id,
                      income_fen=income_fen, note=note, entered_by=by, entered_at=at,
                      version=(read_version or 0) + 1)
    condition = IncomeItem.pk.does_not_exist() if read_version is None else IncomeItem.version == read_version
    return item if condition_held(lambda: item.save(condition=condition)) else None


# ---------------------------------------------------------------- named bonuses
class BonusItem(PayrollTable):
    """A named bonus (岗位奖、建议奖、特殊贡献奖、节约奖) for one person, paid in ``month``."""

    bonus_id = UnicodeAttribute()
    month = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    department_id = UnicodeAttribute()  # the person's department when it was entered
    kind = UnicodeAttribute()
    amount_fen = NumberAttribute()
    note = UnicodeAttribute(default="")
    entered_by = UnicodeAttribute()
    entered_at = UnicodeAttribute()

    @classmethod
    def make(cls, bonus_id: str, month: str, staff_id: str, department_id: str, kind: str, amount_fen: int,
             note: str, by: str, at: str) -> BonusItem:
        return cls(bonus_key(month), key(staff_id, bonus_id), bonus_id=bonus_id, month=month, staff_id=staff_id,
                   department_id=department_id, kind=kind, amount_fen=amount_fen, note=note, entered_by=by,
                   entered_at=at)


def add_bonus(item: BonusItem) -> bool:
    return condition_held(lambda: item.save(condition=BonusItem.pk.does_not_exist()))


def bonuses(month: str, staff_id: str | None = None, department_id: str | None = None, *, limit: int,
            cursor: str | None) -> Page:
    condition = BonusItem.sk.startswith(f"{staff_id}#") if staff_id else None
    extra = {"filter_condition": BonusItem.department_id == department_id} if department_id else {}
    return query_page(BonusItem.query, "pk", bonus_key(month), limit=limit, cursor=cursor,
                      range_key_condition=condition, **extra)


def bonuses_of_month(month: str) -> list[BonusItem]:
    """Every bonus of the month (one Query, paged by DynamoDB): the worker gives each to its person."""
    return list(BonusItem.query(bonus_key(month), consistent_read=True))


# ---------------------------------------------------------------- runs
class RunItem(PayrollTable):
    """A payroll run: one month, one or more departments (the life cycle is houqin.domain.payroll.run_state).

    ``version`` counts state changes (each is a put conditional on the version read); ``generation`` is
    the computation asked for (each recompute adds one), ``payslip_version`` the generation readers use
    (0: none yet). ``attempt`` names the worker invocation computing it and ``heartbeat_at`` when it last
    reported progress: progress writes are conditional on the attempt, so a superseded worker stops."""

    run_id = UnicodeAttribute()
    month = UnicodeAttribute()
    departments = ListAttribute(of=UnicodeAttribute)
    state = UnicodeAttribute()
    version = NumberAttribute()
    generation = NumberAttribute(default=1)
    payslip_version = NumberAttribute(default=0)
    attempt = UnicodeAttribute(null=True)
    heartbeat_at = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    staff_done = NumberAttribute(default=0)
    staff_total = NumberAttribute(default=0)
    totals = JSONAttribute(default=dict)  # {"departments": {dept: {...}}, "all": {...}}
    warnings = JSONAttribute(default=list)  # [{"staff_id", "department_id", "warning"}] (the first MAX_WARNINGS)
    warning_count = NumberAttribute(default=0)
    failure_reason = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    submitted_by = UnicodeAttribute(null=True)
    submitted_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # a rejection's reason
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_month = Gsi1()

    @classmethod
    def make(cls, run_id: str, month: str, departments: list[str], state: str, by: str, at: str) -> RunItem:
        return cls(run_key(run_id), RUN_SK, run_id=run_id, month=month, departments=departments, state=state,
                   version=1, generation=1, payslip_version=0, created_by=by, created_at=at, updated_at=at,
                   gsi1pk=RUNS, gsi1sk=key(month, run_id))


# One audit line per state change; ``sk`` is the run version it produced, then its place in that write.
RunEvent = audit_event_model(PayrollTable, "RUN")


def get_run(run_id: str, consistent: bool = True) -> RunItem | None:
    return find(RunItem, run_key(run_id), RUN_SK, consistent_read=consistent)


def runs_of_ids(run_ids: Iterable[str]) -> dict[str, RunItem]:
    """BatchGetItem of runs (eventually consistent)."""
    keys = [(run_key(run_id), RUN_SK) for run_id in sorted(set(run_ids))]
    return {item.run_id: item for item in RunItem.batch_get(keys)} if keys else {}


def runs(month: str | None, *, limit: int, cursor: str | None) -> Page:
    """Runs, latest month first (a month's: begins_with)."""
    condition = RunItem.gsi1sk.startswith(f"{month}#") if month else None
    return query_page(RunItem.by_month.query, "gsi1pk", RUNS, limit=limit, cursor=cursor,
                      range_key_condition=condition, scan_index_forward=False)


def run_events(run_id: str) -> list[dict[str, Any]]:
    return [event.as_dict() for event in RunEvent.query(run_key(run_id), RunEvent.sk.startswith("EVENT#"))]


class Refused(Exception):
    """A transaction was cancelled because a condition did not hold; ``reasons`` are per item, in order
    (the cancellation code, or None for the items whose condition held)."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__(", ".join(str(r) for r in reasons))
        self.reasons = reasons


def transact(build: Callable[[TransactWrite], None]) -> None:
    """One TransactWriteItems on the payroll table; a failed condition raises ``Refused``."""
    try:
        with TransactWrite(connection=RunItem._get_connection().connection) as transaction:  # noqa: SLF001
            build(transaction)
    except TransactWriteError as exc:
        reasons = [reason.code if reason else None for reason in exc.cancellation_reasons or ()]
        if any(code == "ConditionalCheckFailed" for code in reasons):
            raise Refused(reasons) from None
        raise


def write_run(item: RunItem, read_version: int | None, events: Iterable[Any], *, attempt: str | None = None,
              locks: Iterable[LockItem] = ()) -> None:
    """Store the run as changed (``item.version`` already the new one) with its audit lines, conditional on
    ``read_version`` (None: a new run, its key must be free) and, given an ``attempt``, on the run still
    computing under it; ``locks`` are month locks put in the same transaction, each conditional on not
    existing. ``Refused`` when a condition failed: reason 0 is the run's, then one per event, then one per
    lock."""
    condition = RunItem.pk.does_not_exist() if read_version is None else RunItem.version == read_version
    if attempt is not None:
        condition = condition & (RunItem.attempt == attempt) & (RunItem.state == "computing")
    events = list(events)
    also = [(lock, LockItem.pk.does_not_exist()) for lock in locks]

    def build(transaction: TransactWrite) -> None:
        transaction.save(item, condition=condition)
        for sequence, event in enumerate(events):
            transaction.save(RunEvent.from_event(item.run_id, event, int(item.version), sequence))
        for extra, extra_condition_ in also:
            transaction.save(extra, condition=extra_condition_)

    transact(build)


def report_progress(run_id: str, attempt: str, done: int, total: int, at: str) -> bool:
    """The worker's progress (no version change: no one else writes a computing run); False when the run
    is no longer this attempt's to compute."""
    item = RunItem(run_key(run_id), RUN_SK)
    return condition_held(lambda: item.update(
        actions=[RunItem.staff_done.set(done), RunItem.staff_total.set(total), RunItem.heartbeat_at.set(at)],
        condition=(RunItem.state == "computing") & (RunItem.attempt == attempt)))


# ---------------------------------------------------------------- payslips
class PayslipItem(PayrollTable):
    """One person's payslip in one generation of a run: the lines as computed (each naming its inputs)."""

    run_id = UnicodeAttribute()
    generation = NumberAttribute()
    month = UnicodeAttribute()
    department_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)
    post_name = UnicodeAttribute(null=True)
    support_staff = BooleanAttribute(default=False)
    rules_version = NumberAttribute()
    score = UnicodeAttribute(null=True)  # the monthly score of a support staff member, as text
    lines = JSONAttribute()  # [{"code", "label_zh", "label_en", "amount_fen", "inputs"}]
    gross_fen = NumberAttribute()
    deductions_fen = NumberAttribute()
    tax_fen = NumberAttribute()
    net_fen = NumberAttribute()
    months_in_year = NumberAttribute()
    ytd = JSONAttribute()  # the tax year so far, this month included (TaxYearToDate fields)
    paid_tickets = JSONAttribute(default=list)  # ticket ids paid on the piece-rate line
    bank_account = UnicodeAttribute(null=True)  # masked (mask_account): the full number stays in the archive
    warnings = JSONAttribute(default=list)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_staff = Gsi1()


def new_payslip(run_id: str, generation: int, month: str, department_id: str, staff_id: str,
                **fields: Any) -> PayslipItem:
    return PayslipItem(slips_key(run_id, generation, department_id), staff_id, run_id=run_id, generation=generation,
                       month=month, department_id=department_id, staff_id=staff_id, gsi1pk=person_key(staff_id),
                       gsi1sk=person_sort(month, run_id, generation), **fields)


def write_payslips(items: Iterable[PayslipItem]) -> int:
    return save_all(PayslipItem, items)


def payslips(run_id: str, generation: int, department_id: str) -> Iterator[PayslipItem]:
    """A department's payslips of one generation, by staff id (one Query, paged by DynamoDB)."""
    return PayslipItem.query(slips_key(run_id, generation, department_id))


def delete_generation(run_id: str, generation: int, departments: Iterable[str]) -> int:
    """Delete every payslip of a generation (after the switch, or of a failed computation)."""
    count = 0
    with PayslipItem.batch_write() as writer:
        for department_id in departments:
            for item in PayslipItem.query(slips_key(run_id, generation, department_id),
                                          attributes_to_get=["pk", "sk"]):
                writer.delete(item)
                count += 1
    return count


def payslip(run_id: str, generation: int, month: str, staff_id: str) -> PayslipItem | None:
    """A person's payslip in a run's generation: one Query of the person index, on its exact key."""
    found = PayslipItem.by_staff.query(person_key(staff_id),
                                       PayslipItem.gsi1sk == person_sort(month, run_id, generation))
    return next(iter(found), None)


def payslips_of_person(staff_id: str, *, limit: int, cursor: str | None) -> Page:
    """A person's payslip items, latest month first (every generation: the caller keeps the current ones)."""
    return query_page(PayslipItem.by_staff.query, "gsi1pk", person_key(staff_id), limit=limit, cursor=cursor,
                      scan_index_forward=False)


HISTORY_FIELDS = ["run_id", "generation", "month", "ytd", "paid_tickets"]


def department_history(run_id: str, generation: int, department_id: str) -> list[PayslipItem]:
    """A department's payslips of one generation of a run (one Query, every page), holding only what a next
    month's payslip needs of them (HISTORY_FIELDS and whose it is)."""
    return list(PayslipItem.query(slips_key(run_id, generation, department_id),
                                  attributes_to_get=[*HISTORY_FIELDS, "staff_id"]))


def year_of_person(staff_id: str, month: str) -> list[PayslipItem]:
    """A person's payslip items of ``month``'s year up to and including that month (one Query), holding only
    what the next month's payslip needs of them (HISTORY_FIELDS: not the lines, most of an item)."""
    upper = key(month, "~")  # after every "<month>#<run>..." key
    return list(PayslipItem.by_staff.query(person_key(staff_id), PayslipItem.gsi1sk.between(f"{month[:4]}-01", upper),
                                           attributes_to_get=HISTORY_FIELDS))


# ---------------------------------------------------------------- month locks
class LockItem(PayrollTable):
    """A department's month, approved: paid by ``run_id`` (``generation``); never written twice."""

    month = UnicodeAttribute()
    department_id = UnicodeAttribute()
    run_id = UnicodeAttribute()
    generation = NumberAttribute()
    approved_by = UnicodeAttribute()
    approved_at = UnicodeAttribute()

    @classmethod
    def make(cls, month: str, department_id: str, run_id: str, generation: int, by: str, at: str) -> LockItem:
        return cls(lock_key(month[:4]), key(month, department_id), month=month, department_id=department_id,
                   run_id=run_id, generation=generation, approved_by=by, approved_at=at)


def locks_of_year(year: str) -> list[LockItem]:
    return list(LockItem.query(lock_key(year), consistent_read=True))


def locks_of_month(month: str) -> dict[str, LockItem]:
    """The departments whose ``month`` is approved, with their lock (one Query)."""
    found = LockItem.query(lock_key(month[:4]), LockItem.sk.startswith(f"{month}#"), consistent_read=True)
    return {item.department_id: item for item in found}


def locks_from(month: str, department_id: str, until_year: str) -> list[LockItem]:
    """The department's approved months from ``month`` on (one Query per year up to ``until_year``)."""
    found = []
    for year in range(int(month[:4]), int(until_year) + 1):
        found += [lock for lock in LockItem.query(lock_key(str(year)), consistent_read=True)
                  if lock.department_id == department_id and lock.month >= month]
    return found


# ---------------------------------------------------------------- opening year to date (a go-live mid-year)
class OpeningYearToDate(PayrollTable):
    """What the previous system paid and withheld a person this tax year before Houqin took over: the cumulative
    withholding adds it to Houqin's own payslips (houqin.services.payroll.compute)."""

    staff_id = UnicodeAttribute()
    year = NumberAttribute()
    income_fen = NumberAttribute(default=0)
    insurance_fen = NumberAttribute(default=0)
    additional_fen = NumberAttribute(default=0)
    other_fen = NumberAttribute(default=0)
    tax_withheld_fen = NumberAttribute(default=0)
    months_paid = NumberAttribute(default=0)

    @classmethod
    def make(cls, staff_id: str, year: int, **fields: int) -> OpeningYearToDate:
        return cls(key("OPENING", year), staff_id, staff_id=staff_id, year=year, **fields)


def openings(year: int, staff_ids: Iterable[str]) -> dict[str, OpeningYearToDate]:
    """The opening figures of these people for the year, by staff id (BatchGetItem; none for most)."""
    keys = [(key("OPENING", year), staff_id) for staff_id in set(staff_ids)]
    return {item.staff_id: item for item in OpeningYearToDate.batch_get(keys)} if keys else {}
