"""GET /health: the version, and whether each table the template gives us is reachable."""

from __future__ import annotations

from houqin.api import create_app, json_response
from houqin.services import health as service

app = create_app("houqin-health")


@app.route("/health", methods=["GET"])
def health():
    body, status = service.report()
    return json_response(body, status)
