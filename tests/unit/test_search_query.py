"""How the search box reads what is typed: phones in any format, ID numbers, record numbers, names, indicators."""

from __future__ import annotations

import pytest

from pingan.api.routes.search import read_query
from pingan.core.errors import BadInput
from pingan.core.identifiers import IdentifierKind


@pytest.mark.parametrize(
    "typed",
    [
        "13905740001",
        "+86 139-0574-0001",
        "139 0574 0001",
        "１３９０５７４０００１",
        "0086-139-0574-0001",
        "(139)0574.0001",
    ],
)
def test_a_mobile_in_any_format_is_read_as_that_mobile(typed: str) -> None:
    q = read_query(typed)
    assert q.phone == "13905740001"
    assert q.number is None  # eleven digits are a phone, not a record number
    assert q.id_number is None


def test_a_valid_id_number_is_read_as_one_and_not_as_a_phone() -> None:
    q = read_query("330225 19900101 1234".replace(" ", ""))
    assert q.id_number == "330225199001011234"
    assert q.phone is None
    assert read_query("33022519900101008x").id_number == "33022519900101008X"  # the check digit X, typed small


def test_an_invalid_eighteen_digit_number_is_no_id_number() -> None:
    assert read_query("330225199001011235").id_number is None


@pytest.mark.parametrize(("typed", "number"), [("#12", 12), ("预警 12", 12), ("任务0042", 42), ("12", 12)])
def test_record_numbers(typed: str, number: int) -> None:
    q = read_query(typed)
    assert q.number == number
    assert q.phone is None  # a short number is not searched as a service phone


def test_a_chinese_name_is_a_name() -> None:
    q = read_query(" 张三丰 ")
    assert q.name == "张三丰"
    assert q.phone is None


def test_a_url_gives_its_indicator_keys() -> None:
    keys = read_query("HTTPS://Pay.Fraud-Site.cn/a?b=1").indicator_keys
    assert (IdentifierKind.DOMAIN, "pay.fraud-site.cn") in keys
    assert (IdentifierKind.DOMAIN, "fraud-site.cn") in keys


def test_blank_text_is_refused_naming_q() -> None:
    with pytest.raises(BadInput) as refused:
        read_query("   ")
    assert refused.value.field == "q"
