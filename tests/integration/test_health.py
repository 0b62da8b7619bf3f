"""GIVEN the health function under moto WHEN /health is called THEN it reports each table."""

from __future__ import annotations

import json

import boto3

from tests.conftest import ROOT, load_function_module
from tests.integration.apigw import Context

EVENT = json.loads((ROOT / "events/health/get.json").read_text())


def test_health_reports_every_template_table(aws):
    app = load_function_module(aws, "HealthFunction").app
    response = app(EVENT, Context())
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    declared = {name.removesuffix("Table").lower() for name in aws.of_type("AWS::DynamoDB::Table")}
    assert set(body["tables"]) == declared
    assert all(t["reachable"] for t in body["tables"].values())


def test_health_is_degraded_when_a_table_is_gone(aws):
    app = load_function_module(aws, "HealthFunction").app
    boto3.client("dynamodb").delete_table(TableName=aws.physical_name("StaffTable"))
    response = app(EVENT, Context())
    body = json.loads(response["body"])
    assert response["statusCode"] == 503
    assert body["status"] == "degraded"
    assert body["tables"]["staff"] == {"reachable": False, "error": "ResourceNotFoundException"}
    assert body["tables"]["dorms"]["reachable"] is True


def test_sample_event_matches_its_template_route(template):
    route = next(r for r in template.routes() if r.function == "HealthFunction")
    assert EVENT["requestContext"]["resourcePath"] == route.path
    assert EVENT["httpMethod"] == route.method
