"""Reading SAM templates: intrinsics, Globals, routes and authorizers, unsupported features."""

from __future__ import annotations

import textwrap

import pytest

from houqin.domain.actors import Role
from localcloud.template import Template, TemplateError

SMALL = """
Parameters:
  Stage: {Type: String, Default: dev}
Globals:
  Function:
    Runtime: python3.12
    Timeout: 5
    Layers: [!Ref Shared]
    Environment:
      Variables:
        STAGE: !Ref Stage
        ITEMS_TABLE: !Ref Items
Resources:
  Shared: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layer/}}
  Items: {Type: AWS::DynamoDB::Table, Properties: {TableName: !Sub "${AWS::StackName}-items-${Stage}"}}
  Jobs: {Type: AWS::SQS::Queue}
  Pool: {Type: AWS::Cognito::UserPool}
  Client: {Type: AWS::Cognito::UserPoolClient, Properties: {UserPoolId: !Ref Pool}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers: {Cognito: {UserPoolArn: !GetAtt Pool.Arn}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.app
      Timeout: 9
      Layers: [!Ref Shared]
      Environment: {Variables: {QUEUE: !Ref Jobs, ARN: !GetAtt Jobs.Arn, JOINED: !Join ["-", [a, !Ref Stage]]}}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Jobs.Arn}}
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/items/{item_id}", Method: get}}
        Open: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /ping, Method: get, Auth: {Authorizer: NONE}}}
        Work: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
"""


def load(tmp_path, text=SMALL, **kwargs) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return Template.load(path, **kwargs)


def test_globals_merge_and_intrinsics_resolve(tmp_path):
    template = load(tmp_path, parameters={"Stage": "qa"})
    fn = template.function("Fn")
    assert fn.timeout == 9 and fn.runtime == "python3.12"
    assert fn.environment == {
        "STAGE": "qa", "ITEMS_TABLE": "houqin-items-qa", "JOINED": "a-qa",
        "QUEUE": "http://127.0.0.1:4566/123456789012/houqin-Jobs",
        "ARN": "arn:aws:sqs:us-east-1:123456789012:houqin-Jobs",
    }
    assert fn.code_uri == (tmp_path / "fn").resolve()
    assert fn.max_retries == 1
    assert fn.on_failure == {"Type": "SQS", "Destination": "arn:aws:sqs:us-east-1:123456789012:houqin-Jobs"}
    assert [e.type for e in fn.events] == ["Api", "Api", "SQS"]


def test_routes_carry_their_authorizer(tmp_path):
    template = load(tmp_path)
    routes = {(r.path, r.method): r.authorizer for r in template.routes()}
    assert routes == {("/items/{item_id}", "GET"): "Pool", ("/ping", "GET"): None}
    assert template.user_pool_clients("Pool") == [template.ref("Client")]
    assert template.issuer("Pool") == f"https://cognito-idp.us-east-1.amazonaws.com/{template.ref('Pool')}"


def test_queue_urls_follow_the_endpoint(tmp_path):
    assert load(tmp_path, endpoint=None).ref("Jobs") == "https://sqs.us-east-1.amazonaws.com/123456789012/houqin-Jobs"
    assert load(tmp_path).queue_url_for_arn("arn:aws:sqs:us-east-1:123456789012:houqin-Jobs").endswith("/houqin-Jobs")


@pytest.mark.parametrize(("old", "new", "message"), [
    ('Path: "/items/{item_id}"', 'Path: "/items/{proxy+}"', "greedy path"),
    ("Type: Api, Properties: {RestApiId: !Ref Api, Path: /ping",
     "Type: HttpApi, Properties: {RestApiId: !Ref Api, Path: /ping", "HttpApi events are not supported"),
    ("QUEUE: !Ref Jobs", "QUEUE: !Ref Nowhere", "unknown resource or parameter 'Nowhere'"),
    ("QUEUE: !Ref Jobs", "QUEUE: !If [c, a, b]", "Fn::If is not supported"),
])
def test_unsupported_features_fail_loudly(tmp_path, old, new, message):
    template = load(tmp_path, SMALL.replace(old, new))
    with pytest.raises(TemplateError, match=message):
        template.routes()
        template.function("Fn")


def test_a_parameter_without_default_must_be_given(tmp_path):
    with pytest.raises(TemplateError, match="parameter Stage has no Default"):
        load(tmp_path, SMALL.replace("{Type: String, Default: dev}", "{Type: String}"))


