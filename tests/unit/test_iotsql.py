import json
import uuid

import pytest

from localcloud.iotsql import IotSqlError, Rule, parse, topic_matches

SWIPES = "SELECT *, topic(3) AS reader_id FROM 'houqin/gates/+/swipes'"


def run(sql: str, payload, topic: str = "t/a/b", **kwargs):
    if not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return parse(sql).apply(topic, payload, **kwargs)


# ------------------------------------------------------------------ SELECT


def test_star_plus_topic_segment():
    rule = parse(SWIPES)
    assert isinstance(rule, Rule)
    assert rule.topic_filter == "houqin/gates/+/swipes"
    assert rule.apply("houqin/gates/R1/swipes", b'{"v":1}') == {"v": 1, "reader_id": "R1"}


def test_keywords_case_insensitive():
    rule = parse("select *, Topic(3) as reader_id from 'houqin/gates/+/swipes' where v = 1")
    assert rule.apply("houqin/gates/R1/swipes", b'{"v":1}') == {"v": 1, "reader_id": "R1"}


def test_items_override_star_in_order():
    assert run("SELECT *, 'x' AS v FROM 't/#'", {"v": 1, "w": 2}) == {"v": "x", "w": 2}
    assert run("SELECT 'x' AS v, * FROM 't/#'", {"v": 1, "w": 2}) == {"v": 1, "w": 2}


def test_star_result_is_a_copy():
    payload = b'{"a": {"b": 1}}'
    rule = parse("SELECT *, 1 AS n FROM 't/#'")
    first = rule.apply("t/x", payload)
    first["a"]["b"] = 99
    assert rule.apply("t/x", payload) == {"a": {"b": 1}, "n": 1}


def test_paths_and_default_keys():
    payload = {"a": {"b": {"c": 3}, "list": [10, {"k": "v"}]}, "top": True, "nil": None}
    sql = "SELECT a.b.c, a.list[0], a.list[1].k, top, nil, a.b AS whole FROM 't/#'"
    assert run(sql, payload) == {"c": 3, "list": 10, "k": "v", "top": True, "nil": None, "whole": {"c": 3}}


def test_missing_paths_are_left_out():
    sql = "SELECT a.b, a.list[5], missing, top.deeper, present FROM 't/#'"
    assert run(sql, {"a": {"list": [1]}, "top": 3, "present": 0}) == {"present": 0}


def test_literals_need_alias_and_keep_type():
    sql = (
        "SELECT 'txt' AS s, 42 AS i, 2.5 AS f, -3 AS neg, 10.0 AS whole, "
        "true AS t, false AS f2, null AS n FROM 't'"
    )
    assert run(sql, {}, topic="t") == {
        "s": "txt", "i": 42, "f": 2.5, "neg": -3, "whole": 10, "t": True, "f2": False, "n": None,
    }  # fmt: skip


def test_functions():
    sql = (
        "SELECT topic() AS t, "
        "topic(1) AS first, topic(9) AS none, clientid() AS c, timestamp() AS ts FROM '#'"
    )
    result = run(sql, {}, topic="a/b/c", clientid="gate-7", now_ms=1_700_000_000_000)
    assert result == {"t": "a/b/c", "first": "a", "c": "gate-7", "ts": 1_700_000_000_000}


def test_function_default_keys_use_function_name():
    sql = "SELECT topic(2), clientid(), timestamp(), newuuid() FROM '#'"
    result = run(sql, {}, topic="a/b", clientid="dev", now_ms=5)
    assert result["topic"] == "b" and result["clientid"] == "dev" and result["timestamp"] == 5
    uuid.UUID(result["newuuid"])


def test_timestamp_defaults_to_now():
    from localcloud.clock import real_epoch_ms

    before = real_epoch_ms()
    ts = run("SELECT timestamp() AS ts FROM '#'", {})["ts"]
    assert before <= ts <= real_epoch_ms()


def test_newuuid_differs_per_message():
    rule = parse("SELECT newuuid() AS id FROM '#'")
    assert rule.apply("a", b"{}")["id"] != rule.apply("a", b"{}")["id"]


def test_comparison_as_select_item():
    assert run("SELECT n > 5 AS big, n = 3 AS three FROM 't/#'", {"n": 3}) == {"big": False, "three": True}


# ------------------------------------------------------------------ WHERE


