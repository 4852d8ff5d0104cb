"""Identifiers read out of a case's narrative (笔录), and their canonical forms.

A victim's statement names the numbers, cards, sites and accounts the fraudsters used, written as people
write them: full-width digits (``１３８１２３４５６７８``), spaces and dashes inside numbers
(``6222 0212 3456 7890 123``), partial cards (``尾号1234``), sites without a scheme (``www.xx-pay.cc/login``),
WeChat and QQ ids after their names. :func:`extract_identifiers` finds them; :func:`normalize` gives the
canonical form under which cases are linked, through the core's normalisation (DESIGN §7) for the kinds
the fraud indicator lists know, and the rules below for the others.

What is not taken: amounts (``31.8335万元``, ``50000元``, ``¥3000``), dates and times (``2026-11-23``,
``20261123``), the victim's ID number, numbers glued to Latin letters (order and plate numbers), and
short numbers with no word saying they are phones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tldextract import TLDExtract

from pingan.core import identifiers as core_ids
from pingan.core.identifiers import IdentifierKind, InvalidIdentifier


class CaseIdentifierKind(StrEnum):
    PHONE = "phone"
    ACCOUNT = "account"  # a bank card or account
    CARD_TAIL = "card_tail"  # 尾号1234: shown, never linked (ten thousand strangers share one)
    URL = "url"
    DOMAIN = "domain"
    APP = "app"
    WECHAT = "wechat"
    QQ = "qq"
    ALIPAY = "alipay"  # an Alipay id that is an e-mail address (one that is a phone is recorded as a phone)
    IMEI = "imei"


KIND_NAMES = {
    CaseIdentifierKind.PHONE: "电话",
    CaseIdentifierKind.ACCOUNT: "银行卡/账户",
    CaseIdentifierKind.CARD_TAIL: "卡号尾号",
    CaseIdentifierKind.URL: "网址",
    CaseIdentifierKind.DOMAIN: "域名",
    CaseIdentifierKind.APP: "APP",
    CaseIdentifierKind.WECHAT: "微信号",
    CaseIdentifierKind.QQ: "QQ号",
    CaseIdentifierKind.ALIPAY: "支付宝账号",
    CaseIdentifierKind.IMEI: "IMEI",
}

_CORE = {
    CaseIdentifierKind.PHONE: IdentifierKind.PHONE,
    CaseIdentifierKind.ACCOUNT: IdentifierKind.ACCOUNT,
    CaseIdentifierKind.URL: IdentifierKind.URL,
    CaseIdentifierKind.DOMAIN: IdentifierKind.DOMAIN,
    CaseIdentifierKind.APP: IdentifierKind.APP,
}

_WECHAT_RE = re.compile(r"[a-z][a-z0-9_-]{5,19}")
_QQ_RE = re.compile(r"[1-9][0-9]{4,11}")
_EMAIL_RE = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_DROP = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


class BadIdentifier(ValueError):
    """A value that cannot be read as an identifier of the kind given; ``str()`` says which and why."""


def normalize(kind: CaseIdentifierKind, raw: str) -> tuple[CaseIdentifierKind, str]:
    """The ``(kind, canonical value)`` of an identifier; the kind may change where the value says what it
    is: a WeChat or Alipay id that is a phone number is that phone. Raises :class:`BadIdentifier`."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if kind in _CORE:
        try:
            return kind, core_ids.normalize(_CORE[kind], text)
        except InvalidIdentifier as exc:
            raise BadIdentifier(str(exc)) from None
    if kind in (CaseIdentifierKind.WECHAT, CaseIdentifierKind.ALIPAY):
        phone = _as_phone(text)
        if phone is not None:
            return CaseIdentifierKind.PHONE, phone
        lowered = text.lower()
        if kind is CaseIdentifierKind.ALIPAY:
            if _EMAIL_RE.fullmatch(lowered) is None:
                raise BadIdentifier(f"not an Alipay id (an e-mail address or a phone): {raw!r}")
            return kind, lowered
        if _WECHAT_RE.fullmatch(lowered) is None:
            raise BadIdentifier(f"not a WeChat id (a letter, then 5 to 19 letters, digits, _ or -): {raw!r}")
        return kind, lowered
    digits = text.translate(_DROP)
    if kind is CaseIdentifierKind.QQ:
        if _QQ_RE.fullmatch(digits) is None:
            raise BadIdentifier(f"not a QQ number (5 to 12 digits): {raw!r}")
        return kind, digits
    if kind is CaseIdentifierKind.IMEI:
        if not (digits.isascii() and digits.isdigit() and len(digits) in (14, 15)):
            raise BadIdentifier(f"not an IMEI (14 or 15 digits): {raw!r}")
        return kind, digits[:14]  # the 15th digit is a check digit, often left off
    if kind is CaseIdentifierKind.CARD_TAIL:
        if not (digits.isascii() and digits.isdigit() and 3 <= len(digits) <= 6):
            raise BadIdentifier(f"not the tail of a card (3 to 6 digits): {raw!r}")
        return kind, digits
    raise BadIdentifier(f"unknown kind {kind!r}")  # pragma: no cover - every kind is handled above


