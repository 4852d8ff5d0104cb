"""Identifiers that fraud indicators and events are matched on, and masking of personal data.

Every feed writes the same number, card or site in its own way (``+86 138-1234-5678``,
``１３８１２３４５６７８``, ``HTTPS://WWW.Evil.COM:443/Pay?x=1``). Indicators and events are both
passed through the ``normalize_*`` functions here, so that matching is a plain equality of
``(kind, key)`` pairs; :func:`match_keys` says which pairs an observed value is looked up under.

Canonical forms (each ``normalize_*`` is idempotent: its output normalises to itself):

- phone: Chinese numbers in national form, digits only: mobiles ``13812345678``, landlines with
  their area code and leading 0 ``057465771234``, service numbers as dialled ``96110``,
  ``95555``, ``4008123123``; foreign numbers in E.164, ``+85291234567``.
- account: digits only, 6 to 32 of them (bank cards and bank accounts). Alipay/WeChat ids, which
  may be e-mail addresses or phone numbers, are not accounts here: record them as what they are.
- domain: lower-case ASCII, internationalised names in punycode (``xn--fsqu00a.xn--fiqs8s`` for
  ``例子.中国``), no trailing dot, ``www.`` kept (it is a different host); IP addresses in their
  standard text form, IPv6 without brackets.
- url: ``host[:port]/path`` without scheme, user info, query or fragment; ports 80 and 443
  dropped; path case kept (short links such as ``t.cn/A6abCDe`` are case-sensitive), trailing
  ``/`` dropped, non-ASCII path characters percent-encoded with upper-case hex.
- app: Android package names and iOS bundle ids, lower-case dotted identifiers.

The ``mask_*`` functions are for display: they take any string and never raise.

Everything here is pure and offline. The public suffix list is tldextract's bundled snapshot
(it never fetches), with the list's private suffixes included: ``evil.github.io`` is its own
registrable domain, not ``github.io``, because each such subdomain has a different owner and
linking cases through ``github.io`` would join strangers.

Errors: every malformed value raises :class:`InvalidIdentifier`, a ``ValueError``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote

import tldextract

__all__ = [
    "IdentifierKind",
    "InvalidIdentifier",
    "address_area",
    "guess_kind",
    "is_valid_cn_id_number",
    "mask_account",
    "mask_address",
    "mask_free_text",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "match_keys",
    "normalize",
    "normalize_account",
    "normalize_app",
    "normalize_domain",
    "normalize_phone",
    "normalize_url",
    "registrable_domain",
]


class IdentifierKind(StrEnum):
    PHONE = "phone"
    ACCOUNT = "account"
    URL = "url"
    DOMAIN = "domain"
    APP = "app"


_KIND_NOUN = {
    IdentifierKind.PHONE: "a phone number",
    IdentifierKind.ACCOUNT: "a bank card or account number",
    IdentifierKind.URL: "a URL",
    IdentifierKind.DOMAIN: "a domain name",
    IdentifierKind.APP: "an app package name",
}


class InvalidIdentifier(ValueError):
    """A value that cannot be read as an identifier of the given kind.

    ``str(exc)`` is fit to show next to the form field, e.g. ``not a phone number: '12ab'``.
    ``kind`` is ``None`` when the kind itself could not be guessed.
    """

    def __init__(self, kind: IdentifierKind | None, raw: str, reason: str = "") -> None:
        self.kind = kind
        self.raw = raw
        self.reason = reason
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        noun = _KIND_NOUN[kind] if kind is not None else "a phone number, account, URL, domain or app id"
        message = f"not {noun}: {shown!r}"
        super().__init__(f"{message} ({reason})" if reason else message)


def _nfkc(raw: str) -> str:
    """Full-width digits, letters and punctuation to ASCII; NBSP and ideographic space to space."""
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw)


# --- phones -------------------------------------------------------------------------------------

# Separators people and feeds put inside numbers. NFKC has already turned full-width forms,
# NBSP (U+00A0) and the ideographic space into their ASCII counterparts; it leaves alone the other
# dashes and the invisible direction marks that phones' contact apps wrap numbers in.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\ufeff"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_PHONE_DROP = str.maketrans("", "", " \t\u00a0-.()" + _DASHES + _INVISIBLE)
# Numbers dialled without an area code: 110/12345-style, 95xxx/96xxx, 400-/800- hotlines.
_CN_SERVICE_RE = re.compile(r"1[0-9]{2,4}|9[56][0-9]{3,4}|[48]00[0-9]{7}")
_MIN_DIGITS = 3
_MAX_DIGITS = 15  # E.164
_MIN_INTERNATIONAL_DIGITS = 7  # country code + the shortest subscriber numbers (e.g. Niue, +683 4xxx)


def normalize_phone(raw: str) -> str:
    """A Chinese number in national form, a foreign one as ``+`` and digits (E.164).

    ``+86 138-1234-5678``, ``0086 13812345678``, ``86 13812345678`` and ``１３８１２３４５６７８``
    all give ``13812345678``; ``(0574) 6577 1234`` and ``+86 574 6577 1234`` give ``057465771234``.
    A leading ``00`` is the international call prefix. A bare ``86`` prefix is taken off only
    before a whole mobile or 0-prefixed landline number, since local numbers may begin with 86.
    Raises :class:`InvalidIdentifier` on letters, fewer than 3 or more than 15 digits.
    """
    if len(raw) == 11 and raw[0] == "1" and raw.isdigit() and raw.isascii():
        return raw  # the common case: a mobile already in national form
    parts = _phone_parts(raw)
    if parts is None:
        raise InvalidIdentifier(IdentifierKind.PHONE, raw)
    plus, digits = parts
    if plus or digits.startswith("00"):
        return _international_phone(digits if plus else digits[2:], raw)
    if digits.startswith("86") and (_is_cn_mobile(digits[2:]) or (digits[2:3] == "0" and 12 <= len(digits) <= 14)):
        digits = digits[2:]
    _check_length(digits, raw)
    return digits


def _phone_parts(raw: str) -> tuple[bool, str] | None:
    """``(has a leading +, the digits)`` once separators are dropped; ``None`` if not a number."""
    s = raw.strip() if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()
    s = s.replace(" ", "").replace("-", "")  # str.translate costs more than these two
    plus = s[:1] == "+"
    digits = s[1:] if plus else s
    if not digits.isdigit():  # rarer separators: dots, brackets, other dashes
        s = s.translate(_PHONE_DROP)
        plus = s[:1] == "+"
        digits = s[1:] if plus else s
    if not (digits.isdigit() and digits.isascii()):  # also refuses non-ASCII digits such as '٣'
        return None
    return plus, digits


def _is_cn_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def _international_phone(digits: str, raw: str) -> str:
    if not digits or digits[0] == "0":
        raise InvalidIdentifier(IdentifierKind.PHONE, raw, "no country code")
    if len(digits) > _MAX_DIGITS:
        raise InvalidIdentifier(IdentifierKind.PHONE, raw, f"more than {_MAX_DIGITS} digits")
    if not digits.startswith("86"):
        if len(digits) < _MIN_INTERNATIONAL_DIGITS:
            raise InvalidIdentifier(IdentifierKind.PHONE, raw, "too short")
        return "+" + digits
    national = digits[2:]
    if not (national.startswith("0") or _is_cn_mobile(national) or _CN_SERVICE_RE.fullmatch(national)):
        national = "0" + national  # a landline: its area code gets back its trunk 0
    _check_length(national, raw)
    return national


def _check_length(digits: str, raw: str) -> None:
    if len(digits) < _MIN_DIGITS:
        raise InvalidIdentifier(IdentifierKind.PHONE, raw, f"fewer than {_MIN_DIGITS} digits")
    if len(digits) > _MAX_DIGITS:
        raise InvalidIdentifier(IdentifierKind.PHONE, raw, f"more than {_MAX_DIGITS} digits")


# --- accounts -----------------------------------------------------------------------------------

_ACCOUNT_DROP = str.maketrans("", "", " \t\u00a0-" + _DASHES + _INVISIBLE)
_ACCOUNT_RE = re.compile(r"[0-9]{6,32}")


def normalize_account(raw: str) -> str:
    """A bank card or account number as 6 to 32 digits; spaces and dashes are dropped.

    Only digits: third-party payment ids (Alipay, WeChat) are e-mail addresses or phone numbers
    and are recorded under those kinds.
    """
    digits = _nfkc(raw).strip().translate(_ACCOUNT_DROP)
    if _ACCOUNT_RE.fullmatch(digits) is None:
        raise InvalidIdentifier(IdentifierKind.ACCOUNT, raw, "expected 6 to 32 digits")
    return digits


# --- domains ------------------------------------------------------------------------------------

# Lenient on purpose: '_' and edge hyphens are outside the host-name rules but occur in real
# hosts that browsers reach, and an observed host must never be refused.
_ASCII_HOST_RE = re.compile(r"(?=.{1,253}\Z)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})+")
_IPV4_SHAPE_RE = re.compile(r"[0-9.]+")
_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")


def normalize_domain(raw: str) -> str:
    """A host name in lower-case ASCII (punycode for IDNs) without trailing dot, or an IP address.

    ``WWW.Evil.COM.`` gives ``www.evil.com``; ``例子.中国`` gives ``xn--fsqu00a.xn--fiqs8s``;
    ``[2001:DB8::1]`` gives ``2001:db8::1``. A host needs at least two labels. ``www.`` is kept.
    """
    host = raw.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if not host.isascii():
        host = _idna(host, raw)
    if _ASCII_HOST_RE.fullmatch(host) is None:
        if ":" in host:
            return _ipv6(host, raw)
        raise InvalidIdentifier(IdentifierKind.DOMAIN, raw)
    last = host[host.rfind(".") + 1 :]
    if last.isdigit():  # a name's top label is never numeric: this must be an IPv4 address
        if _IPV4_SHAPE_RE.fullmatch(host) is None:
            raise InvalidIdentifier(IdentifierKind.DOMAIN, raw)
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise InvalidIdentifier(IdentifierKind.DOMAIN, raw, "not a valid IPv4 address") from None
    if "xn--" in host:
        _check_punycode(host, raw)
    return host


def _idna(host: str, raw: str) -> str:
    # IDNA 2003 (the standard library's codec, with nameprep) rather than IDNA 2008: it accepts
    # every name browsers reach, emoji names included; the two differ only on ß/ς/ZWJ.
    host = _DOTS_RE.sub(".", unicodedata.normalize("NFKC", host))
    if host.endswith("."):
        host = host[:-1]
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidIdentifier(IdentifierKind.DOMAIN, raw, "not a valid internationalised name") from None


def _check_punycode(host: str, raw: str) -> None:
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                raise InvalidIdentifier(IdentifierKind.DOMAIN, raw, f"bad punycode label {label!r}") from None


def _ipv6(host: str, raw: str) -> str:
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.IPv6Address(host).compressed
    except ValueError:
        raise InvalidIdentifier(IdentifierKind.DOMAIN, raw) from None


def _is_ip(host: str) -> bool:
    """For a normalised host: IPv6 has colons, IPv4 is the only form with a numeric last label."""
    return ":" in host or host[host.rfind(".") + 1 :].isdigit()


def _new_suffix_extractor() -> tldextract.TLDExtract:
    """The bundled public suffix list only: no URLs to fetch, no cache directory to write."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


