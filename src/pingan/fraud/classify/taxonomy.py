"""The fraud taxonomy's canonical ids (DESIGN §4): the Ministry's ten high-incidence types, the two extra classes
of the CCL2023 police dataset, gambling, other and normal."""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    ORDER_BRUSHING = "order_brushing"
    INVESTMENT = "investment"
    LOAN = "loan"
    FAKE_CUSTOMER_SERVICE = "fake_customer_service"
    IMPERSONATE_OFFICIALS = "impersonate_officials"
    CREDIT_REPAIR = "credit_repair"
    FAKE_SHOPPING = "fake_shopping"
    IMPERSONATE_ACQUAINTANCE = "impersonate_acquaintance"
    GAME_TRADE = "game_trade"
    ROMANCE = "romance"
    MILITARY_PURCHASE = "military_purchase"
    GAMBLING = "gambling"
    OTHER = "other"
    NORMAL = "normal"


LABELS: tuple[Label, ...] = tuple(Label)
"""Every label in a fixed order: the columns of every score vector."""

LABEL_NAMES: dict[Label, str] = {
    Label.ORDER_BRUSHING: "刷单返利类",
    Label.INVESTMENT: "虚假网络投资理财类",
    Label.LOAN: "虚假网络贷款类",
    Label.FAKE_CUSTOMER_SERVICE: "冒充电商物流客服类",
    Label.IMPERSONATE_OFFICIALS: "冒充公检法及政府机关类",
    Label.CREDIT_REPAIR: "虚假征信类",
    Label.FAKE_SHOPPING: "虚假购物、服务类",
    Label.IMPERSONATE_ACQUAINTANCE: "冒充领导、熟人类",
    Label.GAME_TRADE: "网络游戏产品虚假交易类",
    Label.ROMANCE: "网络婚恋、交友类",
    Label.MILITARY_PURCHASE: "冒充军警购物类",
    Label.GAMBLING: "网络赌博、博彩类",
    Label.OTHER: "其他类型诈骗",
    Label.NORMAL: "非诈骗",
}


def parse_label(raw: str) -> Label:
    """A label id as written in a file (surrounding spaces and case ignored); ValueError names the known ids."""
    try:
        return Label(raw.strip().lower())
    except ValueError:
        raise ValueError(f"unknown label {raw!r}; known: {', '.join(LABELS)}") from None
