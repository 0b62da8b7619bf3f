"""The production adapters of houqin.ports: SNS, S3 and Lambda, each client made on first use (per process,
shared by the threads of a container) so a service built at import costs nothing until it talks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from houqin.settings import settings


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=settings().region)


class SnsNotifier:
    def publish(self, topic: str, subject: str, message: Mapping[str, Any],
                attributes: Mapping[str, str] | None = None) -> str | None:
        response = client("sns").publish(
            TopicArn=settings().topics[topic], Subject=subject, Message=json.dumps(message, ensure_ascii=False),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()})
        return response.get("MessageId")


class S3FileStore:
    def upload_form(self, bucket: str, key: str, content_type: str, max_bytes: int,
                    expires_in: int) -> Mapping[str, Any]:
        return client("s3").generate_presigned_post(
            settings().buckets[bucket], key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in)

    def download_url(self, bucket: str, key: str, expires_in: int) -> str:
        return client("s3").generate_presigned_url("get_object", Params={"Bucket": settings().buckets[bucket],
                                                                         "Key": key}, ExpiresIn=expires_in)


class LambdaInvoker:
    def invoke_async(self, function_name: str, payload: Mapping[str, Any]) -> None:
        client("lambda").invoke(FunctionName=function_name, InvocationType="Event",
                                Payload=json.dumps(payload).encode())
