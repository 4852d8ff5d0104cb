"""Log lines: one JSON object each, carrying the request id (or "-" outside a request); ids from outside
are kept only when short and of safe characters."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from pingan.core.logs import REQUEST_ID, logging_config, request_id_from
from pingan.core.settings import Environment, Settings


@pytest.fixture
def configured() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


def _lines(json_lines: bool) -> io.StringIO:
    stream = io.StringIO()
    config = logging_config(json_lines=json_lines)
    config["handlers"]["default"]["stream"] = stream
    logging.config.dictConfig(config)
    return stream


@pytest.mark.usefixtures("configured")
def test_json_lines_carry_the_request_id_and_keep_chinese_readable() -> None:
    stream = _lines(json_lines=True)
    token = REQUEST_ID.set("req-1")
    try:
        logging.getLogger("pingan.test").warning("预警 %s 已升级", 7)
    finally:
        REQUEST_ID.reset(token)
    logging.getLogger("uvicorn.access").info("outside any request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["message"], first["level"], first["logger"], first["request_id"]) == (
        "预警 7 已升级",
        "WARNING",
        "pingan.test",
        "req-1",
    )
    assert "time" in first
    assert "预警" in stream.getvalue()  # not \\u escapes
    assert (second["logger"], second["request_id"]) == ("uvicorn.access", "-")


@pytest.mark.usefixtures("configured")
def test_text_lines_carry_the_request_id_too() -> None:
    stream = _lines(json_lines=False)
    token = REQUEST_ID.set("abc")
    try:
        logging.getLogger("pingan.test").info("hello")
    finally:
        REQUEST_ID.reset(token)
    assert "[abc] hello" in stream.getvalue()


@pytest.mark.parametrize("given", ["a" * 65, "", "two words", "new\nline", 'quo"te', "中文", None])
def test_an_unsafe_or_missing_request_id_is_replaced_by_a_fresh_one(given: str | None) -> None:
    made = request_id_from(given)
    assert made != given
    assert len(made) == 32
    assert made != request_id_from(given)


@pytest.mark.parametrize("given", ["a", "a" * 64, "0f3c-lb.1:2_x"])
def test_a_safe_request_id_is_kept(given: str) -> None:
    assert request_id_from(given) == given


def test_json_logs_are_on_by_default_in_production_only() -> None:
    secret = "s" * 40
    assert Settings(secret_key=secret).json_logs is False
    assert Settings(secret_key=secret, environment=Environment.PRODUCTION).json_logs is True
    assert Settings(secret_key=secret, environment=Environment.PRODUCTION, log_json=False).json_logs is False
    assert Settings(secret_key=secret, log_json=True).json_logs is True
