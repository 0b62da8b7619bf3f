"""Billed DynamoDB capacity, computed by AWS's on-demand rules.

moto does not report ``ConsumedCapacity`` the way DynamoDB bills it, so tests and benchmarks meter calls
client-side instead: :class:`CostMeter` hooks botocore events on DynamoDB clients, looks at each request and
response in wire format (``{"S": "x"}`` AttributeValue dicts) and adds up billed RCU and WCU.

To learn item sizes it makes extra *unmetered* calls (``DescribeTable`` once per table, consistent
``GetItem`` before/after writes, and a re-issued ``Query``/``Scan`` when a filter or projection hides what
was evaluated) through a separate client on the same endpoint, region and credentials. That is fine for
tests and benchmarks; do not use it on production request paths.

Usage::

    meter = CostMeter().attach(boto3_client)      # or a boto3 resource/Table, or a PynamoDB Model class
    ...
    print(meter)                                  # "RCU 3.5, WCU 12 (7 calls)"

    with CostMeter.installed() as meter:          # meters every DynamoDB client created inside the block
        ...
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from localcloud.partiql import parse_insert, parse_update

__all__ = [
    "CostMeter",
    "IndexSchema",
    "TableSchema",
    "evaluation_request",
    "index_write_units",
    "item_size",
    "item_write_units",
    "number_size",
    "project_item",
    "read_units",
    "value_size",
    "write_units",
]

log = logging.getLogger(__name__)

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096

Item = Mapping[str, Mapping[str, Any]]

# --------------------------------------------------------------------------------------------------------
# Pure rules (no AWS needed)
# --------------------------------------------------------------------------------------------------------


def number_size(value: str) -> int:
    """Size of an ``N`` value: 1 byte per two significant digits (zeroes trimmed), plus 1 byte."""
    try:
        digits = Decimal(str(value)).as_tuple().digits
    except InvalidOperation:
        digits = ()
    significant = "".join(map(str, digits)).strip("0")
    return (len(significant) + 1) // 2 + 1


def _blob_size(value: bytes | bytearray | str) -> int:
    return len(value.encode()) if isinstance(value, str) else len(value)


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of one AttributeValue (``{"S": "x"}``, ``{"M": {...}}``, ...), without its name."""
    kind, data = next(iter(value.items()))
    match kind:
        case "S":
            return len(data.encode())
        case "N":
            return number_size(data)
        case "B":
            return _blob_size(data)
        case "BOOL" | "NULL":
            return 1
        case "SS":
            return sum(len(s.encode()) for s in data)
        case "NS":
            return sum(number_size(n) for n in data)
        case "BS":
            return sum(_blob_size(b) for b in data)
        case "L":
            return 3 + sum(value_size(element) + 1 for element in data)
        case "M":
            return 3 + item_size(data) + len(data)
    raise ValueError(f"unknown AttributeValue type {kind!r}")


def item_size(item: Item | None) -> int:
    """Size in bytes of an item: UTF-8 attribute names plus value sizes (0 for a missing item)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """WCU of writing *size* bytes: one per started KB, at least 1."""
    return max(1, -(-size // WRITE_UNIT_BYTES))


def read_units(size: int, consistent: bool = True) -> float:
    """RCU of reading *size* bytes: one per started 4 KB (at least 1), halved when eventually consistent."""
    units = max(1, -(-size // READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


@dataclass(frozen=True)
class IndexSchema:
    """A GSI or LSI: its key attributes and projection (``ALL``, ``KEYS_ONLY`` or ``INCLUDE``)."""

    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    @classmethod
    def from_description(cls, index: Mapping[str, Any]) -> IndexSchema:
        projection = index.get("Projection", {})
        return cls(
            name=index["IndexName"],
            keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
            projection=projection.get("ProjectionType", "ALL"),
            non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
        )


@dataclass(frozen=True)
class TableSchema:
    """A table's key attributes and indexes, as far as billing cares."""

    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexSchema, ...] = ()

    @classmethod
    def from_description(cls, table: Mapping[str, Any]) -> TableSchema:
        """Build from ``DescribeTable()["Table"]``."""
        indexes = [*table.get("GlobalSecondaryIndexes", ()), *table.get("LocalSecondaryIndexes", ())]
        return cls(
            name=table["TableName"],
            keys=tuple(k["AttributeName"] for k in table["KeySchema"]),
            indexes=tuple(IndexSchema.from_description(index) for index in indexes),
        )

    def key_of(self, item: Item) -> dict[str, Any]:
        """The primary key of *item*."""
        return {name: item[name] for name in self.keys}

    def index(self, name: str) -> IndexSchema | None:
        return next((index for index in self.indexes if index.name == name), None)