_TLD_EXTRACT = _new_suffix_extractor()


@lru_cache(maxsize=65536)
def _registrable(host: str) -> str:
    # Cached: the suffix lookup costs ~7 µs and the same hosts come back all day.
    if _is_ip(host):
        return host
    parts = _TLD_EXTRACT.extract_str(host)
    if not parts.suffix:  # a top-level label the list does not know: take it as the suffix
        return ".".join(host.rsplit(".", 2)[-2:])
    if not parts.domain:  # the host is itself a public suffix, e.g. 'com.cn' or 'github.io'
        return host
    return f"{parts.domain}.{parts.suffix}"


def registrable_domain(host: str) -> str:
    """The part of a host its owner registered: ``a.b.example.com.cn`` -> ``example.com.cn``.

    Uses the public suffix list with its private part, so ``evil.github.io`` stays
    ``evil.github.io``. IP addresses, and hosts that are themselves a public suffix, are returned
    (normalised) as they are; under an unknown top-level label the last two labels are taken.
    Never touches the network.
    """
    return _registrable(normalize_domain(host))


# --- URLs ---------------------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:[/\\]{2}")
_AUTHORITY_END_RE = re.compile(r"[/?#\\]")
_PATH_SAFE = "/%!$&'()*+,;=:@-._~"
_PATH_UNSAFE_RE = re.compile(r"[^A-Za-z0-9/%!$&'()*+,;=:@._~-]")
_PERCENT_RE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = frozenset({"80", "443"})


