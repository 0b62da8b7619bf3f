"""Shared test set-up.

Order matters: fake credentials, region and the template's Globals environment are set, and
moto imported, before any handler or store module is imported (clients created earlier would
escape the mock; the store's models read table names at import).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)

import moto  # noqa: E402,F401 - must precede handler imports
import pytest  # noqa: E402

from localcloud.openapi import load_handler_module  # noqa: E402
from localcloud.template import Template  # noqa: E402

TEMPLATE = Template.load(ROOT / "template.yaml", endpoint=None)
_globals = ((TEMPLATE.doc.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
os.environ.update({k: str(v) for k, v in TEMPLATE.resolve(_globals.get("Variables") or {}).items()})


@pytest.fixture(scope="session")
def template() -> Template:
    return TEMPLATE


@pytest.fixture(autouse=True)
def _settings_read_afresh():
    """A test may set a function's variable (monkeypatch.setenv, then settings.cache_clear()); the next test
    reads the environment as it is again."""
    yield
    from houqin.settings import settings

    settings.cache_clear()


def load_function_module(template: Template, logical_id: str) -> ModuleType:
    """Import a function's handler module from its CodeUri, fresh, under a unique name."""
    function = template.function(logical_id)
    return load_handler_module(function, f"fn_{logical_id}_{function.handler.rpartition('.')[0]}")


@pytest.hookimpl(tryfirst=True)  # the marks must be there before pytest-xdist's own hook reads them
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs two workers (pytest-xdist, ``--dist loadgroup``): a file's tests stay together in
    order on one worker (module fixtures are set up once), and all browser tests share one worker, since
    they share one local cloud."""
    for item in items:
        path = item.path.relative_to(ROOT)
        group = "browser" if path.parts[:2] == ("tests", "browser") else path.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when pytest-xdist did not group the tests (it adds "@<group>" to each id): a file's tests
    would be spread over both workers, each starting the file's local cloud and running part of its story."""
    if getattr(session.config.option, "loadgroup", False) and session.items and "@" not in session.items[0].nodeid:
        raise pytest.UsageError("pytest-xdist did not group the tests (--dist loadgroup): this pytest and "
                                "pytest-xdist do not work together; install the versions pyproject.toml allows")
