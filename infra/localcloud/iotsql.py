"""The subset of AWS IoT rule SQL that the local cloud needs to bridge MQTT to rule actions.

Grammar (keywords and function names are case-insensitive)::

    SELECT item [, item ...] FROM '<topic filter>' [WHERE condition]
    item      := *  |  expr [AS alias]
    expr      := path | 'string' | number | true | false | null | function() | comparison, AND, OR, NOT, ( )
    path      := name (. name | [index])*          e.g. a, a.b.c, a.b[0]
    function  := topic() | topic(n) | clientid() | timestamp() | newuuid()
    operators := =  <>  !=  <  >  <=  >=  AND  OR  NOT

Semantics follow AWS IoT Core:

* A path that is missing is *Undefined*: the key is left out of the result, and comparisons with it are
  Undefined.  ``=``/``<>`` of values of different types is Undefined; ``<``, ``>``, ``<=``, ``>=``
  convert both sides to numbers (numeric strings too) and are Undefined otherwise.  AND/OR/NOT accept
  booleans (or the strings "true"/"false"); other operands are Undefined, combined with three-valued
  SQL logic (``true OR Undefined`` is true, ``false AND Undefined`` is false, ``NOT Undefined`` is
  Undefined).  A message is forwarded only when WHERE is exactly true.
* Output keys without AS: the last name of a path (``a.b[0]`` -> ``b``), the function name for a
  function (``topic(3)`` -> ``topic``).  Literals and operator expressions need an AS alias.
* A payload that is not a JSON object (binary, invalid JSON, or JSON array/scalar): ``SELECT *`` returns
  the raw bytes unchanged (other items cannot be added to binary data, so they are dropped); without
  ``*`` the result is a dict of the items that do not depend on the payload (topic(), clientid(), ...).
  Payload paths are Undefined, so WHERE conditions on them are not true.

Anything outside this subset (other functions, CASE, nested SELECT, arithmetic, IN, LIKE, ...) raises
IotSqlError at parse time.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from localcloud.clock import real_epoch_ms

__all__ = ["IotSqlError", "Rule", "parse", "topic_matches"]


class IotSqlError(ValueError):
    """The rule SQL is invalid or uses something the local cloud does not support."""


class _UndefinedType:
    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED: Any = _UndefinedType()

_FUNCTIONS = {"topic", "clientid", "timestamp", "newuuid"}
_UNSUPPORTED_WORDS = {
    *"SELECT CASE WHEN THEN ELSE END IN LIKE IS BETWEEN DISTINCT".split(),
    *"GROUP ORDER BY LIMIT JOIN HAVING UNION SET".split(),
}
_KEYWORDS = {"FROM", "WHERE", "AS", "AND", "OR", "NOT"}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'[^']*')
    | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<op><>|!=|<=|>=|=|<|>)
    | (?P<punct>[(),.\[\]*-])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class _Ctx:
    doc: Any  # dict, or UNDEFINED when the payload is not a JSON object
    topic: str
    clientid: str
    now_ms: int


@dataclass(frozen=True)
class _Lit:
    value: Any

    def eval(self, ctx: _Ctx) -> Any:
        return self.value


@dataclass(frozen=True)
class _Path:
    parts: tuple[str | int, ...]

    def eval(self, ctx: _Ctx) -> Any:
        value = ctx.doc
        for part in self.parts:
            if isinstance(part, int):
                ok = isinstance(value, list) and 0 <= part < len(value)
            else:
                ok = isinstance(value, dict) and part in value
            if not ok:
                return UNDEFINED
            value = value[part]
        return value


@dataclass(frozen=True)
class _Func:
    name: str
    arg: int | None = None

    def eval(self, ctx: _Ctx) -> Any:
        if self.name == "topic":
            if self.arg is None:
                return ctx.topic
            levels = ctx.topic.split("/")
            return levels[self.arg - 1] if self.arg <= len(levels) else UNDEFINED
        if self.name == "clientid":
            return ctx.clientid
        if self.name == "timestamp":
            return ctx.now_ms
        return str(uuid.uuid4())  # newuuid


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | int | None:
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


@dataclass(frozen=True)
class _Compare:
    op: str
    left: Any
    right: Any

    def eval(self, ctx: _Ctx) -> Any:
        a, b = self.left.eval(ctx), self.right.eval(ctx)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        if self.op in ("=", "<>", "!="):
            if _is_number(a) and _is_number(b):
                equal = a == b
            elif type(a) is type(b):
                equal = a == b
            else:
                return UNDEFINED
            return equal if self.op == "=" else not equal
        x, y = _as_number(a), _as_number(b)
        if x is None or y is None:
            return UNDEFINED
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[self.op]


@dataclass(frozen=True)
class _Logic:
    op: str  # AND / OR
    left: Any
    right: Any

    def eval(self, ctx: _Ctx) -> Any:
        a, b = _as_bool(self.left.eval(ctx)), _as_bool(self.right.eval(ctx))
        decisive = self.op == "OR"  # true decides OR, false decides AND, whatever the other side is
        if a is decisive or b is decisive:
            return decisive
        if a is None or b is None:
            return UNDEFINED
        return not decisive


@dataclass(frozen=True)
class _Not:
    operand: Any

    def eval(self, ctx: _Ctx) -> Any:
        value = _as_bool(self.operand.eval(ctx))
        return UNDEFINED if value is None else not value


# ---------------------------------------------------------------- topic filters


def _check_filter(topic_filter: str) -> None:
    levels = topic_filter.split("/")
    if not topic_filter:
        raise ValueError("the topic filter is empty")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise ValueError(f"'#' must be a whole level at the end of the topic filter {topic_filter!r}")
        if "+" in level and level != "+":
            raise ValueError(f"'+' must be a whole level in the topic filter {topic_filter!r}")


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching: ``+`` is one level, a trailing ``#`` is the parent level and everything below.

    Wildcards at the first level do not match topics starting with ``$`` (e.g. ``$aws/...``).
    """
    if not topic:
        return False
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    flevels, tlevels = topic_filter.split("/"), topic.split("/")
    for i, level in enumerate(flevels):
        if level == "#":
            return True
        if i >= len(tlevels) or (level != "+" and level != tlevels[i]):
            return False
    return len(flevels) == len(tlevels)


