import json
import time

from store import count


def handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        receive = record["attributes"]["ApproximateReceiveCount"]
        if body.get("fail"):
            count("attempt", f"{body['n']}#{receive}")
            failures.append({"itemIdentifier": record["messageId"]})
        elif body.get("hold"):  # a long batch: when it ran, to see batches side by side
            started = time.monotonic()  # one clock for every process on the machine
            time.sleep(body["hold"])
            count("held", str(body["n"]), started=str(started), ended=str(time.monotonic()))
        else:
            count("ok", str(body["n"]), body=record["body"], source=record["eventSourceARN"])
    return {"batchItemFailures": failures}
