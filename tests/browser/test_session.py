"""The staff UI's session: a token about to expire is renewed by the page, and log-out ends it on the server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import LiveApp
from tests.browser.test_fraud_loop import log_in, log_out

OFFICER = "danxi_mj2"  # no other browser test signs in as this one: its log-out revokes nobody else's page


def stored(page: Any, key: str) -> str | None:
    value: str | None = page.evaluate(f"() => window.sessionStorage.getItem('pingan.{key}')")
    return value


def me(live_app: LiveApp, token: str | None) -> int:
    return httpx.get(f"{live_app.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_the_page_renews_a_token_about_to_expire_and_log_out_revokes_it(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, OFFICER, "tasks")
    first = stored(page, "token")
    assert me(live_app, first) == 200
    # The token is said to expire in a minute: the next call renews it first.
    page.evaluate("() => window.sessionStorage.setItem('pingan.expires', new Date(Date.now() + 60000).toISOString())")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh")) as renewal:
        page.reload()
    assert renewal.value.status == 200
    page.wait_for_function("(old) => window.sessionStorage.getItem('pingan.token') !== old", arg=first)
    renewed = stored(page, "token")
    assert me(live_app, renewed) == 200
    log_out(page)
    assert stored(page, "token") is None
    assert me(live_app, renewed) == 401  # revoked on the server, not only forgotten by the page
