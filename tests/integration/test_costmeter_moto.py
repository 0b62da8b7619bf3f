"""CostMeter against moto's in-process DynamoDB: exact billed RCU/WCU per operation."""

import threading

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from localcloud.costmeter import CostMeter, item_size

TABLE = "hq-costmeter"
REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def _key(name: str, kind: str) -> dict:
    return {"AttributeName": name, "KeyType": kind}


@pytest.fixture
def ddb(aws):
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[_key("pk", "HASH"), _key("sk", "RANGE")],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [_key("gsi1pk", "HASH"), _key("gsi1sk", "RANGE")],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "gsi2",
                "KeySchema": [_key("gsi2pk", "HASH")],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    return client


@pytest.fixture
def meter(ddb):
    with CostMeter().attach(ddb) as meter:
        yield meter
    assert meter.errors == 0


def padded(size: int, **attrs: str) -> dict:
    """A wire-format item of exactly *size* bytes: string attributes *attrs* plus a ``data`` filler."""
    item = {name: {"S": value} for name, value in attrs.items()}
    item["data"] = {"S": "x" * (size - item_size(item) - len("data"))}
    assert item_size(item) == size
    return item


def key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# ---- writes --------------------------------------------------------------------------------------------


def test_put_with_gsi_keys_bills_table_and_index(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi1pk="g", gsi1sk="1"))
    assert meter.wcu == 2 + 2
    assert meter.rcu == 0
    assert meter.by_table() == {TABLE: {"rcu": 0, "wcu": 4}}
    assert meter.by_operation() == {"PutItem": {"rcu": 0, "wcu": 4, "calls": 1}}


def test_put_without_gsi_keys_bills_table_only(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1"))
    assert meter.wcu == 2


def test_put_with_keys_only_gsi_bills_projected_size(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi2pk="k"))
    assert meter.wcu == 2 + 1


def test_overwriting_put_bills_the_larger_item(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(3000, pk="a", sk="1"))
    meter.reset()
    ddb.put_item(TableName=TABLE, Item=padded(500, pk="a", sk="1"))
    assert meter.wcu == 3


def test_update_changing_gsi_key_bills_two_index_writes(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi1pk="g", gsi1sk="1"))
    meter.reset()
    ddb.update_item(
        TableName=TABLE,
        Key=key("a", "1"),
        UpdateExpression="SET gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": "h"}},
    )
    assert meter.wcu == 2 + 2 + 2  # table + delete old index entry + put new one
    assert meter.by_operation()["UpdateItem"] == {"rcu": 0, "wcu": 6, "calls": 1}


def test_update_outside_keys_only_projection_bills_no_index_write(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi2pk="k"))
    meter.reset()
    ddb.update_item(
        TableName=TABLE,
        Key=key("a", "1"),
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "hello"}},
    )
    assert meter.wcu == 2
    ddb.update_item(
        TableName=TABLE,
        Key=key("a", "2"),
        UpdateExpression="SET gsi2pk = :k",
        ExpressionAttributeValues={":k": {"S": "k"}},
    )
    assert meter.wcu == 2 + (1 + 1)  # new small item + gains the gsi2 key


def test_delete_bills_item_and_index_entries(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi1pk="g", gsi1sk="1"))
    meter.reset()
    ddb.delete_item(TableName=TABLE, Key=key("a", "1"))
    assert meter.wcu == 2 + 2
    ddb.delete_item(TableName=TABLE, Key=key("missing", "1"))
    assert meter.wcu == 4 + 1


def test_failed_conditional_writes_are_billed(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1", gsi1pk="g", gsi1sk="1"))
    meter.reset()
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ddb.put_item(
            TableName=TABLE,
            Item=padded(1536, pk="a", sk="1"),
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert meter.wcu == 2
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.delete_item(TableName=TABLE, Key=key("a", "1"), ConditionExpression="attribute_exists(nope)")
    assert meter.wcu == 2 + 2
    assert meter.by_operation()["DeleteItem"]["calls"] == 1


def test_batch_write_bills_each_item(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(512, pk="old", sk="1"))
    meter.reset()
    puts = [{"PutRequest": {"Item": padded(1536, pk="b", sk=str(i))}} for i in range(3)]
    delete = {"DeleteRequest": {"Key": key("old", "1")}}
    ddb.batch_write_item(RequestItems={TABLE: [*puts, delete]})
    assert meter.wcu == 3 * 2 + 1
    assert meter.by_operation() == {"BatchWriteItem": {"rcu": 0, "wcu": 7, "calls": 1}}


def test_transact_write_bills_double(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(512, pk="old", sk="1"))
    meter.reset()
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": padded(1536, pk="t", sk="1", gsi1pk="g", gsi1sk="1")}},
            {"Delete": {"TableName": TABLE, "Key": key("old", "1")}},
        ]
    )
    assert meter.wcu == 2 * (2 + 2) + 2 * 1


