"""Gate data by permission: a resident's entries and exits, unknown cards, reader progress, quarantine.

Every route here is declared in template.yaml (GatesFunction) with the same path and method.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.services.swipes import (
    GATE_WATCHERS,
    QUARANTINE_READERS,
    RESIDENT_READERS,
    QuarantineQuery,
    ReadersQuery,
    SwipeRange,
    Swipes,
    UnknownCardsQuery,
)

app = create_app("houqin-gates")
service = Swipes()  # tests swap it (a pinned clock)


@app.route("/residents/{resident_id}/swipes", methods=["GET"], roles=RESIDENT_READERS, query=SwipeRange)
def resident_swipes(resident_id: str, query: SwipeRange):
    """A resident's entries and exits, newest first: the student, their parent, manager or counsellor."""
    items = service.resident_swipes(principal(app), resident_id, query.start, query.end)
    return json_response({"resident_id": resident_id, "items": items})


@app.route("/gates/unknown", methods=["GET"], roles=GATE_WATCHERS, query=UnknownCardsQuery)
def unknown_cards(query: UnknownCardsQuery):
    """Cards no resident holds, swiped at a campus's gates that day (a dorm manager: their buildings')."""
    day = query.day or service.today()
    items = service.unknown_cards(principal(app), query.campus_id, day)
    return json_response({"date": day.isoformat(), "items": items})


@app.route("/gates/readers", methods=["GET"], roles=GATE_WATCHERS, query=ReadersQuery)
def reader_progress(query: ReadersQuery):
    """Each reader of a building with what it has sent: watermark, gaps, repeats (a dorm manager: their own)."""
    return json_response({"items": service.reader_progress(principal(app), query.building_id)})


@app.route("/swipes/quarantine", methods=["GET"], roles=QUARANTINE_READERS, query=QuarantineQuery)
def quarantine(query: QuarantineQuery):
    """Reader messages that could not be stored that day, with the reason (admins and the duty desk)."""
    day = query.day or service.today()
    page = service.quarantined(principal(app), day, query.limit, query.cursor)
    return json_response({"date": day.isoformat(), **page.body(lambda item: item.view())})
