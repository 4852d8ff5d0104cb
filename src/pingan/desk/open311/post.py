"""POST Service Request: the form a GeoReport v2 client sends, checked into a `PostInput` (pure).

Errors follow the spec: a missing or unknown `service_code` answers alone (400 / 404); every other
problem with the form is collected, so the client learns all of them in one 400 answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pingan.core.errors import BadInput
from pingan.core.fields import refuse_nul
from pingan.core.geo import in_china
from pingan.desk.open311.catalog import TOPIC_ATTRIBUTE, Service, service
from pingan.desk.otp import mobile_number
from pingan.desk.rules.kinds import Topic

MAX_DESCRIPTION = 4000
"""The spec's limit for `description`."""

_ATTRIBUTE_KEY = re.compile(r"attribute\[([^\[\]]{1,64})\](\[\])?")
_LIMITS = {
    "address_string": 255,
    "email": 254,
    "device_id": 64,
    "account_id": 64,
    "first_name": 50,
    "last_name": 50,
    "media_url": 500,
}


class Open311Error(Exception):
    """A refusal in the spec's shape: the HTTP status and the list of (code, description)."""

    def __init__(
        self, status: int, errors: Sequence[tuple[int, str]], *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(errors[0][1] if errors else str(status))
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})


def not_found(what: str) -> Open311Error:
    return Open311Error(404, [(404, what)])


@dataclass(frozen=True, slots=True)
class PostInput:
    service: Service
    topic: Topic | None
    lon: float | None
    lat: float | None
    """WGS84, as the spec defines."""
    address: str | None
    phone: str
    """A mainland mobile number (national form): the resident's identity on the desk."""
    description: str
    email: str | None
    first_name: str | None
    last_name: str | None
    account_id: str | None
    device_id: str | None
    media_url: str | None


def _first(fields: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The first non-blank value of a field; the spec treats an empty parameter as an absent one."""
    for value in fields.get(name, ()):
        if value.strip():
            return value.strip()
    return None


def _with_nul(fields: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The fields holding a NUL character, checked before anything else: none of them may be stored."""
    refused: list[tuple[str, str]] = []
    for name, values in fields.items():
        for value in values:
            try:
                refuse_nul(value)
            except ValueError as exc:
                refused.append((name, str(exc)))
                break
    return refused


def _coordinate(raw: str, name: str, low: float, high: float, problems: list[str]) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} 不是有效的数字：{raw[:32]}")
        return None
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{name} 超出范围（{low} 至 {high}）：{raw[:32]}")
        return None
    return value


def _location(
    fields: Mapping[str, Sequence[str]], problems: list[str]
) -> tuple[float | None, float | None, str | None]:
    lat_raw, lon_raw = _first(fields, "lat"), _first(fields, "long")
    address = _first(fields, "address_string")
    lat = lon = None
    if (lat_raw is None) != (lon_raw is None):
        problems.append("lat 与 long 须同时提供")
    elif lat_raw is not None and lon_raw is not None:
        lat = _coordinate(lat_raw, "lat", -90.0, 90.0, problems)
        lon = _coordinate(lon_raw, "long", -180.0, 180.0, problems)
        if lat is not None and lon is not None and not in_china(lon, lat):
            problems.append("位置不在中国境内：请检查 lat/long 是否写反，坐标须为 WGS84")
            lat = lon = None
    if lat_raw is None and lon_raw is None and address is None:
        if _first(fields, "address_id") is not None:
            problems.append("本系统不支持 address_id，请提供 lat/long 或 address_string")
        else:
            problems.append("缺少位置：请提供 lat/long 或 address_string")
    return lon, lat, address


def _attributes(fields: Mapping[str, Sequence[str]], svc: Service, problems: list[str]) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for key, values in fields.items():
        m = _ATTRIBUTE_KEY.fullmatch(key)
        if m is None:
            if key.startswith("attribute"):
                problems.append(f"无法识别的属性参数：{key[:80]}")
            continue
        kept = [v.strip() for v in values if v.strip()]
        if kept:
            given.setdefault(m.group(1), []).extend(kept)
    answers: dict[str, list[str]] = {}
    for code, values in given.items():
        attribute = svc.attribute(code)
        if attribute is None:
            problems.append(f"服务 {svc.code} 没有属性 {code}")
            continue
        if not attribute.variable:
            continue  # informational only: nothing to answer
        if attribute.values:
            keys = {v.key for v in attribute.values}
            wrong = [v for v in values if v not in keys]
            if wrong:
                problems.append(f"属性 {code} 的取值无效：{wrong[0][:32]}（可选：{'、'.join(sorted(keys))}）")
                continue
        if attribute.datatype != "multivaluelist" and len(values) > 1:
            problems.append(f"属性 {code} 只能有一个取值")
            continue
        answers[code] = values
    for attribute in svc.attributes:
        if attribute.required and attribute.variable and attribute.code not in answers:
            problems.append(f"缺少必填属性 attribute[{attribute.code}]：{attribute.description}")
    return answers


def parse_post(fields: Mapping[str, Sequence[str]]) -> PostInput:
    """Check a POST form (field → its values). Raises `Open311Error` (400 or 404)."""
    refused = _with_nul(fields)
    if refused:
        raise Open311Error(400, [(400, f"{name} {message}") for name, message in refused])
    code = _first(fields, "service_code")
    if code is None:
        raise Open311Error(400, [(400, "缺少 service_code")])
    svc = service(code)
    if svc is None:
        raise not_found(f"service_code {code[:64]} 不存在")
    problems: list[str] = []
    lon, lat, address = _location(fields, problems)
    answers = _attributes(fields, svc, problems)
    phone_raw = _first(fields, "phone")
    phone = ""
    if phone_raw is None:
        problems.append("缺少 phone：群众的手机号码用于民警回复和回访")
    else:
        try:
            phone = mobile_number(phone_raw)
        except BadInput as exc:
            problems.append(f"phone 无效：{exc.message}")
    description = _first(fields, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description 不能超过 {MAX_DESCRIPTION} 字")
    optional: dict[str, str | None] = {}
    for name, limit in _LIMITS.items():
        value = _first(fields, name)
        if value is not None and len(value) > limit:
            problems.append(f"{name} 不能超过 {limit} 个字符")
            value = None
        optional[name] = value
    media_url = optional["media_url"]
    if media_url is not None and not re.match(r"https?://[^\s]+$", media_url):
        problems.append("media_url 须为 http(s) 链接")
    email = optional["email"]
    if email is not None and "@" not in email:
        problems.append("email 格式无效")
    if problems:
        raise Open311Error(400, [(400, p) for p in problems])
    topic_values = answers.get(TOPIC_ATTRIBUTE)
    return PostInput(
        service=svc,
        topic=Topic(topic_values[0]) if topic_values else None,
        lon=lon,
        lat=lat,
        address=address,
        phone=phone,
        description=description,
        email=email,
        first_name=optional["first_name"],
        last_name=optional["last_name"],
        account_id=optional["account_id"],
        device_id=optional["device_id"],
        media_url=media_url,
    )