@pytest.mark.parametrize(
    ("where", "forwarded"),
    [
        ("n = 5", True),
        ("n = 6", False),
        ("n <> 6", True),
        ("n != 5", False),
        ("n > 4", True),
        ("n > 5", False),
        ("n >= 5", True),
        ("n < 5", False),
        ("n <= 5", True),
        ("5 = n", True),
        ("n = 5.0", True),
        ("s = 'open'", True),
        ("s = 'closed'", False),
        ("s <> 'closed'", True),
        ("num_str > 4", True),  # numeric strings are converted for ordering
        ("s > 4", False),  # not a number -> Undefined
        ("s = 5", False),  # different types -> Undefined
        ("NOT s = 5", False),  # NOT Undefined is Undefined
        ("flag", True),
        ("flag = true", True),
        ("NOT flag", False),
        ("nested.x = 1", True),
        ("arr[1] = 'b'", True),
        ("n = 5 AND s = 'open'", True),
        ("n = 5 AND s = 'closed'", False),
        ("n = 6 OR s = 'open'", True),
        ("n = 6 OR s = 'closed'", False),
        ("NOT n = 6", True),
        ("NOT (n = 5 AND s = 'open')", False),
        ("n = 6 OR n = 5 AND s = 'closed'", False),  # AND binds tighter
        ("(n = 6 OR n = 5) AND s = 'open'", True),
        ("missing = 1", False),
        ("missing <> 1", False),  # Undefined, not true
        ("missing = 1 OR n = 5", True),  # three-valued logic
        ("missing = 1 AND n = 5", False),
        ("nil = null", True),
        ("topic(2) = 'gates'", True),
        ("clientid() = 'dev'", True),
        ("'str' = 'str'", True),
    ],
)
def test_where(where, forwarded):
    payload = {"n": 5, "s": "open", "num_str": "7", "flag": True, "nested": {"x": 1}, "arr": ["a", "b"]}
    payload["nil"] = None
    sql = f"SELECT * FROM 'houqin/#' WHERE {where}"  # noqa: S608
    result = run(sql, payload, topic="houqin/gates/R1", clientid="dev")
    assert (result == payload) if forwarded else (result is None)


def test_where_false_returns_none_and_topic_mismatch_returns_none():
    rule = parse("SELECT * FROM 'a/+' WHERE n > 1")
    assert rule.apply("a/b", b'{"n": 2}') == {"n": 2}
    assert rule.apply("a/b", b'{"n": 1}') is None
    assert rule.apply("x/b", b'{"n": 2}') is None


# ------------------------------------------------------------------ non-JSON payloads


def test_binary_payload_passthrough():
    raw = b"\x00\x01\xffnot json"
    assert parse("SELECT * FROM 'a/#'").apply("a/b", raw) == raw
    assert parse(SWIPES).apply("houqin/gates/R1/swipes", raw) == raw  # extra items cannot be added


def test_non_object_json_is_treated_as_binary():
    for raw in (b"[1, 2]", b"42", b'"text"', b"plain text", b""):
        assert parse("SELECT * FROM 'a'").apply("a", raw) == raw


def test_binary_payload_without_star_keeps_payload_free_items():
    rule = parse("SELECT topic(2) AS reader, v, clientid() AS c FROM 'a/+'")
    assert rule.apply("a/R9", b"\x01\x02", clientid="x") == {"reader": "R9", "c": "x"}


def test_binary_payload_where_on_fields_is_not_true():
    assert parse("SELECT * FROM 'a' WHERE v = 1").apply("a", b"\x01") is None
    assert parse("SELECT * FROM 'a' WHERE NOT v = 1").apply("a", b"\x01") is None
    assert parse("SELECT * FROM 'a/+' WHERE topic(2) = 'b'").apply("a/b", b"\x01") == b"\x01"


def test_str_payload_accepted():
    assert parse("SELECT * FROM 'a'").apply("a", '{"v": 1}') == {"v": 1}


# ------------------------------------------------------------------ topic matching


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("houqin/gates/+/swipes", "houqin/gates/R1/swipes", True),
        ("houqin/gates/+/swipes", "houqin/gates/R1/R2/swipes", False),
        ("houqin/gates/+/swipes", "houqin/gates/swipes", False),
        ("houqin/gates/+/swipes", "houqin/gates//swipes", True),  # empty level is a level
        ("houqin/gates/+", "houqin/gates/R1", True),
        ("houqin/gates/+", "houqin/gates/R1/x", False),
        ("houqin/#", "houqin/gates/R1/swipes", True),
        ("houqin/#", "houqin", True),  # '#' includes the parent level
        ("houqin/#", "houqinx/a", False),
        ("houqin/+/#", "houqin/gates", True),
        ("houqin/+/#", "houqin", False),
        ("#", "anything/at/all", True),
        ("+/+", "a/b", True),
        ("+/+", "a", False),
        ("a/b", "a/b", True),
        ("a/b", "a/B", False),
        ("a/b", "a/b/", False),
        ("#", "$aws/things/x", False),  # wildcards do not match $-topics at the first level
        ("+/things/x", "$aws/things/x", False),
        ("$aws/things/+", "$aws/things/x", True),
        ("a/#", "", False),
    ],
)
def test_matches(topic_filter, topic, expected):
    assert topic_matches(topic_filter, topic) is expected
    assert parse(f"SELECT * FROM '{topic_filter}'").matches(topic) is expected  # noqa: S608