# ---------------------------------------------------------------- rule


@dataclass(frozen=True)
class Rule:
    sql: str
    topic_filter: str
    # (output key, expression); key None and expression None stand for ``*``
    items: tuple[tuple[str | None, Any], ...] = field(repr=False)
    where: Any = field(default=None, repr=False)

    def matches(self, topic: str) -> bool:
        return topic_matches(self.topic_filter, topic)

    def apply(
        self, topic: str, payload: bytes, *, clientid: str = "", now_ms: int | None = None
    ) -> dict | bytes | None:
        """The message a rule action receives, or None when the topic or WHERE does not match.

        Returns a dict for JSON-object payloads; the raw payload bytes for ``SELECT *`` over a payload
        that is not a JSON object (see module docstring).
        """
        if not self.matches(topic):
            return None
        if isinstance(payload, str):
            payload = payload.encode()
        try:
            doc = json.loads(payload)
        except (ValueError, TypeError):
            doc = UNDEFINED
        if not isinstance(doc, dict):
            doc = UNDEFINED
        ctx = _Ctx(doc, topic, clientid, real_epoch_ms() if now_ms is None else now_ms)
        if self.where is not None and self.where.eval(ctx) is not True:
            return None
        if doc is UNDEFINED and any(expr is None for _, expr in self.items):
            return bytes(payload)
        result: dict[str, Any] = {}
        for key, expr in self.items:
            if expr is None:
                result.update(doc)
                continue
            value = expr.eval(ctx)
            if value is not UNDEFINED:
                result[key] = value
        return result


def parse(sql: str) -> Rule:
    """Parse ``SELECT ... FROM '<filter>' [WHERE ...]``; raises IotSqlError for anything unsupported."""
    if not isinstance(sql, str):
        raise IotSqlError(f"rule SQL must be a string, got {sql!r}")
    return _Parser(sql).parse()


