"""Where the test handlers leave evidence for the tests: the EventsTable."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["EVENTS_TABLE"])


def count(pk: str, sk: str, **attributes) -> None:
    names = {f"#a{i}": k for i, k in enumerate(attributes)}
    values = {f":v{i}": v for i, v in enumerate(attributes.values())}
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(attributes)))
    extra = {"ExpressionAttributeNames": names} if names else {}
    table.update_item(Key={"pk": pk, "sk": sk}, UpdateExpression="ADD hits :one" + (f" SET {sets}" if sets else ""),
                      ExpressionAttributeValues={":one": 1, **values}, **extra)
