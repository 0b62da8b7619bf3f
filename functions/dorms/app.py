"""Dorms (学生公寓管理): HTTP glue over houqin.services.dorms.

Every route here is declared in template.yaml (DormsFunction) with the same path and method.
Buildings and residents the caller may not see answer 404 (houqin.services.dorm_access); bed
changes are conditional transactions, so a bed someone else took first answers 409.
"""

from __future__ import annotations

from typing import Any

from houqin.api import create_app, json_response, principal
from houqin.services import dorms as views
from houqin.services.dorms import Dorms
from houqin.validation import page_limit

app = create_app("houqin-dorms")
service = Dorms()  # tests swap it (a pinned clock)


# ---------------------------------------------------------------- buildings
@app.route("/buildings", methods=["GET"])
def list_buildings():
    return json_response(service.list_buildings(principal(app), app.params().get("campus_id")))


@app.route("/buildings/{building_id}/map", methods=["GET"])
def building_map(building_id: str):
    return json_response(service.building_map(principal(app), building_id))


@app.route("/buildings/{building_id}/settings", methods=["PUT"])
def building_settings(building_id: str):
    return json_response(service.put_settings(principal(app), building_id, app.body(views.SETTINGS)))


# ---------------------------------------------------------------- residents
@app.route("/residents/{resident_id}", methods=["GET"])
def get_resident(resident_id: str):
    return json_response(service.resident(principal(app), resident_id))


@app.route("/residents/{resident_id}/bed-history", methods=["GET"])
def bed_history(resident_id: str):
    params = app.params()
    page = service.bed_history(principal(app), resident_id, page_limit(params), params.get("cursor"))
    return json_response(page.body(views.event_view))


@app.route("/residents/{resident_id}/check-in", methods=["POST"])
def check_in(resident_id: str):
    return _change(service.check_in, resident_id, views.BED_FIELDS)


@app.route("/residents/{resident_id}/check-out", methods=["POST"])
def check_out(resident_id: str):
    return _change(service.check_out, resident_id, views.CHECK_OUT_FIELDS)


@app.route("/residents/{resident_id}/room-change", methods=["POST"])
def room_change(resident_id: str):
    return _change(service.room_change, resident_id, views.ROOM_CHANGE_FIELDS)


def _change(change: Any, resident_id: str, fields: tuple[str, ...]) -> Any:
    return json_response(change(principal(app), resident_id, app.body(fields)))


# ---------------------------------------------------------------- automatic assignment (自动分房)
@app.route("/bed-assignments", methods=["POST"])
def assign_beds():
    result, replayed = service.assign_beds(principal(app), app.body(views.ASSIGN_FIELDS))
    return json_response(result, 200, {"Idempotent-Replay": "true" if replayed else "false"})
