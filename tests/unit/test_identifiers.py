"""Identifier normalisation (DESIGN §7) and masking of personal data."""

from __future__ import annotations

import contextlib
import socket
from datetime import date, timedelta
from typing import NoReturn

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pingan.core import identifiers
from pingan.core.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    guess_kind,
    is_valid_cn_id_number,
    mask_account,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    match_keys,
    normalize,
    normalize_account,
    normalize_app,
    normalize_domain,
    normalize_phone,
    normalize_url,
    registrable_domain,
)

K = IdentifierKind


def full_width(text: str) -> str:
    """ASCII digits, letters and '+' as their full-width forms (U+FF01..U+FF5E), spaces as U+3000."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138-1234-5678",
        "+8613812345678",
        "+86-138-1234-5678",
        "0086 13812345678",
        "008613812345678",
        "86 13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
        "＋８６ １３８ １２３４ ５６７８",
        "138 1234 5678",
        "138-1234-5678",
        "138.1234.5678",
        "(138) 1234 5678",
        "138\u00a01234\u00a05678",
        "138\u30001234\u30005678",
        "138\u20131234\u20145678",
        "\u202d138 1234 5678\u202c",  # direction marks from a phone's contact app
        "\ufeff13812345678\u200b",
        "  13812345678\t",
        "（+86）13812345678",
    ],
)
def test_every_written_form_of_a_mobile_normalises_to_its_11_digits(raw: str) -> None:
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(0574) 6577 1234", "057465771234"),
        ("0574-65771234", "057465771234"),
        ("+86 574 6577 1234", "057465771234"),
        ("+86 (0)574 6577 1234", "057465771234"),
        ("0086 574 65771234", "057465771234"),
        ("86 0574 6577 1234", "057465771234"),
        ("010-1234-5678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
        ("65771234", "65771234"),  # a local number without area code stays as dialled
        ("86123456", "86123456"),  # ... even one beginning with 86
    ],
)
def test_landlines_keep_their_area_code_with_the_leading_zero(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("96110", "96110"),
        ("110", "110"),
        ("12345", "12345"),
        ("95555", "95555"),
        ("+86 95555", "95555"),
        ("400-812-3123", "4008123123"),
        ("400 812 3123", "4008123123"),
        ("+86 400 812 3123", "4008123123"),
        ("800-810-8888", "8008108888"),
        ("+86 110", "110"),
    ],
)
def test_service_numbers_are_kept_as_dialled(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+852 9123 4567", "+85291234567"),
        ("00852 9123 4567", "+85291234567"),
        ("+1 (202) 555-0123", "+12025550123"),
        ("001-202-555-0123", "+12025550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("＋８５２ ９１２３ ４５６７", "+85291234567"),
    ],
)
def test_foreign_numbers_are_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12ab",
        "tel:13812345678",
        "138 1234 567x",
        "",
        "   ",
        "12",
        "+",
        "1234567890123456",  # 16 digits
        "+8612345678901234",  # 16 digits after the +
        "+0123456789",  # no country code
        "+123",  # too short to be an international number
        "138+12345678",
        "٣٨١٢٣٤٥٦٧٨١",  # Arabic-Indic digits are not read as digits
    ],
)
def test_what_is_not_a_phone_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not a phone number"):
        normalize_phone(raw)


def test_the_error_names_the_value_and_the_kind() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_phone("12ab")
    assert str(caught.value) == "not a phone number: '12ab'"
    assert caught.value.kind is K.PHONE
    assert caught.value.raw == "12ab"
    assert isinstance(caught.value, ValueError)


mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.integers(3, 9), st.integers(0, 10**9 - 1))


@st.composite
def written_forms(draw: st.DrawFn, mobile: str) -> str:
    """One of the ways a person, a feed or a spreadsheet writes ``mobile``."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86 ", "(+86) "]))
    sep = draw(st.sampled_from(["", " ", "-", ".", "\u00a0", "\u3000", " - "]))
    groups = [mobile[:3], mobile[3:7], mobile[7:]]
    if draw(st.booleans()):
        groups[0] = f"({groups[0]})"
    text = prefix + sep.join(groups)
    if draw(st.booleans()):
        text = full_width(text)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " ", "\n"]))


@given(st.data(), mobiles)
def test_every_formatting_of_one_mobile_normalises_equal(data: st.DataObject, mobile: str) -> None:
    assert normalize_phone(data.draw(written_forms(mobile))) == mobile


