"""The API's OpenAPI 3.1 document, made from the template's routes and what each route declares at its view
(houqin.api: roles, path/query/body input classes, answers). ``houqin openapi`` writes it where the
HealthFunction serves it (``GET /openapi.json``) and the web pages read it (the API reference page);
``houqin openapi --check`` fails when the committed copy is not what the code declares, naming each
breaking change (a removed route or input field, a new required input) a client would meet.

A breaking change is published only with a new major ``API_VERSION`` (``--write`` refuses otherwise).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from localcloud.template import Function, Route, Template

API_VERSION = "1.0.0"
DOCUMENT = Path("functions/health/openapi.json")  # in the HealthFunction's package: it serves this copy

ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "stable, for programs: see the catalogue x-error-codes"},
            "message": {"type": "string", "description": "for people"},
            "field": {"type": ["string", "null"], "description": "the input at fault (a body field such as "
                      "lines[0].quantity, a query or path parameter, body, If-Match), or null"}}}},
}
GATEWAY = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}},
           "description": "API Gateway's own answer, before any function runs: 401 Unauthorized (no or a bad "
                          "token), 403 Missing Authentication Token (no such route or method)"}

INTRODUCTION = """\
The HTTP API of Houqin (后勤), the service platform of a university logistics group: repairs, the opinion
board, dorms and gates, alarms, attendance and payroll.

Sign in with the Cognito user pool and send its ID token as `Authorization: Bearer <token>`; each route
names the roles (Cognito groups) it admits, and the function still checks that the caller may see or
change the object itself (an object they may not see is 404, as if it did not exist).

Every error a function answers has one shape, `{"error": {"code", "message", "field"}}`; the codes are
listed in `x-error-codes` with their status and meaning. API Gateway answers some requests itself with
`{"message": ...}`: 401 `Unauthorized` (no or a bad token) and 403 `Missing Authentication Token` (no
such route or method). A write to a versioned object (a ticket, an opinion, a payroll run) may send
`If-Match: <version>` and is refused with 409 `version_conflict` when the object moved on; list routes
answer `{"items", "cursor"}` pages (send the cursor back for the next). A breaking change to this document
comes with a new major version."""


def document(template: Template) -> dict[str, Any]:
    """The OpenAPI document of every route in the template (each must be declared by its view)."""
    from houqin.errors import CODES

    components: dict[str, Any] = {"Error": ERROR, "GatewayError": GATEWAY}
    paths: dict[str, Any] = {}
    declared = declarations(template)
    for route in sorted(template.routes(), key=lambda r: (r.path, r.method)):
        found = declared.get((route.path, route.method))
        if found is None:
            raise ValueError(f"{route.method} {route.path} ({route.function}) is in the template but no view "
                             "declares it")
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route, found, components)
    missing = sorted(set(declared) - {(r.path, r.method) for r in template.routes()})
    if missing:
        raise ValueError(f"views declare routes the template lacks: {missing}")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Houqin API", "version": API_VERSION, "description": INTRODUCTION},
        "tags": sorted(({"name": tag} for tag in {op["tags"][0] for item in paths.values() for op in item.values()}),
                       key=lambda t: t["name"]),
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"cognito": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An ID token of the stack's Cognito user pool (UserPool); its cognito:groups are "
                               "the caller's roles"}},
        },
        "x-error-codes": {code: {"status": status, "meaning": meaning}
                          for code, (status, meaning) in sorted(CODES.items(), key=lambda kv: (kv[1][0], kv[0]))},
    }


def operation(route: Route, declared: Any, components: dict[str, Any]) -> dict[str, Any]:
    from houqin import contract

    op: dict[str, Any] = {"operationId": f"{_tag(route)}_{declared.view.__name__}", "tags": [_tag(route)],
                          "summary": declared.summary}
    if route.authorizer is None:
        who = "Public: no sign-in."
        if declared.roles is not None:
            raise ValueError(f"{route.method} {route.path}: public in the template but its view declares roles")
    else:
        if declared.roles is None:
            raise ValueError(f"{route.method} {route.path}: signed-in in the template but its view declares no "
                             "roles (SIGNED_IN for anyone signed in)")
        who = ("Roles: " + ", ".join(sorted(r.value for r in declared.roles)) + "." if declared.roles
               else "Any signed-in user; the function decides per object.")
        op["security"] = [{"cognito": []}]
        op["x-roles"] = sorted(r.value for r in declared.roles)  # empty: anyone signed in
    op["description"] = "\n\n".join(part for part in (declared.description, who) if part)
    parameters = (contract.parameters(declared.params, "path", components) if declared.params else
                  [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                   for name in re.findall(r"\{(\w+)\}", route.path)])
    if declared.query:
        parameters += contract.parameters(declared.query, "query", components)
    if parameters:
        op["parameters"] = parameters
    if declared.body:
        reference = contract.schema(declared.body, components)
        required = bool(components[declared.body.__name__].get("required"))
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": reference}}}
    op["responses"] = responses(route, declared)
    return op


def responses(route: Route, declared: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status in declared.statuses:
        if status == 204:
            answers["204"] = {"description": "done; no content"}
            continue
        content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
        for media_type in declared.files:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
        answers[str(status)] = {"description": "the answer (JSON; a file when Accept asks for one)"
                                if declared.files else "the answer", "content": content}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    either = {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Error"},
                                                          {"$ref": "#/components/schemas/GatewayError"}]}}}
    answers["4XX"] = {"description": "refused: the error names its code and the input at fault", "content": error}
    if route.authorizer is not None:
        answers["401"] = {"description": "no valid token (API Gateway)", "content": either}
        answers["403"] = {"description": "the caller's roles do not allow it", "content": error}
    return answers


def _tag(route: Route) -> str:
    return route.function.removesuffix("Function")


def declarations(template: Template) -> dict[tuple[str, str], Any]:
    """Every route each HTTP function's app declares, by (path, METHOD)."""
    from houqin.settings import settings

    found: dict[tuple[str, str], Any] = {}
    http_functions = {route.function for route in template.routes()}
    saved = dict(os.environ)
    try:
        for function in template.functions():
            if function.logical_id not in http_functions:
                continue
            # What the handler reads when it is imported (its table names); put back after.
            os.environ.update({"AWS_REGION": template.region, "POWERTOOLS_TRACE_DISABLED": "true",
                               **function.environment})
            settings.cache_clear()
            app = getattr(load_handler_module(function, f"openapi_{function.logical_id}"),
                          function.handler.rpartition(".")[2])
            for declared in getattr(app, "declared", []):
                found[(declared.path, declared.method)] = declared
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
    return found


