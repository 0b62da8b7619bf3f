"""moto 5's DynamoDB shortcuts that cost time proportional to the whole table, fixed in this process.

The local cloud runs moto server in process; with the demo's tables (tens of thousands of swipes,
punches and work logs) moto's own shortcuts made every index lookup, table Query and transaction
take time proportional to the whole table, so a payroll run or a burst of swipes measured moto's
sorting rather than Houqin. ``fixed()`` (entered by ``LocalCloud.start`` unless
``CloudConfig.moto_fixes`` is off, and by the benches) answers the same requests with the same results
from the items concerned only. DynamoDB's API and billing (the cost meter) are unaffected.

The same holds within a partition: moto sorts a Query's partition on every page, comparing its own value
objects (each comparison converts both values again), and walks every item before the page's start key.
A page of a partition of 20,000 items (a department's month of punches) took time proportional to the
partition, on every page. Here the partition is sorted by plain keys in the same order, and a page starts
after its start key (``sort_key``, ``after_start``).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import inspect
import json
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any


def sort_key(value: Any) -> Any:
    """What moto compares a key value by (``DynamoType.cast_value``), without converting a string again."""
    return value.value if value.type == "S" else value.cast_value


def after_start(items: list[Any], attributes: list[str], start: dict[str, Any] | None, forward: bool) -> list[Any]:
    """``items`` in moto's order for ``attributes`` (moto's ``sorted_items``), from the first one after the
    exclusive start key on (moto skips the items up to and including it, in query order), by plain keys."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keyed = [(tuple(sort_key(item.attrs[name]) for name in attributes), n, item) for n, item in enumerate(items)
             if all(name in item.attrs for name in attributes)]
    keyed.sort()  # n: equal keys keep their order, as moto's stable sort does; items are never compared
    if start is not None and all(name in start for name in attributes):
        boundary = tuple(sort_key(DynamoType(start[name])) for name in attributes)
        keyed = [entry for entry in keyed if (entry[0] > boundary if forward else entry[0] < boundary)]
    return [item for _, _, item in keyed]


def _index_sort_attributes(table: Any, index_name: str) -> list[str] | None:
    """The attributes moto sorts a Query of ``index_name`` by, or None for an index it would sort otherwise."""
    for index in table.all_indexes() or ():
        if index.name == index_name:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            if len(hashes) != 1 or len(ranges) != 1:
                return None
            return table._generate_attr_to_sort_by([hashes[0], table.hash_key_attr],  # noqa: SLF001
                                                   [ranges[0], table.range_key_attr])
    return None


@contextlib.contextmanager
def _replaced(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    """``owner.name`` is ``replacement`` for the block, then what it was."""
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def fixed() -> Iterator[None]:
    """The speed fixes, in the order they wrap each other."""
    with gsi_fixes(), moto_fixes(), item_responses():
        yield


def _wire_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """An AttributeValue as DynamoDB's JSON carries it: binary base64-encoded (as moto's serializer does)."""
    (kind, inner), = value.items()
    if kind == "B":
        return {kind: _base64(inner)}
    if kind == "BS":
        return {kind: [_base64(v) for v in inner]}
    if kind == "M":
        return {kind: _wire_item(inner)}
    if kind == "L":
        return {kind: [_wire_value(v) for v in inner]}
    return {kind: inner}


def _wire_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _wire_value(value) for name, value in item.items()}


def _base64(value: str | bytes) -> str:
    return base64.b64encode(value.encode() if isinstance(value, str) else value).strip().decode()


def _wire_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """BatchGetItem's UnprocessedKeys entry: its Keys are items; the rest (projection, names) as they are."""
    return {**keys, "Keys": _wire_items(keys.get("Keys", []))}


