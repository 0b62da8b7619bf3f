"""Each function's identity-based policy, as AWS would hold it: the role SAM makes for it in the TRANSLATED
template (policy templates such as DynamoDBCrudPolicy expanded), intrinsics resolved to the local cloud's ARNs.
The worker checks every AWS call against it (localcloud/iam.py, docs/localcloud.md "IAM")."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from localcloud.template import ACCOUNT, Template, TemplateError

log = logging.getLogger("localcloud.iam")

# AWS managed policies SAM attaches, as far as a function's own calls go: logs and traces only (the SQS
# poller is the local cloud's, so what AWSLambdaSQSQueueExecutionRole grants is not used by a function).
MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"}],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSampling*"],
         "Resource": "*"}],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
         "Resource": "*"}],
}


def function_policy(translated: dict[str, Any], template: Template, function: str) -> dict[str, Any] | None:
    """What the worker of ``function`` needs to check its calls; None when its role is not the template's
    (an ARN from elsewhere: nothing local knows what it grants)."""
    role_ref = ((translated["Resources"][function].get("Properties") or {}).get("Role")) or {}
    role = (role_ref.get("Fn::GetAtt") or [None])[0] if isinstance(role_ref, dict) else None
    role_props = (translated["Resources"].get(role) or {}).get("Properties") if role else None
    if role_props is None:
        log.warning("%s: its role is not one of the template's; its AWS calls are not checked", function)
        return None
    statements: list[dict[str, Any]] = []
    for arn in role_props.get("ManagedPolicyArns") or []:
        if arn not in MANAGED:
            log.warning("%s: managed policy %s is not known locally: taken to grant nothing", function, arn)
        statements += MANAGED.get(arn, [])
    for policy in role_props.get("Policies") or []:
        document = template.resolve(policy["PolicyDocument"])
        listed = document.get("Statement") or []
        statements += [listed] if isinstance(listed, dict) else listed
    return {"principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/{template.stack}-{role}/"
                         f"{template.physical_name(function)}",
            "region": template.region, "account": ACCOUNT, "keys": table_keys(template), "statements": statements}


def table_keys(template: Template) -> dict[str, dict[str, str]]:
    """Table name -> {"": its partition key, index name: the index's}: what dynamodb:LeadingKeys is."""
    def hash_key(schema: list[dict[str, str]]) -> str:
        return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

    keys = {}
    for logical in template.of_type("AWS::DynamoDB::Table"):
        props = template.resolve(template.props(logical))
        indexes = (props.get("GlobalSecondaryIndexes") or []) + (props.get("LocalSecondaryIndexes") or [])
        keys[template.physical_name(logical)] = {"": hash_key(props["KeySchema"]),
                                                 **{i["IndexName"]: hash_key(i["KeySchema"]) for i in indexes}}
    return keys


def write_policies(template: Template, folder: Path) -> dict[str, Path]:
    """One JSON file per function (its worker reads it: HOUQIN_IAM_POLICY); the function's logical id -> path."""
    from localcloud.deploy_check import translate

    translated = translate(template.path, template.region)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for function in template.of_type("AWS::Serverless::Function"):
        try:
            policy = function_policy(translated, template, function)
        except TemplateError as exc:
            raise TemplateError(f"{function}'s policy: {exc}") from None
        if policy is not None:
            paths[function] = folder / f"{function}.json"
            paths[function].write_text(json.dumps(policy, indent=1), encoding="utf-8")
    return paths