def test_cancelled_transaction_is_billed(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="t", sk="1"))
    meter.reset()
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": padded(1536, pk="t", sk="1"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": TABLE, "Item": padded(100, pk="t", sk="2")}},
            ]
        )
    assert meter.wcu == 2 * 2 + 2 * 1
    assert meter.by_operation()["TransactWriteItems"]["calls"] == 1


# ---- reads ---------------------------------------------------------------------------------------------


def test_get_strong_vs_eventual(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1"))
    ddb.put_item(TableName=TABLE, Item=padded(5000, pk="a", sk="2"))
    meter.reset()
    ddb.get_item(TableName=TABLE, Key=key("a", "1"), ConsistentRead=True)
    assert meter.rcu == 1
    ddb.get_item(TableName=TABLE, Key=key("a", "1"))
    assert meter.rcu == 1.5
    ddb.get_item(TableName=TABLE, Key=key("a", "2"), ConsistentRead=True, ProjectionExpression="pk")
    assert meter.rcu == 1.5 + 2  # billed for the whole item, not the projection
    ddb.get_item(TableName=TABLE, Key=key("a", "missing"))
    assert meter.rcu == 3.5 + 0.5
    assert meter.by_operation() == {"GetItem": {"rcu": 4.0, "wcu": 0, "calls": 4}}


def test_batch_get_bills_each_item(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1"))
    ddb.put_item(TableName=TABLE, Item=padded(5000, pk="a", sk="2"))
    meter.reset()
    keys = [key("a", "1"), key("a", "2"), key("a", "missing")]
    ddb.batch_get_item(RequestItems={TABLE: {"Keys": keys}})
    assert meter.rcu == 0.5 + 1 + 0.5
    ddb.batch_get_item(
        RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "pk"}}
    )
    assert meter.rcu == 2 + (1 + 2 + 1)


def test_transact_get_bills_double_strong(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(1536, pk="a", sk="1"))
    ddb.put_item(TableName=TABLE, Item=padded(5000, pk="a", sk="2"))
    meter.reset()
    ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE, "Key": key("a", "1")}},
            {"Get": {"TableName": TABLE, "Key": key("a", "2"), "ProjectionExpression": "pk"}},
        ]
    )
    assert meter.rcu == 2 * 1 + 2 * 2


@pytest.fixture
def ten_items(ddb):
    for i in range(10):
        ddb.put_item(TableName=TABLE, Item=padded(1024, pk="q", sk=f"{i:02}", gsi1pk="g", gsi1sk=f"{i:02}"))


def test_query_bills_total_size_rounded_up(meter, ddb, ten_items):
    meter.reset()
    query = {
        "TableName": TABLE,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "q"}},
    }
    assert len(ddb.query(**query, ConsistentRead=True)["Items"]) == 10
    assert meter.rcu == 3  # ceil(10 KB / 4 KB)
    ddb.query(**query)
    assert meter.rcu == 3 + 1.5
    ddb.query(**query, Limit=4, ConsistentRead=True)
    assert meter.rcu == 4.5 + 1
    ddb.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}
    )
    assert meter.rcu == 5.5 + 0.5  # minimum per request
    assert meter.by_operation()["Query"]["calls"] == 4


def test_query_with_filter_bills_all_evaluated_items(meter, ddb, ten_items):
    meter.reset()
    response = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="#p = :p",
        FilterExpression="sk = :s",
        ProjectionExpression="#p",
        ExpressionAttributeNames={"#p": "pk"},
        ExpressionAttributeValues={":p": {"S": "q"}, ":s": {"S": "03"}},
        ConsistentRead=True,
    )
    assert response["Count"] == 1
    assert meter.rcu == 3
    ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "q"}},
        Select="COUNT",
    )
    assert meter.rcu == 3 + 1.5


