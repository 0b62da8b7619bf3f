"""Every Chalice route is declared in template.yaml with the same path and method, and back.

Chalice dispatches on requestContext.resourcePath, so a route that differs by a parameter
name or is missing from the template would never be reached behind API Gateway.
"""

from __future__ import annotations

from chalice import Chalice

from tests.conftest import load_function_module


def chalice_routes(app: Chalice) -> set[tuple[str, str]]:
    return {(path, method) for path, methods in app.routes.items() for method in methods}


def test_template_and_chalice_routes_are_equal(template, aws):
    by_function: dict[str, set[tuple[str, str]]] = {}
    for route in template.routes():
        by_function.setdefault(route.function, set()).add((route.path, route.method))
    checked = 0
    for function in template.functions():
        app = getattr(load_function_module(template, function.logical_id),
                      function.handler.rpartition(".")[2])
        if not isinstance(app, Chalice):
            assert function.logical_id not in by_function, f"{function.logical_id} has Api events but is not Chalice"
            continue
        assert chalice_routes(app) == by_function.get(function.logical_id, set()), function.logical_id
        checked += 1
    assert checked >= 1


def test_every_sample_api_event_is_a_template_route(template):
    import json

    from tests.conftest import ROOT

    routes = {(route.path, route.method) for route in template.routes()}
    samples = [json.loads(path.read_text()) for path in sorted((ROOT / "events").glob("*/*.json"))]
    api_events = [e for e in samples if "httpMethod" in e]
    assert len(api_events) >= 4
    for sample in api_events:
        assert (sample["requestContext"]["resourcePath"], sample["httpMethod"]) in routes
        assert sample["resource"] == sample["requestContext"]["resourcePath"]


def test_every_http_function_allows_the_web_origin_and_only_downloads_expose_a_file_name(template, aws):
    """CORS is set in one place (houqin.api.create_app): every app answers the web UI's origin with the same
    headers; the apps that answer XLSX files also base64-encode them and let a browser read their file name."""
    from houqin.export import XLSX_TYPE
    from houqin.settings import settings

    downloads = set()
    for function in template.functions():
        app = getattr(load_function_module(template, function.logical_id), function.handler.rpartition(".")[2])
        if not isinstance(app, Chalice):
            continue
        cors = app.api.cors.get_access_control_headers()
        assert cors["Access-Control-Allow-Origin"] == settings().web_origin, function.logical_id
        assert "Idempotency-Key" in cors["Access-Control-Allow-Headers"], function.logical_id
        if XLSX_TYPE in app.api.binary_types:
            assert cors["Access-Control-Expose-Headers"] == "Content-Disposition", function.logical_id
            downloads.add(function.logical_id)
        else:
            assert "Access-Control-Expose-Headers" not in cors, function.logical_id
    assert downloads == {"PayrollFunction", "DormReportsFunction"}
