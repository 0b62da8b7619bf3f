"""Create the template's tables, queues, buckets and topics on the local AWS endpoint.

Everything comes from template.yaml: the CloudFormation properties are translated to the API
calls CloudFormation itself would make. There is no second schema anywhere.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3

from localcloud.template import Template, TemplateError

log = logging.getLogger("localcloud.resources")

_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit",
)


def aws_client(service: str, template: Template) -> Any:
    return boto3.client(service, endpoint_url=template.endpoint, region_name=template.region,
                        aws_access_key_id="local", aws_secret_access_key="local")


def create_all(template: Template) -> dict[str, list[str]]:
    """Create every supported resource; returns the physical names created, by kind."""
    return {
        "tables": [create_table(template, logical) for logical in template.of_type("AWS::DynamoDB::Table")],
        "queues": create_queues(template),
        "buckets": [create_bucket(template, logical) for logical in template.of_type("AWS::S3::Bucket")],
        "topics": [create_topic(template, logical) for logical in template.of_type("AWS::SNS::Topic")],
    }


def create_table(template: Template, logical: str) -> str:
    props = template.resolve(template.props(logical))
    name = template.physical_name(logical)
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in props:
            request[key] = props[key]
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if (props.get("SSESpecification") or {}).get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True}
    client = aws_client("dynamodb", template)
    client.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    pitr = props.get("PointInTimeRecoverySpecification") or {}
    if pitr.get("PointInTimeRecoveryEnabled"):
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return name


def create_queues(template: Template) -> list[str]:
    """Dead-letter queues first, so a redrive policy always points at a queue that exists."""
    queues = template.of_type("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda logical: "RedrivePolicy" in template.props(logical))
    return [create_queue(template, logical) for logical in ordered]


def create_queue(template: Template, logical: str) -> str:
    props = template.resolve(template.props(logical))
    attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    if "RedriveAllowPolicy" in props:
        attributes["RedriveAllowPolicy"] = json.dumps(props["RedriveAllowPolicy"])
    name = template.physical_name(logical)
    url = aws_client("sqs", template).create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    if url != template.ref(logical):
        raise TemplateError(f"queue {logical}: endpoint answered URL {url}, expected {template.ref(logical)}")
    return name


def create_bucket(template: Template, logical: str) -> str:
    props = template.resolve(template.props(logical))
    name = template.physical_name(logical)
    client = aws_client("s3", template)
    if template.region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": template.region})
    rules = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if rules:
        client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(r) for r in rules]})
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def create_topic(template: Template, logical: str) -> str:
    props = template.resolve(template.props(logical))
    name = template.physical_name(logical)
    attributes = {"DisplayName": props["DisplayName"]} if props.get("DisplayName") else {}
    aws_client("sns", template).create_topic(Name=name, Attributes=attributes)
    return name


def _attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = {k: rule[k] for k in ("AllowedMethods", "AllowedOrigins", "AllowedHeaders", "ExposedHeaders")
           if k in rule}
    if "MaxAge" in rule:
        out["MaxAgeSeconds"] = int(rule["MaxAge"])
    return out
