"""GIVEN template.yaml WHEN `make deploy-check` looks at it as AWS would THEN it passes, and each of the three
deploy defects it was written for, put back, fails it: a queue hiding a record for less than its function's
timeout (E3505), a deps layer without Powertools' tracer extra, a health check not allowed to describe a
table it names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from localcloud import build, deploy_check
from localcloud.template import Layer, Template
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
TEMPLATE = ROOT / "template.yaml"


def with_change(tmp_path: Path, old: str, new: str) -> Path:
    """template.yaml with one change, in a folder of its own (CodeUri paths are only rewritten, never read)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def translated():
    return deploy_check.translate(TEMPLATE)


# ---------------------------------------------------------------- translate + lint, queue timeouts
def test_the_translated_template_has_no_lint_errors(translated, tmp_path):
    errors, _ = deploy_check.lint(translated, tmp_path)
    assert errors == []
    assert deploy_check.visibility_problems(Template.load(TEMPLATE)) == []


def test_a_queue_hiding_records_for_less_than_its_function_timeout_fails(tmp_path):
    path = with_change(tmp_path, "VisibilityTimeout: 5400", "VisibilityTimeout: 60")
    errors, _ = deploy_check.lint(deploy_check.translate(path), tmp_path)
    assert any(e.startswith("E3505 Queue visibility timeout (60) is less than Function timeout (900)") for e in errors)
    [problem] = deploy_check.visibility_problems(Template.load(path))
    assert problem.startswith("PayrollFailuresQueue: VisibilityTimeout 60 s is less than 6 x PayrollWorkerFunction's")


def test_six_times_is_asked_even_where_lambda_would_accept_it(tmp_path):
    path = with_change(tmp_path, "VisibilityTimeout: 5400", "VisibilityTimeout: 900")  # 1 x: Lambda accepts it
    assert deploy_check.lint(deploy_check.translate(path), tmp_path)[0] == []
    assert len(deploy_check.visibility_problems(Template.load(path))) == 1


def test_a_queue_without_a_dead_letter_queue_is_a_serverless_rule_error(tmp_path):
    redrive = "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt PayrollFailuresDeadLetterQueue.Arn\n"
    path = with_change(tmp_path, redrive + "        maxReceiveCount: 5\n", "")
    errors, _ = deploy_check.lint(deploy_check.translate(path), tmp_path)
    assert any(e.startswith("ES6000 SQS Queue PayrollFailuresQueue") for e in errors)


# ---------------------------------------------------------------- handlers import with their layers only
def test_every_handler_imports_with_only_its_layers():
    assert deploy_check.import_problems(Template.load(TEMPLATE).functions()) == []


def test_a_deps_layer_without_the_tracer_extra_fails_every_traced_handler(tmp_path):
    deps = tmp_path / "deps"
    deps.mkdir()
    requirements = (ROOT / "layers/deps/requirements.txt").read_text(encoding="utf-8")
    assert "aws-lambda-powertools[tracer]" in requirements
    (deps / "requirements.txt").write_text(requirements.replace("[tracer]", ""), encoding="utf-8")
    template = Template.load(TEMPLATE)
    functions = [template.function(name) for name in ("HealthFunction", "SwipesFunction")]
    without_tracer = [dataclasses.replace(f, layers=tuple(Layer(layer.logical_id, deps, layer.build_method)
                                                          if layer.logical_id == "DepsLayer" else layer
                                                          for layer in f.layers)) for f in functions]
    problems = deploy_check.import_problems(without_tracer, tmp_path / "build")
    assert len(problems) == 2
    assert all("ModuleNotFoundError: Unable to import module 'app': No module named 'aws_xray_sdk'" in p
               for p in problems)
    assert {p.split()[0] for p in problems} == {"HealthFunction", "SwipesFunction"}


# ---------------------------------------------------------------- the health check's permissions
def describable_tables(translated: dict, function: str) -> tuple[set[str], set[str]]:
    """(tables the function's environment names, tables its role may DescribeTable), by logical id."""
    resources = translated["Resources"]
    variables = resources[function]["Properties"]["Environment"]["Variables"]
    named = {value["Ref"] for key, value in variables.items() if key.endswith("_TABLE")}
    role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
    allowed = set()
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and {"dynamodb:DescribeTable", "dynamodb:*"} & set(actions):
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                allowed |= {t["Fn::GetAtt"][0] for t in targets if isinstance(t, dict) and "Fn::GetAtt" in t}
    return named, allowed


def test_the_health_check_may_describe_every_table_it_names(translated):
    named, allowed = describable_tables(translated, "HealthFunction")
    assert len(named) == 7
    assert named <= allowed


def test_a_table_left_out_of_the_health_policy_is_found(tmp_path):
    indent = " " * 16
    path = with_change(tmp_path, f"{indent}- !GetAtt AlarmsTable.Arn\n{indent}- !GetAtt PayrollTable.Arn\n", "")
    named, allowed = describable_tables(deploy_check.translate(path), "HealthFunction")
    assert named - allowed == {"AlarmsTable", "PayrollTable"}


# ---------------------------------------------------------------- sizes
def test_sizes_count_what_lambda_unzips_and_leave_out_what_never_runs():
    sizes = deploy_check.package_sizes(Template.load(TEMPLATE))
    assert {name for name, _, _ in sizes} == {f.logical_id for f in Template.load(TEMPLATE).functions()}
    for _, deployed, running in sizes:
        assert 0 < running < deployed < deploy_check.LAMBDA_UNZIPPED_LIMIT_MB
    folder = next((build.BUILD_DIR / "lambda").glob("DepsLayer-arm64-*")) / "python"
    [binary] = folder.glob("cryptography/hazmat/bindings/_rust.abi3.so")
    assert binary.read_bytes()[18:20] == b"\xb7\x00"  # ELF e_machine AArch64: built for Lambda, not this machine
    idle = deploy_check.never_run(folder, (ROOT / "layers/deps/requirements.txt").read_text(),
                                  {"python_version": "3.12", "python_full_version": "3.12.0",
                                   "platform_machine": "aarch64"})
    assert {"pip", "click", "inquirer", "botocore", "boto3"} <= idle
    assert not {"chalice", "cryptography", "aws-xray-sdk", "pynamodb", "aws-lambda-powertools", "openpyxl"} & idle
