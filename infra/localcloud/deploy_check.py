"""`houqin deploy-check` (`make deploy-check`, part of `make test`): what can be proved about a deployment
without an AWS account.

1. The template as `sam package` + `sam deploy` hand it to CloudFormation: translated by aws-sam-translator
   (local CodeUri/ContentUri rewritten to S3 first), then linted by cfn-lint with the cfn-lint-serverless
   rules. Any error fails (E3505, a queue hiding a record for less than its function's timeout, included).
2. Every SQS event source's VisibilityTimeout is at least 6 x its function's Timeout (AWS's advice; Lambda
   itself refuses less than 1 x).
3. Every handler imports in a fresh process with only its CodeUri, its layers (built for this machine) and
   the runtime's boto3: the way the local cloud runs it (localcloud.build).
4. Each BuildMethod layer built for Lambda's platform (the function's architecture and Python) to print
   function + layers unzipped against Lambda's 250 MB, with what never runs there left out as well.

What only AWS can tell: service quotas, names taken in the account (the Cognito domain prefix), IAM beyond the
roles' own policies (the local cloud checks those: localcloud.iam), and whether the deployed stack behaves (run
the smoke test in docs/deploy.md).
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from localcloud import build
from localcloud.runtime import FunctionRuntime, lambda_environment
from localcloud.template import Function, Layer, Template, load_yaml

LAMBDA_UNZIPPED_LIMIT_MB = 250
VISIBILITY_FACTOR = 6
SQS_DEFAULT_VISIBILITY = 30
ARTIFACTS = "s3://houqin-deploy-artifacts"  # what `sam package` would upload to; never contacted
NOWHERE = "http://127.0.0.1:9"  # an endpoint no import may call
# Never imported in Lambda: installers, and what the runtime already has (boto3 and what it needs).
NOT_RUN = {"pip", "setuptools", "wheel"}
RUNTIME_PROVIDED = "boto3"
CLI_ONLY = "chalice"  # its command-line tool needs click, inquirer, pyyaml ...; a function imports chalice.app only


# ---------------------------------------------------------------- 1. translate and lint
def translate(path: Path, region: str = "us-east-1") -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would create the stack from."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    doc = copy.deepcopy(load_yaml(path))
    sections = [(logical, resource.get("Properties") or {}) for logical, resource in doc["Resources"].items()]
    globals_ = doc.get("Globals") or {}  # a CodeUri in Globals.Function too
    sections += [(f"Globals{kind}", spec) for kind, spec in globals_.items() if isinstance(spec, dict)]
    for logical, props in sections:
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"{ARTIFACTS}/{logical}.zip"
    parameters = {name: spec.get("Default") for name, spec in (doc.get("Parameters") or {}).items()}
    os.environ.setdefault("AWS_DEFAULT_REGION", region)  # samtranslator's ARNs name the partition from it
    translated = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=doc, parameter_values=parameters)
    _exempt_sqs_mappings_from_on_failure(translated)
    return translated


def _exempt_sqs_mappings_from_on_failure(translated: dict[str, Any]) -> None:
    """ES1001 asks every event source mapping for an OnFailure destination, which SQS sources cannot have
    (the rule knows it for SAM events, not once translated): their failures go to the queue's redrive
    policy, which ES6000 checks."""
    resources = translated["Resources"]
    for resource in resources.values():
        source = (resource.get("Properties") or {}).get("EventSourceArn")
        if resource["Type"] != "AWS::Lambda::EventSourceMapping" or not isinstance(source, dict):
            continue
        target = (source.get("Fn::GetAtt") or [None])[0]
        if resources.get(target, {}).get("Type") == "AWS::SQS::Queue":
            resource.setdefault("Metadata", {}).setdefault("cfn-lint", {}).setdefault(
                "config", {}).setdefault("ignore_checks", []).append("ES1001")


def lint(translated: dict[str, Any], folder: Path) -> tuple[list[str], list[str]]:
    """cfn-lint with the serverless rules on the translated template: (errors, warnings), one line each."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "template.json"
    path.write_text(json.dumps(translated, indent=1), encoding="utf-8")
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), "--format", "parseable", "-a", "cfn_lint_serverless.rules", "--", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode & 1:  # 1: cfn-lint itself failed
        raise RuntimeError(f"cfn-lint failed: {done.stderr.strip() or done.stdout.strip()}")
    findings = [_finding(line) for line in done.stdout.splitlines() if line.strip()]
    return [f for f in findings if f.startswith("E")], [f for f in findings if not f.startswith("E")]