def project_item(item: Item | None, index: IndexSchema, table_keys: tuple[str, ...]) -> dict | None:
    """The entry *item* has in *index*, or None when it lacks one of the index key attributes."""
    if item is None or any(key not in item for key in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    wanted = {*table_keys, *index.keys}
    if index.projection == "INCLUDE":
        wanted.update(index.non_key_attributes)
    return {name: value for name, value in item.items() if name in wanted}


def index_write_units(
    old: Item | None, new: Item | None, index: IndexSchema, table_keys: tuple[str, ...]
) -> int:
    """WCU billed to *index* when an item changes from *old* to *new* (None = no item).

    Gaining or losing the index keys is one index write; changing an index key value is two (delete + put);
    a change that touches no projected attribute is free.
    """
    before = project_item(old, index, table_keys)
    after = project_item(new, index, table_keys)
    if before is None and after is None:
        return 0
    if before is None or after is None:
        return write_units(item_size(before or after))
    if any(before[key] != after[key] for key in index.keys):
        return write_units(item_size(before)) + write_units(item_size(after))
    if before == after:
        return 0
    return write_units(max(item_size(before), item_size(after)))


def item_write_units(table: TableSchema, old: Item | None, new: Item | None) -> int:
    """WCU of a successful write changing *old* into *new*: the larger item, plus every index write."""
    units = write_units(max(item_size(old), item_size(new)))
    return units + sum(index_write_units(old, new, index, table.keys) for index in table.indexes)


_HIDING_PARAMS = ("FilterExpression", "ProjectionExpression", "AttributesToGet", "QueryFilter", "ScanFilter")
_DROPPED_PARAMS = {
    *_HIDING_PARAMS,
    "Select",
    "ConditionalOperator",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
}


def evaluation_request(params: Mapping[str, Any]) -> dict | None:
    """The Query/Scan request returning in full every item *params* evaluates (None if *params* does).

    Drops filters, projections and ``Select=COUNT/SPECIFIC_ATTRIBUTES`` and keeps everything else (key
    conditions, ``ExclusiveStartKey``, ``Limit``, ``IndexName``, ...), pruning unused expression placeholders.
    """
    hiding = any(name in params for name in _HIDING_PARAMS)
    if not hiding and params.get("Select") not in ("COUNT", "SPECIFIC_ATTRIBUTES"):
        return None
    request = {name: value for name, value in params.items() if name not in _DROPPED_PARAMS}
    if params.get("Select") in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"):
        request["Select"] = params["Select"]
    expression = params.get("KeyConditionExpression", "")
    names = set(re.findall(r"#\w+", expression))
    values = set(re.findall(r":\w+", expression))
    kept_names = {k: v for k, v in params.get("ExpressionAttributeNames", {}).items() if k in names}
    kept_values = {k: v for k, v in params.get("ExpressionAttributeValues", {}).items() if k in values}
    if kept_names:
        request["ExpressionAttributeNames"] = kept_names
    if kept_values:
        request["ExpressionAttributeValues"] = kept_values
    return request


def _key_id(key: Item) -> frozenset:
    """A hashable identity of a primary key (numbers compared by value)."""

    def freeze(value: Mapping[str, Any]) -> tuple:
        kind, data = next(iter(value.items()))
        if kind == "N":
            return kind, Decimal(data)
        if kind == "B" and isinstance(data, str):
            return kind, data.encode()
        return kind, bytes(data) if isinstance(data, bytearray) else data

    return frozenset((name, freeze(value)) for name, value in key.items())


def _projects(params: Mapping[str, Any]) -> bool:
    return "ProjectionExpression" in params or "AttributesToGet" in params


# --------------------------------------------------------------------------------------------------------
# The meter
# --------------------------------------------------------------------------------------------------------

_LOCAL = threading.local()


@contextlib.contextmanager
def _unmetered() -> Iterator[None]:
    """Mark this thread as making the meter's own calls: hooks and client creation patches ignore them."""
    _LOCAL.depth = getattr(_LOCAL, "depth", 0) + 1
    try:
        yield
    finally:
        _LOCAL.depth -= 1


def _is_unmetered() -> bool:
    return getattr(_LOCAL, "depth", 0) > 0


def _client_of(target: Any) -> BaseClient:
    """The botocore client behind a client, boto3 resource/Table, or PynamoDB Model/Connection."""
    if isinstance(target, BaseClient):
        return target
    client = getattr(getattr(target, "meta", None), "client", None)  # boto3 resource or Table
    if isinstance(client, BaseClient):
        return client
    if isinstance(target, type) and hasattr(target, "_get_connection"):  # PynamoDB Model class
        target = target._get_connection()
    target = getattr(target, "connection", target)  # PynamoDB TableConnection -> Connection
    client = getattr(target, "client", None)  # PynamoDB Connection (creates its client lazily)
    if isinstance(client, BaseClient):
        return client
    raise TypeError(f"cannot find a botocore DynamoDB client in {target!r}")


_WRITE_KINDS = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
_BILLED_FAILURES = ("ConditionalCheckFailedException", "TransactionCanceledException")


@dataclass
class _Write:
    table: TableSchema
    kind: str  # Put, Update, Delete or ConditionCheck
    key: dict
    item: Item | None  # the item a Put writes
    old: Item | None  # the stored item before the call
    request: Any = None  # the BatchWriteItem request entry (UnprocessedItems), or the statement's index


@dataclass
class _Call:
    client: BaseClient
    operation: str
    params: Mapping[str, Any]
    writes: list[_Write] = field(default_factory=list)


Charge = tuple[str, float, int]  # (table, rcu, wcu)


class CostMeter:
    """Adds up billed DynamoDB RCU/WCU of the clients it is attached to; thread-safe.

    Also a context manager: ``with CostMeter().attach(client) as meter: ...`` detaches on exit.
    ``errors`` counts calls the meter could not bill (each is logged as a warning); the call itself proceeds.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._id = f"houqin-costmeter-{id(self)}"
        self._clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
        self._helpers: dict[tuple, BaseClient] = {}
        self._schemas: dict[tuple, TableSchema] = {}
        self.reset()

    # ---- public API ------------------------------------------------------------------------------------

    def attach(self, target: Any) -> CostMeter:
        """Meter *target*: a DynamoDB client, boto3 resource/Table, or PynamoDB Model class. Returns self."""
        client = _client_of(target)
        if client.meta.service_model.service_name != "dynamodb":
            raise ValueError(f"not a DynamoDB client: {client.meta.service_model.service_name}")
        events = client.meta.events
        # Last / first so that boto3's resource (de)serializers have turned params into / not yet turned
        # responses out of the wire format.
        events.register_last(
            "before-parameter-build.dynamodb",
            functools.partial(self._before, client),
            unique_id=f"{self._id}-before",
        )
        events.register_first(
            "after-call.dynamodb", functools.partial(self._after, client), unique_id=f"{self._id}-after"
        )
        with self._lock:
            self._clients.add(client)
        return self

    def detach(self, target: Any = None) -> None:
        """Stop metering *target*, or every attached client when None. Totals are kept."""
        with self._lock:
            clients = list(self._clients) if target is None else [_client_of(target)]
            for client in clients:
                client.meta.events.unregister(
                    "before-parameter-build.dynamodb", unique_id=f"{self._id}-before"
                )
                client.meta.events.unregister("after-call.dynamodb", unique_id=f"{self._id}-after")
                self._clients.discard(client)

    @classmethod
    @contextlib.contextmanager
    def installed(cls) -> Iterator[CostMeter]:
        """Meter every DynamoDB client created inside the block (boto3, PynamoDB, ...); undone on exit."""
        meter = cls()
        _install(meter)
        try:
            yield meter
        finally:
            _uninstall(meter)
            meter.detach()

    def reset(self) -> None:
        """Zero all totals (and forget cached table schemas)."""
        with self._lock:
            self._operations: dict[str, dict[str, Any]] = {}
            self._tables: dict[str, dict[str, Any]] = {}
            self._schemas.clear()
            self.errors = 0

    @property
    def rcu(self) -> float:
        """Total billed read capacity units."""
        with self._lock:
            return sum(op["rcu"] for op in self._operations.values())

    @property
    def wcu(self) -> int:
        """Total billed write capacity units."""
        with self._lock:
            return sum(op["wcu"] for op in self._operations.values())

    @property
    def calls(self) -> int:
        """Number of metered API calls."""
        with self._lock:
            return sum(op["calls"] for op in self._operations.values())

    def by_table(self) -> dict[str, dict[str, Any]]:
        """``{table: {"rcu": x, "wcu": y}}`` (index reads and writes count for their table)."""
        with self._lock:
            return {name: dict(totals) for name, totals in self._tables.items()}

    def by_operation(self) -> dict[str, dict[str, Any]]:
        """``{"PutItem": {"rcu": x, "wcu": y, "calls": n}, ...}``."""
        with self._lock:
            return {name: dict(totals) for name, totals in self._operations.items()}

    def snapshot(self) -> dict[str, Any]:
        """A plain dict of all totals."""
        with self._lock:
            return {
                "rcu": self.rcu,
                "wcu": self.wcu,
                "calls": self.calls,
                "errors": self.errors,
                "by_table": self.by_table(),
                "by_operation": self.by_operation(),
            }

    def __enter__(self) -> CostMeter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    def __str__(self) -> str:
        return f"RCU {self.rcu:g}, WCU {self.wcu} ({self.calls} calls)"

    def __repr__(self) -> str:
        return f"<CostMeter {self}>"

    # ---- hooks -----------------------------------------------------------------------------------------

    def _before(
        self, client: BaseClient, params: Mapping[str, Any], model: Any, context: dict, **_: Any
    ) -> None:
        if _is_unmetered():
            return
        call = _Call(client, model.name, params)
        try:
            with _unmetered():
                call.writes = self._writes(call)
        except Exception:
            log.warning("costmeter: cannot prepare %s", call.operation, exc_info=True)
            with self._lock:
                self.errors += 1
            return
        context[self._id] = call

    def _after(self, client: BaseClient, parsed: Mapping[str, Any], context: dict, **_: Any) -> None:
        call: _Call | None = context.pop(self._id, None)
        if call is None:
            return
        error = (parsed.get("Error") or {}).get("Code")
        try:
            with _unmetered():
                charges = self._charges(call, parsed, error)
        except Exception:
            log.warning("costmeter: cannot bill %s", call.operation, exc_info=True)
            with self._lock:
                self.errors += 1
            charges = []
        self._record(call.operation, charges)

    def _record(self, operation: str, charges: list[Charge]) -> None:
        with self._lock:
            totals = self._operations.setdefault(operation, {"rcu": 0.0, "wcu": 0, "calls": 0})
            totals["calls"] += 1
            for table, rcu, wcu in charges:
                totals["rcu"] += rcu
                totals["wcu"] += wcu
                table_totals = self._tables.setdefault(table, {"rcu": 0.0, "wcu": 0})
                table_totals["rcu"] += rcu
                table_totals["wcu"] += wcu

    # ---- unmetered helpers -----------------------------------------------------------------------------

    def _helper(self, client: BaseClient) -> BaseClient:
        """An unhooked client on the same endpoint, region and credentials as *client*."""
        credentials = getattr(client._request_signer, "_credentials", None)
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
        key = (client.meta.endpoint_url, client.meta.region_name, frozen)
        with self._lock:
            helper = self._helpers.get(key)
            if helper is None:
                secrets = {}
                if frozen is not None:
                    secrets = {
                        "aws_access_key_id": frozen.access_key,
                        "aws_secret_access_key": frozen.secret_key,
                        "aws_session_token": frozen.token,
                    }
                with _unmetered():
                    helper = botocore.session.get_session().create_client(
                        "dynamodb",
                        region_name=client.meta.region_name,
                        endpoint_url=client.meta.endpoint_url,
                        config=Config(retries={"mode": "standard"}),
                        **secrets,
                    )
                self._helpers[key] = helper
            return helper

    def _schema(self, client: BaseClient, table: str) -> TableSchema:
        key = (client.meta.endpoint_url, client.meta.region_name, table)
        with self._lock:
            schema = self._schemas.get(key)
        if schema is None:
            schema = TableSchema.from_description(
                self._helper(client).describe_table(TableName=table)["Table"]
            )
            with self._lock:
                self._schemas[key] = schema
        return schema

    def _get(self, client: BaseClient, table: str, key: Item) -> dict | None:
        return self._helper(client).get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    # ---- billing ---------------------------------------------------------------------------------------

    def _writes(self, call: _Call) -> list[_Write]:
        """The single-item writes of a write call, with the stored items they are about to change."""
        params, entries = call.params, []
        if call.operation in _WRITE_KINDS:
            entries.append((_WRITE_KINDS[call.operation], params, None))
        elif call.operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        entries.append(("Put", {"TableName": table, **request["PutRequest"]}, request))
                    else:
                        entries.append(("Delete", {"TableName": table, **request["DeleteRequest"]}, request))
        elif call.operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                kind, body = next(iter(entry.items()))
                entries.append((kind, body, None))
        elif call.operation == "BatchExecuteStatement":  # UPDATEs and INSERTs (localcloud.partiql)
            for index, statement in enumerate(params["Statements"]):
                insert, update = parse_insert(statement), parse_update(statement)
                if insert is not None:  # a conditional put
                    entries.append(("Put", {"TableName": insert.table, "Item": insert.item}, index))
                    continue
                key = update.key(self._schema(call.client, update.table).keys) if update else None
                if update is None or key is None:
                    raise ValueError(f"cannot bill the statement {statement.get('Statement')!r}")
                entries.append(("Update", {"TableName": update.table, "Key": key}, index))
        writes = []
        for kind, body, request in entries:
            table = self._schema(call.client, body["TableName"])
            item = body.get("Item")
            key = body["Key"] if item is None else table.key_of(item)
            writes.append(_Write(table, kind, key, item, self._get(call.client, table.name, key), request))
        return writes

    def _charges(self, call: _Call, parsed: Mapping[str, Any], error: str | None) -> list[Charge]:
        operation = call.operation
        if call.writes:
            return self._write_charges(call, parsed, error)
        if operation == "GetItem" and error is None:
            return [self._get_charge(call.client, call.params, parsed.get("Item"), consistent=None)]
        if operation == "BatchGetItem" and error is None:
            return self._batch_get_charges(call, parsed)
        if operation in ("Query", "Scan") and error is None:
            return [self._query_charge(call, parsed)]
        if operation == "TransactGetItems" and error in (None, "TransactionCanceledException"):
            entries = call.params["TransactItems"]
            responses = parsed.get("Responses") or [{}] * len(entries)
            return [
                self._get_charge(
                    call.client,
                    entry["Get"],
                    response.get("Item"),
                    consistent=True,
                    factor=2,
                    refetch=error is not None,
                )
                for entry, response in zip(entries, responses, strict=False)
            ]
        return []

    def _write_charges(self, call: _Call, parsed: Mapping[str, Any], error: str | None) -> list[Charge]:
        factor = 2 if call.operation == "TransactWriteItems" else 1
        if error is not None:
            if error not in _BILLED_FAILURES:
                return []
            return [
                (w.table.name, 0.0, factor * write_units(max(item_size(w.old), item_size(w.item))))
                for w in call.writes
            ]
        if call.operation == "BatchExecuteStatement":
            return self._statement_charges(call, parsed)
        unprocessed = {
            table: list(requests) for table, requests in parsed.get("UnprocessedItems", {}).items()
        }
        charges = []
        for w in call.writes:
            pending = unprocessed.get(w.table.name, [])
            if w.request is not None and w.request in pending:
                pending.remove(w.request)
                continue
            if w.kind == "Put":
                new = w.item
            elif w.kind == "Update":
                new = self._get(call.client, w.table.name, w.key)
            elif w.kind == "Delete":
                new = None
            else:  # ConditionCheck: billed like a write of the item, changes nothing
                new = w.old
            charges.append((w.table.name, 0.0, factor * item_write_units(w.table, w.old, new)))
        return charges

    def _statement_charges(self, call: _Call, parsed: Mapping[str, Any]) -> list[Charge]:
        """Each statement of a batch billed as its own write (an UPDATE an UpdateItem, an INSERT a conditional
        PutItem): a refused condition costs the write of the larger of the stored and the new item."""
        charges = []
        for w in call.writes:
            error = (parsed["Responses"][w.request].get("Error") or {}).get("Code")
            if error in ("ConditionalCheckFailed", "DuplicateItem"):
                charges.append((w.table.name, 0.0, write_units(max(item_size(w.old), item_size(w.item)))))
            elif error is None:
                new = w.item if w.kind == "Put" else self._get(call.client, w.table.name, w.key)
                charges.append((w.table.name, 0.0, item_write_units(w.table, w.old, new)))
        return charges

    def _get_charge(
        self,
        client: BaseClient,
        params: Mapping[str, Any],
        item: Item | None,
        consistent: bool | None,
        factor: int = 1,
        refetch: bool = False,
    ) -> Charge:
        """One item read: its full size, fetched again when a projection (or a failure) hid it."""
        table = params["TableName"]
        if refetch or _projects(params):
            item = self._get(client, table, params["Key"])
        if consistent is None:
            consistent = params.get("ConsistentRead", False)
        return table, factor * read_units(item_size(item), consistent), 0

    def _batch_get_charges(self, call: _Call, parsed: Mapping[str, Any]) -> list[Charge]:
        charges = []
        for table, spec in call.params["RequestItems"].items():
            unprocessed = parsed.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            keys = [key for key in spec["Keys"] if key not in unprocessed]
            if _projects(spec):
                items = [self._get(call.client, table, key) for key in keys]
            else:
                schema = self._schema(call.client, table)
                found = {
                    _key_id(schema.key_of(item)): item for item in parsed.get("Responses", {}).get(table, [])
                }
                items = [found.get(_key_id(key)) for key in keys]
            consistent = spec.get("ConsistentRead", False)
            rcu = sum(read_units(item_size(item), consistent) for item in items)
            charges.append((table, rcu, 0))
        return charges

    def _query_charge(self, call: _Call, parsed: Mapping[str, Any]) -> Charge:
        params, table = call.params, call.params["TableName"]
        request = evaluation_request(params)
        if request is None:
            items = parsed.get("Items", [])
        else:
            helper = self._helper(call.client)
            items = (helper.query if call.operation == "Query" else helper.scan)(**request).get("Items", [])
        if "IndexName" in params:
            schema = self._schema(call.client, table)
            index = schema.index(params["IndexName"])
            if index is not None:
                items = [project_item(item, index, schema.keys) or item for item in items]
        size = sum(item_size(item) for item in items)
        return table, read_units(size, params.get("ConsistentRead", False)), 0


# --------------------------------------------------------------------------------------------------------
# CostMeter.installed(): hook client creation
# --------------------------------------------------------------------------------------------------------

_INSTALLED: list[CostMeter] = []
_INSTALL_LOCK = threading.Lock()
_original_create_client: Any = None


def _install(meter: CostMeter) -> None:
    global _original_create_client
    with _INSTALL_LOCK:
        if not _INSTALLED:
            original = _original_create_client = botocore.session.Session.create_client

            @functools.wraps(original)
            def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> BaseClient:
                client = original(self, *args, **kwargs)
                if not _is_unmetered() and client.meta.service_model.service_name == "dynamodb":
                    for installed in list(_INSTALLED):
                        installed.attach(client)
                return client

            botocore.session.Session.create_client = create_client
        _INSTALLED.append(meter)


def _uninstall(meter: CostMeter) -> None:
    with _INSTALL_LOCK:
        _INSTALLED.remove(meter)
        if not _INSTALLED:
            botocore.session.Session.create_client = _original_create_client
