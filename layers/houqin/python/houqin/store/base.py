"""PynamoDB plumbing shared by the models.

Every table has the same key shape: ``pk``/``sk`` plus generic indexes ``GSI<n>``
(``gsi<n>pk``/``gsi<n>sk``, as many as the table needs), projection ALL, so one table
holds several item types of a bounded context. The tickets table is the exception: its indexes
are keyed on the ticket's own attributes and project only keys (and a field or two), because
every ticket is written a handful of times and each index copy bills its own write (see
houqin/store/tickets.py). Each model writes its access patterns beside it.
tests/unit/test_project.py checks the models against the tables in template.yaml.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import botocore.loaders
import botocore.session
import pynamodb.connection.base
from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from houqin.domain.audit import Event
from houqin.errors import Conflict
from houqin.settings import settings

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Model)

# PynamoDB makes a botocore session per model class and thread, and each session's own loader would read
# and parse DynamoDB's service model again (~0.2 s each, on every cold start). They share one loader, which
# reads it once per process (its cache is a dict: two threads at once at worst read it twice).
_LOADER = botocore.loaders.create_loader()


def _session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER)
    return session


pynamodb.connection.base.get_session = _session


def _global_index(number: int) -> type[GlobalSecondaryIndex]:
    """Index ``GSI<n>`` on ``gsi<n>pk``/``gsi<n>sk`` with every attribute projected."""
    meta = type("Meta", (), {"index_name": f"GSI{number}", "projection": AllProjection()})
    return type(f"Gsi{number}", (GlobalSecondaryIndex,), {
        "Meta": meta,
        f"gsi{number}pk": UnicodeAttribute(hash_key=True),
        f"gsi{number}sk": UnicodeAttribute(range_key=True),
    })


Gsi1, Gsi2, Gsi3, Gsi4, Gsi5, Gsi6 = (_global_index(n) for n in range(1, 7))


class CompactJSONAttribute(JSONAttribute):
    """JSON stored as written: UTF-8 rather than \\u escapes, no spaces. An item bills by the KB, and ``json.dumps``'s
    defaults spend 6 bytes on a Chinese character (3 in UTF-8) and one after every comma and colon. Reads either."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


