"""The web UI is served whole by Pingan: every asset local, with the right type, nothing from outside.

Police networks have no internet (DESIGN §7), so a single reference to a CDN, an external font or a
bare module specifier that needs a bundler breaks the UI where it is used. These tests read the page
the way a browser does: index.html, then every script and stylesheet it names, then every module
those import, and fail on anything that would have to be fetched from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from posixpath import dirname, normpath

import pytest
from fastapi.testclient import TestClient

from pingan.api.app import STATIC, create_app
from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.settings import Settings

INDEX = "/static/index.html"
RESIDENT = "/static/resident/index.html"
ENTRIES = (INDEX, RESIDENT)
"""The pages a browser opens first: the staff UI and the residents' E警通 page."""
CONTENT_TYPES = {
    ".html": ("text/html",),
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".svg": ("image/svg+xml",),
    ".ttf": (
        "font/ttf",
        "font/sfnt",
        "application/x-font-ttf",
    ),  # the shipped Noto Sans SC, for machines without Chinese fonts
}
TEXT_SUFFIXES = {".html", ".js", ".css", ".svg", ".json", ".txt", ".map"}

# import x from './a.js'; import './a.js'; export {x} from './a.js'; import('./a.js')
IMPORT_RE = re.compile(
    r"""(?:(?<![./])\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?|\bexport\s*[\w*{}\s,$]+?\s*from\s*|\bimport\s*\(\s*)(['"])([^'"]+)\1"""
)
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
EXTERNAL_RE = re.compile(
    r"""https?://|//cdn|(?:src|href|action)\s*=\s*["']//|url\(\s*["']?//|from\s*["']//|import\s*\(\s*["']//""",
    re.IGNORECASE,
)
API_CALL_RE = re.compile(r"""\bapi\.(?:get|post)\(\s*'(/[^']*)'|\brequest\(\s*'[A-Z]+'\s*,\s*'(/[^']*)'""")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    db = Database("sqlite://")
    db.create_all()
    app = create_app(bootstrap(Settings(), db=db))
    with TestClient(app) as test_client:
        yield test_client
    db.dispose()


def strip_comments(text: str, suffix: str) -> str:
    """Remove comments, keeping strings: `"https://x"` stays, so a URL in code is still caught.

    A `//` line comment counts only at a line start or after whitespace, so the `//` of a URL
    (after `:` or a quote) is never taken for one.
    """
    if suffix == ".html":
        return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    if suffix == ".js":
        text = re.sub(r"(?m)(^|\s)//.*$", r"\1", text)
    return text


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.html_lang: str | None = None
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "script" and a.get("src"):
            self.refs.append(str(a["src"]))
        elif tag == "link" and a.get("href"):
            self.refs.append(str(a["href"]))
        elif tag in ("img", "source") and a.get("src"):
            self.refs.append(str(a["src"]))


def resolve(base: str, ref: str) -> str:
    """A reference as the browser resolves it against the URL path `base`."""
    if ref.startswith("/"):
        return normpath(ref)
    return normpath(dirname(base) + "/" + ref)


def references(url: str, text: str) -> list[str]:
    suffix = Path(url).suffix
    if suffix == ".html":
        parser = _Refs()
        parser.feed(strip_comments(text, suffix))
        return [resolve(url, r) for r in parser.refs if not r.startswith("data:")]
    if suffix == ".js":
        return [resolve(url, m.group(2)) for m in IMPORT_RE.finditer(strip_comments(text, suffix))]
    if suffix == ".css":
        found = []
        for m in CSS_URL_RE.finditer(strip_comments(text, suffix)):
            ref = m.group(2) or m.group(4)
            if ref and not ref.startswith(("data:", "#")):
                found.append(resolve(url, ref))
        return found
    return []


def crawl(client: TestClient) -> dict[str, str]:
    """Every URL the pages load, from each entry page through scripts, imports and stylesheets → content type."""
    seen: dict[str, str] = {}
    queue = list(ENTRIES)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url} → {response.status_code}"
        seen[url] = response.headers.get("content-type", "")
        if Path(url).suffix in TEXT_SUFFIXES:
            queue.extend(references(url, response.text))
    return seen


def static_files() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.is_file())


