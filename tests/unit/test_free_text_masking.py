"""Personal data typed into free text, found and masked (`pingan.core.identifiers.mask_free_text`)."""

from __future__ import annotations

import pytest

from pingan.core.identifiers import address_area, mask_free_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("我的电话13812345678", "我的电话138****5678"),
        ("电话13812345678找我", "电话138****5678找我"),
        ("手机：+86 138-1234-5678", "手机：+86 138-****-5678"),
        ("手机 ＋８６ １３８ １２３４ ５６７８", "手机 ＋８６ １３８ **** ５６７８"),
        ("0086 13812345678", "0086 138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("138 - 1234 - 5678", "138 - **** - 5678"),
        ("13812345678 13912345678", "138****5678 139****5678"),
        ("13812345678、13912345678", "138****5678、139****5678"),
        ("座机0574-65771234", "座机057*-****1234"),
        ("座机(0574)6577 1234", "座机(057*)**** 1234"),
        ("+86 574 6577 1234", "+86 574 **** 1234"),
        ("家里电话65771234", "家里电话65****34"),
        ("身份证330225199001011234", "身份证330225********1234"),
        ("身份证号：11010519491231002X。", "身份证号：110105********002X。"),
        ("身份证号11010519491231002x号", "身份证号110105********002x号"),
        ("330225 19900101 1234", "330225 ******** 1234"),
        ("３３０２２５１９９００１０１１２３４", "３３０２２５********１２３４"),
        ("老身份证330225900101123", "老身份证330225*****1123"),
        ("卡号4111111111111111", "卡号4111********1111"),
        ("卡号 4111-1111-1111-1111 转账", "卡号 4111-****-****-1111 转账"),
        ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** ***0 123"),
        ("电话13812345678，卡6222021234567890128", "电话138****5678，卡6222***********0128"),
    ],
)
def test_id_numbers_phones_and_cards_in_free_text_are_masked(text: str, shown: str) -> None:
    assert mask_free_text(text) == shown
    assert mask_free_text(text, names_and_addresses=True) == shown


@pytest.mark.parametrize(
    "text",
    [
        "被骗了5000元",
        "转账50000000元",
        "¥13,800.00",
        "2026-11-23 14:30 在门口",
        "2026年11月23日下午3点",
        "20261123",
        "订单号AB13812345678",
        "订单号SF1381234567890",
        "13812345678abc",
        "请拨打110、10086、96110、12345",
        "4008123123 是客服",
        "单号2026112313812345678",
        "330225199001011235",  # a wrong check digit: not an ID number, and 18 digits fail the Luhn check
        "共65771234人次",
        "我是本村村民，我叫不出名字",
        "138****5678 330225********1234",
    ],
)
def test_amounts_dates_order_numbers_and_service_numbers_stay(text: str) -> None:
    assert mask_free_text(text) == text


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("我叫张三，路灯坏了", "我叫张*，路灯坏了"),
        ("联系人：王小明，电话13812345678", "联系人：王**，电话138****5678"),
        ("姓名 欧阳娜娜", "姓名 欧***"),
        ("我是李四的邻居", "我是李*的邻居"),
        ("张先生和李女士吵架", "*先生和*女士吵架"),
        ("住城河西路123号4幢501室", "住城河西路**********"),
        ("中街12号3幢，路灯坏了2天", "中街*****，路灯坏了2天"),
        ("阳光小区3栋2单元501室漏水", "阳光小区*********漏水"),
        ("张家村3组15号", "张家村*****"),
        ("甲一村12号3室门口", "甲一村*****门口"),
        ("就在3栋2单元门口", "就在*****门口"),
        ("幸福里弄12-3号", "幸福里弄*****"),
    ],
)
def test_names_and_house_numbers_are_masked_for_the_public(text: str, published: str) -> None:
    assert mask_free_text(text, names_and_addresses=True) == published


@pytest.mark.parametrize(
    "text",
    ["我是本村村民", "11月5号下午3点", "地铁2号线出口", "城河西路的路灯坏了", "3楼有人吵闹", "老师说要交500元"],
)
def test_dates_floors_and_streets_without_numbers_are_not_addresses(text: str) -> None:
    assert mask_free_text(text, names_and_addresses=True) == text


def test_names_and_addresses_are_left_to_staff() -> None:
    text = "我叫张三，住城河西路123号"
    assert mask_free_text(text) == text


def test_masking_is_idempotent() -> None:
    text = "我叫张三，电话+86 138-1234-5678，身份证330225199001011234，住城河西路123号4幢501室，卡4111111111111111"
    once = mask_free_text(text, names_and_addresses=True)
    assert mask_free_text(once, names_and_addresses=True) == once
    assert mask_free_text("") == ""


def test_the_area_of_an_address_stops_before_the_house_number() -> None:
    assert address_area("浙江省宁波市镇海区招宝山街道城河西路123号4幢501室") == "浙江省宁波市镇海区招宝山街道城河西路"
    assert address_area("甲街道甲一村12号3室") == "甲街道甲一村"
    assert address_area("阳光花园3栋") == ""