def _as_phone(text: str) -> str | None:
    digits = text.translate(_DROP)
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) == 11 and digits.isascii() and digits.isdigit() and digits[0] == "1" and digits[1] in "3456789":
        return digits
    return None


def derived(kind: CaseIdentifierKind, value: str) -> list[tuple[CaseIdentifierKind, str]]:
    """The further keys an identifier is linked under: a URL's host and registrable domain, a domain's
    registrable domain (two fake shops on one site's pages are one ring)."""
    if kind is CaseIdentifierKind.URL:
        keys = core_ids.match_keys(IdentifierKind.URL, value)[1:]
    elif kind is CaseIdentifierKind.DOMAIN:
        keys = core_ids.match_keys(IdentifierKind.DOMAIN, value)[1:]
    else:
        return []
    return [(CaseIdentifierKind.DOMAIN, v) for _, v in keys]


# --- extraction ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """One identifier read from a text: its kind and canonical value, and the text it was read from."""

    kind: CaseIdentifierKind
    value: str
    raw: str
    start: int


_D = r"[0-9]"
# Digits with at most one space or dash between neighbours: '138 1234 5678', '6222-0212-3456-7890'.
_RUN_RE = re.compile(r"(?<![A-Za-z0-9._/@])(\+?)([0-9](?:[ \-]?[0-9])*)(?![A-Za-z0-9@]|\.[0-9])")
_GROUP_RE = re.compile(r"[0-9]+")
_AMOUNT_AFTER_RE = re.compile(
    r"\A\s*(?:余|多)?\s*(?:元|万|块|千|百|亿|圆|人民币|rmb|RMB|美元|USDT|usdt|%|％|笔|次|人|天|个|岁|分钟|小时|号|日|月|年|期)"
)
_AMOUNT_BEFORE_RE = re.compile(r"(?:[¥￥$]|人民币|金额|共计|合计|转账|转了|汇款|充值|付款|支付|损失|被骗)\s*\Z")
_PHONE_CUE_RE = re.compile(r"(?:电话|手机|号码|来电|致电|拨打|热线|客服|座机|联系|打来|短信|tel|TEL|Tel)")
_ACCOUNT_CUE_RE = re.compile(r"(?:账号|帐号|账户|帐户|卡号|银行卡|对公|收款)[^，。,;；\n]{0,12}\Z")
_TAIL_RE = re.compile(r"(?:尾号|尾数|末四位|后四位|末尾)\s*(?:为|是|[:：])?\s*([0-9]{3,6})(?![0-9])")
_CUED_RE = re.compile(
    r"(?P<cue>微信号?|VX|vx|WX|wx|V信|QQ号?|qq号?|扣扣|支付宝(?:账号|帐号|账户|号)?|IMEI|imei|串号)"
    r"\s*(?:号码)?\s*(?:为|是|[:：])?\s*(?P<value>[A-Za-z0-9][A-Za-z0-9_.@+\- ]{3,40})"
)
# A URL with a scheme, one beginning with www., or a host with a path; stops at CJK text and punctuation.
_URL_RE = re.compile(
    r"(?:[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef<>\"'，。；）】]+"
    r"|(?<![A-Za-z0-9@._-])(?:www\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
    r"(?::[0-9]{1,5})?(?:/[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef<>\"'，。；）】]*)?)"
)
_APP_CUE_RE = re.compile(r"(?:包名|安装包|apk|APK|应用|APP|app|App)[^，。\n]{0,8}\Z")
_SURROUND = 10
_Add = Callable[["CaseIdentifierKind", str, int, int], None]


