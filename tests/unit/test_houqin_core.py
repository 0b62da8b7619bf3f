"""The shared package: settings, clock, principal and permissions, error shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from chalice.test import Client

from houqin.api import SIGNED_IN, create_app, principal
from houqin.auth import Principal, split_claim
from houqin.clock import FixedClock, at_local, end_of_local_day, local_day, parse_iso, to_iso
from houqin.domain.actors import Role
from houqin.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from houqin.settings import Settings, SettingsError

ENV = {"AWS_REGION": "cn-north-1", "DORMS_TABLE": "t-dorms", "STAFF_TABLE": "t-staff",
       "ATTACHMENTS_BUCKET": "b", "NOTIFICATIONS_TOPIC_ARN": "arn:topic", "HOUQIN_STAGE": "prod"}


# ---------------------------------------------------------------- settings
def test_settings_discover_resources_from_the_environment():
    settings = Settings.from_env(ENV)
    assert settings.tables == {"dorms": "t-dorms", "staff": "t-staff"}
    assert settings.table("dorms") == "t-dorms"
    assert settings.buckets == {"attachments": "b"}
    assert settings.topics == {"notifications": "arn:topic"}
    assert settings.timezone == "Asia/Shanghai" and settings.region == "cn-north-1"


@pytest.mark.parametrize(("env", "names"), [
    ({"AWS_REGION": ""}, "AWS_REGION"),
    ({"HOUQIN_TIMEZONE": "Mars/Base"}, "HOUQIN_TIMEZONE"),
    ({"HOUQIN_STAGE": "prod stage!"}, "HOUQIN_STAGE"),
    ({"DORMS_TABLE": ""}, "DORMS_TABLE"),
])
def test_bad_settings_name_the_variable(env, names):
    with pytest.raises(SettingsError, match=names):
        Settings.from_env({**ENV, **env})


def test_missing_table_says_how_to_fix_it():
    with pytest.raises(SettingsError, match="TICKETS_TABLE is not set: declare the table in template.yaml"):
        Settings.from_env(ENV).table("tickets")


# ---------------------------------------------------------------- clock
def test_times_are_stored_in_utc_and_campus_days_are_shanghai_days():
    moment = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 00:30 on the 24th in Shanghai
    assert to_iso(moment) == "2026-11-23T16:30:00.000Z"
    assert parse_iso("2026-11-24T00:30:00+08:00") == moment
    assert local_day(moment) == date(2026, 11, 24)
    assert at_local(date(2026, 11, 23), time(23, 0)) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert end_of_local_day(moment) == datetime(2026, 11, 24, 15, 59, 59, 999999, tzinfo=UTC)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        to_iso(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="no time zone"):
        parse_iso("2026-01-01T00:00:00")
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(minutes=90) == datetime(2026, 11, 23, 16, 30, tzinfo=UTC)


# ---------------------------------------------------------------- principal
def claims(**extra):
    return {"sub": "u-1", "custom:person_id": "S00001", "cognito:groups": "student", **extra}


@pytest.mark.parametrize("groups", [["student", "admin"], "student,admin", "[student admin]", "[student, admin]"])
def test_groups_claim_in_every_shape_api_gateway_produces(groups):
    assert Principal.from_claims(claims(**{"cognito:groups": groups})).roles == {Role.STUDENT, Role.ADMIN}


def test_unknown_groups_are_ignored_and_children_are_parsed():
    who = Principal.from_claims(claims(**{"cognito:groups": "parent,hacker", "custom:child_ids": "S1,S2"}))
    assert who.roles == {Role.PARENT}
    assert who.child_ids == ("S1", "S2")
    assert split_claim(None) == ()


@pytest.mark.parametrize("bad", [None, {}, {"sub": "u-1"}])
def test_no_identity_is_unauthorized(bad):
    with pytest.raises(Unauthorized):
        Principal.from_claims(bad)


def test_object_level_checks_between_two_students():
    alice = Principal.from_claims(claims())
    bob = Principal.from_claims(claims(**{"custom:person_id": "S00002", "sub": "u-2"}))
    alice.require_self_or_role("S00001", Role.DORM_MANAGER)
    with pytest.raises(Forbidden, match="your own"):
        bob.require_self_or_role("S00001", Role.DORM_MANAGER)
    with pytest.raises(Forbidden, match="dorm_manager"):
        alice.require_role(Role.DORM_MANAGER)


def test_a_parent_sees_only_their_own_child():
    parent = Principal.from_claims(claims(**{"cognito:groups": "parent", "custom:person_id": "P1",
                                             "custom:child_ids": "S00001"}))
    parent.require_self_parent_or_role("S00001")
    with pytest.raises(Forbidden):
        parent.require_self_parent_or_role("S00002")
    student = Principal.from_claims(claims(**{"custom:child_ids": "S00002"}))  # not a parent: ids ignored
    with pytest.raises(Forbidden):
        student.require_self_parent_or_role("S00002")


# ---------------------------------------------------------------- error shape through Chalice
def make_app():
    app = create_app("test")

    @app.route("/fail/{kind}", methods=["GET"])
    def fail(kind):
        raise {"invalid": ValidationError("room must be 3 digits", field="room"), "missing": NotFound("no ticket"),
               "race": Conflict("ticket changed", code="version_conflict"), "crash": RuntimeError("boom")}[kind]

    @app.route("/me", methods=["GET"], roles=SIGNED_IN)
    def me():
        return {"person": principal(app).person_id}

    return app


@pytest.mark.parametrize(("kind", "status", "error"), [
    ("invalid", 400, {"code": "invalid", "message": "room must be 3 digits", "field": "room"}),
    ("missing", 404, {"code": "not_found", "message": "no ticket", "field": None}),
    ("race", 409, {"code": "version_conflict", "message": "ticket changed", "field": None}),
    ("crash", 500, {"code": "internal", "message": "internal error", "field": None}),
])
def test_errors_answer_one_json_shape(kind, status, error):
    with Client(make_app()) as client:
        response = client.http.get(f"/fail/{kind}")
    assert response.status_code == status
    assert json.loads(response.body) == {"error": error}


def test_a_request_without_claims_is_401_in_our_shape():
    with Client(make_app()) as client:
        response = client.http.get("/me")
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"


def test_responses_carry_the_web_origin_for_browsers():
    with Client(make_app()) as client:
        response = client.http.get("/fail/missing")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_every_model_and_thread_shares_one_botocore_loader():
    """PynamoDB's session per model class and thread would each parse DynamoDB's service model again
    (~0.2 s each): on every cold start, and in the tests once per model per test."""
    from concurrent.futures import ThreadPoolExecutor

    from houqin.store.dorms import Bed, Resident

    def loader(model):
        return model._get_connection().connection.session.get_component("data_loader")  # noqa: SLF001

    with ThreadPoolExecutor(max_workers=1) as other_thread:
        loaders = {id(loader(Bed)), id(loader(Resident)), id(other_thread.submit(loader, Bed).result())}
    assert len(loaders) == 1