# --- accounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "6222021234567890123",
        "6222 0212 3456 7890 123",
        "6222-0212-3456-7890-123",
        "６２２２０２１２３４５６７８９０１２３",
    ],
)
def test_bank_cards_are_digits_only(raw: str) -> None:
    assert normalize_account(raw) == "6222021234567890123"


@pytest.mark.parametrize("raw", ["12345", "6222a21234567890", "x" * 10, "1" * 33, "", "6222.0212.3456"])
def test_what_is_not_an_account_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not a bank card or account number"):
        normalize_account(raw)


# --- domains ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Evil.COM", "evil.com"),
        ("WWW.Evil.COM.", "www.evil.com"),
        ("  evil.com  ", "evil.com"),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("例子。中国", "xn--fsqu00a.xn--fiqs8s"),  # ideographic full stop
        ("XN--FSQU00A.XN--FIQS8S", "xn--fsqu00a.xn--fiqs8s"),
        ("ｅｖｉｌ．ｃｏｍ", "evil.com"),
        ("工商银行.com", "xn--czr93rq40bruk.com"),
        ("my_site.example.com", "my_site.example.com"),
        ("1.2.3.4", "1.2.3.4"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ],
)
def test_domains_are_lower_case_ascii_without_trailing_dot(raw: str, expected: str) -> None:
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "localhost",
        "evil..com",
        "evil.com/x",
        "evil.com:8080",
        "http://evil.com",
        "ev il.com",
        "a" * 64 + ".com",
        ".".join(["abcdefgh"] * 30) + ".com",  # longer than 253
        "1.2.3",
        "256.1.1.1",
        "01.2.3.4",
        "xn--zz!.com",
    ],
)
def test_what_is_not_a_domain_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not a domain name"):
        normalize_domain(raw)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.example.com.cn", "example.com.cn"),
        ("example.com.cn", "example.com.cn"),
        ("www.zhenhai.gov.cn", "zhenhai.gov.cn"),
        ("pay.icbc.com.cn", "icbc.com.cn"),
        ("WWW.Evil.COM.", "evil.com"),
        ("login.evil.co.uk", "evil.co.uk"),
        ("t.cn", "t.cn"),
        ("xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("www.例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        # Private suffixes count as suffixes: each github.io site has its own owner.
        ("evil.github.io", "evil.github.io"),
        ("a.evil.github.io", "evil.github.io"),
        ("github.io", "github.io"),
        ("com.cn", "com.cn"),  # a public suffix on its own is returned as it is
        ("a.b.evil.notarealtld", "evil.notarealtld"),  # unknown top label: the last two labels
        ("1.2.3.4", "1.2.3.4"),
        ("[2001:db8::1]", "2001:db8::1"),
    ],
)
def test_registrable_domain_follows_the_public_suffix_list(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


def test_registrable_domain_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        attempts.append(repr(args[:2]))
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # A freshly built extractor, so the suffix list is loaded now, with the network cut off;
    # tldextract would quietly fall back to its snapshot after a failed fetch, hence the spy.
    monkeypatch.setattr(identifiers, "_TLD_EXTRACT", identifiers._new_suffix_extractor())
    identifiers._registrable.cache_clear()
    try:
        assert registrable_domain("a.b.example.com.cn") == "example.com.cn"
        assert registrable_domain("evil.github.io") == "evil.github.io"
    finally:
        identifiers._registrable.cache_clear()
    assert attempts == []


# --- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Evil.COM:443/Pay?x=1#y", "www.evil.com/Pay"),
        ("http://evil.com:80/", "evil.com"),
        ("http://evil.com", "evil.com"),
        ("evil.com", "evil.com"),
        ("evil.com/x", "evil.com/x"),
        ("evil.com/x/", "evil.com/x"),
        ("//evil.com/x", "evil.com/x"),
        ("evil.com?from=sms", "evil.com"),
        ("evil.com#top", "evil.com"),
        ("http://evil.com:8080/a", "evil.com:8080/a"),
        ("http://evil.com:08080/a", "evil.com:8080/a"),
        ("t.cn/A6abCDe", "t.cn/A6abCDe"),
        ("http://t.cn/A6abCDe", "t.cn/A6abCDe"),
        ("https://例子.中国/支付", "xn--fsqu00a.xn--fiqs8s/%E6%94%AF%E4%BB%98"),
        ("xn--fsqu00a.xn--fiqs8s/%e6%94%af%e4%bb%98", "xn--fsqu00a.xn--fiqs8s/%E6%94%AF%E4%BB%98"),
        ("http://evil.com/a b", "evil.com/a%20b"),
        ("http://www.icbc.com.cn@evil.com/login", "evil.com/login"),
        ("http://user:pw@evil.com:443/", "evil.com"),
        ("hxxps://evil[.]com/pay", "evil.com/pay"),
        ("http://evil.com\\pay", "evil.com/pay"),
        ("http://1.2.3.4:8080/x", "1.2.3.4:8080/x"),
        ("http://[2001:DB8::1]/x", "[2001:db8::1]/x"),
        ("http://[2001:db8::1]:8443", "[2001:db8::1]:8443"),
        ("Evil.com./x", "evil.com/x"),
    ],
)
def test_urls_become_host_port_and_path(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "http://", "/just/a/path", "http://localhost/x", "evil.com:port/x", "evil.com:99999", "http://[::1"],
)
def test_what_is_not_a_url_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not a URL"):
        normalize_url(raw)


