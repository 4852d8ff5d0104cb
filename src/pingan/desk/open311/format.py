"""GeoReport v2 wire formats (pure): the same documents as XML and as JSON (the Spark convention).

A document is built once as plain Python values and written either way: a list under a plural
name becomes a wrapper element with one child per item (``services/service``,
``service_requests/request``, ``errors/error``...), ``None`` an empty element (JSON ``null``),
booleans ``true``/``false``. Dates are W3C/ISO 8601 with the local offset (``+08:00``).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson

from pingan.core.identifiers import address_area, mask_free_text
from pingan.desk.open311.catalog import CALL_110, CHANGESET, SENSITIVE, Attribute, Service
from pingan.desk.rules.kinds import Category, Topic

Format = Literal["json", "xml"]
FORMATS: dict[str, Format] = {"json": "json", "xml": "xml"}
MEDIA_TYPES: dict[Format, str] = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
"""Each list's wrapper element and the element of its items."""

# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# -- writing ---------------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _child(element, key, child)
    else:
        element.text = _scalar(value) or None


def _child(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list | tuple):
        item = ITEM_NAMES[name]
        for entry in value:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, value)


def to_xml(root: str, value: Any) -> bytes:
    """`value` (a list for a plural root, else a mapping) as a UTF-8 XML document under `root`."""
    element = ET.Element(root)
    if isinstance(value, list | tuple):
        item = ITEM_NAMES[root]
        for entry in value:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, value)
    ET.indent(element, space="  ")
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def to_json(value: Any) -> bytes:
    return orjson.dumps(value)


def render(fmt: Format, root: str, value: Any) -> bytes:
    return to_xml(root, value) if fmt == "xml" else to_json(value)


def errors_document(errors: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"code": code, "description": description} for code, description in errors]


# -- values ----------------------------------------------------------------------------------------


def w3(value: datetime | None, zone: ZoneInfo) -> str | None:
    """``2026-11-23T10:00:00+08:00``: seconds, with the offset of `zone`."""
    return value.astimezone(zone).isoformat(timespec="seconds") if value is not None else None


def parse_w3(raw: str, zone: ZoneInfo) -> datetime:
    """A W3C date or date-time; without an offset it is taken as local time in `zone`. ValueError if bad."""
    raw = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return datetime.combine(date.fromisoformat(raw), time(), zone)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", raw):
        raise ValueError(raw)
    value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


_DIGITS = re.compile(r"(?<![0-9])[0-9](?:[ \-]?[0-9]){5,}[0-9Xx]?")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def redact(text: str) -> str:
    """Hide what identifies a person in free text before it is published: e-mail addresses, runs of 7 or
    more digits (phones, ID numbers, bank cards, plates written as digits) wholly, then whatever else the
    core's detector finds, names and house numbers included (the public feed carries no personal data)."""
    text = _EMAIL.sub("***@***", text)
    text = _DIGITS.sub(lambda m: re.sub(r"[0-9Xx]", "*", m.group()), text)
    return mask_free_text(text, names_and_addresses=True)


# -- documents -------------------------------------------------------------------------------------


def discovery(endpoint_url: str, *, contact: str, key_service: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_entry(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": service.metadata,
        "type": "realtime",
        "keywords": ", ".join(service.keywords),
        "group": service.group,
    }


def _attribute(attribute: Attribute) -> dict[str, Any]:
    return {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": v.key, "name": v.name} for v in attribute.values],
    }


def service_definition(service: Service) -> dict[str, Any]:
    return {"service_code": service.code, "attributes": [_attribute(a) for a in service.attributes]}


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the public may learn of one desk request (read by the caller, shaped here)."""

    id: int
    category: Category
    topic: Topic | None
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    place: str | None
    """The station and community names, the public fallback for an address."""
    status: str
    is_open: bool
    resolution: str | None
    merged_into_id: int | None
    replied: bool
    agency: str | None
    diverted: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    reply_due_at: datetime | None
    media_url: str | None


_OPEN_NOTES = {
    "issued": "已受理，等待签收",
    "signed": "已签收，正在处理",
    "replied": "已答复",
}
_CLOSED_NOTES = {"resolved": "已办结", "closed": "已关闭"}


def status_notes(facts: RequestFacts) -> str:
    if not facts.is_open:
        if facts.resolution == "merged" and facts.merged_into_id is not None:
            return f"与诉求{facts.merged_into_id}合并处理"
        return _CLOSED_NOTES.get(facts.resolution or "", "已办结")
    note = _OPEN_NOTES.get(facts.status, "处理中")
    if facts.diverted and facts.agency:
        note += f"（已分流至{facts.agency}）"
    return note


def _coordinate(value: float | None) -> float | None:
    # About 100 m: enough to see where a problem is, not which door it came from.
    return round(value, 3) if value is not None and math.isfinite(value) else None


def service_notice(category: Category, diverted: bool, agency: str | None) -> str | None:
    if category is Category.EMERGENCY:
        return CALL_110
    if diverted:
        return f"非警务事项，由{agency or '属地治理部门'}处理"
    return None


def request_entry(facts: RequestFacts, service: Service, zone: ZoneInfo) -> dict[str, Any]:
    """One request as the public sees it: no phone, no name, no house number; sensitive categories without
    text or place."""
    public = facts.category not in SENSITIVE
    address = None
    if public:
        # No house, building or room number, not even masked: the street or village, else the community.
        address = (address_area(facts.address) if facts.address else None) or facts.place
    waiting = facts.is_open and not facts.replied
    return {
        "service_request_id": facts.id,
        "status": "open" if facts.is_open else "closed",
        "status_notes": status_notes(facts),
        "service_name": service.name,
        "service_code": service.code,
        "description": redact(facts.text) if public and facts.text else None,
        "agency_responsible": facts.agency,
        "service_notice": service_notice(facts.category, facts.diverted, facts.agency),
        "requested_datetime": w3(facts.created_at, zone),
        "updated_datetime": w3(facts.closed_at or facts.updated_at, zone),
        "expected_datetime": w3(facts.reply_due_at, zone) if waiting else None,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": _coordinate(facts.lat) if public else None,
        "long": _coordinate(facts.lon) if public else None,
        "media_url": facts.media_url if public else None,
    }


DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


def window(start: datetime | None, end: datetime | None, now: datetime) -> Window:
    """The spec's range: the most recent 90 days by default, never wider than 90 days. ValueError if not."""
    span = timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        return Window(now - span, now + timedelta(seconds=1))
    if start is None:
        assert end is not None
        return Window(end - span, end)
    if end is None:
        return Window(start, start + span)
    if end < start:
        raise ValueError("end_date 早于 start_date")
    if end - start > span:
        raise ValueError("start_date 与 end_date 相隔不能超过90天")
    return Window(start, end)
