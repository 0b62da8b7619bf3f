"""The running API keeps its published contract (functions/health/openapi.json), tested by Schemathesis.

`houqin run` with demo data serves every route; for each route in the document Schemathesis generates
requests from its declared inputs, valid and invalid (hypothesis), and sends them as a user of a role the
route admits (its ``x-roles``; any demo user where it admits anyone signed in). Every answer must be no
5xx, have a status and a body the document lists for it (the error shape included), and an invalid input
must be refused with a 4xx. `make test` runs a bounded, reproducible sample (EXAMPLES per route, a fixed
seed); `make fuzz` a deeper, random one (HOUQIN_FUZZ_EXAMPLES, default 200).

Checks left out, and why:
- positive_data_acceptance: a valid request may rightly be refused: a made-up id is 404, another
  person's object 404/403, a state that does not allow the step 409.
- unsupported_method: API Gateway answers a method a route lacks with 403 "Missing Authentication
  Token", not 405 (the document says so).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from houqin.domain.actors import Role
from localcloud import openapi
from tests.conftest import ROOT
from tests.running import RunningHouqin, run_houqin

AT = datetime.fromisoformat("2026-11-25T10:00:00+08:00")  # a Wednesday morning, whatever the hour of the run
DEEP = int(os.environ.get("HOUQIN_FUZZ_EXAMPLES", "0"))
EXAMPLES = DEEP or 6
LEFT_OUT = [positive_data_acceptance, unsupported_method]

schema = schemathesis.openapi.from_path(ROOT / openapi.DOCUMENT)


@pytest.fixture(scope="module")
def houqin() -> Any:
    yield from run_houqin(AT, "contract-local-cloud.log")


@pytest.fixture(scope="module")
def tokens(houqin: RunningHouqin) -> dict[str, str]:
    """An ID token per role, each a demo user's (the fingerprint terminal FP-WY for devices); ``""``: anyone
    signed in (a dispatcher)."""
    by_role: dict[str, str] = {}
    for user in houqin.users:
        by_role.setdefault(user["role"], houqin.token(user["person_id"]))
    by_role.setdefault(Role.DEVICE.value, houqin.mint(Role.DEVICE.value, "FP-WY"))
    by_role[""] = by_role["dispatcher"]
    return by_role


def caller(operation: dict[str, Any], tokens: dict[str, str]) -> dict[str, str]:
    """The Authorization header of a user the operation admits (its x-roles); none for a public route."""
    roles = operation.get("x-roles")
    if roles is None:
        return {}
    role = next((r for r in roles or [""] if r in tokens), None)
    assert role is not None, f"no demo user holds any of {roles} ({operation['operationId']})"
    return {"Authorization": f"Bearer {tokens[role]}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not DEEP, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_every_route_keeps_its_contract(case: Any, houqin: RunningHouqin, tokens: dict[str, str]) -> None:
    case.call_and_validate(base_url=houqin.api, headers=caller(case.operation.definition.raw, tokens),
                           excluded_checks=LEFT_OUT)


def test_every_route_answers_a_body_that_is_not_utf8_with_a_400_on_body(houqin: RunningHouqin,
                                                                        tokens: dict[str, str]) -> None:
    """API Gateway passes such a body on with each bad byte replaced by U+FFFD (a text media type); every
    function refuses it before reading anything else, in the error shape."""
    document = json.loads((ROOT / openapi.DOCUMENT).read_text(encoding="utf-8"))
    answers = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            headers = {"Content-Type": "application/json", **caller(op, tokens)}
            url = houqin.api + re.sub(r"\{\w+\}", "x", path)
            request = urllib.request.Request(url, data=b'{"note": "\xff\xfe"}', headers=headers,  # noqa: S310
                                             method=method.upper())
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                    answers[f"{method.upper()} {path}"] = (response.status, json.load(response))
            except urllib.error.HTTPError as refused:
                answers[f"{method.upper()} {path}"] = (refused.code, json.load(refused))
    wrong = {route: (status, body) for route, (status, body) in answers.items()
             if status != 400 or body["error"]["field"] != "body" or "UTF-8" not in body["error"]["message"]}
    assert len(answers) == 83 and not wrong