def test_a_bad_url_is_reported_with_the_whole_value_each_time() -> None:
    for raw in ("http://bad_host/a", "https://bad_host/b?c=1"):
        with pytest.raises(InvalidIdentifier) as caught:
            normalize_url(raw)
        assert str(caught.value) == f"not a URL: {raw!r} (bad host)"
        assert caught.value.kind is K.URL


# --- apps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("com.tencent.mm", "com.tencent.mm"),
        ("com.eg.android.AlipayGphone", "com.eg.android.alipaygphone"),
        (" com.ss.android.ugc.aweme ", "com.ss.android.ugc.aweme"),
        ("com.example.my-app", "com.example.my-app"),
        ("com.example.app_2", "com.example.app_2"),
    ],
)
def test_app_ids_are_lower_case_dotted_identifiers(raw: str, expected: str) -> None:
    assert normalize_app(raw) == expected


@pytest.mark.parametrize("raw", ["", "mm", "com..tencent", "com.tencent.", "com.tencent mm", "com.腾讯.mm"])
def test_what_is_not_an_app_id_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="not an app package name"):
        normalize_app(raw)


# --- by kind ------------------------------------------------------------------------------------


def test_normalize_dispatches_on_the_kind() -> None:
    assert normalize(K.PHONE, "+86 138 1234 5678") == "13812345678"
    assert normalize(K.ACCOUNT, "6222 0212 3456 7890") == "6222021234567890"
    assert normalize(K.URL, "HTTP://Evil.com/x") == "evil.com/x"
    assert normalize(K.DOMAIN, "Evil.com.") == "evil.com"
    assert normalize(K.APP, "Com.Tencent.MM") == "com.tencent.mm"


def test_a_url_is_looked_up_under_itself_its_host_and_its_registrable_domain() -> None:
    assert match_keys(K.URL, "https://pay.evil.com.cn:443/Login?x=1") == [
        (K.URL, "pay.evil.com.cn/Login"),
        (K.DOMAIN, "pay.evil.com.cn"),
        (K.DOMAIN, "evil.com.cn"),
    ]


def test_match_keys_leave_out_duplicates() -> None:
    assert match_keys(K.URL, "http://evil.com/") == [(K.URL, "evil.com"), (K.DOMAIN, "evil.com")]
    assert match_keys(K.URL, "http://1.2.3.4:8080/x") == [(K.URL, "1.2.3.4:8080/x"), (K.DOMAIN, "1.2.3.4")]
    assert match_keys(K.URL, "http://[2001:db8::1]/x") == [
        (K.URL, "[2001:db8::1]/x"),
        (K.DOMAIN, "2001:db8::1"),
    ]


def test_match_keys_for_domains_and_the_single_key_kinds() -> None:
    assert match_keys(K.DOMAIN, "WWW.Evil.com") == [(K.DOMAIN, "www.evil.com"), (K.DOMAIN, "evil.com")]
    assert match_keys(K.DOMAIN, "evil.com") == [(K.DOMAIN, "evil.com")]
    assert match_keys(K.PHONE, "+86 138 1234 5678") == [(K.PHONE, "13812345678")]
    assert match_keys(K.ACCOUNT, "6222 0212 3456 7890") == [(K.ACCOUNT, "6222021234567890")]
    assert match_keys(K.APP, "com.Tencent.mm") == [(K.APP, "com.tencent.mm")]


