"""The opinions table: the public opinion board (后勤意见), its audit trail and rate-limit counters.

Access patterns (Queries and GetItems only):
- opinion ............................. pk = "OPINION#<id>", sk = "META"
- its audit trail (posted, replies,
  workflow steps) ..................... pk = "OPINION#<id>", sk begins_with "LOG#" (version order)
- public board / staff list, newest
  first ............................... GSI1 gsi1pk = "BOARD", gsi1sk = "<created>#<id>"
- staff list by state, newest first ... pk = "STATE#<state>", sk = "<created>#<id>" (an entry item per
                                        opinion, moved in the same transaction as its state), then a
                                        BatchGet of the opinions
- complaints assigned to a quality
  monitor, newest first ............... GSI2 gsi2pk = "MONITOR#<person>", gsi2sk = "<created>#<id>" (sparse:
                                        only opinions with a monitor carry it; ``?state=`` is a filter)
- the responsible units ............... the staff table's pk = "DEPT" (read only)
- posts of a client in a window ....... pk = "RATE#<client>", sk = "WINDOW#<start>" (TTL ``expires_at``)

The type filter (``?type=``) is a FilterExpression on those Queries: PynamoDB keeps reading until
the page is full, so pages and cursors stay right; the lists are small enough that the extra reads
do not matter.

"BOARD" is one partition: a campus board gets tens of posts a day, far below a partition's
1,000 writes per second. Shard it by month (BOARD#<yyyy-mm>, as the tickets board does) if
that ever changes.

GSI2 came after the first opinions were stored. Every write of an opinion sets its GSI2 key from its
``monitor_id`` (``Opinion.index_monitor`` in ``_write``), so an assigned complaint gets the key at its next
reply or step. Complaints that may never change again (fixed, archived) get it from
``backfill_monitor_index()``, run once after the deploy that adds the index (CloudFormation adds one GSI
per table update; wait until it is ACTIVE), e.g. ``AWS_REGION=... OPINIONS_TABLE=<table>
PYTHONPATH=layers/houqin/python python -c "from houqin.store.opinions import backfill_monitor_index as b;
print(b())"``. It Queries the STATE lists of the states after "assign" (no Scan), BatchGets their
opinions and sets the key on each one that has a monitor and no key, conditionally and without a new
version: the key is derived from fields the opinion already has, no change an ``If-Match`` must see.
Running it twice changes nothing the second time.

Every change of an opinion (post, reply, workflow step) is one transaction: the opinion,
conditional on its version (a lost race is a 409), its LOG item (the audit line, never
overwritten) and, when the state changes, its STATE entry. An opinion never changes
without its audit line.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from houqin.clock import local
from houqin.domain.opinions import MONITORED_STATES, RATE_LIMIT, RateWindow, rate_limited
from houqin.errors import NotFound
from houqin.settings import settings
from houqin.store import staff
from houqin.store.base import Gsi1, Gsi2, condition_held, find, key, table_base, versioned_transaction
from houqin.store.paging import Page, query_page

META = "META"
BOARD = "BOARD"


OpinionsTable = table_base("OpinionsTable", "opinions")


class Reply(MapAttribute):
    """A public reply, kept on the opinion so the board is one Query (the LOG item is the record)."""

    text = UnicodeAttribute()
    by_id = UnicodeAttribute()
    by_name = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class Opinion(OpinionsTable):
    opinion_id = UnicodeAttribute()
    type = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    contact = UnicodeAttribute(null=True)  # staff only, never on the public board
    channel = UnicodeAttribute(default="web")
    state = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    monitor_id = UnicodeAttribute(null=True)  # the assigned quality monitor
    monitor_name = UnicodeAttribute(null=True)
    department_id = UnicodeAttribute(null=True)  # the responsible unit
    department_name = UnicodeAttribute(null=True)
    replies = ListAttribute(of=Reply, default=list)
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    board = Gsi1()
    gsi2pk = UnicodeAttribute(null=True)  # "MONITOR#<person>" once a quality monitor is assigned
    gsi2sk = UnicodeAttribute(null=True)
    by_monitor = Gsi2()

    @classmethod
    def make(cls, opinion_id: str, created_at: str, **fields: object) -> Opinion:
        opinion = cls(pk=key("OPINION", opinion_id), sk=META, opinion_id=opinion_id, created_at=created_at,
                      updated_at=created_at, gsi1pk=BOARD, gsi1sk=f"{created_at}#{opinion_id}", **fields)
        opinion.index_monitor()
        return opinion

    def index_monitor(self) -> Opinion:
        """Put the opinion in its quality monitor's list (GSI2) when it has one."""
        if self.monitor_id:
            self.gsi2pk, self.gsi2sk = key("MONITOR", self.monitor_id), f"{self.created_at}#{self.opinion_id}"
        return self


