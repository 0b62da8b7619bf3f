"""The API contract (OpenAPI 3.1, localcloud.openapi): every template route and no other, each as its view
declares it; the committed copy the HealthFunction serves is current; a breaking change is named."""

from __future__ import annotations

import copy
import json

import pytest

from houqin.errors import CODES
from localcloud import openapi
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def document(template):
    return openapi.document(template)


def test_the_document_names_every_template_route_and_no_other(template, document):
    documented = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    assert documented == {(route.path, route.method) for route in template.routes()}
    assert document["openapi"] == "3.1.0"


def test_the_committed_copy_is_what_the_routes_declare(document):
    """`houqin openapi --write` after a change to a route; the HealthFunction serves this very file."""
    committed = json.loads((ROOT / openapi.DOCUMENT).read_text(encoding="utf-8"))
    assert committed == document, "run `houqin openapi --write` (and see `houqin openapi` for breaking changes)"


def test_signed_in_routes_name_their_roles_and_the_cognito_scheme(template, document):
    public = {(r.path, r.method) for r in template.routes() if r.authorizer is None}
    assert ("/openapi.json", "GET") in public and ("POST", "/opinions") not in public
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            if (path, method.upper()) in public:
                assert "security" not in op and "x-roles" not in op and "Public" in op["description"]
            else:
                assert op["security"] == [{"cognito": []}]
                assert "401" in op["responses"] and "403" in op["responses"]
                assert ("Roles: " + ", ".join(op["x-roles"]) if op["x-roles"] else "Any signed-in") in \
                    op["description"]
    finance_only = document["paths"]["/payroll/runs"]["post"]
    assert finance_only["x-roles"] and "student" not in finance_only["x-roles"]


def test_inputs_are_described_from_their_declarations(document):
    rating = document["components"]["schemas"]["Rating"]
    assert rating["required"] == ["attitude", "speed", "quality", "price"]
    assert rating["properties"]["attitude"] == {"type": "integer", "minimum": 1, "maximum": 5}
    assert rating["additionalProperties"] is False
    line = document["components"]["schemas"]["Line"]
    assert line["properties"]["kind"]["enum"] == ["labour", "material"]
    queue = {p["name"]: p for p in document["paths"]["/teams/{team_id}/tickets"]["get"]["parameters"]}
    assert queue["team_id"]["in"] == "path" and queue["limit"]["schema"]["maximum"] == 100
    assert not queue["limit"]["required"] and queue["state"]["schema"]["enum"]
    kpis = {p["name"]: p for p in document["paths"]["/kpis/teams/{team_id}"]["get"]["parameters"]}
    assert kpis["from"]["required"] and kpis["from"]["schema"]["format"] == "date"


def test_the_error_shape_and_codes_are_published(document):
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "field"]
    assert set(document["x-error-codes"]) == set(CODES)
    assert document["x-error-codes"]["version_conflict"]["status"] == 409
    created = document["paths"]["/tickets"]["post"]["responses"]
    assert set(created) >= {"201", "4XX"} and "200" not in created


# ---------------------------------------------------------------- breaking changes
def test_a_compatible_change_is_not_breaking(document):
    newer = copy.deepcopy(document)
    newer["paths"]["/new-thing"] = {"get": copy.deepcopy(document["paths"]["/teams"]["get"])}
    newer["components"]["schemas"]["Rating"]["properties"]["mood"] = {"type": "string"}
    assert openapi.breaking_changes(document, newer) == []


def test_a_removed_route_field_or_value_and_a_new_required_input_are_breaking(document):
    newer = copy.deepcopy(document)
    del newer["paths"]["/teams"]["get"]
    schemas = newer["components"]["schemas"]
    del schemas["Rating"]["properties"]["comment"]
    schemas["Intake"]["required"].append("room_no")
    schemas["Line"]["properties"]["kind"]["enum"] = ["labour"]
    for p in newer["paths"]["/kpis/workers/{staff_id}"]["get"]["parameters"]:
        p["required"] = True
    changes = openapi.breaking_changes(document, newer)
    assert "GET /teams: the route is gone" in changes
    assert "POST /tickets/{ticket_id}/rating body: field comment is gone" in changes
    assert "POST /tickets body: field room_no is newly required" in changes
    assert "PUT /tickets/{ticket_id}/fee body.lines: field kind no longer accepts material" in changes


def test_the_check_fails_on_a_stale_copy_and_refuses_to_write_a_breaking_one(template, document, tmp_path,
                                                                              capsys):
    (tmp_path / "functions" / "health").mkdir(parents=True)
    copied = tmp_path / "template.yaml"
    copied.write_text((ROOT / "template.yaml").read_text().replace("CodeUri: functions/",
                                                                   f"CodeUri: {ROOT}/functions/"))
    stale = copy.deepcopy(document)
    stale["paths"]["/gone-route"] = {"get": copy.deepcopy(document["paths"]["/teams"]["get"])}
    target = tmp_path / openapi.DOCUMENT
    target.write_text(openapi.text(stale))
    assert openapi.run(copied, write=True) == 1  # removing /gone-route breaks clients of 1.x
    assert "GET /gone-route: the route is gone" in capsys.readouterr().err
    target.write_text(openapi.text({**document, "info": {**document["info"], "description": "older"}}))
    assert openapi.run(copied, write=False) == 1
    assert openapi.run(copied, write=True) == 0
    assert json.loads(target.read_text()) == document
    assert openapi.run(copied, write=False) == 0