def _split_url(raw: str) -> tuple[str, str]:
    """``(host, rest)``: the normalised host, and ``:port`` plus path in canonical form."""
    s = raw.strip() if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()
    if "[.]" in s or "(.)" in s:  # defanged indicators from threat reports: hxxp://evil[.]com
        s = s.replace("[.]", ".").replace("(.)", ".")
    head = s[:8].lower()
    if head == "https://":
        start = 8
    elif head.startswith("http://"):
        start = 7
    else:
        scheme = _SCHEME_RE.match(s)
        start = scheme.end() if scheme is not None else 2 if s.startswith("//") else 0
    slash = s.find("/", start)
    authority = s[start:] if slash < 0 else s[start:slash]
    if "?" in authority or "#" in authority or "\\" in authority:
        end = _AUTHORITY_END_RE.search(s, start)
        assert end is not None  # one of them is in the authority
        slash = end.start()
        authority = s[start:slash]
    try:
        host, tail = _authority(authority)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(IdentifierKind.URL, raw, exc.reason) from None
    if slash >= 0:
        path = s[slash:]
        if "?" in path:
            path = path[: path.find("?")]
        if "#" in path:
            path = path[: path.find("#")]
        if "\\" in path:
            path = path.replace("\\", "/")  # browsers read '\' as '/' in web URLs
        path = path.rstrip("/")
        if path:
            if _PATH_UNSAFE_RE.search(path):
                path = quote(path, safe=_PATH_SAFE)
            if "%" in path:
                path = _PERCENT_RE.sub(lambda m: m.group(0).upper(), path)
            tail += path
    return host, tail