class OpinionLog(OpinionsTable):
    """One audit line. ``seq`` is the opinion's version after the change, so lines never collide."""

    opinion_id = UnicodeAttribute()
    seq = NumberAttribute()
    action = UnicodeAttribute()  # posted, reply, assign, refer, fix, archive
    from_state = UnicodeAttribute(null=True)
    to_state = UnicodeAttribute()
    at = UnicodeAttribute()
    by_id = UnicodeAttribute(null=True)  # None: the anonymous poster
    by_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)  # the reply, or the note of a step
    monitor_id = UnicodeAttribute(null=True)
    department_id = UnicodeAttribute(null=True)

    @classmethod
    def make(cls, opinion_id: str, seq: int, **fields: object) -> OpinionLog:
        return cls(pk=key("OPINION", opinion_id), sk=key("LOG", f"{seq:06d}"), opinion_id=opinion_id, seq=seq,
                   **fields)

    def as_dict(self) -> dict[str, object]:
        names = ("seq", "action", "from_state", "to_state", "at", "by_id", "by_name", "text", "monitor_id",
                 "department_id")
        return {name: int(self.seq) if name == "seq" else getattr(self, name) for name in names}


class StateEntry(OpinionsTable):
    """An opinion's place in its state's list (the one GSI serves the board)."""

    opinion_id = UnicodeAttribute()
    type = UnicodeAttribute()

    @classmethod
    def of(cls, opinion: Opinion, state: str) -> StateEntry:
        return cls(pk=key("STATE", state), sk=f"{opinion.created_at}#{opinion.opinion_id}",
                   opinion_id=opinion.opinion_id, type=opinion.type)


class RateCounter(OpinionsTable):
    posts = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # epoch seconds: DynamoDB's TTL deletes old windows

    @classmethod
    def of(cls, client: str, window: RateWindow) -> RateCounter:
        return cls(pk=key("RATE", client), sk=key("WINDOW", window.key))


# ---------------------------------------------------------------- repository
def new_opinion_id(at: datetime) -> str:
    """O + local date + 8 random hex digits: readable over the phone, unguessable."""
    return f"O{local(at, settings().tz):%y%m%d}-{secrets.token_hex(4).upper()}"


def take_rate_slot(client: str, window: RateWindow, now: datetime) -> int:
    """Count one post of ``client`` in ``window``; RateLimited (429) once the window is full."""
    counter = RateCounter.of(client, window)
    counted = condition_held(lambda: counter.update(
        actions=[RateCounter.posts.add(1), RateCounter.expires_at.set(window.expires_at)],
        condition=RateCounter.posts.does_not_exist() | (RateCounter.posts < RATE_LIMIT)))
    if not counted:
        raise rate_limited(window, now)
    return int(counter.posts)


def get(opinion_id: str) -> Opinion:
    try:
        return Opinion.get(key("OPINION", opinion_id), META, consistent_read=True)
    except Opinion.DoesNotExist:
        raise NotFound(f"no opinion {opinion_id}") from None


def audit_trail(opinion_id: str) -> list[OpinionLog]:
    return list(OpinionLog.query(key("OPINION", opinion_id), OpinionLog.sk.startswith("LOG#"),
                                 consistent_read=True))


def create(opinion: Opinion, log: OpinionLog) -> None:
    """A new opinion with its first audit line and its state entry."""
    _write(opinion, log, None)


def record(opinion: Opinion, log: OpinionLog, previous_state: str) -> None:
    """An opinion changed in memory (reply or step): store it with its audit line, or 409."""
    _write(opinion, log, previous_state)