def test_the_real_template_declares_what_the_foundation_needs(template):
    kinds = {r["Type"] for r in template.resources.values()}
    assert {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::SNS::Topic",
            "AWS::IoT::TopicRule", "AWS::Cognito::UserPool", "AWS::Serverless::Api"} <= kinds
    for logical in template.of_type("AWS::DynamoDB::Table"):
        props = template.props(logical)
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
    rule = template.props("GateSwipesRule")["TopicRulePayload"]
    assert rule["Sql"] == "SELECT *, topic(3) AS topic_reader FROM 'houqin/gates/+/swipes'"
    queue = template.resolve(template.props("SwipesQueue"))
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == template.get_att("SwipesDeadLetterQueue", "Arn")
    groups = {template.props(g)["GroupName"] for g in template.of_type("AWS::Cognito::UserPoolGroup")}
    assert groups == {r.value for r in Role}  # a Cognito group per role, no more
    globals_fn = template.doc["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.12" and globals_fn["Architectures"] == ["arm64"]


def test_local_only_things_are_not_in_the_deployed_template(template):
    text = template.path.read_text()
    for local_only in ("_local", "dev-signing-key", "demo"):
        assert local_only not in text


def test_a_gate_reader_may_publish_only_on_its_own_topic_and_the_rule_passes_the_topic_on(template):
    policy = template.props("GateReaderPolicy")["PolicyDocument"]["Statement"]
    publish = next(s for s in policy if s["Action"] == "iot:Publish")
    connect = next(s for s in policy if s["Action"] == "iot:Connect")
    assert publish["Resource"]["Fn::Sub"].endswith(":topic/houqin/gates/${!iot:Connection.Thing.ThingName}/swipes")
    assert connect["Resource"]["Fn::Sub"].endswith(":client/${!iot:Connection.Thing.ThingName}")
    sql = template.props("GateSwipesRule")["TopicRulePayload"]["Sql"]
    assert "topic(3) AS topic_reader" in sql  # the swipes function refuses a body naming another reader
    swipes = template.function("SwipesFunction")
    [event] = swipes.events_of("SQS")
    assert "ReportBatchItemFailures" in event.properties["FunctionResponseTypes"]


def test_nothing_the_system_does_on_its_own_can_fail_silently(template):
    """A schedule Scheduler cannot deliver lands in a dead-letter queue; a scheduled run that keeps raising lands in
    its function's on-failure destination; every queue is encrypted, every consumed one redrives; an alarm watches
    every queue a failure is kept in, and all alarms tell the operations topic."""
    scheduled = [f for f in template.functions() if f.events_of("Schedule", "ScheduleV2")]
    assert len([e for f in scheduled for e in f.events_of("Schedule", "ScheduleV2")]) == 5
    failure_queues = set()
    for function in scheduled:
        for event in function.events_of("Schedule", "ScheduleV2"):
            assert event.type == "ScheduleV2" and event.properties["RetryPolicy"]["MaximumRetryAttempts"] >= 1
            failure_queues.add(template.queue_for_arn(template.resolve(event.properties["DeadLetterConfig"]["Arn"])))
        assert function.on_failure["Type"] == "SQS", function.logical_id
        failure_queues.add(template.queue_for_arn(template.resolve(function.on_failure["Destination"])))
    consumed = {template.queue_for_arn(template.resolve(e.properties["Queue"]))
                for f in template.functions() for e in f.events_of("SQS")}
    for queue in template.of_type("AWS::SQS::Queue"):
        props = template.props(queue)
        assert props["SqsManagedSseEnabled"] is True, queue
        if queue in consumed:
            dead_letters = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            failure_queues.add(dead_letters)
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
               for m in template.props("DeadLettersAlarm")["Metrics"] if "MetricStat" in m}
    assert watched == failure_queues == {"SwipesDeadLetterQueue", "PayrollFailuresDeadLetterQueue",
                                         "ScheduleDeadLetterQueue", "ScheduledRunFailuresQueue"}
    for alarm in template.of_type("AWS::CloudWatch::Alarm"):
        assert template.props(alarm)["AlarmActions"] == [{"Ref": "OperationsTopic"}], alarm
    assert {"FunctionErrorsAlarm", "FunctionThrottlesAlarm", "ApiServerErrorsAlarm"} <= set(
        template.of_type("AWS::CloudWatch::Alarm"))


def test_production_settings(template):
    """Tables and users outlive the stack and a table cannot be deleted by accident; no app client may write the
    attributes the API trusts (custom:person_id, custom:child_ids: a user would make themselves someone else);
    ID tokens live an hour; TOTP is available; logs are kept LogRetentionDays; a firewall guards the API stage."""
    for table in template.of_type("AWS::DynamoDB::Table"):
        assert template.props(table)["DeletionProtectionEnabled"] is True, table
        assert template.resources[table]["DeletionPolicy"] == "Retain", table
    assert template.resources["UserPool"]["DeletionPolicy"] == "Retain"
    pool = template.props("UserPool")
    assert pool["MfaConfiguration"] == "OPTIONAL" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    for client in template.of_type("AWS::Cognito::UserPoolClient"):
        props = template.props(client)
        assert "WriteAttributes" in props, f"{client}: without WriteAttributes every attribute is writable"
        assert not [a for a in props["WriteAttributes"] if a.startswith("custom:")], client
        assert (props["IdTokenValidity"], props["TokenValidityUnits"]["IdToken"]) == (60, "minutes")
    assert template.doc["Globals"]["Function"]["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogs"}}
    for group in template.of_type("AWS::Logs::LogGroup"):
        assert template.props(group)["RetentionInDays"] == {"Ref": "LogRetentionDays"}, group
    association = template.props("ApiFirewallAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiFirewall", "Arn"]}
    rules = {r["Name"]: r for r in template.props("ApiFirewall")["Rules"]}
    assert set(rules) == {"aws-common", "anonymous-rate", "ip-rate"}
    assert (rules["anonymous-rate"]["Statement"]["RateBasedStatement"]["Limit"]
            < rules["ip-rate"]["Statement"]["RateBasedStatement"]["Limit"])
