"""The PartiQL UPDATE statements Houqin sends in BatchExecuteStatement, read as the conditional update each one is.

DynamoDB runs ``UPDATE "T" SET "a"=? [SET "b"=? ...] WHERE "pk"=? AND "sk"=? [AND "x"<? ...]`` as an
UpdateItem of that key with the other WHERE terms as its condition, and the item must exist (no WHERE clause
matches a missing item: the statement fails with ConditionalCheckFailed). moto 5 evaluates every statement of
a batch by loading every table into its PartiQL engine (time proportional to everything stored) and fails a
WHERE term on a non-key attribute; the local cloud (localcloud.motofixes.partiql_updates) and the
cost meter read the statement here instead. Anything else (other statements, literals instead of ``?``) is not
an ``Update`` and is left to moto.
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