def test_match_keys_refuse_invalid_values() -> None:
    with pytest.raises(InvalidIdentifier, match="not a URL"):
        match_keys(K.URL, "http://")
    with pytest.raises(InvalidIdentifier, match="not a domain name"):
        match_keys(K.DOMAIN, "nodots")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("13812345678", K.PHONE),
        ("+86 138-1234-5678", K.PHONE),
        ("8613812345678", K.PHONE),
        ("(0574) 6577 1234", K.PHONE),
        ("96110", K.PHONE),
        ("+852 9123 4567", K.PHONE),
        ("6222 0212 3456 7890 123", K.ACCOUNT),
        ("6222021234567890", K.ACCOUNT),
        ("https://evil.com", K.URL),
        ("hxxp://evil[.]com", K.URL),
        ("www.evil.com", K.URL),
        ("evil.com/pay", K.URL),
        ("t.cn/A6abCDe", K.URL),
        ("evil.com:8080", K.URL),
        ("evil.com", K.DOMAIN),
        ("例子.中国", K.DOMAIN),
        ("cn.bing.com", K.DOMAIN),
        ("1.2.3.4", K.DOMAIN),
        ("2001:db8::1", K.DOMAIN),
        ("com.tencent.mm", K.APP),
        ("com.eg.android.AlipayGphone", K.APP),
        ("cn.gov.zj.app", K.APP),
    ],
)
def test_guess_kind_reads_the_shape_of_the_value(raw: str, kind: IdentifierKind) -> None:
    assert guess_kind(raw) is kind


@pytest.mark.parametrize("raw", ["", "   ", "hello", "张三", "abc/def"])
def test_guess_kind_refuses_what_fits_no_kind(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        guess_kind(raw)
    assert caught.value.kind is None


# --- properties ---------------------------------------------------------------------------------

phone_like = st.text(alphabet="0123456789０１２３４５６７８９+＋ -.()（）\u00a0\u3000x", max_size=24)
host_like = st.text(alphabet="abcXYZ019-_.。．例中国", max_size=30)
url_like = st.text(alphabet="abcXYZ019-_.:/?#@[]%\\ 例é", max_size=40)
labels = st.text(alphabet="abcxyz0189-", min_size=1, max_size=12)
hosts = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=1, max_size=4),
    st.sampled_from(["com", "cn", "com.cn", "gov.cn", "github.io", "中国", "COM", "notarealtld"]),
)
urls = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}{host}{port}{path}{query}",
    st.sampled_from(["", "http://", "HTTPS://", "//", "hxxp://"]),
    hosts,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.text(alphabet="abcABC019-_/%~é支 ", max_size=20).map(lambda p: "/" + p),
    st.sampled_from(["", "?a=1", "#frag", "?"]),
)


def _idempotent(kind: IdentifierKind, raw: str) -> None:
    try:
        once = normalize(kind, raw)
    except InvalidIdentifier:
        return
    assert normalize(kind, once) == once
    assert once.isascii()


@given(phone_like)
@example("+86 574 6577 1234")
@example("0086 0574 6577 1234")
def test_normalize_phone_is_idempotent(raw: str) -> None:
    _idempotent(K.PHONE, raw)


@given(st.one_of(hosts, host_like))
@example("例子.中国.")
def test_normalize_domain_is_idempotent(raw: str) -> None:
    _idempotent(K.DOMAIN, raw)


@given(st.one_of(urls, url_like))
@example("http://evil.com/%e6%94%af/")
def test_normalize_url_is_idempotent(raw: str) -> None:
    _idempotent(K.URL, raw)


@given(urls)
def test_well_formed_urls_always_normalise(raw: str) -> None:
    url = normalize_url(raw)
    assert normalize_url(url) == url
    assert "?" not in url
    assert "#" not in url


@given(hosts)
def test_well_formed_hosts_have_a_registrable_domain_that_ends_them(raw: str) -> None:
    host = normalize_domain(raw)
    assert host.endswith(registrable_domain(host))
    assert registrable_domain(registrable_domain(host)) == registrable_domain(host)