@lru_cache(maxsize=65536)
def _authority(authority: str) -> tuple[str, str]:
    """The normalised host and ``:port`` (empty for none or a default port) of a URL's authority.

    Cached, as the same few thousand hosts make most of the traffic.
    """
    if "@" in authority:
        authority = authority.rpartition("@")[2]  # user info hides the real host: bank.com@evil.com
    port = ""
    if authority.startswith("["):
        bracket = authority.find("]")
        host, after = authority[: bracket + 1], authority[bracket + 1 :]
        if after:
            if after[0] != ":":
                raise InvalidIdentifier(IdentifierKind.URL, authority, "bad host")
            port = after[1:]
    elif ":" in authority:
        host, _, port = authority.partition(":")
    else:
        host = authority
    if not host:
        raise InvalidIdentifier(IdentifierKind.URL, authority, "no host")
    try:
        host = normalize_domain(host)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(IdentifierKind.URL, authority, exc.reason or "bad host") from None
    if not port:
        return host, ""
    if not port.isdigit() or not port.isascii() or int(port) > 65535:
        raise InvalidIdentifier(IdentifierKind.URL, authority, f"bad port {port!r}")
    port = str(int(port))
    return host, "" if port in _DEFAULT_PORTS else f":{port}"


def normalize_url(raw: str) -> str:
    """``host[:port]/path``: ``HTTPS://WWW.Evil.COM:443/Pay?x=1#y`` -> ``www.evil.com/Pay``.

    Accepts scheme-less input (``evil.com/x``, ``t.cn/A6abCDe``) and defanged indicators
    (``hxxp://evil[.]com``). The scheme, user info, query and fragment are dropped, so are ports
    80 and 443 and a trailing ``/``; the host is normalised as by :func:`normalize_domain` (IPv6 in
    brackets) and the path keeps its case.
    """
    host, tail = _split_url(raw)
    if ":" in host:
        host = f"[{host}]"
    return host + tail


# --- apps ---------------------------------------------------------------------------------------

# Android allows [A-Za-z][A-Za-z0-9_]* per segment, iOS bundle ids letters, digits, '-' and '.'.
_APP_RE = re.compile(r"(?=.{3,255}\Z)[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_][a-z0-9_-]*)+")


def normalize_app(raw: str) -> str:
    """An Android package name or iOS bundle id in lower case: ``com.eg.android.AlipayGphone``
    -> ``com.eg.android.alipaygphone``. At least two dot-separated segments."""
    app = _nfkc(raw).strip().lower()
    if _APP_RE.fullmatch(app) is None:
        raise InvalidIdentifier(IdentifierKind.APP, raw)
    return app