def extract_identifiers(text: str, *, today: date | None = None) -> list[Found]:
    """Every identifier in `text`, in order of appearance, each once (the first writing of it kept).

    Pure and never raises: what cannot be read is left out.
    """
    s = unicodedata.normalize("NFKC", text or "")
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(kind: CaseIdentifierKind, raw: str, start: int, end: int) -> None:
        try:
            k, v = normalize(kind, raw)
        except BadIdentifier:
            return
        taken.append((start, end))
        found.append(Found(k, v, raw.strip(), start))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for m in _TAIL_RE.finditer(s):
        add(CaseIdentifierKind.CARD_TAIL, m.group(1), m.start(), m.end())
    for m in _CUED_RE.finditer(s):
        _cued(m, add)
    for m in _URL_RE.finditer(s):
        if free(m.start(), m.end()):
            _site(s, m, add)
    for m in _RUN_RE.finditer(s):
        if free(m.start(), m.end()):
            _numbers(s, m, add, today)
    found.sort(key=lambda f: f.start)
    unique: dict[tuple[CaseIdentifierKind, str], Found] = {}
    for f in found:
        unique.setdefault((f.kind, f.value), f)
    return list(unique.values())


def _cued(m: re.Match[str], add: _Add) -> None:
    cue = m.group("cue").lower()
    value = m.group("value")
    start = m.start("value")
    if cue.startswith(("微信", "vx", "wx", "v信")):
        word = re.match(r"[A-Za-z0-9_\-]+", value.replace(" ", "") if _as_phone(value) else value)
        if word is not None:
            add(CaseIdentifierKind.WECHAT, word.group(), start, start + len(word.group()))
    elif cue.startswith(("qq", "扣扣")):
        digits = re.match(r"[0-9]+", value)
        if digits is not None:
            add(CaseIdentifierKind.QQ, digits.group(), start, start + len(digits.group()))
    elif cue.startswith("支付宝"):
        email = _EMAIL_RE.match(value.lower())
        if email is not None:
            add(CaseIdentifierKind.ALIPAY, email.group(), start, start + len(email.group()))
        else:
            number = re.match(r"\+?[0-9][0-9 \-]{9,16}[0-9]", value)
            if number is not None and _as_phone(number.group()):
                add(CaseIdentifierKind.PHONE, number.group(), start, start + len(number.group()))
    else:  # IMEI, 串号
        number = re.match(r"[0-9][0-9 \-]{12,18}[0-9]", value)
        if number is not None:
            add(CaseIdentifierKind.IMEI, number.group(), start, start + len(number.group()))


def _site(s: str, m: re.Match[str], add: _Add) -> None:
    raw = m.group().rstrip(".,;:!?)]}>'\"")
    end = m.start() + len(raw)
    lowered = raw.lower()
    before = s[max(0, m.start() - _SURROUND) : m.start()]
    if "@" in s[max(0, m.start() - 1) : m.start()]:
        return  # the host of an e-mail address
    has_scheme = "://" in raw
    if not has_scheme and "/" not in raw and not lowered.startswith("www."):
        labels = lowered.split(".")
        if all(label.isdigit() for label in labels):
            return  # a decimal number or a version, not an address (an IPv4 address needs a scheme or a path)
        try:
            guessed = core_ids.guess_kind(raw)
        except InvalidIdentifier:
            return
        if guessed is IdentifierKind.APP or (_APP_CUE_RE.search(before) and labels[0] in ("com", "cn", "net", "org")):
            add(CaseIdentifierKind.APP, raw, m.start(), end)
            return
        if guessed is not IdentifierKind.DOMAIN or not _known_suffix(lowered):
            return
        add(CaseIdentifierKind.DOMAIN, raw, m.start(), end)
        return
    host = lowered.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if not has_scheme and not _known_suffix(host):
        return
    add(CaseIdentifierKind.URL, raw, m.start(), end)


