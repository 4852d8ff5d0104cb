"""Does a report say the money is already gone? A pure reading of a citizen's, a 96110 caller's or a desk report's
text: "已转账 3 万元", "被骗了5000元", "汇了两次款" are losses; "差点被骗", "没有转账", "还没汇款" are not.

The amount is the largest sum written with 元, 块 or 万 (万 multiplied out), or the event's own `amount`. A report
that reads as a loss becomes a case (through `pingan.fraud.ports.LossReports`, wired to the cases in
`pingan.bootstrap`); the warning stays too, for the dissuasion of what has not been sent yet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_LOST = re.compile(
    r"(已经?|都|刚|共|先后|分\S{0,3}次)?(转账|转了|转给|转入|转到|汇款|汇了|打款|打了|付了|支付了|充值了|充了|被骗|骗走|骗了|损失|被转走|被盗刷)"
)
_NOT = re.compile(
    r"(没有|没|未|还没|尚未|差点|险些|不要|别|准备|打算|想要?|要求我?|让我|叫我|劝|以免|防止|如果|是否|怀疑|担心|怕|以为|会不会|正在|正要|马上|即将)"
)
_AMOUNT = re.compile(r"([0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*(?:(万)\s*(?:元|块|人民币)?|(?:元|块|人民币))")


@dataclass(frozen=True)
class LossReading:
    amount_fen: int
    """0 when the text names no sum."""
    phrase: str
    """The words that said so, for the case's history."""


def reads_as_loss(text: str | None, amount_fen: int | None = None) -> LossReading | None:
    """The loss a report's text states, or None. `amount_fen`, the event's own amount, wins over the text's."""
    if not text:
        return None
    plain = unicodedata.normalize("NFKC", text)
    found = None
    for match in _LOST.finditer(plain):
        # The words just before, within the clause: "没有转账", "让我转账", "正在银行转账" say no loss (yet).
        before = re.split(r"[，。！？,.!?；;、]", plain[max(0, match.start() - 6) : match.start()])[-1]
        if _NOT.search(before):
            continue
        found = match.group(0)
        break
    if found is None:
        return None
    amount = amount_fen if amount_fen else _largest_sum(plain)
    return LossReading(amount, found)


def _largest_sum(text: str) -> int:
    best = 0
    for number, wan in _AMOUNT.findall(text):
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation:
            continue
        if wan:
            value *= 10_000
        best = max(best, int(value * 100))
    return best
