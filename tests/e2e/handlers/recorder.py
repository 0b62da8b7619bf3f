import json

from store import count


def handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        receive = record["attributes"]["ApproximateReceiveCount"]
        if body.get("fail"):
            count("attempt", f"{body['n']}#{receive}")
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            count("ok", str(body["n"]), body=record["body"], source=record["eventSourceARN"])
    return {"batchItemFailures": failures}