WRITE_UNIT = 1024  # bytes: a write bills 1 WCU per started KB of the item (and of each index copy)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """The bytes DynamoDB bills for an item in wire format (``Model.serialize()``): each attribute's UTF-8
    name plus its value (the rules of localcloud.costmeter, which meters; this is for a store deciding what
    goes in one write)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = "".join(map(str, Decimal(data).as_tuple().digits)).strip("0")
        return (len(digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + item_size(data) + len(data)
    raise ValueError(f"no size rule for {kind!r} values here")


def table_base(class_name: str, table: str) -> type[Model]:
    """The base model of a table the template passes as ``<TABLE>_TABLE``: keys ``pk``/``sk``."""
    meta = type("Meta", (), {"table_name": settings().table(table), "region": settings().region})
    return type(class_name, (Model,), {"Meta": meta, "__module__": __name__, "pk": UnicodeAttribute(hash_key=True),
                                       "sk": UnicodeAttribute(range_key=True)})


def audit_event_model(base: type[Model], entity: str) -> type[Model]:
    """The audit-trail item of a versioned record kept in ``base``'s table: pk "<entity>#<id>", sk
    "EVENT#<record version it produced>#<n>" (time order). One ``Event`` (houqin.domain.audit) per item."""
    def from_event(cls: type[Model], record_id: str, event: Event, version: int, sequence: int) -> Model:
        return cls(pk=key(entity, record_id), sk=key("EVENT", f"{version:08d}", f"{sequence:02d}"), **event.as_dict())

    def as_dict(self: Model) -> dict[str, Any]:
        return {name: getattr(self, name) for name in Event.__dataclass_fields__}

    attributes = {"at": UnicodeAttribute(), "by": UnicodeAttribute(), "action": UnicodeAttribute(),
                  "from_state": UnicodeAttribute(null=True), "to_state": UnicodeAttribute(),
                  "changes": JSONAttribute(default=dict), "reason": UnicodeAttribute(null=True)}
    return type(f"{entity.title()}Event", (base,), {"__module__": base.__module__, **attributes,
                                                     "from_event": classmethod(from_event), "as_dict": as_dict})


def key(*parts: object) -> str:
    """Compose a key from typed parts: key("BLDG", "SB09") == "BLDG#SB09"."""
    return "#".join(str(p) for p in parts)


def find(model: type[_M], hash_key: str, range_key: str, consistent_read: bool = False) -> _M | None:
    """``model.get`` that answers None instead of raising when there is no such item."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent_read)
    except model.DoesNotExist:
        return None


def mixed_query(via: type[Model], hash_key: str, model_of: Callable[[str], type[Model] | None],
                range_key_condition: Any = None, consistent_read: bool = False) -> Iterator[Model]:
    """Query one partition holding several item types: ``model_of(sort key)`` names each item's model
    (None skips it). ``via`` is one of those models, never the table's base class: PynamoDB caches a
    connection per class and subclasses inherit it, so a connection made on the base (which declares no
    index) would be the one every model of the table then uses."""
    def load(raw: dict[str, Any]) -> Model | None:
        model = model_of(raw["sk"]["S"])
        return model.from_raw_data(raw) if model else None

    found = ResultIterator(via._get_connection().query, (hash_key,),  # noqa: SLF001
                           {"range_key_condition": range_key_condition, "consistent_read": consistent_read},
                           map_fn=load)
    return (item for item in found if item is not None)


def raw_query(model: type[Model], hash_key: str, *, index: Any = None, range_key_condition: Any = None,
              attributes_to_get: list[str] | None = None, consistent_read: bool = False) -> Iterator[dict[str, Any]]:
    """A Query of ``model``'s table (or of ``index``, one of its indexes) as DynamoDB answers it: each item a dict
    of attribute values ({"S": ...}), every page read in turn. For reads of thousands of small items of which the
    caller parses an attribute or two: no model is built per item."""
    kwargs: dict[str, Any] = {"range_key_condition": range_key_condition, "attributes_to_get": attributes_to_get,
                              "consistent_read": consistent_read}
    if index is not None:
        kwargs["index_name"] = index.Meta.index_name
    return ResultIterator(model._get_connection().query, (hash_key,), kwargs)  # noqa: SLF001


def save_all(model: type[Model], items: Iterable[Model]) -> int:
    """Unconditional puts with BatchWriteItem, 25 a request (PynamoDB retries what DynamoDB leaves
    unprocessed); how many were saved."""
    count = 0
    with model.batch_write() as writer:
        for item in items:
            writer.save(item)
            count += 1
    return count


BATCH_STATEMENTS = 25  # BatchExecuteStatement's limit
REFUSED = ("ConditionalCheckFailed", "DuplicateItem")  # an UPDATE's WHERE matched no item; an INSERT's key is taken


def conditional_writes(model: type[Model], statements: Sequence[tuple[str, list[dict[str, Any]]]]
                       ) -> list[bool | None]:
    """Conditional PartiQL writes (text, parameters) with BatchExecuteStatement, 25 a request. Each one's outcome:
    True written, False refused by its condition, None failed (logged with why; to retry). A request that fails is
    sent again statement by statement, so only a statement that fails alone fails."""
    client = model._get_connection().connection.client  # noqa: SLF001 - PynamoDB's client, metered like the rest

    def send(chunk: Sequence[tuple[str, list[dict[str, Any]]]]) -> list[bool | None]:
        answer = client.batch_execute_statement(
            Statements=[{"Statement": text, "Parameters": parameters} for text, parameters in chunk])
        outcomes: list[bool | None] = []
        for (text, _), response in zip(chunk, answer["Responses"], strict=True):
            code = (response.get("Error") or {}).get("Code")
            if code is not None and code not in REFUSED:
                log.warning("a statement failed (%s): %s", code, text[:80])
            outcomes.append(True if code is None else False if code in REFUSED else None)
        return outcomes

    def alone(statement: tuple[str, list[dict[str, Any]]]) -> bool | None:
        try:
            return send([statement])[0]
        except Exception:
            log.exception("a statement failed: %s", statement[0][:80])
            return None

    outcomes: list[bool | None] = []
    for start in range(0, len(statements), BATCH_STATEMENTS):
        chunk = statements[start:start + BATCH_STATEMENTS]
        try:
            outcomes += send(chunk)
        except Exception:
            log.warning("a batch of %d statements failed: one by one", len(chunk), exc_info=True)
            outcomes += [alone(statement) for statement in chunk]
    return outcomes


def condition_held(write: Callable[[], object]) -> bool:
    """Run one conditional PutItem or UpdateItem; False when its condition did not hold (an answer, not an error)."""
    try:
        write()
    except (PutError, UpdateError) as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def save_versioned(item: _M, conflict: str, code: str = "version_conflict") -> _M:
    """Save an item whose model has a VersionAttribute: the put is conditional on the version read (none yet
    for a new item), so of two writes made on one copy one is stored and the other is a 409 saying
    ``conflict``."""
    if not condition_held(item.save):
        raise Conflict(conflict, code=code)
    return item


def condition_failed(exc: TransactWriteError) -> bool:
    """The transaction was refused because one of its conditions did not hold (not an outage)."""
    return any(reason and reason.code == "ConditionalCheckFailed" for reason in exc.cancellation_reasons or ())


@contextmanager
def versioned_transaction(model: type[Model], conflict: str, field: str | None = None,
                          code: str = "version_conflict") -> Iterator[TransactWrite]:
    """A TransactWrite on ``model``'s table whose failed condition (someone changed the data first) is a 409."""
    try:
        with TransactWrite(connection=model._get_connection().connection) as transaction:  # noqa: SLF001
            yield transaction
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Conflict(conflict, code=code, field=field) from None
        raise


def table_status(table_name: str) -> dict[str, object]:
    """Whether a table answers DescribeTable as ACTIVE (the health check; no item is read)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from houqin.aws import client

    try:
        status = client("dynamodb").describe_table(TableName=table_name)["Table"]["TableStatus"]
    except (ClientError, BotoCoreError) as exc:
        return {"reachable": False, "error": type(exc).__name__}
    return {"reachable": status == "ACTIVE", "status": status}
