from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.cloud import CloudConfig, LocalCloud, Ports

HERE = Path(__file__).resolve().parent
AT = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # the cloud's clock starts here (21:30 campus time), at any hour


@pytest.fixture(scope="package")
def cloud(tmp_path_factory):
    """The local cloud running tests/e2e/template.yaml on ephemeral loopback ports."""
    config = CloudConfig(template=HERE / "template.yaml", ports=Ports(aws=0, api=0, lambda_=0, mqtt=0, web=0),
                         web_dir=None, key_file=tmp_path_factory.mktemp("keys") / "dev.pem",
                         retry_delays=(0.2,), at=AT)
    with LocalCloud(config) as running:
        yield running


@pytest.fixture(scope="package")
def aws(cloud) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=cloud.urls["aws"], region_name=cloud.config.region,
                            aws_access_key_id="local", aws_secret_access_key="local")
    return client


def eventually(probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll until probe() returns something truthy; fail with the last value after timeout."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")


def items(aws, cloud, pk: str) -> list[dict[str, Any]]:
    table = cloud.template.physical_name("EventsTable")
    response = aws("dynamodb").query(TableName=table, KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True)
    return response["Items"]