def test_root_redirects_to_the_ui(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (301, 302, 303, 307, 308)
    assert response.headers["location"].endswith(INDEX)
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_every_asset_the_page_loads_is_served_with_its_content_type(client: TestClient) -> None:
    loaded = crawl(client)
    assert {INDEX, "/static/js/app.js", "/static/js/api.js", "/static/styles.css"} <= set(loaded)
    assert {RESIDENT, "/static/resident/js/main.js", "/static/resident/resident.css"} <= set(loaded)
    for url, content_type in loaded.items():
        allowed = CONTENT_TYPES.get(Path(url).suffix)
        assert allowed is not None, f"unexpected kind of asset {url}"
        # ES modules are refused by browsers unless served with a JavaScript MIME type.
        assert content_type.split(";")[0].strip() in allowed, f"{url} served as {content_type!r}"


def test_every_script_on_disk_is_loaded_by_the_page(client: TestClient) -> None:
    loaded = set(crawl(client))
    on_disk = {"/static/" + p.relative_to(STATIC).as_posix() for p in static_files() if p.suffix in {".js", ".css"}}
    assert on_disk - loaded == set(), "modules nothing imports (stale, or a missing import)"


VENDOR = STATIC / "vendor"
VENDORED = {"leaflet-1.9.4": "leaflet-src.esm.js", "echarts-5.6.0": "echarts.esm.min.js"}
"""The map and chart libraries, each in a folder named with its pinned version, beside its licence."""
VENDORED_FONTS = {"noto-sans-sc-2.004": ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf")}
"""The reports' font (embedded in their PDFs, served to their HTML), beside its licence."""
# What the vendored code names without fetching: XML namespace identifiers, and Leaflet's attribution
# link, which `js/ui/map.js` switches off (`attributionControl: false`).
VENDOR_IDENTIFIERS = re.compile(
    r"http://www\.w3\.org/(?:2000/svg|1999/xlink|2000/xmlns/|XML/1998/namespace)|https://leafletjs\.com"
)


def is_vendored(path: Path) -> bool:
    return VENDOR in path.parents


def test_no_static_file_refers_to_the_outside() -> None:
    files = [p for p in static_files() if p.suffix in TEXT_SUFFIXES]
    assert files
    offenders = []
    for path in files:
        code = strip_comments(path.read_text(encoding="utf-8"), path.suffix)
        if is_vendored(path):
            code = VENDOR_IDENTIFIERS.sub("", code)
        for number, line in enumerate(code.splitlines(), start=1):
            if EXTERNAL_RE.search(line):
                offenders.append(f"{path.relative_to(STATIC)}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_the_map_and_chart_libraries_ship_with_their_licences_and_load_from_here(client: TestClient) -> None:
    loaded = set(crawl(client))
    for folder, entry in VENDORED.items():
        assert (VENDOR / folder / "LICENSE").is_file(), f"{folder} without its licence"
        assert f"/static/vendor/{folder}/{entry}" in loaded, f"{folder} is not loaded by the pages"
    assert "/static/vendor/leaflet-1.9.4/leaflet.css" in loaded
    for folder, faces in VENDORED_FONTS.items():
        assert (VENDOR / folder / "LICENSE").is_file(), f"{folder} without its licence"
        for face in faces:
            assert client.get(f"/static/vendor/{folder}/{face}").status_code == 200
    assert sorted(p.name for p in VENDOR.iterdir()) == sorted([*VENDORED, *VENDORED_FONTS])
    map_module = (STATIC / "js" / "ui" / "map.js").read_text(encoding="utf-8")
    assert "attributionControl: false" in map_module


def test_module_imports_are_relative_paths() -> None:
    """A bare specifier (`import x from 'lib'`) needs a bundler or an import map: we have neither."""
    for path in static_files():
        if path.suffix != ".js":
            continue
        for m in IMPORT_RE.finditer(strip_comments(path.read_text(encoding="utf-8"), ".js")):
            assert m.group(2).startswith(("./", "../")), f"{path.relative_to(STATIC)} imports {m.group(2)!r}"
            assert m.group(2).endswith(".js"), f"{path.relative_to(STATIC)} imports {m.group(2)!r} without .js"


def test_scripts_never_parse_data_as_html() -> None:
    """Text goes into the page through text nodes only, so names and notes from the API cannot inject markup."""
    sink = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(")
    for path in static_files():
        # The vendored libraries have their own sinks (Leaflet sets a string popup as HTML): our code hands
        # them DOM nodes only (`textNode` in js/ui/map.js), which this scan of our own modules keeps honest.
        if path.suffix == ".js" and not is_vendored(path):
            code = strip_comments(path.read_text(encoding="utf-8"), ".js")
            assert not sink.search(code), f"{path.relative_to(STATIC)} uses an HTML sink"


@pytest.mark.parametrize("page", ENTRIES)
def test_page_declares_chinese_utf8_and_a_viewport(client: TestClient, page: str) -> None:
    parser = _Refs()
    parser.feed(client.get(page).text)
    assert parser.html_lang == "zh-CN"
    assert any((m.get("charset") or "").lower() == "utf-8" for m in parser.metas)
    viewport = [m.get("content") or "" for m in parser.metas if m.get("name") == "viewport"]
    assert viewport
    assert "width=device-width" in viewport[0]


@pytest.mark.parametrize("page", ENTRIES)
def test_page_forbids_loading_from_elsewhere(client: TestClient, page: str) -> None:
    """A Content-Security-Policy makes the browser enforce what the scan checks: same origin only."""
    parser = _Refs()
    parser.feed(client.get(page).text)
    policies = [
        m.get("content") or "" for m in parser.metas if (m.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert len(policies) == 1
    directives = dict(d.strip().split(None, 1) for d in policies[0].split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval


def test_every_api_path_the_ui_calls_exists(client: TestClient) -> None:
    """The UI's literal API paths (or their leading part, before an id) are routes of the running app."""
    paths = list(client.get("/api/v1/openapi.json").json()["paths"])
    called = set()
    for path in static_files():
        if path.suffix == ".js":
            for m in API_CALL_RE.finditer(path.read_text(encoding="utf-8")):
                called.add(m.group(1) or m.group(2))
    assert {"/auth/token", "/me", "/fraud/warnings", "/tasks", "/fraud/figures", "/notifications"} <= called
    missing = [c for c in sorted(called) if not any(p.startswith("/api/v1" + c) for p in paths)]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "suffix", "external"),
    [
        ("import x from 'https://cdn.example/x.js';", ".js", True),
        ("const u = '//cdn.example/x.js';", ".js", True),
        ("// see https://example.org for why", ".js", False),
        ("/* https://example.org */ const a = 1;", ".js", False),
        ("const a = 1; // https://example.org", ".js", False),
        ('<script src="https://cdn.example/x.js"></script>', ".html", True),
        ("<!-- https://example.org -->", ".html", False),
        ("@import url(//fonts.example/x.css);", ".css", True),
        ("/* https://example.org */ body { color: red; }", ".css", False),
    ],
)
def test_the_scan_tells_code_from_comments(text: str, suffix: str, external: bool) -> None:
    assert bool(EXTERNAL_RE.search(strip_comments(text, suffix))) is external
