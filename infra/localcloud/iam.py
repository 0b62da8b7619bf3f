"""IAM for the local cloud: a function's identity-based policy, evaluated as AWS does, and the map from an AWS
call (service, operation, params) to the IAM actions and resources it needs.

Standard library only: the worker (run with ``python -S``, apart from the localcloud package) loads this file
by its path. What builds the policy from the template (needs samtranslator) lives in iam_policy.py.

Covered: Allow/Deny (an explicit Deny wins, nothing allowed = implicit deny), Action/NotAction,
Resource/NotResource with ``*`` and ``?``, and the condition operators String(Not)Equals/String(Not)Like with
ForAllValues:/ForAnyValue:. Not covered: SCPs, resource policies, permission boundaries, session policies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str  # service:Action
    resource: str  # an ARN
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # condition keys (lower case)


# ---------------------------------------------------------------- the evaluator
@lru_cache(maxsize=4096)
def _pattern(glob: str, case: bool = True) -> re.Pattern[str]:
    """A policy glob: ``*`` any run of characters, ``?`` one; actions ignore case, resources do not."""
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(text, re.DOTALL if case else re.DOTALL | re.IGNORECASE)


def _matches(globs: Any, value: str, case: bool = True) -> bool:
    return any(_pattern(glob, case).fullmatch(value) for glob in ([globs] if isinstance(globs, str) else globs))


def _string_test(operator: str, wanted: list[str], value: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals"):
        hit = value in wanted
    elif operator in ("StringLike", "StringNotLike"):
        hit = _matches(wanted, value)
    else:
        raise ValueError(f"condition operator {operator} is not supported by the local IAM check")
    return not hit if "Not" in operator else hit


def _condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, tuple[str, ...]]) -> bool:
    wanted = [str(w) for w in ([wanted] if isinstance(wanted, str | int | bool) else wanted)]
    values = context.get(key.lower())
    qualifier, _, base = operator.rpartition(":")
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
        if values is None:
            return True
    if qualifier == "ForAllValues":  # true for an empty or missing key, as in AWS
        return all(_string_test(base, wanted, v) for v in values or ())
    if qualifier == "ForAnyValue":
        return any(_string_test(base, wanted, v) for v in values or ())
    if not values:
        return base.startswith("StringNot")  # a negated test of a missing key holds
    return all(_string_test(base, wanted, v) for v in values)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement and not _matches(statement["Action"], request.action, case=False):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], request.action, case=False):
        return False
    if "Resource" in statement and not _matches(statement["Resource"], request.resource):
        return False
    if "NotResource" in statement and _matches(statement["NotResource"], request.resource):
        return False
    return all(_condition_holds(operator, key, wanted, request.context)
               for operator, tests in (statement.get("Condition") or {}).items()
               for key, wanted in tests.items())


def decide(statements: Iterable[Mapping[str, Any]], request: Request) -> str:
    """'Allow', 'Deny' (an explicit Deny applies) or 'ImplicitDeny' (nothing allows it)."""
    allowed = False
    for statement in statements:
        if statement_applies(statement, request):
            if statement.get("Effect") == "Deny":
                return "Deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def denial_message(principal: str, request: Request, decision: str) -> str:
    """AWS's words for a refused call."""
    why = ("with an explicit deny in an identity-based policy" if decision == "Deny"
           else f"because no identity-based policy allows the {request.action} action")
    return (f"User: {principal} is not authorized to perform: {request.action} on resource: {request.resource} "
            f"{why}")


# ---------------------------------------------------------------- calls -> requests
@dataclass(frozen=True)
class Account:
    region: str
    account: str
    # table name -> {"": hash key of the table, "<index>": hash key of the index}: dynamodb:LeadingKeys
    keys: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_RENAMED = {
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeAsync"): "InvokeFunction",
    ("sqs", "SendMessageBatch"): "SendMessage", ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility", ("sns", "PublishBatch"): "Publish",
    ("s3", "HeadObject"): "GetObject", ("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket", ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CopyObject"): "PutObject",
}
_ITEM_OPS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
             "Get": "GetItem"}
_PARTIQL_VERBS = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate",
                  "DELETE": "PartiQLDelete"}


def requests_for(service: str, operation: str, params: Mapping[str, Any], account: Account) -> list[Request]:
    """What IAM checks for one call: one request per action and resource it touches."""
    if service == "dynamodb":
        return _dynamodb(operation, params, account)
    action = f"{service}:{_RENAMED.get((service, operation), operation)}"
    if service == "sqs":
        if "QueueUrl" in params:
            *_, owner, name = str(params["QueueUrl"]).rstrip("/").split("/")
            return [Request(action, f"arn:aws:sqs:{account.region}:{owner}:{name}")]
        if "QueueName" in params:
            return [Request(action, f"arn:aws:sqs:{account.region}:{account.account}:{params['QueueName']}")]
    if service == "sns" and ("TopicArn" in params or "TargetArn" in params):
        return [Request(action, str(params.get("TopicArn") or params["TargetArn"]))]
    if service == "s3" and "Bucket" in params:
        if operation == "DeleteObjects":
            return [Request(action, f"arn:aws:s3:::{params['Bucket']}/{o['Key']}")
                    for o in (params.get("Delete") or {}).get("Objects", [])]
        key = f"/{params['Key']}" if "Key" in params else ""
        return [Request(action, f"arn:aws:s3:::{params['Bucket']}{key}")]
    if service == "lambda" and "FunctionName" in params:
        return [Request(action, _function_arn(str(params["FunctionName"]), account))]
    return [Request(action, "*")]


