"""Generated fraud cases for the demo: victims among the generated residents, narratives as victims tell
them (numbers written every which way), and three rings whose cases share a phone, a card, a site or a
WeChat id, so that the 串并线索 view has something to show. The rest share nothing, or only a bank's hotline."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any


def _spaced(digits: str, rng: random.Random) -> str:
    """A number as a person writes it: in groups, with spaces or dashes, sometimes in full-width digits."""
    style = rng.randrange(4)
    if style == 0:
        out = digits
    elif style == 1:
        out = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    elif style == 2:
        out = "-".join([digits[:3], digits[3:7], digits[7:]]) if len(digits) == 11 else digits
    else:
        out = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return out


def _card(rng: random.Random) -> str:
    return "6222" + "".join(str(rng.randrange(10)) for _ in range(15))


def _phone(rng: random.Random) -> str:
    return "17" + str(rng.randrange(0, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))


RINGS = (
    ("fake_customer_service", "自称某电商平台客服，称我购买的商品有质量问题可以退款，电话{phone}，让我下载APP（包名{app}），"
     "共享屏幕后按要求把钱转到“安全账户”{card}，我的卡尾号{tail}。"),
    ("investment", "在网上认识一名自称理财导师的人，加了对方微信号：{wechat}，被拉进投资群，在网址{site}注册账户，"
     "先后{n}次向对方提供的账户{card}转账，提现时被告知要交保证金才发现被骗。"),
    ("order_brushing", "在QQ群里看到兼职刷单广告，联系对方QQ：{qq}，对方电话{phone}，开始几单返了佣金，后来说任务卡单，"
     "让我继续充值到{card}，前后共转{n}笔。"),
)  # fmt: skip
LONE = (
    (
        "impersonate_officials",
        "接到自称公安局民警的电话{phone}，称我涉嫌洗钱，让我配合调查，把钱转到{card}进行“资金核查”。",
    ),
    (
        "loan",
        "在网上申请贷款，对方电话{phone}称我的银行卡号填错被冻结，要交解冻费，我向{card}转账，还冒充95588客服打来确认。",
    ),
    ("fake_shopping", "在网站{site}上买演唱会门票，付款到{card}后对方失联。"),
)


def generate_cases(
    people: Sequence[Mapping[str, Any]], rng: random.Random, now: datetime, n: int = 60
) -> list[dict[str, Any]]:
    """`n` cases as `pingan cases import` reads them, about two thirds of them in three rings."""
    rings = [
        {
            "phone": _phone(rng), "card": _card(rng), "wechat": f"licai_{rng.randrange(100, 999)}",
            "qq": str(rng.randrange(10**7, 10**9)), "site": f"www.{rng.choice(['hk', 'gj', 'cf'])}-licai{rng.randrange(10, 99)}.top/reg",
            "app": f"com.meeting{rng.randrange(10, 99)}.share",
        }
        for _ in RINGS
    ]  # fmt: skip
    cases: list[dict[str, Any]] = []
    in_rings = 0
    # A victim is reached by phone, and reports with it: only residents who own one.
    reachable = [p for p in people if p.get("phones")]
    for i in range(n):
        victim = reachable[rng.randrange(len(reachable))]
        if i % 3 != 2:
            ring = in_rings % len(RINGS)
            in_rings += 1
            fraud_type, template = RINGS[ring]
            shared = rings[ring]
            # Each ring's cases share some of its identifiers, not all: the links say which one.
            values = {
                "phone": _spaced(shared["phone"] if rng.random() < 0.6 else _phone(rng), rng),
                "card": _spaced(shared["card"] if rng.random() < 0.5 else _card(rng), rng),
                "wechat": shared["wechat"], "qq": shared["qq"], "site": shared["site"], "app": shared["app"],
            }  # fmt: skip
        else:
            fraud_type, template = LONE[rng.randrange(len(LONE))]
            values = {"phone": _spaced(_phone(rng), rng), "card": _spaced(_card(rng), rng), "site": f"shop{i}.xyz"}
        narrative = template.format(**values, tail=str(rng.randrange(1000, 9999)), n=rng.randint(2, 9))
        loss = rng.randint(800, 380_000) + rng.randrange(1, 100) / 100  # never a round sum
        reported = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        cases.append(
            {
                "id": f"demo-case-{i + 1:04d}",
                "reported_at": reported.isoformat(),
                "victim": {"name": victim["name"], "phone": victim["phones"][0], "id_number": victim["id_number"]},
                "loss_yuan": f"{loss:.2f}",
                "fraud_type": fraud_type,
                "narrative": f"{reported.strftime('%Y年%m月%d日')}，{narrative}",
            }
        )
    return cases
