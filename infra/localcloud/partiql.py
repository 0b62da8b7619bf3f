"""The PartiQL statements Houqin sends in BatchExecuteStatement, read as the conditional write each one is.

``INSERT INTO "T" VALUE {'a': ?, 'b': ?, ...}`` is a put of that item on condition that no item has its key
(otherwise the statement fails with DuplicateItem). ``UPDATE "T" SET "a"=? [SET "b"=? ...] WHERE "pk"=? AND
"sk"=? [AND "x"<? ...]`` is an update of that key with the other WHERE terms as its condition, and the item must
exist (no WHERE clause matches a missing item: the statement fails with ConditionalCheckFailed). moto 5
evaluates every statement of a batch by loading every table into its PartiQL engine (time proportional to
everything stored) and fails a WHERE term on a non-key attribute; the local cloud
(localcloud.motofixes.partiql_updates) and the cost meter read the statements here instead. Anything else
(other statements, literals instead of ``?``) is neither an ``Update`` nor an ``Insert`` and is left to moto.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NAME = r'"([^"]+)"'
_STATEMENT = re.compile(rf"^\s*UPDATE\s+{_NAME}\s+((?:SET\s+{_NAME}\s*=\s*\?\s*)+)WHERE\s+(.+?)\s*;?\s*$",
                        re.IGNORECASE | re.DOTALL)
_SET = re.compile(rf"SET\s+{_NAME}\s*=\s*\?", re.IGNORECASE)
_TERM = re.compile(rf"^\s*{_NAME}\s*(=|<>|<=|>=|<|>)\s*\?\s*$")
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_INSERT = re.compile(rf"^\s*INSERT\s+INTO\s+{_NAME}\s+VALUE\s+\{{(.*)\}}\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_ENTRY = re.compile(r"^\s*'([^']+)'\s*:\s*\?\s*$")


@dataclass(frozen=True)
class Insert:
    """One INSERT statement: its table and the item it puts (attribute name -> AttributeValue)."""

    table: str
    item: dict[str, Any]


def parse_insert(statement: Mapping[str, Any]) -> Insert | None:
    """A BatchExecuteStatement entry as an ``Insert``; None if it is not one we read."""
    match = _INSERT.match(statement.get("Statement", ""))
    if match is None:
        return None
    entries = [_ENTRY.match(entry) for entry in match.group(2).split(",")]
    parameters = list(statement.get("Parameters") or [])
    if any(entry is None for entry in entries) or len(parameters) != len(entries):
        return None
    return Insert(match.group(1), {entry.group(1): value  # type: ignore[union-attr]
                                   for entry, value in zip(entries, parameters, strict=True)})


@dataclass(frozen=True)
class Update:
    """One UPDATE statement: its table, the values it sets, and its WHERE terms (attribute, operator, value)."""

    table: str
    sets: tuple[tuple[str, Any], ...]
    where: tuple[tuple[str, str, Any], ...]

    def key(self, key_names: Sequence[str]) -> dict[str, Any] | None:
        """The item key the statement names (``=`` on every key attribute), None when it names none."""
        found = {name: value for name, op, value in self.where if op == "=" and name in key_names}
        return found if set(found) == set(key_names) else None

    def condition(self, key_names: Sequence[str]) -> tuple[tuple[str, str, Any], ...]:
        """The WHERE terms on other attributes: the update's condition."""
        return tuple(term for term in self.where if not (term[1] == "=" and term[0] in key_names))


def parse_update(statement: Mapping[str, Any]) -> Update | None:
    """A BatchExecuteStatement entry ({Statement, Parameters}) as an ``Update``; None if it is not one we read."""
    match = _STATEMENT.match(statement.get("Statement", ""))
    if match is None:
        return None
    table, sets_text, where_text = match.group(1), match.group(2), match.group(4)
    set_names = _SET.findall(sets_text)
    terms = [_TERM.match(term) for term in _AND.split(where_text)]
    if any(term is None for term in terms):
        return None
    parameters = list(statement.get("Parameters") or [])
    if len(parameters) != len(set_names) + len(terms):
        return None
    sets = tuple(zip(set_names, parameters[:len(set_names)], strict=True))
    where = tuple((term.group(1), term.group(2), value)  # type: ignore[union-attr]
                  for term, value in zip(terms, parameters[len(set_names):], strict=True))
    return Update(table, sets, where)