def _known_suffix(host: str) -> bool:
    """Whether `host` is a name under a public suffix the list knows (``pay-cn.top`` yes, ``a.b`` no), or an
    IPv4 address."""
    last = host.rsplit(".", 1)[-1]
    if last.isdigit():
        return host.count(".") == 3 and all(p.isdigit() and int(p) < 256 for p in host.split("."))
    parts = _SUFFIXES.extract_str(host)
    return bool(parts.suffix and parts.domain)


# The bundled public suffix list only, as the core reads it: no URL to fetch, no cache to write.
_SUFFIXES = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _numbers(s: str, m: re.Match[str], add: _Add, today: date | None) -> None:
    run = m.group(2)
    base = m.start(2)
    plus = bool(m.group(1))
    groups = list(_GROUP_RE.finditer(run))
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            start, end = base + groups[i].start(), base + groups[j - 1].end()
            digits = s[start:end].translate(_DROP)
            kind = _number_kind(s, start, end, digits, plus=plus and i == 0, whole=(i == 0 and j == len(groups)))
            if kind is not None and not (kind is CaseIdentifierKind.ACCOUNT and _is_date(digits, today)):
                raw_start = start - 1 if plus and i == 0 else start
                add(kind, s[raw_start:end], raw_start, end)
                i = j
                break
        else:
            i += 1


def _number_kind(s: str, start: int, end: int, digits: str, *, plus: bool, whole: bool) -> CaseIdentifierKind | None:
    before = s[max(0, start - _SURROUND) : start]
    after = s[end : end + _SURROUND]
    if _AMOUNT_AFTER_RE.match(after) or _AMOUNT_BEFORE_RE.search(before):
        return None
    n = len(digits)
    if n == 18 and core_ids.is_valid_cn_id_number(digits):
        return None  # a resident's ID number is the victim's, not the fraudsters'
    national = digits
    if plus and digits.startswith("86"):
        national = digits[2:]
    elif digits.startswith("0086"):
        national = digits[4:]
    elif digits.startswith("86") and n == 13:
        national = digits[2:]
    if len(national) == 11 and national[0] == "1" and national[1] in "3456789":
        return CaseIdentifierKind.PHONE
    if plus and 7 <= n <= 15:
        return CaseIdentifierKind.PHONE
    cue_phone = _PHONE_CUE_RE.search(before) is not None or _PHONE_CUE_RE.match(after.lstrip()) is not None
    if re.fullmatch(r"0[1-9][0-9]{8,10}", national) and (cue_phone or "-" in s[start:end] or n in (11, 12)):
        return CaseIdentifierKind.PHONE  # a landline with its area code
    if re.fullmatch(r"[48]00[0-9]{7}", digits):
        return CaseIdentifierKind.PHONE
    if cue_phone and re.fullmatch(r"1[0-9]{2,4}|9[56][0-9]{3,4}", digits):
        return CaseIdentifierKind.PHONE  # 10086, 95588, 96110: service numbers impersonated (then stoplisted)
    if _ACCOUNT_CUE_RE.search(s[max(0, start - 16) : start]) and 6 <= n <= 32:
        return CaseIdentifierKind.ACCOUNT
    if 16 <= n <= 19 and whole:
        return CaseIdentifierKind.ACCOUNT  # a bank card
    return None


def _is_date(digits: str, today: date | None) -> bool:
    if len(digits) != 8:
        return False
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return day.year >= 1990 and (today is None or day <= today)
