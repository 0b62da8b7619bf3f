"""The local cloud over real HTTP, MQTT and the AWS API, with a small test template."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import time
from urllib.parse import urlsplit

import boto3
import paho.mqtt.client as paho
import pytest

from tests.e2e.conftest import AT, eventually, items

pytestmark = pytest.mark.e2e


def request(cloud, method, path, body=None, headers=()):
    url = urlsplit(cloud.urls["api"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    connection.putrequest(method, path)
    for name, value in headers:
        connection.putheader(name, value)
    payload = body if isinstance(body, bytes) else (body or "").encode()
    connection.putheader("Content-Length", str(len(payload)))
    connection.endheaders(payload)
    response = connection.getresponse()
    response.data = response.read()
    connection.close()
    return response


def token(cloud, **kwargs):
    return cloud.mint_token(kwargs.pop("person_id", "S00001"), kwargs.pop("roles", ["student"]), **kwargs)


# ---------------------------------------------------------------- API Gateway
def test_an_authenticated_request_reaches_the_handler_as_a_rest_proxy_event(cloud):
    response = request(cloud, "GET", "/items/A%2042?tag=x&tag=y&empty=", headers=[
        ("Authorization", f"Bearer {token(cloud, name='秦鹏')}"), ("X-Multi", "one"), ("X-Multi", "two")])
    assert response.status == 200, response.data
    event = json.loads(response.data)
    assert event["resource"] == "/items/{item_id}"
    assert event["requestContext"]["resourcePath"] == "/items/{item_id}"
    assert event["path"] == "/items/A%2042"  # as requested; pathParameters are decoded
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "A 42"}
    assert event["queryStringParameters"] == {"tag": "y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "empty": [""]}
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["requestContext"]["stage"] == "test"
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["custom:person_id"] == "S00001"
    assert claims["cognito:groups"] == "student"
    assert claims["name"] == "秦鹏"
    assert claims["iss"] == cloud.template.issuer("Pool")
    assert all(isinstance(v, str) for v in claims.values())
    assert response.getheader("X-Function") == cloud.functions["EchoFunction"].name
    assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_literal_routes_win_and_bodies_arrive_as_api_gateway_sends_them(cloud):
    auth = ("Authorization", token(cloud))  # the raw token, without "Bearer", is accepted too
    mine = json.loads(request(cloud, "GET", "/items/mine", headers=[auth]).data)
    assert mine["resource"] == "/items/mine" and mine["pathParameters"] is None
    text = json.loads(request(cloud, "POST", "/items", '{"name": "灯"}',
                              headers=[auth, ("Content-Type", "application/json")]).data)
    assert text["body"] == '{"name": "灯"}' and text["isBase64Encoded"] is False
    binary = json.loads(request(cloud, "POST", "/items", b"\x89PNG\x00",
                                headers=[auth, ("Content-Type", "image/png")]).data)
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\x89PNG\x00"  # image/*
    # Not a BinaryMediaType: text, and bytes that are not UTF-8 arrive replaced by U+FFFD, as API Gateway passes
    # them (the connection is never dropped; the function answers).
    broken = json.loads(request(cloud, "POST", "/items", b'{"name": "\xff\xfe"}',
                                headers=[auth, ("Content-Type", "application/json")]).data)
    assert broken["body"] == '{"name": "\ufffd\ufffd"}' and broken["isBase64Encoded"] is False
    other = json.loads(request(cloud, "POST", "/items", b"\x00\x01",
                               headers=[auth, ("Content-Type", "application/octet-stream")]).data)
    assert other["body"] == "\x00\x01" and other["isBase64Encoded"] is False


@pytest.mark.parametrize("authorization", [
    None, "Bearer not-a-jwt", "Bearer expired", "Bearer tampered",
])
def test_a_missing_or_bad_token_is_401(cloud, authorization):
    if authorization == "Bearer expired":
        authorization = "Bearer " + token(cloud, hours=-1)
    if authorization == "Bearer tampered":
        header, payload, signature = token(cloud).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["cognito:groups"] = ["admin"]
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        authorization = f"Bearer {header}.{forged}.{signature}"
    headers = [("Authorization", authorization)] if authorization else []
    response = request(cloud, "GET", "/items/1", headers=headers)
    assert response.status == 401
    assert json.loads(response.data) == {"message": "Unauthorized"}
    assert response.getheader("Access-Control-Allow-Origin") == "*"


def test_public_routes_need_no_token_and_unknown_routes_are_403(cloud):
    ping = request(cloud, "GET", "/ping")
    assert ping.status == 200
    assert "authorizer" not in json.loads(ping.data)["requestContext"]
    assert request(cloud, "GET", "/nowhere").status == 403
    assert request(cloud, "DELETE", "/ping").status == 403


def test_cors_preflight_is_answered_without_a_token(cloud):
    response = request(cloud, "OPTIONS", "/items", headers=[("Origin", "http://localhost:8000"),
                                                            ("Access-Control-Request-Method", "POST")])
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert "POST" in response.getheader("Access-Control-Allow-Methods")


def test_a_function_past_its_timeout_is_a_502_and_the_next_call_works(cloud):
    started = time.monotonic()
    assert request(cloud, "GET", "/slow").status == 502
    assert time.monotonic() - started < 4  # killed at its 1 s timeout, not left to finish
    assert request(cloud, "GET", "/ping").status == 200


def test_a_function_that_cannot_import_is_a_502_with_the_reason_in_the_invoke_api(cloud):
    assert request(cloud, "GET", "/broken").status == 502
    result = cloud.invoke("BrokenFunction", {})
    assert not result.ok
    assert result.error["errorType"] == "Runtime.ImportModuleError"
    assert "missing_module" in result.error["errorMessage"]


def test_a_call_the_functions_role_does_not_allow_is_refused_as_aws_refuses_it(cloud, aws, caplog):
    arn = cloud.template.get_att("EventsTable", "Arn")
    principal = "arn:aws:sts::123456789012:assumed-role/houqin-DeniedFunctionRole/houqin-DeniedFunction"
    refusal = (f"User: {principal} is not authorized to perform: dynamodb:UpdateItem on resource: {arn} "
               "because no identity-based policy allows the dynamodb:UpdateItem action")
    with caplog.at_level("INFO", logger="fn.DeniedFunction"):
        assert request(cloud, "GET", "/denied").status == 502
        eventually(lambda: any("AccessDeniedException" in r.getMessage() for r in caplog.records))
    result = cloud.invoke("DeniedFunction", {})
    assert not result.ok
    assert result.error["errorType"] == "ClientError"
    assert result.error["errorMessage"] == f"An error occurred (AccessDeniedException) when calling the UpdateItem " \
                                           f"operation: {refusal}"
    assert not [i for i in items(aws, cloud, "tick") if "Denied" in str(i)]  # nothing was written


# ---------------------------------------------------------------- MQTT -> IoT rule -> SQS -> function
def publish(cloud, topic, payload):
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"reader-{time.monotonic_ns()}")
    client.connect("127.0.0.1", cloud.ports["mqtt"])
    client.loop_start()
    client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(timeout=5)
    client.loop_stop()
    client.disconnect()


def test_an_mqtt_publish_reaches_the_function_through_sqs_as_a_batch(cloud, aws):
    publish(cloud, "test/gates/R7/swipes", {"v": 1, "n": 1, "swipes": [{"seq": 1, "card_id": "C1"}]})
    stored = eventually(lambda: [i for i in items(aws, cloud, "ok") if i["sk"]["S"] == "1"])
    body = json.loads(stored[0]["body"]["S"])
    assert body == {"v": 1, "n": 1, "swipes": [{"seq": 1, "card_id": "C1"}], "reader_id": "R7"}
    assert stored[0]["source"]["S"] == cloud.template.get_att("ReadingsQueue", "Arn")


def test_a_failing_record_is_retried_then_dead_lettered_while_its_batchmate_is_kept(cloud, aws):
    publish(cloud, "test/gates/R8/swipes", {"n": 2})
    publish(cloud, "test/gates/R8/swipes", {"n": 3, "fail": True})
    dlq = cloud.template.ref("ReadingsDeadLetterQueue")

    def dead_lettered():
        messages = aws("sqs").receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
        return [m for m in messages if json.loads(m["Body"]).get("n") == 3]

    assert eventually(dead_lettered, timeout=20)
    attempts = sorted(i["sk"]["S"] for i in items(aws, cloud, "attempt") if i["sk"]["S"].startswith("3#"))
    assert attempts == ["3#1", "3#2"]  # maxReceiveCount 2, then the DLQ
    good = eventually(lambda: [i for i in items(aws, cloud, "ok") if i["sk"]["S"] == "2"])
    assert good[0]["hits"]["N"] == "1"  # deleted after success, never redelivered


def test_batches_of_one_queue_run_side_by_side_as_lambda_runs_them(cloud, aws):
    """Lambda polls an SQS mapping with several concurrent batches: a long batch does not hold up the next."""
    sqs, queue = aws("sqs"), cloud.template.ref("ReadingsQueue")
    # Held 4.5 s (the function times out at 5): on two busy cores a second worker's cold start takes seconds.
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": 40, "hold": 4.5}))

    def in_flight():
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return attributes["ApproximateNumberOfMessagesNotVisible"] == "1" or None

    eventually(in_flight, timeout=10)  # the first batch is under way ...
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": 41, "hold": 4.5}))  # ... when the second arrives
    held = eventually(lambda: (lambda found: found if len(found) == 2 else None)(items(aws, cloud, "held")),
                      timeout=40)
    first, second = sorted((float(i["started"]["S"]), float(i["ended"]["S"])) for i in held)
    assert second[0] < first[1]  # the second started before the first had ended


# ---------------------------------------------------------------- schedules and async invoke
def test_houqin_fire_runs_a_schedule_now(cloud, aws):
    before = len(items(aws, cloud, "tick"))
    done = subprocess.run([sys.executable, "-m", "localcloud.cli", "fire", "TickFunction",
                           "--lambda-url", cloud.urls["lambda"]], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["function"] == "TickFunction"
    ticks = eventually(lambda: (lambda now: now if len(now) > before else None)(items(aws, cloud, "tick")))
    event = json.loads(ticks[-1]["event"]["S"])
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.scheduler"
    assert cloud.scheduler.next_fire[("TickFunction", "Hourly")] is not None


def test_fire_one_named_schedule_and_refuse_an_unknown_one(cloud, aws):
    before = len(items(aws, cloud, "tick"))
    fire = [sys.executable, "-m", "localcloud.cli", "fire", "TickFunction", "--lambda-url", cloud.urls["lambda"]]
    done = subprocess.run([*fire, "--schedule", "Hourly"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and len(json.loads(done.stdout)["requestIds"]) == 1
    eventually(lambda: len(items(aws, cloud, "tick")) > before or None)
    wrong = subprocess.run([*fire, "--schedule", "Daily"], capture_output=True, text=True, timeout=30)
    assert wrong.returncode == 1 and "TickFunction has no schedule named Daily" in wrong.stderr


def test_fire_names_a_function_without_schedule(cloud):
    done = subprocess.run([sys.executable, "-m", "localcloud.cli", "fire", "EchoFunction",
                           "--lambda-url", cloud.urls["lambda"]], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "EchoFunction has no enabled Schedule" in done.stderr


def lambda_client(cloud):
    return boto3.client("lambda", endpoint_url=cloud.urls["lambda"], region_name=cloud.config.region,
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_async_invoke_retries_then_sends_the_failure_to_its_destination(cloud, aws):
    response = lambda_client(cloud).invoke(FunctionName=cloud.functions["FailingFunction"].name,
                                           InvocationType="Event", Payload=json.dumps({"n": "async-1"}))
    assert response["StatusCode"] == 202
    queue = cloud.template.ref("FailuresQueue")
    messages = eventually(lambda: aws("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # 1 try + MaximumRetryAttempts 1
    assert record["requestPayload"] == {"n": "async-1"}
    assert record["responsePayload"]["errorMessage"] == "always fails"
    attempts = [i for i in items(aws, cloud, "failing") if i["sk"]["S"] == "async-1"]
    assert attempts[0]["hits"]["N"] == "2"


def test_a_scheduled_run_that_keeps_failing_lands_in_its_on_failure_destination(cloud, aws):
    done = subprocess.run([sys.executable, "-m", "localcloud.cli", "fire", "FailingFunction",
                           "--lambda-url", cloud.urls["lambda"]], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    queue = cloud.template.ref("FailuresQueue")

    def scheduled_failure():
        for message in aws("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                                 WaitTimeSeconds=1).get("Messages", []):
            record = json.loads(message["Body"])
            if record["requestPayload"] == {"n": "scheduled-1"}:
                return record
        return None

    record = eventually(scheduled_failure)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"]["errorMessage"] == "always fails"


def test_request_response_invoke_returns_the_payload_or_the_error(cloud):
    client = lambda_client(cloud)
    ok = client.invoke(FunctionName="EchoFunction", Payload=json.dumps({"hello": "world"}))
    assert json.loads(ok["Payload"].read())["statusCode"] == 200
    failed = client.invoke(FunctionName="FailingFunction", Payload=json.dumps({"n": "sync-1"}))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorMessage"] == "always fails"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")


def test_every_part_reads_the_clock_the_cloud_started_at(cloud):
    """Started --at AT: the gateway's requestTime, the tokens it issues and the offset each function is handed."""
    response = request(cloud, "GET", "/items/1", headers=[("Authorization", f"Bearer {token(cloud)}")])
    assert response.status == 200
    event = json.loads(response.data)
    moment = event["requestContext"]["requestTimeEpoch"] / 1000
    assert 0 <= moment - AT.timestamp() < 600  # minutes after AT, whatever the machine's time
    offset = float(response.getheader("X-Clock-Offset"))
    assert abs(offset - cloud.clock.offset_seconds) < 1e-3
    claims = json.loads(base64.urlsafe_b64decode(token(cloud).split(".")[1] + "=="))
    assert 0 <= claims["iat"] - AT.timestamp() < 600
