"""Which SMS replies ask to stop campaign texts (退订): the usual keywords, however typed, and sentences saying so."""

from __future__ import annotations

import pytest

from pingan.money.campaigns import is_opt_out_reply, sms_text


@pytest.mark.parametrize(
    "text",
    [
        "TD",
        "td",
        "Td",
        " T ",
        "ＴＤ",
        "t",
        "R",
        "退订",
        "退订。",
        "退订！",
        "回复TD",
        "回TD",
        "我要退订",
        "请退订短信",
        "拒收",
        "STOP",
        "N",
    ],
)
def test_an_opt_out_reply_is_recognised(text: str) -> None:
    assert is_opt_out_reply(text)


@pytest.mark.parametrize(
    "text",
    ["", "好的", "谢谢提醒", "我被骗了怎么办", "TDD", "TEST", "不退订", "不要退订，我想继续收", "1", "Y", "订阅"],
)
def test_other_replies_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out_reply(text)


def test_a_campaign_text_says_how_to_stop_it_once() -> None:
    assert sms_text("【平安反诈】警惕刷单。").endswith("回复TD退订")
    assert sms_text("【平安反诈】警惕刷单。回复TD退订").count("回复TD退订") == 1