def _finding(line: str) -> str:
    """`file:line:col:endline:endcol:RULE:message` as `RULE message (line N)`."""
    _, line_no, _, _, _, rule, message = line.rsplit(":", 6) if line.count(":") >= 6 else ("",) * 5 + ("?", line)
    return f"{rule} {message} (template.json line {line_no})"


# ---------------------------------------------------------------- 2. queue visibility
def visibility_problems(template: Template) -> list[str]:
    problems = []
    for function in template.functions():
        for event in function.events_of("SQS"):
            queue = template.queue_for_arn(event.properties["Queue"])
            visibility = int((template.props(queue) or {}).get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY))
            if visibility < VISIBILITY_FACTOR * function.timeout:
                problems.append(f"{queue}: VisibilityTimeout {visibility} s is less than {VISIBILITY_FACTOR} x "
                                f"{function.logical_id}'s Timeout ({function.timeout} s): a record it is still "
                                "reading comes back to another worker")
    return problems


# ---------------------------------------------------------------- 3. handlers import with their layers only
def import_problems(functions: list[Function], build_dir: Path = build.BUILD_DIR) -> list[str]:
    def start(function: Function) -> str | None:
        environment = lambda_environment(function, build.python_path(function, build_dir), region="us-east-1",
                                         endpoint=NOWHERE, lambda_endpoint=NOWHERE)
        runtime = FunctionRuntime(function, environment, max_concurrency=1)
        try:
            return runtime.warm()
        finally:
            runtime.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        return [problem for problem in pool.map(start, functions) if problem]


# ---------------------------------------------------------------- 4. unzipped size against Lambda's limit
def package_sizes(template: Template, build_dir: Path = build.BUILD_DIR) -> list[tuple[str, float, float]]:
    """(function, MB as deployed, MB that can run) for function code + layers built for Lambda's platform."""
    sizes = []
    layers: dict[tuple[str, str], tuple[int, int]] = {}  # a layer is measured once per platform, not per function
    for function in template.functions():
        deployed = running = _folder_bytes(function.code_uri)
        for layer in function.layers:
            key = (layer.logical_id, function.architecture)
            if key not in layers:
                layers[key] = _layer_bytes(layer, function, build_dir)
            whole, idle = layers[key]
            deployed, running = deployed + whole, running + whole - idle
        sizes.append((function.logical_id, deployed / 2**20, running / 2**20))
    return sizes


def _layer_bytes(layer: Layer, function: Function, build_dir: Path) -> tuple[int, int]:
    """(bytes, bytes never run in Lambda) of a layer as `sam build` makes it for the function's platform."""
    if layer.build_method is None:
        return _folder_bytes(layer.content_uri), 0
    python = layer.build_method.removeprefix("python")
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[function.architecture]
    requirements = (layer.content_uri / "requirements.txt").read_text(encoding="utf-8")
    folder = build.pip_target(requirements, build_dir / "lambda" / f"{layer.logical_id}-{function.architecture}", [
        "--platform", f"manylinux2014_{machine}", "--python-version", python, "--implementation", "cp",
        "--only-binary=:all:", "--no-compile"]) / "python"  # sam build ships no .pyc either
    idle = never_run(folder, requirements, {"python_version": python, "python_full_version": f"{python}.0",
                                            "platform_machine": machine})
    dists = _distributions(folder)
    return _folder_bytes(folder), sum(_dist_bytes(folder, dists[name]) for name in idle)


