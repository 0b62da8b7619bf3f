"""The local cloud's moto fixes answer every Query as moto does unpatched (same items, same pages, same
LastEvaluatedKey): table and index Queries, forward and backward, key conditions on the sort key, a GSI sort
key shared by several items, projections, Limit and 1 MB pages, through every page."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.motofixes import atomic_items, fixed

TABLE = "fixes"


def world() -> Any:
    """A table like Houqin's (pk/sk, GSI1 on gsi1pk/gsi1sk, all projected), written in a shuffled order: three
    partitions, index sort keys shared by several items, some items in no index, a partition of ~10 KB items."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    names = ("pk", "sk", "gsi1pk", "gsi1sk")
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in names],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
    rng = random.Random(19)
    items = []
    for n in range(900):
        item = {"pk": {"S": f"P#{n % 3}"}, "sk": {"S": f"E{n % 40:02d}#{n:04d}"}, "n": {"N": str(n)},
                "note": {"S": "x" * (10_000 if n % 3 == 2 else 20)}}
        if n % 7:  # every seventh item is in no index
            item |= {"gsi1pk": {"S": f"G#{n % 2}"}, "gsi1sk": {"S": f"E{n % 25:02d}#{n % 11}"}}
        items.append(item)
    rng.shuffle(items)
    for item in items:
        client.put_item(TableName=TABLE, Item=item)
    return client


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#0"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#1"}}, "Limit": 37,
     "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#2"}}},  # 1 MB pages
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
     "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":s": {"S": "E1"}}, "Limit": 9},
    {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ProjectionExpression": "sk, n",
     "ExpressionAttributeValues": {":p": {"S": "P#0"}, ":a": {"S": "E05"}, ":b": {"S": "E12#9999"}}},
    {"IndexName": "GSI1", "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": {":p": {"S": "G#0"}}},
    {"IndexName": "GSI1", "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": {":p": {"S": "G#1"}},
     "Limit": 23, "ProjectionExpression": "gsi1sk"},
    {"IndexName": "GSI1", "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": {":p": {"S": "G#1"}},
     "Limit": 31, "ScanIndexForward": False},
    {"IndexName": "GSI1", "KeyConditionExpression": "gsi1pk = :p AND begins_with(gsi1sk, :s)", "Limit": 5,
     "ExpressionAttributeValues": {":p": {"S": "G#0"}, ":s": {"S": "E1"}}},
    {"IndexName": "GSI1", "KeyConditionExpression": "gsi1pk = :p AND gsi1sk BETWEEN :a AND :b", "Limit": 4,
     "ExpressionAttributeValues": {":p": {"S": "G#0"}, ":a": {"S": "E03#5"}, ":b": {"S": "E07#2"}}},
]


def pages(client: Any, query: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], Any]]:
    start = None
    while True:
        page = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        yield page["Items"], page.get("LastEvaluatedKey")
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def answers(patched: bool) -> list[list[tuple[list[dict[str, Any]], Any]]]:
    with mock_aws(), atomic_items(), (fixed() if patched else _nothing()):
        client = world()
        return [list(pages(client, query)) for query in QUERIES]


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(scope="module")
def unpatched():
    return answers(patched=False)


def test_every_query_is_answered_page_by_page_as_moto_answers_it_unpatched(unpatched):
    patched = answers(patched=True)
    for query, expected, found in zip(QUERIES, unpatched, patched, strict=True):
        assert found == expected, query
    sizes = [len(p) for p in unpatched]
    assert sizes[2] > 1 and all(n > 2 for n in (sizes[1], sizes[6], sizes[7]))  # the pages were exercised
    assert len(unpatched[0][0][0]) == 300 and sum(len(items) for items, _ in unpatched[5]) > 300


def stored_key(n: int) -> dict[str, Any]:
    """The key of world()'s item number ``n`` (of partition P#0 when n % 3 == 0)."""
    return {"pk": {"S": f"P#{n % 3}"}, "sk": {"S": f"E{n % 40:02d}#{n:04d}"}}


def reads(patched: bool) -> list[Any]:
    """GetItem, BatchGetItem, Scan and Query of items holding every kind of value (binary and sets, nested maps
    and lists, a map with an attribute named "B"), with moto's own serializer or the fix's direct JSON."""
    from localcloud.motofixes import item_responses

    with mock_aws(), atomic_items(), (item_responses() if patched else _nothing()):
        client = world()
        odd = {"pk": {"S": "P#9"}, "sk": {"S": "odd"}, "bin": {"B": b"\x00\xffhouqin"}, "bs": {"BS": [b"a", b"\x01"]},
               "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "null": {"NULL": True}, "yes": {"BOOL": False},
               "m": {"M": {"B": {"S": "not binary"}, "deep": {"L": [{"B": b"z"}, {"N": "-3"}, {"M": {}}]}}},
               "empty": {"L": []}, "text": {"S": "松北一公寓 \"quoted\" \n"}}
        client.put_item(TableName=TABLE, Item=odd)
        key = {"pk": odd["pk"], "sk": odd["sk"]}
        answers = [client.get_item(TableName=TABLE, Key=key, ReturnConsumedCapacity="TOTAL"),
                   client.get_item(TableName=TABLE, Key={"pk": {"S": "none"}, "sk": {"S": "none"}}),
                   client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": {"S": "P#0"}, "sk": {"S": "x"}}]
                                                               + [stored_key(n) for n in range(0, 90, 3)]}},
                                         ReturnConsumedCapacity="INDEXES"),
                   client.scan(TableName=TABLE, Limit=50, ReturnConsumedCapacity="TOTAL"),
                   client.query(TableName=TABLE, KeyConditionExpression="pk = :p", ProjectionExpression="bin, m",
                                ExpressionAttributeValues={":p": {"S": "P#9"}}, Select="SPECIFIC_ATTRIBUTES")]
        for answer in answers:
            answer.pop("ResponseMetadata")
        batch = answers[2]["Responses"][TABLE]
        batch.sort(key=lambda item: item["sk"]["S"])  # BatchGetItem's order is not defined
        return answers


def test_item_reads_are_answered_with_the_json_moto_writes():
    expected, found = reads(patched=False), reads(patched=True)
    assert found == expected
    item = found[0]["Item"]
    assert item["bin"] == {"B": b"\x00\xffhouqin"} and item["m"]["M"]["B"] == {"S": "not binary"}
    assert len(found[2]["Responses"][TABLE]) == 31