@given(st.sampled_from(list(IdentifierKind)), st.text(max_size=40))
def test_any_text_either_normalises_or_is_refused_with_invalid_identifier(kind: IdentifierKind, raw: str) -> None:
    _idempotent(kind, raw)


@given(st.text(max_size=40))
def test_guess_kind_only_ever_raises_invalid_identifier(raw: str) -> None:
    with contextlib.suppress(InvalidIdentifier):
        guess_kind(raw)


# --- resident ID numbers ------------------------------------------------------------------------


def check_character(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2, written out from the standard: a_i weighted by 2^(17-i) mod 11."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def id_number(region: str, born: date, sequence: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


def test_known_valid_id_number_with_x_check_character() -> None:
    # The example of GB 11643-1999 itself: 11010519491231002X.
    assert check_character("11010519491231002") == "X"
    assert is_valid_cn_id_number("11010519491231002X")
    assert is_valid_cn_id_number("11010519491231002x")
    assert is_valid_cn_id_number(" 11010519491231002X ")
    assert not is_valid_cn_id_number("110105194912310021")


@given(
    st.sampled_from(["330225", "330211", "110105", "440305", "810000"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)),
    st.integers(0, 999).map(lambda n: f"{n:03d}"),
)
def test_id_numbers_with_the_right_check_character_are_valid(region: str, born: date, seq: str) -> None:
    number = id_number(region, born, seq)
    assert is_valid_cn_id_number(number)
    assert is_valid_cn_id_number(full_width(number))
    for wrong in "0123456789X":
        if wrong != number[-1]:
            assert not is_valid_cn_id_number(number[:-1] + wrong)


def test_id_numbers_with_impossible_birth_dates_are_invalid() -> None:
    for first17 in ["33022519900230123", "33022519901301123", "33022518991231123", "33022519900000123"]:
        assert not is_valid_cn_id_number(first17 + check_character(first17))


def test_a_birth_date_after_today_is_invalid_when_today_is_given() -> None:
    today = date(2026, 11, 23)
    tomorrow = id_number("330225", today + timedelta(days=1), "123")
    assert is_valid_cn_id_number(tomorrow)
    assert not is_valid_cn_id_number(tomorrow, today=today)
    assert is_valid_cn_id_number(id_number("330225", today, "123"), today=today)


@pytest.mark.parametrize(
    "raw",
    ["", "33022519900101123", "3302251990010112345", "33022519900101123Y", "030225199001011234", "abc"],
)
def test_malformed_id_numbers_are_invalid(raw: str) -> None:
    assert not is_valid_cn_id_number(raw)


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("057465771234", "057*****1234"),
        ("+85291234567", "+85*****4567"),
        ("4008123123", "400***3123"),
        ("65771234", "657*1234"),
        ("6577123", "65***23"),
        ("96110", "96110"),
        ("110", "110"),
        ("", ""),
    ],
)
def test_phones_are_masked_in_the_middle(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("330225199001011234", "330225********1234"),
        ("11010519491231002X", "110105********002X"),
        ("330225900101123", "330225*****1123"),  # old 15-digit number
        ("E12345678", "E*******8"),
        ("", ""),
    ],
)
def test_id_numbers_keep_region_and_last_four(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", "")],
)
def test_names_keep_only_their_first_character(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("浙江省宁波市镇海区招宝山街道城河西路123号4幢501室", "浙江省宁波市镇海区招宝山街道城河西路" + "*" * 10),
        ("镇海区九龙湖镇河头村12号", "镇海区九龙湖镇河头村***"),
        ("镇海区九龙湖镇河头村十二号", "镇海区九龙湖镇河头村***"),
        ("宁波市镇海区骆驼街道", "宁波市镇海区骆驼街道"),
        ("Some Street 12", "Some S********"),
        ("", ""),
    ],
)
def test_addresses_keep_down_to_street_and_mask_the_house_number(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("6222021234567890123", "6222***********0123"),
        ("622202123456", "6222****3456"),
        ("12345678", "12****78"),
        ("123456", "1****6"),
    ],
)
def test_accounts_keep_first_and_last_four(raw: str, masked: str) -> None:
    assert mask_account(raw) == masked


@given(st.text(max_size=30))
def test_masking_never_lengthens_nor_raises(raw: str) -> None:
    for mask in (mask_phone, mask_id_number, mask_name, mask_address, mask_account):
        assert len(mask(raw)) == len(raw.strip())
