"""Dorms (学生公寓管理): HTTP glue over houqin.services.dorms.

Every route here is declared in template.yaml (DormsFunction) with the same path and method.
Buildings and residents the caller may not see answer 404 (houqin.services.dorm_access); bed
changes are conditional transactions, so a bed someone else took first answers 409.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.contract import Paging
from houqin.services import dorms as views
from houqin.services.dorms import (
    LIST_ROLES,
    MAP_VIEWERS,
    RESIDENT_VIEWERS,
    WRITERS,
    Assignment,
    BedRef,
    BuildingSettings,
    BuildingsQuery,
    CheckOut,
    Dorms,
    RoomChange,
)

app = create_app("houqin-dorms")
service = Dorms()  # tests swap it (a pinned clock)


# ---------------------------------------------------------------- buildings
@app.route("/buildings", methods=["GET"], roles=LIST_ROLES, query=BuildingsQuery)
def list_buildings(query: BuildingsQuery):
    """The buildings the caller may see with their free beds, and the totals per campus."""
    return json_response(service.list_buildings(principal(app), query.campus_id))


@app.route("/buildings/{building_id}/map", methods=["GET"], roles=MAP_VIEWERS)
def building_map(building_id: str):
    """A building's room-status map (房态图): every room and bed, its resident and their last entry or exit."""
    return json_response(service.building_map(principal(app), building_id))


@app.route("/buildings/{building_id}/settings", methods=["PUT"], roles=WRITERS, body=BuildingSettings)
def building_settings(building_id: str, body: BuildingSettings):
    """Set a building's curfew, morning roll and gate hours: its dorm manager or an admin."""
    return json_response(service.put_settings(principal(app), building_id, body))


# ---------------------------------------------------------------- residents
@app.route("/residents/{resident_id}", methods=["GET"], roles=RESIDENT_VIEWERS)
def get_resident(resident_id: str):
    """A resident's record and bed, for those who may see them (themself, a parent, their counsellor ...)."""
    return json_response(service.resident(principal(app), resident_id))


@app.route("/residents/{resident_id}/bed-history", methods=["GET"], roles=RESIDENT_VIEWERS, query=Paging)
def bed_history(resident_id: str, query: Paging):
    """A resident's check-ins, room changes and check-outs, newest first."""
    page = service.bed_history(principal(app), resident_id, query.limit, query.cursor)
    return json_response(page.body(views.event_view))


@app.route("/residents/{resident_id}/check-in", methods=["POST"], roles=WRITERS, body=BedRef)
def check_in(resident_id: str, body: BedRef):
    """Give a resident without a bed an empty one: the building's dorm manager or an admin."""
    return json_response(service.check_in(principal(app), resident_id, body))


@app.route("/residents/{resident_id}/check-out", methods=["POST"], roles=WRITERS, body=CheckOut)
def check_out(resident_id: str, body: CheckOut):
    """Free a resident's bed, saying why: the building's dorm manager or an admin."""
    return json_response(service.check_out(principal(app), resident_id, body))


@app.route("/residents/{resident_id}/room-change", methods=["POST"], roles=WRITERS, body=RoomChange)
def room_change(resident_id: str, body: RoomChange):
    """Move a resident to an empty bed, saying why: the dorm manager of both buildings or an admin."""
    return json_response(service.room_change(principal(app), resident_id, body))


# ---------------------------------------------------------------- automatic assignment (自动分房)
@app.route("/bed-assignments", methods=["POST"], roles=WRITERS, body=Assignment)
def assign_beds(body: Assignment):
    """Place many students into planned rooms at once (idempotent by request_id): their dorm manager or an admin."""
    result, replayed = service.assign_beds(principal(app), body)
    return json_response(result, 200, {"Idempotent-Replay": "true" if replayed else "false"})