def _function_arn(name: str, account: Account) -> str:
    if name.startswith("arn:"):
        return name
    if ":" in name:  # account:function:name or name:qualifier
        parts = name.split(":")
        if len(parts) >= 3 and parts[1] == "function":
            return f"arn:aws:lambda:{account.region}:{parts[0]}:function:{':'.join(parts[2:])}"
    return f"arn:aws:lambda:{account.region}:{account.account}:function:{name}"


def _table_arn(table: str, account: Account, index: str | None = None) -> str:
    arn = table if table.startswith("arn:") else f"arn:aws:dynamodb:{account.region}:{account.account}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _table_name(table: str) -> str:
    return table.rsplit("/", 1)[-1] if table.startswith("arn:") else table


def _scalar(value: Any) -> str:
    """An attribute value as IAM compares it: the wire shape {"S": "x"} or a plain value (boto3's resource)."""
    if isinstance(value, Mapping) and len(value) == 1:
        (kind, inner), = value.items()
        if kind in ("S", "N", "B"):
            return str(inner)
    return str(value)


def _leading(table: str, item: Mapping[str, Any] | None, account: Account, index: str | None = None
             ) -> dict[str, tuple[str, ...]]:
    hash_key = (account.keys.get(_table_name(table)) or {}).get(index or "")
    if not hash_key or not item or hash_key not in item:
        return {}
    return {"dynamodb:leadingkeys": (_scalar(item[hash_key]),)}


def _query_leading(params: Mapping[str, Any], account: Account) -> dict[str, tuple[str, ...]]:
    """The partition key value a Query names (KeyConditionExpression or the legacy KeyConditions)."""
    table, index = str(params["TableName"]), params.get("IndexName")
    hash_key = (account.keys.get(_table_name(table)) or {}).get(index or "")
    if not hash_key:
        return {}
    if "KeyConditions" in params:
        condition = params["KeyConditions"].get(hash_key) or {}
        values = condition.get("AttributeValueList") or []
        return {"dynamodb:leadingkeys": (_scalar(values[0]),)} if values else {}
    expression = params.get("KeyConditionExpression")
    if not isinstance(expression, str):  # boto3's resource builds it from Key(...) objects: not read here
        return {}
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for left, right in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", expression):
        if names.get(left, left) == hash_key and right in values:
            return {"dynamodb:leadingkeys": (_scalar(values[right]),)}
    return {}


def _dynamodb(operation: str, params: Mapping[str, Any], account: Account) -> list[Request]:
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        table = str(params["TableName"])
        item = params.get("Item") if operation == "PutItem" else params.get("Key")
        return [Request(f"dynamodb:{operation}", _table_arn(table, account), _leading(table, item, account))]
    if operation in ("Query", "Scan"):
        table, index = str(params["TableName"]), params.get("IndexName")
        context = _query_leading(params, account) if operation == "Query" else {}
        return [Request(f"dynamodb:{operation}", _table_arn(table, account, index), context)]
    if operation == "BatchGetItem":
        return [Request("dynamodb:BatchGetItem", _table_arn(table, account), _many_leading(table, keys, account))
                for table, spec in params["RequestItems"].items() for keys in [spec.get("Keys") or []]]
    if operation == "BatchWriteItem":
        requests = []
        for table, writes in params["RequestItems"].items():
            items = [(w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key")
                     for w in writes]
            requests.append(Request("dynamodb:BatchWriteItem", _table_arn(table, account),
                                    _many_leading(table, items, account)))
        return requests
    if operation in ("TransactWriteItems", "TransactGetItems"):
        requests = []
        for entry in params["TransactItems"]:
            (kind, spec), = entry.items()
            table = str(spec["TableName"])
            item = spec.get("Item") if kind == "Put" else spec.get("Key")
            requests.append(Request(f"dynamodb:{_ITEM_OPS[kind]}", _table_arn(table, account),
                                    _leading(table, item, account)))
        return requests
    if operation == "ExecuteStatement":
        return [_partiql(str(params["Statement"]), account)]
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        entries = params.get("Statements") or params.get("TransactStatements") or []
        return [_partiql(str(entry["Statement"]), account) for entry in entries]
    table = params.get("TableName") or params.get("ResourceArn")
    return [Request(f"dynamodb:{operation}", _table_arn(str(table), account) if table else "*")]


def _many_leading(table: str, items: Iterable[Any], account: Account) -> dict[str, tuple[str, ...]]:
    values = tuple(dict.fromkeys(v for item in items for v in _leading(table, item, account).get(
        "dynamodb:leadingkeys", ())))
    return {"dynamodb:leadingkeys": values} if values else {}


_TABLE_NAME = r'\s+"?([\w.-]+?)"?(?:\."?([\w.-]+?)"?)?(?:\s|$)'  # "table" or "table"."index"
_STATEMENT = re.compile(r"^\s*(?:(SELECT)\b.*?\bFROM|(INSERT)\s+INTO|(UPDATE)|(DELETE)\s+FROM)" + _TABLE_NAME,
                        re.IGNORECASE | re.DOTALL)


def _partiql(statement: str, account: Account) -> Request:
    """PartiQL: the action by the statement's verb, on the table (or "table"."index") it names."""
    match = _STATEMENT.match(statement)
    if not match:
        return Request("dynamodb:PartiQLSelect", "*")  # refused unless a policy allows it on every table
    *verbs, table, index = match.groups()
    verb = next(v for v in verbs if v)
    return Request(f"dynamodb:{_PARTIQL_VERBS[verb.upper()]}", _table_arn(table, account, index))
