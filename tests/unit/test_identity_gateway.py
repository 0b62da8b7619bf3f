"""Dev tokens are verified like the Cognito authorizer; routes match like API Gateway."""

from __future__ import annotations

import socket

import jwt
import pytest

from localcloud.cloud import PortBusy, _check_port
from localcloud.gateway import RouteTable
from localcloud.identity import DevKey, TokenError, UserPoolIssuer, api_gateway_claims
from localcloud.template import Route

NOW = 1_764_000_000  # 2025-11-24T16:00:00Z: tokens are checked on a given clock, not the machine's


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    return DevKey.load_or_create(tmp_path_factory.mktemp("keys") / "dev.pem")


@pytest.fixture
def issuer(key):
    return UserPoolIssuer(key, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool", ("client-1",))


def test_a_minted_token_verifies_with_cognito_claims(issuer):
    claims = issuer.verify(issuer.mint(person_id="PS00001", roles=["parent"], child_ids=["S00001"]))
    assert claims["custom:person_id"] == "PS00001"
    assert claims["cognito:groups"] == ["parent"]
    assert claims["custom:child_ids"] == "S00001"
    assert claims["token_use"] == "id" and claims["aud"] == "client-1"


def test_the_key_file_is_reused(tmp_path):
    first = DevKey.load_or_create(tmp_path / "k.pem")
    assert DevKey.load_or_create(tmp_path / "k.pem").kid == first.kid
    assert oct((tmp_path / "k.pem").stat().st_mode & 0o777) == "0o600"


def test_expired_wrong_issuer_wrong_audience_and_foreign_key_are_refused(issuer, key, tmp_path):
    expired = issuer.mint(person_id="S1", roles=["student"], now=NOW - 86400, hours=1)
    with pytest.raises(TokenError, match="expired"):
        issuer.verify(expired, now=NOW)
    other_pool = UserPoolIssuer(key, "https://cognito-idp.us-east-1.amazonaws.com/other", ("client-1",))
    with pytest.raises(TokenError, match="(?i)issuer"):
        issuer.verify(other_pool.mint(person_id="S1", roles=["student"]))
    other_client = UserPoolIssuer(key, issuer.issuer, ("client-2",))
    with pytest.raises(TokenError, match="(?i)audience"):
        issuer.verify(other_client.mint(person_id="S1", roles=["student"]))
    stranger = UserPoolIssuer(DevKey.load_or_create(tmp_path / "other.pem"), issuer.issuer, issuer.audiences)
    with pytest.raises(TokenError, match="unknown key"):
        issuer.verify(stranger.mint(person_id="S1", roles=["student"]))
    with pytest.raises(TokenError, match="not a JWT"):
        issuer.verify("not-a-token")


def test_a_token_with_a_forged_payload_fails_the_signature(issuer):
    header, _payload, signature = issuer.mint(person_id="S1", roles=["student"]).split(".")
    forged_payload = jwt.encode({"x": 1}, "k" * 32, algorithm="HS256").split(".")[1]
    with pytest.raises(TokenError, match="Signature"):
        issuer.verify(f"{header}.{forged_payload}.{signature}")


def test_access_tokens_are_not_id_tokens(issuer, key):
    token = jwt.encode({"sub": "x", "iss": issuer.issuer, "aud": "client-1", "exp": NOW + 60,
                        "token_use": "access"}, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(TokenError, match="not an ID token"):
        issuer.verify(token, now=NOW)


def test_claims_reach_the_function_as_strings_like_api_gateway():
    shaped = api_gateway_claims({"cognito:groups": ["student", "admin"], "exp": 0, "email_verified": True,
                                 "custom:person_id": "S1"})
    assert shaped == {"cognito:groups": "student,admin", "exp": "Thu Jan 01 00:00:00 UTC 1970",
                      "email_verified": "true", "custom:person_id": "S1"}


def route(path, method="GET"):
    return Route("Fn", path, method, None, "Api")


def test_literal_segments_beat_parameters():
    table = RouteTable([route("/tickets/{ticket_id}"), route("/tickets/mine"), route("/tickets", "POST")])
    found, params = table.match("/tickets/mine", "GET")
    assert found.path == "/tickets/mine" and params == {}
    found, params = table.match("/tickets/T%2042", "GET")
    assert found.path == "/tickets/{ticket_id}" and params == {"ticket_id": "T 42"}


def test_unknown_path_and_wrong_method_are_told_apart():
    table = RouteTable([route("/tickets", "POST"), route("/health")])
    assert table.match("/nowhere", "GET") is None
    assert table.match("/tickets", "GET") is False
    assert table.match("/health/", "GET")[0].path == "/health"


def test_a_busy_port_is_named_with_the_way_out():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortBusy, match=f"port {port} \\(api\\) on 127.0.0.1 is busy.*HOUQIN_API_PORT"):
            _check_port("127.0.0.1", port, "api")


def test_tokens_are_checked_on_the_given_clock_so_a_cloud_started_at_another_time_accepts_its_own(issuer):
    token = issuer.mint(person_id="S1", roles=["student"], now=NOW, hours=1)
    assert issuer.verify(token, now=NOW + 3599)["custom:person_id"] == "S1"  # whatever the machine's time
    with pytest.raises(TokenError, match="expired"):
        issuer.verify(token, now=NOW + 3600)
    with pytest.raises(TokenError, match="not yet valid"):  # issued in the gateway's future
        issuer.verify(token, now=NOW - 3600)
