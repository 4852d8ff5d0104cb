"""Reports on the cadence 日研判、周通报、月点评、季总结 (DESIGN §2 D7, §6), in HTML and PDF.

- `periods`  the cadences and their periods (`2026-11-30`, `2026-W47`, `2026-11`, `2026-Q3`), pure
- `figures`  a period's figures from the capabilities' `queries` and the task table, one row per 派出所
- `sections` what each cadence says (pluggable `ReportSection`s; the ranking is a `Ranker`)
- `charts`   server-side SVG charts (matplotlib, the vendored font, text as paths)
- `service`  building, rendering (Jinja2 → HTML, WeasyPrint → PDF), the schedule and the archive
"""