# The item-reading operations' outputs: which members hold items, and how (everything else is plain JSON).
def _wire_items(items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [_wire_item(item) for item in items]


_PAGE = {"Items": _wire_items, "LastEvaluatedKey": _wire_item}  # a Query's or a Scan's page
_ITEM_MEMBERS: dict[str, dict[str, Any]] = {
    "GetItem": {"Item": _wire_item},
    "Query": _PAGE,
    "Scan": _PAGE,
    "BatchGetItem": {
        "Responses": lambda tables: {t: _wire_items(items) for t, items in tables.items()},
        "UnprocessedKeys": lambda tables: {t: _wire_keys(keys) for t, keys in tables.items()}},
}


@contextlib.contextmanager
def item_responses() -> Iterator[None]:
    """moto 5 writes every response by walking the operation's output shape member by member (its serializer
    took 85% of a BatchGetItem of 100 items: ~0.6 ms an item, against ~0.25 ms to put one in a batch). The
    item-reading operations (GetItem, Query, Scan, BatchGetItem) answer here with the same JSON written directly:
    items are already DynamoDB JSON, only binary values need base64, as moto's serializer gives them
    (tests/integration/test_motofixes.py compares the two). Errors and every other operation are moto's."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        members = _ITEM_MEMBERS.get(context.operation_model.name)
        result = self.result
        if members is None or not isinstance(result, dict) or context.serializer_class.__name__ != "JSONSerializer":
            return original(self, context)
        body = {name: members[name](value) if name in members else value
                for name, value in result.items() if value is not None}
        version = context.service_model.metadata.get("jsonVersion", "1.0")
        return 200, {"Content-Type": f"application/x-amz-json-{version}"}, json.dumps(body)

    with _replaced(DynamoResult, "execute_result", execute_result):
        yield


@contextlib.contextmanager
def faithful() -> Iterator[None]:
    """What the local cloud and the integration tests always enter: DynamoDB's semantics where moto 5 has others."""
    with atomic_items(), partiql_updates():
        yield


@contextlib.contextmanager
def partiql_updates() -> Iterator[None]:
    """BatchExecuteStatement's UPDATE and INSERT statements run as the conditional writes they are: fixed here.

    An INSERT puts its item unless one with its key is stored (then the statement's error is ``DuplicateItem``).

    moto 5 loads every table into its PartiQL engine for each statement of a batch (time proportional to all that
    is stored), and its engine fails ``... WHERE "pk"=? AND "sk"=? AND "last_ts"<?`` (a term on a non-key
    attribute) with an empty error. Here each statement localcloud.partiql reads runs as DynamoDB runs it: the
    item of that key must exist and every other WHERE term hold (``_holds``), then the item is stored with the
    values set (moto's own put, ~5 times cheaper than its expression-parsing UpdateItem); it answers as
    DynamoDB does: ``{"TableName"}``, or an ``Error`` whose code is ``ConditionalCheckFailed``. Other statements
    go to moto unchanged.
    """
    from moto.dynamodb import models
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.models.dynamo_type import DynamoType

    from localcloud.partiql import Insert, Update, parse_insert, parse_update

    original = models.DynamoDBBackend.batch_execute_statement

    def key_names(table: Any) -> list[str]:
        return [name for name in (table.hash_key_attr, table.range_key_attr) if name]

    def answer(table: Any, code: str | None = None, message: str = "") -> dict[str, Any]:
        return {"TableName": table.name, **({"Error": {"Code": code, "Message": message}} if code else {})}

    def put(table: Any, attributes: dict[str, Any]) -> dict[str, Any]:
        try:
            table.put_item(attributes)
        except DynamodbException as exc:
            return answer(table, "ValidationError", exc.message)
        return answer(table)

    def insert(backend: Any, statement: dict[str, Any], found: Insert) -> dict[str, Any]:
        table = backend.tables.get(found.table)
        if not table or any(name not in found.item for name in key_names(table)):
            return original(backend, [statement])[0]
        if table.get_item(*(DynamoType(found.item[name]) for name in key_names(table))) is not None:
            return answer(table, "DuplicateItem", "Duplicate primary key exists in table")
        return put(table, found.item)

    def update(backend: Any, statement: dict[str, Any], found: Update) -> dict[str, Any]:
        table = backend.tables.get(found.table)
        keys = key_names(table) if table else []
        key = found.key(keys) if table else None
        if key is None or any(name in keys for name, _ in found.sets):
            return original(backend, [statement])[0]
        item = table.get_item(*(DynamoType(key[name]) for name in keys))
        if item is None or not all(_holds(item.attrs.get(name), op, DynamoType(value))
                                   for name, op, value in found.condition(keys)):
            return answer(table, "ConditionalCheckFailed", "The conditional request failed")
        return put(table, item.to_json()["Attributes"] | dict(found.sets))

    def run(backend: Any, statement: dict[str, Any]) -> dict[str, Any]:
        if (found_insert := parse_insert(statement)) is not None:
            return insert(backend, statement, found_insert)
        if (found_update := parse_update(statement)) is not None:
            return update(backend, statement, found_update)
        return original(backend, [statement])[0]

    def batch_execute_statement(self: Any, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [run(self, statement) for statement in statements]

    with _replaced(models.DynamoDBBackend, "batch_execute_statement", batch_execute_statement):
        yield


def _holds(stored: Any, op: str, value: Any) -> bool:
    """A PartiQL comparison as DynamoDB evaluates it: a missing attribute or another type compares false (``<>``
    true); strings by code point (the order of their UTF-8 bytes), numbers as numbers."""
    if stored is None:
        return False
    if stored.type != value.type:
        return op == "<>"
    left, right = stored.cast_value, value.cast_value
    if op == "=":
        return left == right
    if op == "<>":
        return left != right
    if stored.type not in ("S", "N", "B"):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


@contextlib.contextmanager
def atomic_items() -> Iterator[None]:
    """Every DynamoDB request is atomic, as each item operation is in DynamoDB: fixed in this process.

    moto 5 reads an item, evaluates the condition expression and then writes, with nothing held in between,
    and its server answers requests on many threads. Two conditional writes to one item could both pass
    their condition and the older one land last: two swipes of one resident stored side by side left the
    presence at the earlier swipe ("in") although the condition ``last_ts < :ts`` forbids it, about one
    pair in seven on a busy machine. Here one lock holds each request from parsing to answer. This is about
    correctness, not speed (moto's backend is pure Python under the GIL), so the local cloud always enters it.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    lock = threading.RLock()

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    with _replaced(DynamoHandler, "call_action", call_action):
        yield


@contextlib.contextmanager
def gsi_fixes() -> Iterator[None]:
    """moto 5 answers a GSI Query by sorting every item of the table, then filtering: fixed in this process.

    Every new swipe looks its card up on the dorms table's GSI2 (one partition in DynamoDB); moto sorted the
    whole table (~50,000 items with the demo's swipes) for each, about 0.4 s per lookup, so the bench measured
    moto's sort. Here each table keeps, per GSI hash attribute, the keys of the items holding each value
    (built on the first Query, kept up to date by every put and update; a deleted or changed item is
    checked at query time), and a GSI Query starts from those items: same results, same order (moto still
    sorts what it found). Those items are handed over sorted by plain keys and from the page's start key on
    (``after_start``), and moto's sort compares plain keys too (``Table.sorted_items``): the same order.
    Entered before ``moto_fixes`` (which then wraps these).
    """
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original_query, original_all_items, original_put = Table.query, Table.all_items, Table.put_item
    original_sorted = Table.sorted_items
    original_update = models.DynamoDBBackend.update_item
    query_signature = inspect.signature(original_query)
    lock, local = threading.RLock(), threading.local()

    def hash_attribute(table: Any, index_name: str) -> str | None:
        for index in table.global_indexes or ():
            if index.name == index_name:
                hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
                return hashes[0] if hashes else None
        return None

    def stored_items(table: Any) -> Iterator[Any]:
        for hash_set in list(table.items.values()):
            yield from (list(hash_set.values()) if table.range_key_attr else [hash_set])

    def buckets(table: Any, attribute: str) -> dict[Any, set[tuple[Any, Any]]]:
        maps = table.__dict__.setdefault("_bench_gsi", {})
        found = maps.get(attribute)
        if found is None:
            found = defaultdict(set)
            for item in stored_items(table):
                value = item.attrs.get(attribute)
                if value is not None:
                    found[value].add((item.hash_key, item.range_key))
            maps[attribute] = found
        return found

    def note(table: Any, item: Any) -> None:
        maps = table.__dict__.get("_bench_gsi")
        if not maps or item is None:
            return
        with lock:
            for attribute, values in maps.items():
                value = item.attrs.get(attribute)
                if value is not None:
                    values[value].add((item.hash_key, item.range_key))

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        note(self, item)
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = original_update(self, table_name, *args, **kwargs)
        note(self.get_table(table_name), item)
        return item

    @functools.wraps(original_query)  # keeps moto's signature for the fix that wraps this one
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = query_signature.bind(self, *args, **kwargs).arguments
        attribute = arguments.get("index_name") and hash_attribute(self, arguments["index_name"])
        conditions = dict(arguments.get("hash_key_conditions") or ())
        if not attribute or attribute not in conditions:
            return original_query(self, *args, **kwargs)
        value = conditions[attribute]
        with lock:
            keys = list(buckets(self, attribute).get(value, ()))
        candidates = []
        for hash_key, range_key in keys:
            item = self.items.get(hash_key)
            if item is not None and self.range_key_attr:
                item = item.get(range_key)
            found = item.attrs.get(attribute) if item is not None else None
            if found is not None and found == value:  # an item may have left a sparse index since
                candidates.append(item)
        order = _index_sort_attributes(self, arguments["index_name"])
        if order is not None:
            candidates = after_start(candidates, order, arguments.get("exclusive_start_key"),
                                     arguments.get("scan_index_forward", True) is not False)
        local.candidates = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            local.candidates = None

    def all_items(self: Any) -> list[Any]:
        found = getattr(local, "candidates", None)
        if found is not None and found[0] is self:
            return list(found[1])
        return original_all_items(self)

    def sorted_items(self: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None],
                     items: list[Any]) -> list[Any]:
        attributes = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)  # noqa: SLF001
        items.sort(key=lambda item: tuple(sort_key(item.attrs[name]) for name in attributes))
        return items

    Table.query, Table.all_items, Table.put_item = query, all_items, put_item
    Table.sorted_items = sorted_items
    models.DynamoDBBackend.update_item = update_item
    try:
        yield
    finally:
        Table.query, Table.all_items, Table.put_item = original_query, original_all_items, original_put
        Table.sorted_items = original_sorted
        models.DynamoDBBackend.update_item = original_update


@contextlib.contextmanager
def moto_fixes() -> Iterator[None]:
    """Two of moto 5's DynamoDB shortcuts that cost time proportional to the whole table, fixed in this process.

    * TransactWriteItems deep-copies every table it names before applying (its rollback): each ticket write
      takes time proportional to the table, and races other threads' writes ("dictionary changed size during
      iteration"). Here a Table's copy is the table itself and a failed transaction puts back the items it
      touched; transactions are serialized against each other.
    * A table Query (no index) sorts every item of the table to pick one partition: here it reads the
      partition, sorted by plain keys and from the page's start key on (``after_start``). (GSI Queries are
      ``gsi_fixes``'; Scans are left as they are.)

    DynamoDB does neither; without the fixes, latency grows with the table through the run. Only this
    process's moto server is changed; billing (the cost meter) is unaffected either way.
    """
    import inspect

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original_transact, original_copy = models.DynamoDBBackend.transact_write_items, models.copy
    original_query, original_all_items = Table.query, Table.all_items
    query_signature = inspect.signature(original_query)
    lock, local = threading.Lock(), threading.local()

    class TablesNotCopied:
        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            backups = []
            for entry in transact_items:
                op = next(iter(entry.values()))
                table = self.tables.get(op.get("TableName"))
                if table is None or not isinstance(op, dict):
                    continue
                key = op.get("Key")
                if key is None and "Item" in op:
                    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                    key = {name: op["Item"][name] for name in names if name in op["Item"]}
                try:
                    current = self.get_item(op["TableName"], key)
                except Exception:  # noqa: S112 - moto raises the proper error below
                    continue
                backups.append((op["TableName"], key, current and copy.deepcopy(current.to_json()["Attributes"])))
            try:
                return original_transact(self, transact_items)
            except Exception:
                for table_name, key, attributes in reversed(backups):
                    with contextlib.suppress(Exception):
                        if attributes is None:
                            self.delete_item(table_name, key)
                        else:
                            self.put_item(table_name, attributes)
                raise

    def all_items(self: Any) -> list[Any]:
        partition = getattr(local, "partition", None)
        if partition is None or partition[0] is not self:
            return original_all_items(self)
        found = self.items.get(partition[1])
        if found is None:
            return []
        if not self.range_key_attr:
            return [found]
        _, _, start, forward = partition
        return after_start(list(found.values()), [self.range_key_attr], start, forward)

    @functools.wraps(original_query)  # keeps moto's signature for the fix that wraps this one
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = query_signature.bind(self, *args, **kwargs).arguments
        if arguments.get("index_name") or arguments.get("hash_key") is None:
            return original_query(self, *args, **kwargs)
        local.partition = (self, arguments["hash_key"], arguments.get("exclusive_start_key"),
                           arguments.get("scan_index_forward", True) is not False)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            local.partition = None

    models.copy = TablesNotCopied()
    models.DynamoDBBackend.transact_write_items = transact_write_items
    Table.query, Table.all_items = query, all_items
    try:
        yield
    finally:
        Table.query, Table.all_items = original_query, original_all_items
        models.DynamoDBBackend.transact_write_items = original_transact
        models.copy = original_copy
