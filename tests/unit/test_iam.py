"""The local IAM check: the evaluator (localcloud.iam) and each function's policy from the translated template."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.iam import Account, Request, decide, denial_message, requests_for
from localcloud.iam_policy import function_policy
from localcloud.template import Template

ROOT = Path(__file__).resolve().parents[2]
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/houqin-DormsTable"
ACCOUNT = Account("us-east-1", "123456789012", {"houqin-DormsTable": {"": "pk", "GSI1": "gsi1pk"}})
READ = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, f"{TABLE}/index/*"]}


def test_an_action_on_a_listed_resource_is_allowed_and_anything_else_denied():
    assert decide([READ], Request("dynamodb:GetItem", TABLE)) == "Allow"
    assert decide([READ], Request("dynamodb:PutItem", TABLE)) == "ImplicitDeny"
    assert decide([READ], Request("dynamodb:GetItem", TABLE.replace("Dorms", "Staff"))) == "ImplicitDeny"
    assert decide([], Request("dynamodb:GetItem", TABLE)) == "ImplicitDeny"


def test_wildcards_in_action_and_resource_actions_ignore_case_resources_do_not():
    statement = {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "arn:aws:dynamodb:*:*:table/houqin-?orms*"}
    assert decide([statement], Request("DynamoDB:getitem", TABLE)) == "Allow"
    assert decide([statement], Request("dynamodb:GetItem", TABLE.replace("Dorms", "dorms"))) == "Allow"
    assert decide([statement], Request("dynamodb:GetItem", TABLE.replace("houqin", "HOUQIN"))) == "ImplicitDeny"
    assert decide([{"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": "*"}],
                  Request("dynamodb:DeleteItem", TABLE)) == "ImplicitDeny"


def test_an_index_is_its_own_resource():
    table_only = {**READ, "Resource": TABLE}
    query = requests_for("dynamodb", "Query", {"TableName": "houqin-DormsTable", "IndexName": "GSI1"}, ACCOUNT)
    assert query[0].resource == f"{TABLE}/index/GSI1"
    assert decide([READ], query[0]) == "Allow"
    assert decide([table_only], query[0]) == "ImplicitDeny"


def test_an_explicit_deny_wins():
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": f"{TABLE}*"}
    assert decide([READ, deny], Request("dynamodb:GetItem", TABLE)) == "Deny"
    assert "explicit deny" in denial_message("arn:aws:sts::1:assumed-role/r/f", Request("dynamodb:GetItem", TABLE),
                                             "Deny")


LEADING = {**READ, "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:Scan"],
           "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LEAVE#*", "ROLL#*"]}}}


@pytest.mark.parametrize(("operation", "params", "decision"), [
    ("GetItem", {"Key": {"pk": {"S": "LEAVE#S1"}, "sk": {"S": "x"}}}, "Allow"),
    ("GetItem", {"Key": {"pk": {"S": "RESIDENT#S1"}, "sk": {"S": "x"}}}, "ImplicitDeny"),
    ("Query", {"KeyConditionExpression": "#p = :p AND begins_with(sk, :s)", "ExpressionAttributeNames": {"#p": "pk"},
               "ExpressionAttributeValues": {":p": {"S": "ROLL#2026"}, ":s": {"S": "A"}}}, "Allow"),
    ("Query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "BED#1"}}},
     "ImplicitDeny"),
    ("BatchWriteItem", {"RequestItems": {"houqin-DormsTable": [
        {"PutRequest": {"Item": {"pk": {"S": "LEAVE#1"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "BED#1"}}}}]}},
     "ImplicitDeny"),
    ("Scan", {}, "Allow"),  # ForAllValues of no values holds, in AWS too: a Scan needs no leading key
])
def test_leading_keys(operation, params, decision):
    params = {"TableName": "houqin-DormsTable", **params} if operation != "BatchWriteItem" else params
    assert {decide([LEADING], r) for r in requests_for("dynamodb", operation, params, ACCOUNT)} == {decision}


def test_string_equals_leading_keys_and_plain_values_from_boto3s_resource():
    statement = {**READ, "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["LEAVE#S1"]}}}
    request, = requests_for("dynamodb", "GetItem", {"TableName": TABLE, "Key": {"pk": "LEAVE#S1"}}, ACCOUNT)
    assert decide([statement], request) == "Allow"
    request, = requests_for("dynamodb", "GetItem", {"TableName": TABLE, "Key": {"pk": "LEAVE#S2"}}, ACCOUNT)
    assert decide([statement], request) == "ImplicitDeny"


def test_calls_map_to_actions_and_arns():
    def one(service, operation, params):
        return [(r.action, r.resource) for r in requests_for(service, operation, params, ACCOUNT)]

    assert one("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "t", "Item": {}}}, {"ConditionCheck": {"TableName": "u", "Key": {}}}]}) == [
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
        ("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:us-east-1:123456789012:table/u")]
    assert one("dynamodb", "BatchExecuteStatement", {"Statements": [
        {"Statement": 'INSERT INTO "houqin-DormsTable" VALUE {}'},
        {"Statement": 'UPDATE "houqin-DormsTable" SET a = 1 WHERE pk = ?'},
        {"Statement": 'SELECT * FROM "houqin-DormsTable"."GSI1" WHERE gsi1pk = ?'}]}) == [
        ("dynamodb:PartiQLInsert", TABLE), ("dynamodb:PartiQLUpdate", TABLE),
        ("dynamodb:PartiQLSelect", f"{TABLE}/index/GSI1")]
    assert one("sqs", "SendMessageBatch", {"QueueUrl": "http://127.0.0.1:4566/123456789012/q"}) == [
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q")]
    assert one("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}) == [
        ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t")]
    assert one("s3", "PutObject", {"Bucket": "b", "Key": "tickets/1.jpg"}) == [
        ("s3:PutObject", "arn:aws:s3:::b/tickets/1.jpg")]
    assert one("s3", "ListObjectsV2", {"Bucket": "b"}) == [("s3:ListBucket", "arn:aws:s3:::b")]
    assert one("lambda", "Invoke", {"FunctionName": "houqin-PayrollWorkerFunction"}) == [
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:houqin-PayrollWorkerFunction")]
    assert one("dynamodb", "DescribeTable", {"TableName": "houqin-DormsTable"}) == [("dynamodb:DescribeTable", TABLE)]


def test_the_denial_reads_as_aws_writes_it():
    message = denial_message("arn:aws:sts::123456789012:assumed-role/r/f", Request("dynamodb:GetItem", TABLE),
                             "ImplicitDeny")
    assert message == (f"User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: "
                       f"dynamodb:GetItem on resource: {TABLE} because no identity-based policy allows the "
                       f"dynamodb:GetItem action")


def test_a_functions_policy_is_its_translated_role_resolved_to_local_arns():
    from localcloud.deploy_check import translate

    template = Template.load(ROOT / "template.yaml")
    policy = function_policy(translate(template.path), template, "AlarmsFunction")
    assert policy["principal"].endswith(":assumed-role/houqin-AlarmsFunctionRole/houqin-AlarmsFunction")
    alarms = template.get_att("AlarmsTable", "Arn")
    assert decide(policy["statements"], Request("dynamodb:PutItem", alarms)) == "Allow"
    assert decide(policy["statements"], Request("dynamodb:Query", f"{alarms}/index/GSI1")) == "Allow"
    assert decide(policy["statements"], Request("logs:PutLogEvents", "arn:aws:logs:x")) == "Allow"
    assert decide(policy["statements"], Request("dynamodb:PutItem", template.get_att("DormsTable", "Arn"))) \
        == "ImplicitDeny"
    assert policy["keys"][template.physical_name("DormsTable")][""] == "pk"


@pytest.fixture(scope="module")
def houqin():
    from localcloud.deploy_check import translate

    template = Template.load(ROOT / "template.yaml")
    translated = translate(template.path)

    def allowed(function, action, table, pk=None, index=None):
        arn = template.get_att(table, "Arn") + (f"/index/{index}" if index else "")
        context = {"dynamodb:leadingkeys": (pk,)} if pk else {}
        return decide(function_policy(translated, template, function)["statements"],
                      Request(action, arn, context)) == "Allow"
    return allowed


def test_leave_writes_leave_requests_only_and_reads_the_dorms(houqin):
    assert houqin("LeaveFunction", "dynamodb:PutItem", "DormsTable", "LEAVE#L1")
    assert not houqin("LeaveFunction", "dynamodb:PutItem", "DormsTable", "RES#S00001")
    assert not houqin("LeaveFunction", "dynamodb:DeleteItem", "DormsTable", "LEAVE#L1")
    assert houqin("LeaveFunction", "dynamodb:Query", "DormsTable", "LEAVES#RES#S1", index="GSI1")


def test_attendance_keeps_to_its_own_items_of_the_payroll_table(houqin):
    assert houqin("AttendanceFunction", "dynamodb:PutItem", "PayrollTable", "PUNCH#FP-WY")
    assert houqin("AttendanceFunction", "dynamodb:Query", "PayrollTable", "ATT#WY#2026-11", index="GSI1")
    assert houqin("AttendanceFunction", "dynamodb:Query", "PayrollTable", "RULES#WY")
    assert not houqin("AttendanceFunction", "dynamodb:PutItem", "PayrollTable", "RULES#WY")
    assert not houqin("AttendanceFunction", "dynamodb:GetItem", "PayrollTable", "RUN#R1")
    assert not houqin("AttendanceFunction", "dynamodb:Scan", "PayrollTable")


def test_swipes_never_delete_and_move_only_building_partitions(houqin):
    assert not houqin("SwipesFunction", "dynamodb:DeleteItem", "SwipesTable", "GATE#1")
    assert houqin("SwipesFunction", "dynamodb:UpdateItem", "DormsTable", "BLDG#SB01")
    assert not houqin("SwipesFunction", "dynamodb:UpdateItem", "DormsTable", "RES#S00001")


def test_scheduled_alarm_checks_read_only_the_repair_teams_of_staff(houqin):
    assert houqin("AlarmsFunction", "dynamodb:Query", "StaffTable", "TEAM")
    assert not houqin("AlarmsFunction", "dynamodb:Query", "StaffTable", "STAFF#E0001")
    assert not houqin("AlarmsFunction", "dynamodb:GetItem", "StaffTable", "STAFF#E0001")
    assert houqin("AlarmsApiFunction", "dynamodb:GetItem", "StaffTable", "STAFF#E0001")