def next_seq(opinion: Opinion) -> int:
    """The version the opinion will have once saved: the sequence number of its audit line."""
    return int(opinion.version or 0) + 1


def _write(opinion: Opinion, log: OpinionLog, previous_state: str | None) -> None:
    conflict = f"opinion {opinion.opinion_id} was changed by someone else: reload it and try again"
    opinion.index_monitor()
    with versioned_transaction(Opinion, conflict, field="version") as transaction:
        # save() adds "version is what we read" (or "does not exist" for a new one) and bumps it.
        transaction.save(opinion)
        transaction.save(log, condition=OpinionLog.sk.does_not_exist())
        if previous_state != opinion.state:
            if previous_state is not None:
                transaction.delete(StateEntry.of(opinion, previous_state))
            transaction.save(StateEntry.of(opinion, opinion.state))


def batch_put(opinions: Iterable[tuple[Opinion, list[OpinionLog]]]) -> int:
    """Demo data: opinions with their trails and state entries, batch written (no conditions: a fresh table).
    Each opinion's version is its number of audit lines, as if every line had been one write."""
    count = 0
    with Opinion.batch_write() as writer:
        for opinion, trail in opinions:
            opinion.version = len(trail)
            writer.save(opinion.index_monitor())
            for line in trail:
                writer.save(line)
            writer.save(StateEntry.of(opinion, opinion.state))
            count += 1
    return count


def board(*, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page:
    """All opinions, newest first (public board and the staff list without a state)."""
    condition = Opinion.type == opinion_type if opinion_type else None
    return query_page(Opinion.board.query, "gsi1pk", BOARD, limit=limit, cursor=cursor, scan_index_forward=False,
                      filter_condition=condition)


def by_state(state: str, *, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page:
    """Opinions in one state, newest first."""
    condition = StateEntry.type == opinion_type if opinion_type else None
    page = query_page(StateEntry.query, "pk", key("STATE", state), limit=limit, cursor=cursor,
                      scan_index_forward=False, filter_condition=condition)
    keys = [(key("OPINION", entry.opinion_id), META) for entry in page.items]
    found = {item.opinion_id: item for item in Opinion.batch_get(keys)} if keys else {}
    return Page([found[entry.opinion_id] for entry in page.items if entry.opinion_id in found], page.cursor)


def assigned_to(monitor_id: str, *, limit: int, cursor: str | None, state: str | None = None,
                opinion_type: str | None = None) -> Page:
    """The opinions assigned to one quality monitor, newest first (GSI2); state and type are filters."""
    condition = None
    for wanted in (Opinion.state == state if state else None, Opinion.type == opinion_type if opinion_type else None):
        if wanted is not None:
            condition = wanted if condition is None else condition & wanted
    return query_page(Opinion.by_monitor.query, "gsi2pk", key("MONITOR", monitor_id), limit=limit, cursor=cursor,
                      scan_index_forward=False, filter_condition=condition)


def backfill_monitor_index() -> int:
    """Give GSI2's key to opinions stored before the index (see the module docstring); how many got it."""
    changed = 0
    for state in MONITORED_STATES:
        keys = [(key("OPINION", entry.opinion_id), META) for entry in StateEntry.query(key("STATE", state))]
        for start in range(0, len(keys), 100):  # BatchGetItem takes 100 keys
            for opinion in Opinion.batch_get(keys[start:start + 100]):
                if not opinion.monitor_id or opinion.gsi2pk:
                    continue
                opinion.index_monitor()
                connection = Opinion._get_connection()  # noqa: SLF001 - an update that leaves the version as it is
                if condition_held(lambda o=opinion, c=connection: c.update_item(
                        o.pk, o.sk, actions=[Opinion.gsi2pk.set(o.gsi2pk), Opinion.gsi2sk.set(o.gsi2sk)],
                        condition=Opinion.pk.exists() & Opinion.gsi2pk.does_not_exist())):
                    changed += 1
    return changed


def staff_name(person_id: str) -> str | None:
    member = find(staff.StaffMember, key("STAFF", person_id), "PROFILE")
    return member.name if member else None


def department_name(department_id: str) -> str | None:
    department = staff.department(department_id)
    return department.name if department else None
