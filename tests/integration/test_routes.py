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