def load_handler_module(function: Function, name: str) -> ModuleType:
    """A function's handler module imported from its CodeUri, fresh, as ``name`` (each function's is app.py)."""
    path = function.code_uri / f"{function.handler.rpartition('.')[0].replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- breaking changes
def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a client written against ``old`` would meet in ``new``: a route gone, an input field gone (now an
    unknown field), an input newly required, a value it may send no longer accepted."""
    found = []
    for path, methods in old.get("paths", {}).items():
        for method, before in methods.items():
            after = new.get("paths", {}).get(path, {}).get(method)
            where = f"{method.upper()} {path}"
            if after is None:
                found.append(f"{where}: the route is gone")
                continue
            found += _parameter_changes(where, before, after)
            found += _schema_changes(f"{where} body", _body(old, before), _body(new, after), old, new)
    return found


def _parameter_changes(where: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old = {(p["in"], p["name"]): p for p in before.get("parameters", [])}
    new = {(p["in"], p["name"]): p for p in after.get("parameters", [])}
    found = [f"{where}: {place} parameter {name} is gone" for (place, name) in old if (place, name) not in new]
    found += [f"{where}: {place} parameter {name} is newly required" for (place, name), p in new.items()
              if p.get("required") and not old.get((place, name), {}).get("required")]
    found += [f"{where}: {place} parameter {name} no longer accepts {', '.join(gone)}"
              for (place, name), p in new.items() if (place, name) in old
              for gone in [_enum_gone(old[(place, name)]["schema"], p["schema"])] if gone]
    return found


def _body(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    schema = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
    return _resolve(doc, schema) if schema else None


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _schema_changes(where: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                    old: dict[str, Any], new: dict[str, Any], depth: int = 0) -> list[str]:
    if before is None or depth > 5:
        return []
    if after is None:
        return [f"{where}: the body is gone"]
    found = []
    old_props, new_props = before.get("properties", {}), after.get("properties", {})
    found += [f"{where}: field {name} is gone" for name in old_props if name not in new_props]
    found += [f"{where}: field {name} is newly required" for name in after.get("required", [])
              if name not in before.get("required", [])]
    for name, schema in old_props.items():
        if name not in new_props:
            continue
        was, now = _resolve(old, schema), _resolve(new, new_props[name])
        gone = _enum_gone(was, now)
        if gone:
            found.append(f"{where}: field {name} no longer accepts {', '.join(gone)}")
        if was.get("type") == "array" and now.get("type") == "array":
            was, now = _resolve(old, was.get("items", {})), _resolve(new, now.get("items", {}))
        if "properties" in was:
            found += _schema_changes(f"{where}.{name}", was, now, old, new, depth + 1)
    return found


def _enum_gone(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    if "enum" not in before:
        return []
    return [str(v) for v in before["enum"] if v not in after.get("enum", before["enum"])]


# ---------------------------------------------------------------- the command
def text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def run(template_path: Path, *, write: bool) -> int:
    """``--check`` (default): the committed document is what the code declares. ``--write``: write it."""
    new = document(Template.load(template_path))
    path = template_path.parent / DOCUMENT
    old = json.loads(path.read_text()) if path.exists() else None
    if old == new:
        print(f"{DOCUMENT}: up to date ({sum(len(m) for m in new['paths'].values())} routes)")
        return 0
    breaking = breaking_changes(old, new) if old else []
    major_bumped = old is not None and _major(new) > _major(old)
    if breaking and not major_bumped:
        print(f"{DOCUMENT}: breaking changes for clients of API {old['info']['version']}:", file=sys.stderr)
        for change in breaking:
            print(f"  - {change}", file=sys.stderr)
        print("Keep them compatible, or raise localcloud.openapi.API_VERSION to a new major version.",
              file=sys.stderr)
        return 1
    if not write:
        print(f"{DOCUMENT} differs from what the routes declare: run `houqin openapi --write` and commit it",
              file=sys.stderr)
        return 1
    path.write_text(text(new))
    print(f"{DOCUMENT}: written ({sum(len(m) for m in new['paths'].values())} routes)")
    return 0


def _major(doc: dict[str, Any]) -> int:
    return int(str(doc["info"]["version"]).split(".")[0])