def never_run(folder: Path, requirements: str, environment: dict[str, str]) -> set[str]:
    """Distributions in a built layer no function imports in Lambda: pip and friends, what only chalice's
    command-line tool needs, and boto3 with what it needs (the runtime has them)."""
    dists = _distributions(folder)
    wanted = [Requirement(line) for line in requirements.splitlines() if line.strip() and not line.startswith("#")]

    def closure(roots: Iterable[Requirement]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            requirement = todo.pop()
            name = canonicalize_name(requirement.name)
            if name in seen or name not in dists:
                continue
            seen.add(name)
            for line in dists[name].requires or []:
                needed = Requirement(line)
                marker_env = [{**environment, "extra": extra} for extra in requirement.extras or {""}]
                if needed.marker is None or any(needed.marker.evaluate(env) for env in marker_env):
                    todo.append(needed)
        return seen

    others = closure(r for r in wanted if canonicalize_name(r.name) != CLI_ONLY)
    cli_only = closure(r for r in wanted if canonicalize_name(r.name) == CLI_ONLY) - others - {CLI_ONLY}
    runtime = closure([Requirement(RUNTIME_PROVIDED)])
    return (cli_only | runtime | NOT_RUN) & set(dists)


def _distributions(folder: Path) -> dict[str, importlib.metadata.Distribution]:
    return {canonicalize_name(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(folder)])}


def _dist_bytes(folder: Path, dist: importlib.metadata.Distribution) -> int:
    return sum((folder / f).stat().st_size for f in dist.files or []
               if (folder / f).is_file() and "__pycache__" not in f.parts)


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


# ---------------------------------------------------------------- the command (houqin deploy-check)
def run(template_path: Path, build_dir: Path) -> int:
    failures: list[str] = []
    errors, warnings = lint(translate(template_path), build_dir / "deploy")
    _report("translated template, cfn-lint + serverless rules", errors, warnings)
    failures += errors

    template = Template.load(template_path, endpoint=NOWHERE)
    problems = visibility_problems(template)
    _report(f"SQS visibility >= {VISIBILITY_FACTOR} x function timeout", problems)
    failures += problems

    problems = import_problems(template.functions(), build_dir)
    _report(f"{len(template.functions())} handlers import with only their layers", problems)
    failures += problems

    print(f"\n-- unzipped size in Lambda (function + layers, limit {LAMBDA_UNZIPPED_LIMIT_MB} MB; "
          "'runs' leaves out pip, setuptools, chalice's command-line dependencies and the runtime's boto3)")
    for function, deployed, running in package_sizes(template, build_dir):
        flag = "  TOO BIG" if deployed > LAMBDA_UNZIPPED_LIMIT_MB else ""
        print(f"   {function:<26} {deployed:6.1f} MB deployed   {running:6.1f} MB runs{flag}")
        if flag:
            failures.append(f"{function}: {deployed:.1f} MB unzipped is over Lambda's {LAMBDA_UNZIPPED_LIMIT_MB} MB")

    print(f"\ndeploy-check: {'FAILED, ' + str(len(failures)) + ' problem(s)' if failures else 'ok'}")
    return 1 if failures else 0


def _report(title: str, problems: list[str], warnings: Iterable[str] = ()) -> None:
    print(f"-- {title}: {'ok' if not problems else 'FAILED'}")
    for problem in problems:
        print(f"   ! {problem}")
    by_rule: dict[str, list[str]] = {}
    for warning in warnings:
        by_rule.setdefault(warning.split()[0], []).append(warning)
    for same in by_rule.values():  # one line a rule: the first, and how many more
        print(f"   (warning) {same[0]}" + (f" (and {len(same) - 1} more like it)" if len(same) > 1 else ""))
