"""GET /health: the version, and whether each table the template gives us is reachable.
GET /openapi.json: the API's contract (OpenAPI 3.1), the copy ``houqin openapi --write`` put in this package."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from houqin.api import create_app, json_response
from houqin.services import health as service

app = create_app("houqin-health")


@app.route("/health", methods=["GET"], status=(200, 503))
def health():
    """The version, and whether each table is reachable (503 when one is not)."""
    body, status = service.report()
    return json_response(body, status)


@app.route("/openapi.json", methods=["GET"])
def openapi():
    """This document: every route, its inputs, roles and answers, and the catalogue of error codes."""
    return json_response(contract(), headers={"Cache-Control": "max-age=300"})


@cache
def contract() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))
