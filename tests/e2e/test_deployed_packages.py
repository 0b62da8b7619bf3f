"""GIVEN a function and its layers WHEN the local cloud runs it THEN it has only what it would have in Lambda:
its CodeUri, its layers (a BuildMethod layer pip-installed from its requirements.txt) and the runtime's boto3,
never the development virtualenv."""

from __future__ import annotations

import json
import textwrap

import pytest

from localcloud import build
from localcloud.runtime import FunctionRuntime, lambda_environment
from localcloud.template import Template
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 20
    CodeUri: code/
    Layers: [!Ref SharedLayer, !Ref DepsLayer]
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: shared/}
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: deps/}
    Metadata: {BuildMethod: python3.12}
  LayeredFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: layered.handler}
  UndeclaredFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: undeclared.handler}
"""


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    (root / "template.yaml").write_text(TEMPLATE)
    files = {
        "shared/python/shared.py": "GREETING = 'from the shared layer'\n",
        "deps/requirements.txt": "six>=1.16\n",
        # six comes from the deps layer, boto3 from the runtime, shared from the other layer
        "code/layered.py": """
            import boto3, six, shared, sys
            def handler(event, context):
                return {"greeting": shared.GREETING, "six": six.__file__, "boto3": boto3.__file__,
                        "path": sys.path}
        """,
        # in the development virtualenv, but in none of the function's layers
        "code/undeclared.py": "import pynamodb\ndef handler(event, context):\n    return 'unreachable'\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    template = Template.load(root / "template.yaml", endpoint="http://127.0.0.1:9")
    build_dir = root / "build"
    runtimes = {}
    for function in template.functions():
        environment = lambda_environment(function, build.python_path(function, build_dir), region="us-east-1",
                                         endpoint="http://127.0.0.1:9", lambda_endpoint="http://127.0.0.1:9")
        runtimes[function.logical_id] = FunctionRuntime(function, environment, max_concurrency=1)
    yield root, build_dir, runtimes
    for runtime in runtimes.values():
        runtime.close()


def test_a_function_imports_from_its_layers_and_the_runtime_only(functions):
    root, build_dir, runtimes = functions
    assert runtimes["LayeredFunction"].warm() is None
    result = runtimes["LayeredFunction"].invoke({})
    assert result.ok, result.error
    assert result.payload["greeting"] == "from the shared layer"
    assert result.payload["six"].startswith(str(build_dir / "DepsLayer-"))  # built from deps/requirements.txt
    assert result.payload["boto3"].startswith(str(build_dir / "runtime-"))
    assert not any("site-packages" in entry for entry in result.payload["path"])


def test_a_package_missing_from_the_layers_stops_the_function_naming_it(functions):
    _, _, runtimes = functions
    problem = runtimes["UndeclaredFunction"].warm()
    assert problem is not None
    assert problem.startswith("UndeclaredFunction cannot start: ModuleNotFoundError: ")
    assert "No module named 'pynamodb'" in problem
    result = runtimes["UndeclaredFunction"].invoke({})
    assert not result.ok
    assert result.error["errorType"] == "Runtime.ImportModuleError"
    assert result.error["errorMessage"] == "Unable to import module 'undeclared': No module named 'pynamodb'"


def test_a_layer_is_rebuilt_when_its_requirements_change(functions):
    root, build_dir, runtimes = functions
    layer = runtimes["LayeredFunction"].function.layers[1]
    first = build.layer_path(layer, build_dir)
    assert build.layer_path(layer, build_dir) == first  # built once
    (root / "deps/requirements.txt").write_text("six>=1.16\nsix<2\n")
    second = build.layer_path(layer, build_dir)
    assert second != first and (second / "six.py").exists()
    assert not first.exists()  # the old build is removed


# ---------------------------------------------------------------- tracing, as the template turns it on
@pytest.fixture()
def xray_daemon():
    """A UDP socket where the X-Ray SDK sends segments (Lambda's daemon address)."""
    import socket

    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(10)
    yield daemon
    daemon.close()


@pytest.mark.parametrize("logical_id, event", [
    ("HealthFunction", {**json.loads((ROOT / "events/health/get.json").read_text()), "resource": "/nowhere"}),
    ("SwipesFunction", {"Records": []}),
], ids=["chalice app", "plain handler"])
def test_every_invocation_is_traced_with_the_deployed_packages(logical_id, event, xray_daemon):
    function = Template.load(ROOT / "template.yaml", endpoint="http://127.0.0.1:9").function(logical_id)
    environment = lambda_environment(function, build.python_path(function), region="us-east-1",
                                     endpoint="http://127.0.0.1:9", lambda_endpoint="http://127.0.0.1:9")
    environment.update({  # what Lambda sets when the function has Tracing: Active
        "POWERTOOLS_TRACE_DISABLED": "false", "_X_AMZN_TRACE_ID": "Root=1-67890abc-0123456789abcdef01234567;"
        "Parent=53995c3f42cd8ad8;Sampled=1", "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_daemon.getsockname()[1]}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"})
    runtime = FunctionRuntime(function, environment, max_concurrency=1)
    try:
        result = runtime.invoke(event)
        assert result.ok, result.error
        segments = []  # the SDK sends each subsegment (AWS calls too) as a datagram: header line, then JSON
        while not any(s["name"].startswith("## ") for s in segments):
            segments.append(json.loads(xray_daemon.recv(65536).decode().partition("\n")[2]))
    finally:
        runtime.close()
    segment = next(s for s in segments if s["name"].startswith("## "))  # the handler's own
    assert segment["trace_id"] == "1-67890abc-0123456789abcdef01234567"
    assert segment["annotations"]["ColdStart"] is True
    assert "response" not in json.dumps(segment.get("metadata", {}))  # responses stay out of traces
