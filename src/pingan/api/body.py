"""Bodies the batch endpoints read themselves (to keep the good items of a bad batch): a JSON body, the batch
in it (an array, or an object holding one under its key), its size, and the answer when no item was good."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from pingan.core.errors import BadInput, Rejected, TooLarge, UnsupportedMediaType


async def json_body(request: Request, *, name_received: bool = True) -> Any:
    """The parsed body: 415 naming `content-type` unless it is JSON (with `name_received`, the message says
    what was sent), 422 naming `body` if it does not parse."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        # A body sent as text or a form is a client's mistake about the format, not a batch to guess at.
        received = f"，收到 {content_type[:100] or '无 Content-Type'}" if name_received else ""
        raise UnsupportedMediaType(f"请求体须为 JSON（Content-Type: application/json）{received}", field="content-type")
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"请求体不是有效的 JSON：{exc}", field="body", code="invalid_json") from None


def batch_items(body: Any, key: str, *, not_a_list: str | None = None) -> list[Any]:
    """The items of a batch: `body` itself or its `key`; 422 naming `key` if that is no array or is empty."""
    items = body.get(key) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise BadInput(not_a_list or f"请求体须为数组，或含 {key} 数组的对象", field=key, code="invalid_batch")
    if not items:
        raise BadInput("批次为空", field=key, code="empty_batch")
    return items


def limit_batch(items: list[Any], limit: int, field: str) -> None:
    """422 naming `field` for a batch of more than `limit` items."""
    if len(items) > limit:
        raise BadInput(f"一批最多 {limit} 条", field=field, code="batch_too_large")


async def json_batch(request: Request, key: str, limit: int) -> list[Any]:
    """A batch of a registry (patrol's units and positions): a batch over `limit` is a 422."""
    items = batch_items(await json_body(request, name_received=False), key)
    limit_batch(items, limit, key)
    return items


async def feed_batch(request: Request, key: str, limit: int, what: str) -> list[Any]:
    """A batch of a feed (leads, card openings) of `what` (事件, 开卡记录): a batch over `limit` is a 413."""
    items = batch_items(await json_body(request), key, not_a_list=f'请求体须为{what}数组或 {{"{key}": [...]}}')
    if len(items) > limit:
        raise TooLarge(f"单批最多 {limit} 条", field=key, code="batch_too_large")
    return items


def nothing_good(first: Rejected, key: str) -> dict[str, Any]:
    """The error of a feed's answer when no item was accepted: its first rejection, as `key[index].field`."""
    return {
        "code": first.code,
        "message": f"第 {first.index} 条：{first.message}",
        "field": f"{key}[{first.index}].{first.field}" if first.field else f"{key}[{first.index}]",
    }
