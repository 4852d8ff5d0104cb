"""Reading a report for money already gone: losses with their amounts, and the near misses that are not."""

from __future__ import annotations

import pytest

from pingan.fraud.losses import reads_as_loss


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("我刚才已经转账3万元给对方的安全账户", 3_000_000),
        ("对方冒充客服，我被骗了５０００元", 500_000),  # full-width digits
        ("先后分三次汇款，共计12,800.50元", 1_280_050),
        ("被骗走了2.5万", 2_500_000),
        ("已经转账了，具体金额记不清", 0),  # a loss without a sum
        ("支付了保证金 800 块，现在联系不上", 80_000),
        ("对方要求我转账到安全账户，我已经转了2万元", 2_000_000),
    ],
)
def test_a_report_saying_the_money_is_gone_is_a_loss_with_its_largest_sum(text: str, fen: int) -> None:
    reading = reads_as_loss(text)
    assert reading is not None
    assert reading.amount_fen == fen


@pytest.mark.parametrize(
    "text",
    [
        "差点被骗，还好没有转账",
        "对方让我转账，我没有转",
        "我怀疑被骗了，对方让我下载APP",
        "接到可疑电话，提醒大家防止被骗",
        "对方要求我转账到安全账户",
        "老人正在银行转账，请速到场",  # still going on: a dissuasion, not a loss yet
        "",
        None,
    ],
)
def test_a_near_miss_or_an_instruction_is_not_a_loss(text: str | None) -> None:
    assert reads_as_loss(text) is None


def test_the_events_own_amount_wins_over_the_text() -> None:
    reading = reads_as_loss("我已经转账了5000元", amount_fen=123_400)
    assert reading is not None
    assert reading.amount_fen == 123_400
    assert "转账" in reading.phrase