# --- by kind ------------------------------------------------------------------------------------

_NORMALIZERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.PHONE: normalize_phone,
    IdentifierKind.ACCOUNT: normalize_account,
    IdentifierKind.URL: normalize_url,
    IdentifierKind.DOMAIN: normalize_domain,
    IdentifierKind.APP: normalize_app,
}


def normalize(kind: IdentifierKind, raw: str) -> str:
    """The canonical form of ``raw`` read as ``kind``; raises :class:`InvalidIdentifier`."""
    return _NORMALIZERS[kind](raw)


def match_keys(kind: IdentifierKind, raw: str) -> list[tuple[IdentifierKind, str]]:
    """The ``(kind, key)`` pairs under which an observed value is looked up in the indicator list.

    A URL is listed under itself, its host and its registrable domain; a domain under itself and
    its registrable domain; duplicates are left out. Other kinds have the one key.
    """
    if kind is IdentifierKind.URL:
        host, tail = _split_url(raw)
        url = (f"[{host}]" if ":" in host else host) + tail
        keys = [(IdentifierKind.URL, url), (IdentifierKind.DOMAIN, host)]
    elif kind is IdentifierKind.DOMAIN:
        host = normalize_domain(raw)
        keys = [(IdentifierKind.DOMAIN, host)]
    else:
        return [(kind, _NORMALIZERS[kind](raw))]
    registrable = _registrable(host)
    if registrable != host:
        keys.append((IdentifierKind.DOMAIN, registrable))
    return keys


# Reverse-DNS roots that app ids start with, and the top-level labels that, when a dotted name
# both starts with such a root and ends with one of these, make it more likely a host
# ('cn.bing.com') than an app ('com.tencent.mm').
_APP_ROOTS = frozenset(
    {"com", "cn", "net", "org", "io", "me", "top", "app", "cc", "co", "tv", "vip", "xyz", "edu", "gov"}
)
_HOST_TLDS = frozenset({"com", "cn", "net", "org", "gov", "edu", "info", "top", "xyz", "vip", "cc"})
_GUESS_URL_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:[/\\]{2}|//|www\.", re.IGNORECASE)


def guess_kind(raw: str) -> IdentifierKind:
    """A best guess at the kind of a counterpart given without one, in this order:

    1. an IPv4/IPv6 address -> DOMAIN;
    2. a scheme (``https://``), a leading ``www.`` or ``//``, or a ``/``, ``?``, ``#`` or port
       after a valid host -> URL;
    3. digits with phone punctuation -> PHONE if it has ``+`` or a ``00`` prefix, is ``86`` plus
       a mobile, or has at most 12 digits (mobiles, landlines with area code); otherwise ACCOUNT
       (bank cards have 16 to 19 digits);
    4. a dotted name starting with a reverse-DNS root (``com.``, ``cn.``...) -> APP, unless it
       also ends in a common top-level label (``cn.bing.com``) -> DOMAIN;
    5. any other valid host name -> DOMAIN.

    Raises :class:`InvalidIdentifier` (``kind`` ``None``) when nothing fits.
    """
    s = _nfkc(raw).strip()
    if not s:
        raise InvalidIdentifier(None, raw)
    bare = s[1:-1] if s.startswith("[") and s.endswith("]") else s
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return IdentifierKind.DOMAIN
    if _GUESS_URL_RE.match(s):
        return IdentifierKind.URL
    if _AUTHORITY_END_RE.search(s) or _has_port(s):
        try:
            normalize_url(s)
        except InvalidIdentifier:
            pass
        else:
            return IdentifierKind.URL
    phone = _phone_parts(s)
    if phone is not None:
        plus, digits = phone
        if (
            plus
            or digits.startswith("00")
            or len(digits) <= 12
            or (digits.startswith("86") and _is_cn_mobile(digits[2:]))
        ):
            return IdentifierKind.PHONE
        return IdentifierKind.ACCOUNT
    lowered = s.lower()
    labels = lowered.split(".")
    if labels[0] in _APP_ROOTS and labels[-1] not in _HOST_TLDS and _APP_RE.fullmatch(lowered):
        return IdentifierKind.APP
    try:
        normalize_domain(s)
    except InvalidIdentifier:
        pass
    else:
        return IdentifierKind.DOMAIN
    raise InvalidIdentifier(None, raw)