def test_gsi_query_bills_projected_items(meter, ddb, ten_items):
    meter.reset()
    ddb.query(
        TableName=TABLE,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
    )
    assert meter.rcu == 1.5


def test_scan_with_filter_bills_whole_scan(meter, ddb, ten_items):
    meter.reset()
    ddb.scan(TableName=TABLE, FilterExpression="sk = :s", ExpressionAttributeValues={":s": {"S": "03"}})
    assert meter.rcu == 1.5
    assert meter.by_table() == {TABLE: {"rcu": 1.5, "wcu": 0}}


# ---- targets and lifecycle -----------------------------------------------------------------------------


def test_boto3_table_resource(ddb):
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    with CostMeter().attach(table) as meter:
        table.put_item(Item={"pk": "r", "sk": "1", "gsi1pk": "g", "gsi1sk": "1", "data": "x" * 1500})
        assert meter.wcu == 2 + 2
        items = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "r"})["Items"]
        assert items[0]["data"] == "x" * 1500  # the resource still deserializes responses
        assert meter.rcu == 0.5
    assert meter.errors == 0


def test_detach_stops_metering(meter, ddb):
    ddb.put_item(TableName=TABLE, Item=padded(100, pk="a", sk="1"))
    meter.detach()
    ddb.put_item(TableName=TABLE, Item=padded(100, pk="a", sk="2"))
    assert meter.snapshot() == {
        "rcu": 0,
        "wcu": 1,
        "calls": 1,
        "errors": 0,
        "by_table": {TABLE: {"rcu": 0, "wcu": 1}},
        "by_operation": {"PutItem": {"rcu": 0, "wcu": 1, "calls": 1}},
    }


def test_threads_are_counted_exactly(meter, ddb):
    def work(n: int) -> None:
        for i in range(5):
            ddb.put_item(TableName=TABLE, Item=padded(1536, pk=f"t{n}", sk=str(i)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert meter.wcu == 8 * 5 * 2
    assert meter.by_operation()["PutItem"]["calls"] == 40


class Ticket(Model):
    class Meta:
        table_name = TABLE
        region = REGION

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)


def ticket(size: int, **attrs: str) -> Ticket:
    return Ticket(**{name: value["S"] for name, value in padded(size, **attrs).items()})


@pytest.fixture
def fresh_ticket_connection():
    Ticket._connection = None
    yield
    Ticket._connection = None


def test_pynamodb_model_attached(ddb, fresh_ticket_connection):
    with CostMeter().attach(Ticket) as meter:
        ticket(1536, pk="m", sk="1", gsi1pk="g", gsi1sk="1").save()
        assert meter.wcu == 2 + 2
        with pytest.raises(PutError):
            ticket(1536, pk="m", sk="1").save(condition=Ticket.pk.does_not_exist())
        assert meter.wcu == 4 + 2
        assert Ticket.get("m", "1", consistent_read=True).data.startswith("x")
        assert meter.rcu == 1
        assert len(list(Ticket.query("m"))) == 1
        assert meter.rcu == 1.5
        assert meter.by_table() == {TABLE: {"rcu": 1.5, "wcu": 6}}
    assert meter.errors == 0


def test_pynamodb_model_under_installed(ddb, fresh_ticket_connection):
    original = botocore.session.Session.create_client
    with CostMeter.installed() as meter:
        ticket(1536, pk="m", sk="1").save()
        boto3.client("dynamodb", region_name=REGION).get_item(TableName=TABLE, Key=key("m", "1"))
        ddb.get_item(TableName=TABLE, Key=key("m", "1"))  # created before install: not metered
    assert botocore.session.Session.create_client is original
    Ticket.get("m", "1")  # after the block: not metered
    assert (meter.wcu, meter.rcu) == (2, 0.5)
    assert meter.by_operation() == {
        "PutItem": {"rcu": 0, "wcu": 2, "calls": 1},
        "GetItem": {"rcu": 0.5, "wcu": 0, "calls": 1},
    }
    assert meter.errors == 0
