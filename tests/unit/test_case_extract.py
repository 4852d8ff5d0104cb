"""Identifiers read out of victims' narratives, as people write them; and what must not be taken for one."""

from __future__ import annotations

import pytest

from pingan.money.extract import BadIdentifier, CaseIdentifierKind, extract_identifiers, normalize

K = CaseIdentifierKind


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind.value, f.value) for f in extract_identifiers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("对方电话13812345678", [("phone", "13812345678")]),
        ("对方电话１３８１２３４５６７８", [("phone", "13812345678")]),  # full-width digits
        ("来电号码 138-1234-5678 自称客服", [("phone", "13812345678")]),
        ("来电号码１３８－１２３４－５６７８", [("phone", "13812345678")]),  # full-width dashes too
        ("对方手机 138 1234 5678", [("phone", "13812345678")]),
        ("号码+86 139 8765 4321打来", [("phone", "13987654321")]),
        ("号码0086 13987654321打来", [("phone", "13987654321")]),
        ("座机0574-65771234", [("phone", "057465771234")]),
        ("客服热线4008123123", [("phone", "4008123123")]),
        ("冒充95588客服", [("phone", "95588")]),
        ("拨打10086查询", [("phone", "10086")]),
    ],
)
def test_phones_are_read_however_they_are_written(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("转到对方卡6222 0212 3456 7890 123", [("account", "6222021234567890123")]),
        ("对方卡号6222-0212-3456-7890", [("account", "6222021234567890")]),
        ("收款账号：62170033 1000 5555", [("account", "6217003310005555")]),
        ("对公账户 3301 0400 0012 3456 78", [("account", "33010400001234567 8".replace(" ", ""))]),
        ("我的卡尾号1234被扣款", [("card_tail", "1234")]),
        ("尾号为 5678 的银行卡", [("card_tail", "5678")]),
        ("卡号后四位：0987", [("card_tail", "0987")]),
    ],
)
def test_cards_and_accounts_and_their_tails(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("登录网址 www.tb-tuikuan.cc/refund?id=3 退款", [("url", "www.tb-tuikuan.cc/refund")]),
        ("打开 HTTPS://Pay.Evil-Licai.TOP:443/Login#x 充值", [("url", "pay.evil-licai.top/Login")]),
        ("链接http://t.cn/A6abCDe，点开", [("url", "t.cn/A6abCDe")]),
        ("在xx-licai.top上投资", [("domain", "xx-licai.top")]),
        ("网站 licai88.com/app/down 下载", [("url", "licai88.com/app/down")]),
        ("安装了APP，包名com.zoom.yunhui", [("app", "com.zoom.yunhui")]),
        ("网址ｗｗｗ．ｅｖｉｌ．ｃｏｍ打开", [("url", "www.evil.com")]),  # full-width letters and dots
    ],
)
def test_sites_with_or_without_scheme_and_apps(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加对方微信号：kefu_8899 聊", [("wechat", "kefu_8899")]),
        ("对方VX: Licai-Teacher01", [("wechat", "licai-teacher01")]),
        ("微信13812345678", [("phone", "13812345678")]),  # a WeChat id that is a phone is the phone
        ("QQ：12345678，群号不记得", [("qq", "12345678")]),
        ("qq号 987654321", [("qq", "987654321")]),
        ("支付宝账号 Pay888@163.com 收款", [("alipay", "pay888@163.com")]),
        ("支付宝：138 1234 5678", [("phone", "13812345678")]),
        ("对方手机IMEI：86 123456 789012 3", [("imei", "86123456789012")]),
    ],
)
def test_ids_after_their_names(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 10:30 被骗",
        "于20261123转账",
        "被骗31.8335万元",
        "共转账50000元",
        "充值13800000000元",  # an 11-digit amount is no phone
        "损失 ¥3000",
        "版本号3.5.1",
        "订单号AB13812345678",  # glued to letters: an order number
        "车牌浙B12345",
        "身份证330225199001011234",  # the victim's ID number
        "转了95588元",  # a number after 转了 is an amount, even one shaped like a hotline
        "他说了12345这个数",  # a short number with no word saying it is a phone
        "时间10:30:15",
        "3.1415926535897932",
    ],
)
def test_dates_amounts_and_other_numbers_are_not_taken(text: str) -> None:
    assert found(text) == []


def test_a_whole_narrative() -> None:
    text = (
        "2026年11月20日14时许，我接到自称淘宝客服的电话１３８－１２３４－５６７８，称我购买的商品有质量问题可以退款"
        "，让我下载“云会议”APP（包名com.zoom.yunhui），登录 www.tb-tuikuan.cc/refund ，按要求向对方账户"
        "6222 0212 3456 7890 123转账31.8335万元，我的卡尾号1234。对方微信号：kefu_8899，QQ：12345678。"
    )
    assert found(text) == [
        ("phone", "13812345678"),
        ("app", "com.zoom.yunhui"),
        ("url", "www.tb-tuikuan.cc/refund"),
        ("account", "6222021234567890123"),
        ("card_tail", "1234"),
        ("wechat", "kefu_8899"),
        ("qq", "12345678"),
    ]


def test_each_identifier_is_listed_once_with_its_first_writing() -> None:
    found_ = extract_identifiers("电话138-1234-5678，后来又打了13812345678")
    assert [(f.value, f.raw) for f in found_] == [("13812345678", "138-1234-5678")]


def test_two_phones_side_by_side_are_two_phones() -> None:
    assert found("号码13812345678 13987654321") == [("phone", "13812345678"), ("phone", "13987654321")]


def test_extraction_never_raises_on_odd_text() -> None:
    for text in ["", "\x00", "尾号", "微信号：", "http://", "www.", "1" * 200, "．．．", "@@@.com"]:
        extract_identifiers(text)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (K.PHONE, "+86 138-1234-5678", (K.PHONE, "13812345678")),
        (K.ACCOUNT, "6222 0212 3456 7890", (K.ACCOUNT, "6222021234567890")),
        (K.URL, "HTTPS://WWW.Evil.COM/Pay?x=1", (K.URL, "www.evil.com/Pay")),
        (K.WECHAT, "Kefu_8899", (K.WECHAT, "kefu_8899")),
        (K.WECHAT, "138 1234 5678", (K.PHONE, "13812345678")),
        (K.ALIPAY, "Pay@163.COM", (K.ALIPAY, "pay@163.com")),
        (K.QQ, "１２３４５６７８", (K.QQ, "12345678")),
        (K.IMEI, "861234567890123", (K.IMEI, "86123456789012")),
        (K.CARD_TAIL, "1234", (K.CARD_TAIL, "1234")),
    ],
)
def test_normalize_gives_one_form(kind: CaseIdentifierKind, raw: str, expected: tuple[CaseIdentifierKind, str]) -> None:
    assert normalize(kind, raw) == expected
    assert normalize(*expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(K.PHONE, "12ab"), (K.QQ, "0123"), (K.WECHAT, "1abcdef"), (K.ALIPAY, "not-an-email"), (K.IMEI, "123"),
     (K.ACCOUNT, "12345"), (K.CARD_TAIL, "12")],
)  # fmt: skip
def test_normalize_refuses_what_it_cannot_read(kind: CaseIdentifierKind, raw: str) -> None:
    with pytest.raises(BadIdentifier):
        normalize(kind, raw)
