"""Pure billing rules of localcloud.costmeter (no AWS)."""

import boto3
import botocore.session
import pytest

from localcloud.costmeter import (
    CostMeter,
    IndexSchema,
    TableSchema,
    evaluation_request,
    index_write_units,
    item_size,
    item_write_units,
    number_size,
    project_item,
    read_units,
    value_size,
    write_units,
)

KEYS = ("pk", "sk")
GSI_ALL = IndexSchema("gsi1", ("gsi1pk", "gsi1sk"), "ALL")
GSI_KEYS = IndexSchema("gsi2", ("gsi2pk",), "KEYS_ONLY")
GSI_INCLUDE = IndexSchema("gsi3", ("gsi3pk",), "INCLUDE", ("status",))


def padded(size: int, **attrs: str) -> dict:
    """An item of exactly *size* bytes with string attributes *attrs* and a ``data`` filler."""
    item = {name: {"S": value} for name, value in attrs.items()}
    filler = size - item_size(item) - len("data")
    assert filler >= 0
    item["data"] = {"S": "x" * filler}
    assert item_size(item) == size
    return item


# ---- sizes ---------------------------------------------------------------------------------------------


def test_string_sizes_count_utf8_bytes_of_name_and_value():
    assert item_size({"pk": {"S": "a"}}) == 3
    assert item_size({"pk": {"S": "é"}}) == 4
    assert item_size({"名": {"S": ""}}) == 3
    assert item_size({}) == 0
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("0", 1),
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("100", 2),  # trailing zeroes trimmed
        ("0.00120", 2),  # leading and trailing zeroes trimmed
        ("-1.5", 2),
        ("1E+5", 2),
        ("12345678901234567890123456789012345678", 20),  # 38 significant digits
    ],
)
def test_number_size(number, size):
    assert number_size(number) == size
    assert item_size({"n": {"N": number}}) == 1 + size


def test_binary_bool_null_sizes():
    assert value_size({"B": b"\x00\x01\x02"}) == 3
    assert value_size({"B": bytearray(5)}) == 5
    assert value_size({"BOOL": False}) == 1
    assert value_size({"NULL": True}) == 1


def test_set_sizes_are_sums_of_elements():
    assert value_size({"SS": ["a", "bc"]}) == 3
    assert value_size({"NS": ["1", "22", "333"]}) == 2 + 2 + 3
    assert value_size({"BS": [b"ab", b"c"]}) == 3


def test_list_and_map_sizes():
    # 3 overhead + (2 + 1) + (2 + 1)
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 9
    # 3 overhead + name 1 + value 1 + 1 per element
    assert value_size({"M": {"k": {"S": "v"}}}) == 6
    assert value_size({"L": []}) == 3
    assert value_size({"M": {}}) == 3


def test_nested_map_of_list():
    inner = {"L": [{"BOOL": True}]}  # 3 + 1 + 1 = 5
    assert value_size(inner) == 5
    item = {"m": {"M": {"l": inner}}}  # M: 3 + (1 + 5) + 1 = 10; item: 1 + 10
    assert item_size(item) == 11


def test_unknown_type_is_rejected():
    with pytest.raises(ValueError, match="unknown AttributeValue"):
        value_size({"X": "?"})


# ---- units ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (1536, 2), (3072, 3)])
def test_write_units(size, units):
    assert write_units(size) == units


def test_padded_item_write_units():
    assert write_units(item_size(padded(1024, pk="a"))) == 1
    assert write_units(item_size(padded(1025, pk="a"))) == 2


@pytest.mark.parametrize(
    ("size", "strong", "eventual"), [(0, 1, 0.5), (4096, 1, 0.5), (4097, 2, 1), (10240, 3, 1.5)]
)
def test_read_units(size, strong, eventual):
    assert read_units(size, consistent=True) == strong
    assert read_units(size, consistent=False) == eventual
    assert read_units(size) == strong


# ---- projections and index writes ----------------------------------------------------------------------


ITEM = {
    "pk": {"S": "p"},
    "sk": {"S": "s"},
    "gsi1pk": {"S": "g"},
    "gsi1sk": {"S": "1"},
    "gsi2pk": {"S": "k"},
    "gsi3pk": {"S": "i"},
    "status": {"S": "open"},
    "data": {"S": "x" * 100},
}


def test_projection_all_is_the_whole_item():
    assert project_item(ITEM, GSI_ALL, KEYS) == ITEM


def test_projection_keys_only_is_table_and_index_keys():
    assert project_item(ITEM, GSI_KEYS, KEYS) == {
        "pk": ITEM["pk"],
        "sk": ITEM["sk"],
        "gsi2pk": ITEM["gsi2pk"],
    }


def test_projection_include_adds_non_key_attributes():
    assert set(project_item(ITEM, GSI_INCLUDE, KEYS)) == {"pk", "sk", "gsi3pk", "status"}


def test_item_without_index_keys_is_not_in_the_index():
    item = {"pk": {"S": "p"}, "sk": {"S": "s"}, "gsi1pk": {"S": "g"}}  # no gsi1sk
    assert project_item(item, GSI_ALL, KEYS) is None
    assert project_item(None, GSI_ALL, KEYS) is None
    assert index_write_units(None, item, GSI_ALL, KEYS) == 0


