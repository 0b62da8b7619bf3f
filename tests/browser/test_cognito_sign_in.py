"""The deployed sign-in: the pages with a Cognito config.json (as `houqin publish-web` writes it) go to the
hosted UI with PKCE, trade the code back for tokens and call the API with the ID token; shortly before the ID
token ends they trade the refresh token for a new one; signing out ends the hosted UI's session too. The hosted
UI is played by Playwright routes on a made-up domain; the ID token is a real one the local gateway accepts."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

HOSTED_UI = "https://auth.houqin.test"


def test_the_hosted_ui_signs_a_dispatcher_in_with_pkce_and_out_again(page, houqin_web):
    redirect = f"{houqin_web.web}/"
    config = {"apiUrl": houqin_web.api, "auth": "cognito", "cognitoDomain": HOSTED_UI, "clientId": "client-1",
              "redirectUri": redirect}
    with urllib.request.urlopen(f"{houqin_web.web}/_local/token?person_id=E0097", timeout=10) as reply:  # noqa: S310
        id_token = json.load(reply)["token"]
    seen: dict[str, dict[str, str]] = {}

    def one(query: str) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(query).items()}

    def authorize(route):
        seen["authorize"] = asked = one(urlsplit(route.request.url).query)
        back = f"{asked['redirect_uri']}?{urlencode({'code': 'code-1', 'state': asked['state']})}"
        route.fulfill(status=302, headers={"Location": back})

    def token(route):
        asked = one(route.request.post_data or "")
        seen.setdefault("tokens", []).append(asked)
        tokens = {"id_token": id_token, "token_type": "Bearer", "expires_in": 3600}
        if asked["grant_type"] == "authorization_code":
            tokens["refresh_token"] = "refresh-1"
        route.fulfill(status=200, content_type="application/json", headers={"Access-Control-Allow-Origin": "*"},
                      body=json.dumps(tokens))

    def logout(route):
        seen["logout"] = one(urlsplit(route.request.url).query)
        route.fulfill(status=200, content_type="text/html", body="<p>signed out</p>")

    page.route("**/config.json", lambda route: route.fulfill(json=config))
    page.route(f"{HOSTED_UI}/oauth2/authorize*", authorize)
    page.route(f"{HOSTED_UI}/oauth2/token", token)
    page.route(f"{HOSTED_UI}/logout*", logout)

    page.goto("/#/desk")  # a private page: to the sign-in page, then the hosted UI
    expect(page).to_have_url(re.compile(r"#/signin\?next=%2Fdesk$"))
    expect(page.locator(".demo-user")).to_have_count(0)  # no demo users on a deployed stack
    page.get_by_role("button", name="前往统一身份认证登录").click()

    expect(page).to_have_url(re.compile(r"#/desk$"))  # back where the user was going, the code gone
    assert "code=" not in page.url
    expect(page.locator(".user-name")).to_have_text(houqin_web.demo_user("E0097")["name"])
    expect(page.locator('#page[data-rendered="desk"]')).to_be_attached(timeout=FIRST_LOAD)  # the API took the token
    expect(page.locator("#page .alert-error")).to_have_count(0)

    asked, traded = seen["authorize"], seen["tokens"][0]
    assert (asked["response_type"], asked["client_id"], asked["redirect_uri"]) == ("code", "client-1", redirect)
    assert asked["code_challenge_method"] == "S256" and set(asked["scope"].split()) == {"openid", "email", "profile"}
    assert (traded["grant_type"], traded["code"], traded["client_id"], traded["redirect_uri"]) == (
        "authorization_code", "code-1", "client-1", redirect)
    digest = hashlib.sha256(traded["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == asked["code_challenge"]  # PKCE holds

    # Four minutes before the ID token ends, the next request first renews it with the refresh token.
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    page.clock.fast_forward(int((claims["exp"] - 240) * 1000 - page.evaluate("Date.now()")))
    page.goto("/#/alarms")
    expect(page.locator('#page[data-rendered="alarms"]')).to_be_attached(timeout=FIRST_LOAD)
    expect(page.locator("#page .alert-error")).to_have_count(0)
    assert seen["tokens"][1] == {"grant_type": "refresh_token", "client_id": "client-1", "refresh_token": "refresh-1"}

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(HOSTED_UI)}/logout"))
    assert seen["logout"] == {"client_id": "client-1", "logout_uri": redirect}
