"""The real app in a real browser: uvicorn on a free 127.0.0.1 port over a temporary SQLite file with a
small generated county, driven by Playwright with Debian's chromium.

Skipped with the reason when /usr/bin/chromium is missing; under CI=true that is a failure instead.
Every test gets a fresh phone-sized context (390×844, zh-CN, Asia/Shanghai) whose geolocation is a
point in the county, and fails if the page throws. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.db import Database
from pingan.core.models import User
from pingan.core.settings import Settings
from pingan.desk.models import DeskOfficer
from pingan.desk.otp import FakeSmsGateway
from tests.conftest import _missing
from tests.desk_county import PASSWORD, SmallCounty, build_small_county

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # A fake microphone that needs no permission prompt, for the voice note.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE_VIEWPORT = {"width": 390, "height": 844}
STARTUP_SECONDS = 30.0


@dataclass
class LiveApp:
    url: str
    services: Services
    sms: FakeSmsGateway
    county: SmallCounty
    officer_point: tuple[float, float]
    """(lon, lat) inside the community whose officer card belongs to dandong_mj2."""

    def token(self, username: str) -> str:
        response = httpx.post(f"{self.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def call(self, username: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """An API call as a staff member, as their own UI would make it."""
        response = httpx.request(
            method,
            f"{self.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=30,
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found: the browser tests drive Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[LiveApp]:
    root = tmp_path_factory.mktemp("browser")
    sms = FakeSmsGateway()
    settings = Settings(
        database_url=f"sqlite:///{root / 'pingan.db'}",
        media_dir=root / "media",
        instance_dir=root / "instance",  # what the instance writes (the reports' archive) stays in the test's folder
        desk_dingtalk_enabled=False,
        desk_otp_resend_seconds=0,
    )
    db = Database(settings.database_url)
    db.create_all()
    services = bootstrap(settings, db=db, sms=sms)
    county = build_small_county(services)
    with services.db.session() as session:
        area_id = session.scalar(
            select(DeskOfficer.area_id).join(User, User.id == DeskOfficer.user_id).where(User.username == "dandong_mj2")
        )
    assert area_id is not None
    point = county.community_shapes[area_id].representative_point()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="browser-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start for the browser tests")
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", services, sms, county, (point.x, point.y))
    server.should_exit = True
    thread.join(timeout=STARTUP_SECONDS)
    services.close()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def phone(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A phone-sized page standing in the community of dandong_mj2, with location allowed."""
    lon, lat = live_app.officer_point
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 15},
        permissions=["geolocation", "microphone"],
        base_url=live_app.url,
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


@pytest.fixture
def desktop(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A desktop-sized page for the staff UI."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_app.url
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


def open_screen(page: Any, screen: str) -> None:
    """Open a screen from the top menu as a user does: through its group's list when it is in a group."""
    link = page.locator(f".topbar .nav-link[data-screen='{screen}']")
    link.wait_for(state="attached")
    group = page.locator(f".topbar .nav-group:has(.nav-link[data-screen='{screen}'])")
    if group.count() and not link.is_visible():
        group.locator(".nav-group-btn").click()
    link.click()