def test_gaining_and_losing_index_keys_is_one_index_write():
    assert index_write_units(None, ITEM, GSI_ALL, KEYS) == 1
    assert index_write_units(ITEM, None, GSI_ALL, KEYS) == 1
    without = {k: v for k, v in ITEM.items() if k != "gsi2pk"}
    assert index_write_units(without, ITEM, GSI_KEYS, KEYS) == 1
    assert index_write_units(ITEM, without, GSI_KEYS, KEYS) == 1


def test_changing_an_index_key_is_two_index_writes():
    moved = {**ITEM, "gsi1pk": {"S": "other"}}
    assert index_write_units(ITEM, moved, GSI_ALL, KEYS) == 2
    big, big_moved = padded(1536, gsi1pk="a", gsi1sk="1"), padded(1536, gsi1pk="b", gsi1sk="1")
    assert index_write_units(big, big_moved, GSI_ALL, KEYS) == 4


def test_change_outside_the_projection_is_free():
    changed = {**ITEM, "data": {"S": "y" * 3000}}
    assert index_write_units(ITEM, changed, GSI_KEYS, KEYS) == 0
    assert index_write_units(ITEM, changed, GSI_INCLUDE, KEYS) == 0
    assert index_write_units(ITEM, changed, GSI_ALL, KEYS) == 3  # larger of old and new: 3 KB


def test_change_of_included_attribute_is_one_index_write():
    assert index_write_units(ITEM, {**ITEM, "status": {"S": "done"}}, GSI_INCLUDE, KEYS) == 1


def test_item_write_units_add_table_and_index_writes():
    table = TableSchema("t", KEYS, (GSI_ALL, GSI_KEYS))
    item = padded(1536, pk="p", sk="s", gsi1pk="g", gsi1sk="1")
    assert item_write_units(table, None, item) == 2 + 2  # table + gsi1 (no gsi2 key)
    assert item_write_units(table, item, None) == 2 + 2
    moved = {**item, "gsi1pk": {"S": "h"}}
    assert item_write_units(table, item, moved) == 2 + 2 + 2
    assert item_write_units(table, None, padded(500, pk="p", sk="s")) == 1
    assert item_write_units(table, padded(3000, pk="p", sk="s"), padded(500, pk="p", sk="s")) == 3


def test_table_schema_from_describe_table():
    schema = TableSchema.from_description(
        {
            "TableName": "t",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "gsi3",
                    "KeySchema": [{"AttributeName": "gsi3pk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]},
                }
            ],
            "LocalSecondaryIndexes": [
                {
                    "IndexName": "lsi",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        }
    )
    assert schema.keys == KEYS
    assert schema.index("gsi3") == GSI_INCLUDE
    assert schema.index("lsi") == IndexSchema("lsi", ("pk", "at"), "KEYS_ONLY")
    assert schema.index("nope") is None
    assert schema.key_of(ITEM) == {"pk": ITEM["pk"], "sk": ITEM["sk"]}


# ---- re-issued Query/Scan ------------------------------------------------------------------------------


def test_plain_query_needs_no_reissue():
    params = {"TableName": "t", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {}}}
    assert evaluation_request(params) is None
    assert evaluation_request({**params, "Select": "ALL_ATTRIBUTES"}) is None


def test_reissue_drops_filter_projection_and_unused_placeholders():
    params = {
        "TableName": "t",
        "IndexName": "gsi1",
        "KeyConditionExpression": "#p = :p",
        "FilterExpression": "#s = :s",
        "ProjectionExpression": "#p, #s",
        "ExpressionAttributeNames": {"#p": "gsi1pk", "#s": "status"},
        "ExpressionAttributeValues": {":p": {"S": "g"}, ":s": {"S": "open"}},
        "Limit": 10,
        "ExclusiveStartKey": {"pk": {"S": "a"}},
        "ConsistentRead": False,
    }
    assert evaluation_request(params) == {
        "TableName": "t",
        "IndexName": "gsi1",
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "gsi1pk"},
        "ExpressionAttributeValues": {":p": {"S": "g"}},
        "Limit": 10,
        "ExclusiveStartKey": {"pk": {"S": "a"}},
        "ConsistentRead": False,
    }


def test_reissue_of_count_scan():
    assert evaluation_request({"TableName": "t", "Select": "COUNT"}) == {"TableName": "t"}
    scan = {"TableName": "t", "FilterExpression": "a = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}}
    assert evaluation_request(scan) == {"TableName": "t"}


# ---- meter bookkeeping (no calls made) -----------------------------------------------------------------


def test_attach_rejects_other_targets():
    meter = CostMeter()
    with pytest.raises(TypeError):
        meter.attach(object())
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(ValueError, match="not a DynamoDB client"):
        meter.attach(sqs)


def test_fresh_meter_is_zero():
    meter = CostMeter()
    assert (meter.rcu, meter.wcu, meter.calls) == (0, 0, 0)
    assert meter.snapshot() == {
        "rcu": 0,
        "wcu": 0,
        "calls": 0,
        "errors": 0,
        "by_table": {},
        "by_operation": {},
    }
    assert str(meter) == "RCU 0, WCU 0 (0 calls)"


def test_installed_patches_and_restores_client_creation():
    original = botocore.session.Session.create_client
    with CostMeter.installed() as outer:
        with CostMeter.installed() as inner:
            client = boto3.client(
                "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
            )
            assert client in outer._clients and client in inner._clients
        assert botocore.session.Session.create_client is not original
        assert client not in inner._clients
    assert botocore.session.Session.create_client is original
    assert client not in outer._clients
