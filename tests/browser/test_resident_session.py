"""The residents' page's session: a token about to expire is renewed by the page, as the staff page does, and
a token revoked on the server (signed out on another phone) brings the page back to sign-in."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import LiveApp
from tests.browser.test_resident_flows import sign_in

PHONE = "13600000091"  # no other browser test signs in with this phone


def stored(page: Any) -> dict[str, Any]:
    raw = page.evaluate("() => window.localStorage.getItem('pingan.resident')")
    return json.loads(raw) if raw else {}


def desk_me(live_app: LiveApp, token: str | None) -> int:
    return httpx.get(f"{live_app.url}/api/v1/desk/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_the_residents_page_renews_a_token_about_to_expire_and_a_revoked_one_signs_it_out(
    phone: Any, live_app: LiveApp
) -> None:
    page = phone
    sign_in(page, live_app, PHONE)
    first = stored(page)["token"]
    assert desk_me(live_app, first) == 200

    # The token is said to expire in a minute: the page's next call renews it first.
    page.evaluate(
        """() => {
            const s = JSON.parse(window.localStorage.getItem('pingan.resident'));
            s.expires_at = new Date(Date.now() + 60000).toISOString();
            window.localStorage.setItem('pingan.resident', JSON.stringify(s));
        }"""
    )
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh")) as renewal:
        page.reload()
    assert renewal.value.status == 200
    page.wait_for_function(
        "(old) => JSON.parse(window.localStorage.getItem('pingan.resident')).token !== old", arg=first
    )
    renewed = stored(page)
    assert renewed["token"] != first
    assert renewed["resident"]["phone"] == PHONE, "the resident's profile is kept with the new token"
    assert desk_me(live_app, renewed["token"]) == 200
    expect(page.locator(".hero-hello")).to_be_visible()

    # Signed out elsewhere: every token of the resident is revoked on the server.
    out = httpx.post(f"{live_app.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {renewed['token']}"})
    assert out.status_code == 204
    page.reload()
    expect(page.get_by_role("heading", name="手机号登录")).to_be_visible()
    assert stored(page) == {}, "the dead token is forgotten"