def _has_port(s: str) -> bool:
    host, sep, port = s.rpartition(":")
    return bool(sep) and bool(host) and port.isdigit() and (":" not in host or host.endswith("]"))


# --- resident ID numbers ------------------------------------------------------------------------

_ID_RE = re.compile(r"[1-8][0-9]{16}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_cn_id_number(raw: str, *, today: date | None = None) -> bool:
    """Whether ``raw`` is an 18-character resident ID number (GB 11643-1999).

    Checks the region's first digit (1-8), the birth date (a real date from 1900 on, and not
    after ``today`` when given) and the ISO 7064 MOD 11-2 check character (``X`` for 10,
    either case). Spaces and full-width forms are tolerated.
    """
    s = _nfkc(raw).strip().upper()
    if _ID_RE.fullmatch(s) is None:
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or (today is not None and born > today):
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == s[17]


# --- masking ------------------------------------------------------------------------------------


def _mask_middle(s: str, head: int, tail: int) -> str:
    n = len(s)
    if head + tail >= n:  # too short to show both ends: show at most a quarter at each end
        head = tail = n // 4
    return s[:head] + "*" * (n - head - tail) + s[n - tail :]


def mask_phone(p: str) -> str:
    """``13812345678`` -> ``138****5678``: first 3 and last 4 kept.

    Numbers of 5 characters or fewer (110, 96110, 95555) are public service numbers and are
    shown as they are; 6 and 7 keep 2 at each end.
    """
    p = p.strip()
    if len(p) <= 5:
        return p
    if len(p) <= 7:
        return _mask_middle(p, 2, 2)
    return _mask_middle(p, 3, 4)


def mask_id_number(s: str) -> str:
    """``330225199001011234`` -> ``330225********1234``: region code and last 4 kept.

    Old 15-digit numbers are masked the same way; shorter documents (passports, 10 characters or
    fewer) keep one character at each end.
    """
    s = s.strip()
    if len(s) > 10:
        return _mask_middle(s, 6, 4)
    return _mask_middle(s, 1, 1)


def mask_name(s: str) -> str:
    """First character kept, each other one masked: ``王小明`` -> ``王**``; a one-character name
    is fully masked."""
    s = s.strip()
    if len(s) <= 1:
        return "*" * len(s)
    return s[0] + "*" * (len(s) - 1)


# Administrative and street-level words after which an address turns into house, building and
# room numbers. Longest alternatives first.
_ADDRESS_LEVEL_RE = re.compile(r"自治区|自治州|街道|社区|大道|[省市区县旗镇乡村路街巷弄]")
_ADDRESS_FALLBACK_KEEP = 6


def address_area(s: str) -> str:
    """The address down to its town, street or village, without what follows: the part :func:`mask_address`
    keeps when the address names such a level (``浙江省宁波市镇海区招宝山街道城河西路123号4幢501室`` ->
    ``浙江省宁波市镇海区招宝山街道城河西路``); ``""`` when it names none."""
    s = s.strip()
    first_digit = next((i for i, c in enumerate(s) if c.isdigit()), len(s))
    keep = 0
    for level in _ADDRESS_LEVEL_RE.finditer(s, 0, first_digit):
        keep = level.end()
    return s[:keep]


def mask_address(s: str) -> str:
    """Keep the address down to its town/street/village, mask the rest character by character.

    The kept part ends after the last level word (省 市 区 县 镇 乡 街道 社区 村 路 街 巷 弄...)
    found before the first digit: ``浙江省宁波市镇海区招宝山街道城河西路123号4幢501室`` ->
    ``浙江省宁波市镇海区招宝山街道城河西路`` followed by 10 ``*``. An address that stops at such a
    level is shown whole; with no level word, the first 6 characters are kept (at most half).
    """
    s = s.strip()
    keep = len(address_area(s))
    if keep == 0:
        keep = min(_ADDRESS_FALLBACK_KEEP, len(s) // 2)
    return s[:keep] + "*" * (len(s) - keep)


def mask_account(s: str) -> str:
    """``6222021234567890123`` -> ``6222***********0123``: first 4 and last 4 kept (fewer for
    short numbers, so that most of the number is always hidden)."""
    s = s.strip()
    if len(s) < 12:
        return _mask_middle(s, min(4, len(s) // 4), min(4, len(s) // 4))
    return _mask_middle(s, 4, 4)


# --- personal data in free text -----------------------------------------------------------------

# Digits as residents type them, ASCII or full-width, and what they put between groups of them:
# spaces (also the ideographic one), hyphens and dashes of every width, and the brackets around an
# area code. A run is one or more digits with at most three such characters between neighbours.
_D = "0-9\uff10-\uff19"
_SEP = " \u3000\\-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212)）"
_RUN_RE = re.compile(rf"(?<![A-Za-z{_D}])[(（]?[{_D}](?:[{_SEP}]{{0,3}}[{_D}])*(?:[Xx](?![A-Za-z]))?(?![A-Za-z{_D}])")
_GROUP_RE = re.compile(rf"[{_D}]+[Xx]?")
_MAX_GROUPS = 19  # a number of 19 digits written one by one: no longer stretch is worth trying
# Local landline numbers (7 or 8 digits, no area code) look like amounts, dates and order numbers:
# they are taken for phones only right after a word that says so.
_LOCAL_PHONE_CUE_RE = re.compile(r"(?:电话|手机|座机|联系|致电|拨打|热线|号码|tel|TEL|Tel)[^\n]{0,4}\Z")
_LANDLINE_RE = re.compile(r"0[1-9][0-9]{8,10}")
_PLUS_LANDLINE_RE = re.compile(r"[1-9][0-9]{8,10}")  # +86 574 6577 1234: the area code without its 0


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _is_old_id_number(digits: str) -> bool:
    """A 15-digit resident ID number (issued before 1999): region, then the birth date as ``yymmdd``."""
    if len(digits) != 15 or digits[0] not in "12345678":
        return False
    try:
        date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    except ValueError:
        return False
    return True


def _number_mask(digits: str, *, plus: bool, cue: bool, in_fours: bool) -> tuple[int, int] | None:
    """For the digits of a run (separators dropped, ``X`` kept), ``(shown at the start, shown at the end)``
    if it is personal data (an ID number, a bank card, a phone), else ``None``. `in_fours`: the digits
    were written in groups of four, as cards are printed (then a mistyped card is still a card)."""
    if len(digits) == 18 and is_valid_cn_id_number(digits):
        return 6, 4
    if "X" in digits or "x" in digits:
        return None
    if _is_old_id_number(digits):
        return 6, 4
    if 16 <= len(digits) <= 19 and (in_fours or _luhn(digits)):
        return 4, 4
    prefix = 4 if digits.startswith("0086") else 2 if digits.startswith("86") else 0
    national = digits[prefix:]
    if prefix and not (
        _is_cn_mobile(national) or _LANDLINE_RE.fullmatch(national) or (plus and _PLUS_LANDLINE_RE.fullmatch(national))
    ):
        prefix, national = 0, digits
    if _is_cn_mobile(national) or _LANDLINE_RE.fullmatch(national) or (prefix and plus):
        return prefix + 3, 4
    if cue and 7 <= len(digits) <= 8 and digits[0] != "0":
        return 2, 2
    return None


def _mask_digits(run: str, head: int, tail: int) -> str:
    """`run` with its digits from the `head`-th to the `tail`-th from the end replaced by ``*``; separators kept."""
    total = sum(1 for c in run if c.isdigit() or c in "Xx")
    out, seen = [], 0
    for c in run:
        if c.isdigit() or c in "Xx":
            out.append(c if seen < head or seen >= total - tail else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def _mask_run(text: str, match: re.Match[str]) -> str:
    run = match.group()
    groups = list(_GROUP_RE.finditer(run))
    before = text[max(0, match.start() - 12) : match.start()]
    plus = before.rstrip()[-1:] in ("+", "＋")
    cue = _LOCAL_PHONE_CUE_RE.search(before) is not None
    # Greedy from the left: the longest stretch of groups that reads as personal data, so that a card
    # written in groups of four is one card, and two phones side by side are two phones.
    out: list[str] = []
    done = 0  # characters of `run` already placed in `out`
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + _MAX_GROUPS), i, -1):
            start, end = groups[i].start(), groups[j - 1].end()
            digits = _nfkc(run[start:end]).translate(_PHONE_DROP).replace(")", "")
            fours = j - i >= 4 and all(len(g.group()) == 4 for g in groups[i : j - 1])
            kept = _number_mask(digits, plus=plus and i == 0, cue=cue and i == 0, in_fours=fours)
            if kept is not None:
                out.append(run[done:start])
                out.append(_mask_digits(run[start:end], *kept))
                done, i = end, j
                break
        else:
            i += 1
    out.append(run[done:])
    return "".join(out)


# Names and addresses, for text that leaves the police (the public feed). The common surnames, about
# nine in ten Chinese people's, and the compound ones.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝"
)
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|司徒|夏侯|宇文|长孙|端木|西门|南宫"
_SURNAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
# Characters that end a name rather than belong to it ("我是张三的邻居", "联系人王五，电话…").
_NAME_CHAR = r"(?:(?![的了在是住家和与及说我你他她们也就要有从到向被把对为])[\u4e00-\u9fff])"
_NAME_AFTER_CUE_RE = re.compile(
    rf"(?:我叫|我是|本人|名叫|叫做|姓名|联系人|报警人|求助人|户主|当事人)(?:[是为：:\s]\s*)?({_SURNAME}{_NAME_CHAR}{{1,2}})"
)
_NAME_TITLE_RE = re.compile(rf"({_SURNAME})(?=先生|女士|小姐|阿姨|大爷|大妈|大姐|大哥|师傅|老师|老板)")
# House, building, unit and room numbers after a street, lane, village, estate or building name:
# "城河西路123号4幢501室", "阳光小区3栋2单元501室", "张家村3组15号". The street, village or estate
# name itself stays (it is the level the public may see); the numbers after it are masked.
_PLACE_WORD = r"(?:路|街|巷|弄|道|村|里|庄|屯|小区|花园|公寓|大厦|家园|新村|苑|府|院|城|广场|社区)"
_HOUSE_PART = rf"[{_D}]+(?:[-－][{_D}]+)*(?:号楼|号院|号|弄|栋|幢|座|单元|室|组|队|层|楼|户)"
_HOUSE_RE = re.compile(rf"({_PLACE_WORD})((?:{_HOUSE_PART})+)")
_HOUSE_ALONE_RE = re.compile(
    rf"(?<![{_D}])[{_D}]+(?:号楼|栋|幢)(?:[{_D}]+(?:单元|室|层|楼|号))+"
)  # "3栋2单元501室" with no estate named before it


def _stars(match: re.Match[str]) -> str:
    return "*" * len(match.group())


def _house_stars(match: re.Match[str]) -> str:
    return match.group(1) + "*" * len(match.group(2))


def _mask_name_group(match: re.Match[str]) -> str:
    start, end = match.span(1)
    whole = match.group()
    offset = match.start()
    return whole[: start - offset] + mask_name(match.group(1)) + whole[end - offset :]


def mask_free_text(text: str, *, names_and_addresses: bool = False) -> str:
    """`text` with the personal data people type into it masked, the rest left as it was.

    Always: resident ID numbers (18 characters with a valid check character, and the old 15-digit
    ones, as :func:`mask_id_number`), bank cards (16 to 19 digits passing the Luhn check, as
    :func:`mask_account`), mobile and landline phones (``+86``/``0086``, area codes in brackets; as
    :func:`mask_phone`), and 7-8 digit local numbers right after a word such as 电话 or 联系. Digits may
    be full-width and have spaces or dashes between them; separators are kept, masked digits become
    ``*``. Left alone: numbers glued to Latin letters (order and plate numbers), short service numbers
    (110, 10086, 96110), amounts, dates and times.

    With `names_and_addresses`, for text that leaves the police: also names after 我叫/我是/姓名/联系人…
    (``我叫张三`` -> ``我叫张*``), a surname before 先生/女士… (``*先生``), and house, building and room
    numbers after a street, village or estate (``城河西路123号4幢501室`` -> ``城河西路***********``).

    Pure; never raises; masking masked text changes nothing.
    """
    if not text:
        return text
    masked = _RUN_RE.sub(lambda m: _mask_run(text, m), text)
    if names_and_addresses:
        masked = _HOUSE_RE.sub(_house_stars, masked)
        masked = _HOUSE_ALONE_RE.sub(_stars, masked)
        masked = _NAME_AFTER_CUE_RE.sub(_mask_name_group, masked)
        masked = _NAME_TITLE_RE.sub(lambda m: "*" * len(m.group()), masked)
    return masked
