"""`houqin publish-web`: web/ and the deployed config.json into the stack's WebBucket (moto in process)."""

from __future__ import annotations

import json

import boto3
import pytest
import yaml
from moto import mock_aws

from localcloud.cli import main
from localcloud.publish_web import deployed_config

OUTPUTS = {"ApiUrl": "https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod",
           "HostedUiUrl": "https://houqin-auth-1.auth.cn-north-1.amazoncognito.com",
           "UserPoolClientId": "client123", "WebUrl": "https://d111.cloudfront.net"}
STACK = {"Resources": {"WebBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "houqin-web"}}},
         "Outputs": {**{name: {"Value": value} for name, value in OUTPUTS.items()},
                     "WebBucketName": {"Value": {"Ref": "WebBucket"}}}}


@pytest.fixture
def web(tmp_path):
    root = tmp_path / "web"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>后勤</title>", encoding="utf-8")
    (root / "js" / "app.js").write_text("export {};")
    (root / "config.json").write_text('{"auth": "local"}')  # a local file never overrides the deployed one
    return root


def test_publish_web_puts_the_pages_and_the_stacks_config_and_removes_what_is_gone(web, capsys):
    with mock_aws():
        boto3.client("cloudformation").create_stack(StackName="houqin", TemplateBody=yaml.safe_dump(STACK))
        s3 = boto3.client("s3")
        s3.put_object(Bucket="houqin-web", Key="pages/old.js", Body=b"gone")

        assert main(["publish-web", "--stack", "houqin", "--web", str(web)]) == 0

        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="houqin-web")["Contents"])
        assert keys == ["config.json", "index.html", "js/app.js"]
        assert s3.head_object(Bucket="houqin-web", Key="js/app.js")["ContentType"] == "text/javascript; charset=utf-8"
        assert s3.head_object(Bucket="houqin-web", Key="index.html")["CacheControl"] == "no-cache"
        config = json.loads(s3.get_object(Bucket="houqin-web", Key="config.json")["Body"].read())
        assert config == {"apiUrl": OUTPUTS["ApiUrl"], "auth": "cognito", "cognitoDomain": OUTPUTS["HostedUiUrl"],
                          "clientId": "client123", "redirectUri": "https://d111.cloudfront.net/"}
    assert "3 files in houqin-web (1 stale removed)" in capsys.readouterr().out


def test_publish_web_names_what_the_stack_lacks(web, capsys):
    with pytest.raises(RuntimeError, match="no output WebUrl, WebBucketName"):
        deployed_config({k: v for k, v in OUTPUTS.items() if k != "WebUrl"})
    with mock_aws():
        assert main(["publish-web", "--stack", "nothing", "--web", str(web)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("houqin publish-web:") and "nothing" in err  # the stack named, no traceback
