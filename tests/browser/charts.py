"""Checks that a chart's Chinese text is drawn in a Chinese font, shared by the screens that show charts.

ECharts names its own font family on every text it draws; when that was its default "sans-serif", a machine
without a Chinese system font (this one) drew the legend and the axis names as empty boxes while the page's
own text, in the app's font stack, was fine. So the check compares the fonts chromium actually used for the
chart's Chinese text (CSS.getPlatformFontsForNode) with those it used for a Chinese label of the page.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

APP_FACE = "Pingan Sans SC"  # the @font-face over the Noto Sans SC the server ships (styles.css)
CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")

# Installed before the page loads: when the first chart text appears, note whether the app's Chinese face had
# loaded by then (a MutationObserver's callback runs before any later task, so "then" is the draw itself).
WATCH_FIRST_DRAW = """
(() => {
  const seen = new MutationObserver(() => {
    const text = document.querySelector('.chart svg text');
    if (!text || window.__firstChartDraw) return;
    window.__firstChartDraw = {
      fontLoaded: document.fonts.check('16px "__APP_FACE__"', '中文'),
      family: getComputedStyle(text).fontFamily,
    };
    seen.disconnect();
  });
  document.addEventListener('DOMContentLoaded', () => seen.observe(document.body, { childList: true, subtree: true }));
})();
""".replace("__APP_FACE__", APP_FACE)


def watch_first_chart_draw(page: Any) -> None:
    """Call before the page is opened: records the font's state when the first chart draws."""
    page.add_init_script(WATCH_FIRST_DRAW)


def _families(cdp: Any, root: int, selector: str) -> set[str]:
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})
    assert node["nodeId"], selector
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    return {f["familyName"] for f in fonts}


def assert_chart_text_is_chinese(page: Any, chart: str, reference: str) -> list[str]:
    """Every all-Chinese text of the chart ``chart`` (a CSS selector of its `.chart-box`: the legend, axis names)
    is drawn in the fonts the page's own label ``reference`` (a selector of an element holding only Chinese) is
    drawn in, and the chart first drew after the app's face had loaded; returns those texts."""
    texts = page.locator(f"{chart} svg text")
    expect(texts.first).to_be_attached()
    first = page.evaluate("() => window.__firstChartDraw || null")
    assert first is not None, "watch_first_chart_draw was not called before the page opened"
    assert first["fontLoaded"], first  # the font had loaded when the first chart drew
    assert APP_FACE in first["family"], first
    assert page.evaluate(f"() => document.fonts.check('16px \"{APP_FACE}\"', '中文')")
    # Mark the chart's all-Chinese texts so that the protocol can find them by a selector.
    chinese: list[str] = page.evaluate(
        """([chart, cjk]) => {
            const re = new RegExp(cjk);
            return [...document.querySelectorAll(chart + ' svg text')]
              .filter((t) => re.test(t.textContent))
              .map((t, i) => { t.dataset.cjkText = String(i); return t.textContent; });
        }""",
        [chart, CJK_ONLY.pattern],
    )
    assert chinese, f"no Chinese text in {chart}"
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        cdp.send("CSS.enable")
        expected = _families(cdp, root, reference)
        assert expected, reference
        for i, text in enumerate(chinese):
            style = page.locator(f"{chart} svg text[data-cjk-text='{i}']").evaluate(
                "(t) => ({family: getComputedStyle(t).fontFamily, fill: getComputedStyle(t).fill})"
            )
            assert APP_FACE in style["family"], (text, style)
            assert style["fill"] != "none", (text, style)  # drawn in a colour, not invisible
            assert _families(cdp, root, f"{chart} svg text[data-cjk-text='{i}']") == expected, text
    finally:
        cdp.detach()
    return chinese