@pytest.mark.parametrize("topic_filter", ["a/#/b", "a/b#", "a+/b", "a/+b", "##", ""])
def test_invalid_topic_filters(topic_filter):
    with pytest.raises(IotSqlError, match="topic filter"):
        parse(f"SELECT * FROM '{topic_filter}'")  # noqa: S608


# ------------------------------------------------------------------ unsupported / invalid SQL


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT upper(s) AS u FROM 'a'", "unsupported function upper()"),
        ("SELECT encode(*, 'base64') AS data FROM 'a'", "unsupported function encode()"),
        ("SELECT CASE n WHEN 1 THEN 'a' END AS c FROM 'a'", "unsupported SQL keyword CASE"),
        ("SELECT * FROM 'a' WHERE n IN (1, 2)", "unsupported SQL keyword IN"),
        ("SELECT * FROM 'a' WHERE s LIKE 'x%'", "unsupported SQL keyword LIKE"),
        ("SELECT * FROM 'a' WHERE n IS NULL", "unsupported SQL keyword IS"),
        ("SELECT * FROM 'a' ORDER BY n", "unsupported SQL keyword ORDER"),
        ("SELECT (SELECT n FROM 'b') AS x FROM 'a'", "unsupported SQL keyword SELECT"),
        ("SELECT * FROM (SELECT * FROM 'a')", "FROM needs a quoted topic filter"),
        ("SELECT VALUE n FROM 'a'", "SELECT VALUE"),
        ("SELECT n + 1 AS m FROM 'a'", "'+'"),
        ("SELECT n - 1 AS m FROM 'a'", "arithmetic operator '-'"),
        ("SELECT n * 2 AS m FROM 'a'", "arithmetic operator '*'"),
        ("SELECT * FROM 'a' WHERE n % 2 = 0", "'%'"),
        ("SELECT \"quoted\" FROM 'a'", "'\"'"),
        ("SELECT 'x' FROM 'a'", "needs an AS alias"),
        ("SELECT n > 1 FROM 'a'", "needs an AS alias"),
        ("SELECT * FROM 'a' WHERE 1 < n < 3", "chained comparison"),
        ("SELECT * FROM 'a' WHERE", "end of statement"),
        ("SELECT * FROM 'a' WHERE (n = 1", "expected ')'"),
        ("SELECT n, FROM 'a'", "unexpected keyword FROM"),
        ("SELECT n AS FROM 'a'", "AS needs a name"),
        ("SELECT n FROM a", "FROM needs a quoted topic filter"),
        ("SELECT n 'a'", "expected FROM"),
        ("SELECT * FROM 'a' 'b'", "unexpected"),
        ("UPDATE a SET n = 1", "expected SELECT"),
        ("SELECT topic(0) AS t FROM 'a'", "1-based"),
        ("SELECT topic('x') AS t FROM 'a'", "unsupported arguments to topic()"),
        ("SELECT clientid(1) AS t FROM 'a'", "unsupported arguments to clientid()"),
        ("SELECT a.1 FROM 'a'", "field name after '.'"),
        ("SELECT a[x] FROM 'a'", "array index"),
        ("", "expected SELECT"),
    ],
)
def test_unsupported_or_invalid_sql(sql, message):
    with pytest.raises(IotSqlError) as info:
        parse(sql)
    assert message in str(info.value)
    assert repr(sql) in str(info.value)


def test_field_named_value_is_still_a_path():
    assert run("SELECT value FROM 'a'", {"value": 3}, topic="a") == {"value": 3}
    result = run("SELECT value AS v, value.x FROM 'a'", {"value": {"x": 1}}, topic="a")
    assert result == {"v": {"x": 1}, "x": 1}


def test_rule_is_frozen_and_hashable():
    rule = parse(SWIPES)
    with pytest.raises(AttributeError):
        rule.topic_filter = "x"
    assert parse(SWIPES) == rule
    assert hash(parse(SWIPES)) == hash(rule)


def test_iot_sql_error_is_value_error():
    assert issubclass(IotSqlError, ValueError)