class _Parser:
    def __init__(self, sql: str):
        self.sql = sql
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while True:
            match = _TOKEN.match(sql, pos)
            if match is None:  # only trailing whitespace is left
                break
            kind = match.lastgroup or ""
            text = match.group(kind)
            if kind == "bad":
                raise self.error(f"unsupported operator or character {text!r}")
            self.tokens.append((kind, text))
            pos = match.end()
        self.tokens.append(("eof", ""))
        self.pos = 0

    def error(self, message: str) -> IotSqlError:
        return IotSqlError(f"{message} in IoT rule SQL {self.sql!r}")

    # -- token helpers
    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def at_word(self, word: str, offset: int = 0) -> bool:
        kind, text = self.peek(offset)
        return kind == "name" and text.upper() == word

    def at(self, text: str) -> bool:
        kind, value = self.peek()
        return kind in ("op", "punct") and value == text

    def expect_word(self, word: str) -> None:
        if not self.at_word(word):
            raise self.unexpected(f"expected {word}, found")
        self.pos += 1

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise self.error(f"expected {text!r}, found {self.describe()}")
        self.pos += 1

    def describe(self) -> str:
        kind, text = self.peek()
        return "end of statement" if kind == "eof" else repr(text)

    # -- statement
    def parse(self) -> Rule:
        self.expect_word("SELECT")
        if self.at_word("VALUE") and not (
            self.peek(1)[1] in (",", ".", "[") or self.at_word("FROM", 1) or self.at_word("AS", 1)
        ):
            raise self.error("unsupported SELECT VALUE")
        items = [self.item()]
        while self.at(","):
            self.pos += 1
            items.append(self.item())
        self.expect_word("FROM")
        kind, text = self.next()
        if kind != "str":
            raise self.error("FROM needs a quoted topic filter like 'a/+/b'")
        topic_filter = text[1:-1]
        try:
            _check_filter(topic_filter)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        where = None
        if self.at_word("WHERE"):
            self.pos += 1
            where = self.condition()
        if self.peek()[0] != "eof":
            raise self.unexpected()
        return Rule(self.sql, topic_filter, tuple(items), where)

    def unexpected(self, prefix: str = "unexpected") -> IotSqlError:
        kind, text = self.peek()
        if kind == "name" and text.upper() in _UNSUPPORTED_WORDS:
            return self.error(f"unsupported SQL keyword {text.upper()}")
        if kind == "punct" and text in "*-":
            return self.error(f"unsupported arithmetic operator {text!r}")
        return self.error(f"{prefix} {self.describe()}")

    def item(self) -> tuple[str | None, Any]:
        if self.at("*"):
            self.pos += 1
            return None, None
        expr = self.condition()
        if self.at_word("AS"):
            self.pos += 1
            kind, alias = self.next()
            if kind != "name" or alias.upper() in _KEYWORDS | _UNSUPPORTED_WORDS:
                raise self.error(f"AS needs a name, found {alias!r}")
            return alias, expr
        if isinstance(expr, _Path):
            return next(p for p in reversed(expr.parts) if isinstance(p, str)), expr
        if isinstance(expr, _Func):
            return expr.name, expr
        raise self.error("a SELECT item that is not a field or function needs an AS alias")

    # -- expressions, lowest precedence first
    def condition(self) -> Any:
        left = self.conjunction()
        while self.at_word("OR"):
            self.pos += 1
            left = _Logic("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.at_word("AND"):
            self.pos += 1
            left = _Logic("AND", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.at_word("NOT"):
            self.pos += 1
            return _Not(self.negation())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.operand()
        kind, op = self.peek()
        if kind == "op":
            self.pos += 1
            left = _Compare(op, left, self.operand())
            if self.peek()[0] == "op":
                raise self.error(f"chained comparison at {self.describe()}; use AND")
        return left

    def operand(self) -> Any:
        kind, text = self.next()
        if kind == "punct" and text == "(":
            expr = self.condition()
            self.expect(")")
            return expr
        if kind == "punct" and text == "-" and self.peek()[0] == "num":
            return _Lit(-self.number(self.next()[1]))
        if kind == "str":
            return _Lit(text[1:-1])
        if kind == "num":
            return _Lit(self.number(text))
        if kind == "name":
            return self.named(text)
        self.pos -= 1
        raise self.unexpected() if kind != "eof" else self.error("unexpected end of statement")

    @staticmethod
    def number(text: str) -> int | float:
        if text.isdigit():
            return int(text)
        value = float(text)
        return int(value) if value.is_integer() and "e" not in text.lower() else value

    def named(self, name: str) -> Any:
        upper = name.upper()
        if upper in _UNSUPPORTED_WORDS:
            raise self.error(f"unsupported SQL keyword {upper}")
        if upper in _KEYWORDS:
            raise self.error(f"unexpected keyword {upper}")
        if self.at("("):
            return self.function(name)
        if upper in ("TRUE", "FALSE", "NULL"):
            return _Lit({"TRUE": True, "FALSE": False, "NULL": None}[upper])
        parts: list[str | int] = [name]
        while self.at(".") or self.at("["):
            if self.next()[1] == ".":
                kind, text = self.next()
                if kind != "name":
                    raise self.error(f"expected a field name after '.', found {text!r}")
                parts.append(text)
            else:
                kind, text = self.next()
                if kind != "num" or not text.isdigit():
                    raise self.error(f"array index must be a non-negative integer, found {text!r}")
                parts.append(int(text))
                self.expect("]")
        return _Path(tuple(parts))

    def function(self, name: str) -> _Func:
        lower = name.lower()
        if lower not in _FUNCTIONS:
            raise self.error(f"unsupported function {name}()")
        self.expect("(")
        arg = None
        if lower == "topic" and self.peek()[0] == "num":
            text = self.next()[1]
            if not text.isdigit() or int(text) < 1:
                raise self.error(f"topic() takes a 1-based level number, not {text}")
            arg = int(text)
        if not self.at(")"):
            raise self.error(f"unsupported arguments to {lower}(): {self.describe()}")
        self.pos += 1
        return _Func(lower, arg)
