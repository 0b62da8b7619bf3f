"""Gate data by permission: a resident's entries and exits, unknown cards, reader progress, quarantine.

Every route here is declared in template.yaml (GatesFunction) with the same path and method.
"""

from __future__ import annotations

from datetime import date

from houqin.api import create_app, json_response, principal
from houqin.services.swipes import Swipes
from houqin.validation import page_limit, query_date, query_text

app = create_app("houqin-gates")
service = Swipes()  # tests swap it (a pinned clock)


def _optional_date(name: str) -> date | None:
    return query_date(app.params(), name) if name in app.params() else None


@app.route("/residents/{resident_id}/swipes", methods=["GET"])
def resident_swipes(resident_id: str):
    items = service.resident_swipes(principal(app), resident_id, _optional_date("from"), _optional_date("to"))
    return json_response({"resident_id": resident_id, "items": items})


@app.route("/gates/unknown", methods=["GET"])
def unknown_cards():
    day = _optional_date("date") or service.today()
    items = service.unknown_cards(principal(app), query_text(app.params(), "campus_id"), day)
    return json_response({"date": day.isoformat(), "items": items})


@app.route("/gates/readers", methods=["GET"])
def reader_progress():
    return json_response({"items": service.reader_progress(principal(app), query_text(app.params(), "building_id"))})


@app.route("/swipes/quarantine", methods=["GET"])
def quarantine():
    params = app.params()
    day = _optional_date("date") or service.today()
    page = service.quarantined(principal(app), day, page_limit(params), params.get("cursor"))
    return json_response({"date": day.isoformat(), **page.body(lambda item: item.view())})
