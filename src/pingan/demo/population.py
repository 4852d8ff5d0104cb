"""A synthetic population for the demo county: residents, indicator lists and a feed of intake events.

Everything is generated from a seed; nothing is read from ``../shared/data`` (real personal data must
never enter the repository). Names are drawn from common surnames and given-name characters, ID
numbers are valid GB 11643 numbers under 象山县's code 330225, and phones are unique mobiles.

Resident phones and indicator phones come from disjoint number ranges (residents never hold a
170/171/165/167 virtual-operator number, which is where the generated fraud numbers live), so an
event is a hit exactly when the feed meant it to be one.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pingan.core.geo import GeoArea
from pingan.demo.county import COUNTY_CODE, COUNTY_NAME, random_points_in
from pingan.fraud.schemas import FRAUD_TYPES

__all__ = [
    "REFERENCE_YEAR",
    "EventFeed",
    "generate_indicators",
    "generate_people",
    "id_number_check",
    "write_people_csv",
]

REFERENCE_YEAR = 2026
"""The year ages are counted in unless the caller says otherwise (keeps a seed's output fixed)."""

SHANGHAI = timezone(timedelta(hours=8))

# Common surnames, weighted roughly by their frequency in Zhejiang (陈, 王, 张, 李, 周, 吴, 徐 lead).
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("陈", 90), ("王", 80), ("张", 60), ("李", 60), ("周", 45), ("吴", 45), ("徐", 45), ("林", 40),
    ("黄", 35), ("杨", 30), ("刘", 30), ("胡", 30), ("朱", 28), ("金", 25), ("俞", 22), ("何", 20),
    ("郑", 20), ("叶", 20), ("孙", 18), ("鲍", 15), ("应", 15), ("史", 12), ("蒋", 12), ("沈", 12),
    ("赵", 12), ("方", 12), ("钱", 10), ("许", 10), ("汪", 10), ("邵", 10), ("郭", 10), ("马", 10),
    ("韩", 8), ("倪", 8), ("杜", 8), ("潘", 8), ("袁", 8), ("余", 8), ("谢", 8), ("蔡", 8),
    ("葛", 6), ("章", 6), ("范", 6), ("丁", 6), ("姚", 6), ("傅", 6), ("贺", 5), ("顾", 5),
    ("孔", 4), ("欧阳", 2), ("司马", 1), ("上官", 1),
)  # fmt: skip
_GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然子轩梓涵一诺欣怡"
    "佳琪雨萱俊杰志强海波海燕晓东晓红丹丹婷婷家豪思远嘉怡若曦天佑宏伟利民秀英淑珍凤兰春梅冬梅"
)
_ROADS: tuple[str, ...] = (
    "人民", "建设", "新华", "解放", "丹峰", "象山港", "天安", "靖南", "丹阳", "东谷", "石浦", "滨海",
    "渔港", "海韵", "文峰", "南庄", "塔山", "兴港", "城东", "爵溪", "月楼", "大目湾", "蓬莱", "环城",
)  # fmt: skip
_ROAD_KINDS = ("路", "路", "路", "街", "大道", "巷")

# Age bands (inclusive) and their weights: 18% of residents are 65 or over, as in the county's census.
_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 6, 5.0),
    (7, 17, 10.0),
    (18, 22, 5.0),
    (23, 39, 22.0),
    (40, 64, 40.0),
    (65, 79, 14.0),
    (80, 99, 4.0),
)

# Mobile prefixes of the three operators, excluding the virtual-operator ranges kept for fraud numbers.
_RESIDENT_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "177", "178", "198", "199",
)  # fmt: skip
_FRAUD_PHONE_PREFIXES = ("170", "171", "165", "167")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _phone_share(age: int) -> float:
    """The share of residents of `age` who hold a mobile of their own: few under 10, most adults, fewer of
    the very old (a child's or a great-grandparent's calls come to a parent's phone)."""
    if age < 8:
        return 0.0
    if age < 10:
        return 0.05
    if age < 13:
        return 0.45
    if age < 18:
        return 0.85
    if age < 70:
        return 0.98
    if age < 80:
        return 0.8
    return 0.45


def _target_weight(age: int) -> float:
    """How much more (or less) often a resident of `age` is a fraud campaign's target: victims are mostly
    young and middle-aged adults (the Ministry puts the mean victim age at 37); students and the elderly
    are targeted by scams of their own (game trades and refunds; officials, health products), less often."""
    if age < 13:
        return 0.05
    if age < 18:
        return 0.4
    if age < 23:
        return 1.2
    if age < 46:
        return 1.6
    if age < 60:
        return 0.8
    return 0.45


def _weighted_ages(rng: random.Random, n: int) -> list[int]:
    bands = rng.choices(_AGE_BANDS, weights=[b[2] for b in _AGE_BANDS], k=n)
    return [rng.randint(lo, hi) for lo, hi, _ in bands]


def _name(rng: random.Random, surnames: Sequence[str], weights: Sequence[int]) -> str:
    surname = rng.choices(surnames, weights=weights)[0]
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(_GIVEN_CHARS) for _ in range(length))


def _mobile(rng: random.Random, prefixes: Sequence[str]) -> str:
    return rng.choice(prefixes) + f"{rng.randrange(100_000_000):08d}"


def _station_weights(stations: Sequence[GeoArea]) -> list[float]:
    # Denser in the urban 街道 than in the rural 镇 and 乡: area times a density factor.
    return [s.geometry.area * (3.0 if s.name.endswith("街道") else 1.0) for s in stations]


def generate_people(
    n: int,
    stations: Sequence[GeoArea],
    rng: random.Random,
    *,
    year: int = REFERENCE_YEAR,
    county_name: str = COUNTY_NAME,
    region_code: str = COUNTY_CODE,
) -> list[dict[str, Any]]:
    """``n`` residents as rows `pingan.core.people.PersonIn` accepts (phones and tags as lists).

    Each row: ``name, id_number, phones, address, lon, lat, birth_year, tags`` and ``station`` (the
    code of the station area the point was drawn in, for checks; the importer ignores it). Ages are
    counted in ``year``: about 18% are 65 or over (tagged ``elderly``); most of those aged 7-18 and
    half of those aged 19-22 are tagged ``student``. Phones (one or two mobiles) are unique across
    the rows, and so are ID numbers.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not stations:
        raise ValueError("at least one station is needed")
    counts = [0] * len(stations)
    for i in rng.choices(range(len(stations)), weights=_station_weights(stations), k=n):
        counts[i] += 1
    points: list[tuple[GeoArea, float, float]] = []
    for station, count in zip(stations, counts, strict=True):
        if count:
            points.extend((station, lon, lat) for lon, lat in random_points_in(station.geometry, count, rng))
    rng.shuffle(points)
    surnames = [s for s, _ in _SURNAMES]
    surname_weights = [w for _, w in _SURNAMES]
    ages = _weighted_ages(rng, n)
    used_phones: set[str] = set()
    used_ids: set[str] = set()
    rows: list[dict[str, Any]] = []
    for (station, lon, lat), age in zip(points, ages, strict=True):
        birth_year = year - age
        while True:
            born = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
            first17 = f"{region_code}{born:%Y%m%d}{rng.randrange(1000):03d}"
            id_number = first17 + id_number_check(first17)
            if id_number not in used_ids:
                used_ids.add(id_number)
                break
        phones: list[str] = []
        owned = 0 if rng.random() >= _phone_share(age) else (2 if rng.random() < 0.3 else 1)
        for _ in range(owned):
            phone = _mobile(rng, _RESIDENT_PREFIXES)
            while phone in used_phones:
                phone = _mobile(rng, _RESIDENT_PREFIXES)
            used_phones.add(phone)
            phones.append(phone)
        tags: list[str] = []
        if age >= 65:
            tags.append("elderly")
        if (7 <= age <= 18 and rng.random() < 0.95) or (19 <= age <= 22 and rng.random() < 0.5):
            tags.append("student")
        road = rng.choice(_ROADS) + rng.choice(_ROAD_KINDS)
        rows.append(
            {
                "name": _name(rng, surnames, surname_weights),
                "id_number": id_number,
                "phones": phones,
                "address": f"{county_name}{station.name}{road}{rng.randint(1, 399)}号",
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "birth_year": birth_year,
                "tags": tags,
                "station": station.code,
            }
        )
    return rows


PEOPLE_CSV_COLUMNS = ("name", "id_number", "phones", "address", "lon", "lat", "birth_year", "tags")


def write_people_csv(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write rows as the CSV `pingan people import` reads (phones and tags `;`-separated)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PEOPLE_CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    ";".join(v) if isinstance(v := row.get(col), list | tuple) else ("" if v is None else v)
                    for col in PEOPLE_CSV_COLUMNS
                ]
            )


# --- indicators ------------------------------------------------------------------------------------

# Fraud types by how often they occur (刷单返利 and investment scams lead the national figures).
_FRAUD_WEIGHTS: dict[str, float] = {
    "order_brushing": 24,
    "investment": 16,
    "loan": 10,
    "fake_customer_service": 12,
    "impersonate_officials": 8,
    "credit_repair": 6,
    "fake_shopping": 6,
    "impersonate_acquaintance": 5,
    "game_trade": 4,
    "romance": 4,
    "military_purchase": 2,
    "gambling": 2,
    "other": 1,
}
assert set(_FRAUD_WEIGHTS) == set(FRAUD_TYPES) - {"normal"}

_INDICATOR_KINDS = (("phone", 50.0), ("account", 20.0), ("url", 10.0), ("domain", 10.0), ("app", 10.0))
_SHADY_TLDS = ("top", "xyz", "vip", "cc", "com", "net", "icu", "shop", "club", "cn")
_SHADY_WORDS = (
    "licai", "touzi", "daikuan", "kefu", "tuikuan", "jiedai", "huodong", "fanli", "zhengxin", "vip",
    "jinrong", "shuadan", "youxi", "caipiao", "bocai", "jiaoyou", "quan", "pay", "app", "h5",
)  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LETTERS + "0123456789"


def _token(rng: random.Random, lo: int, hi: int, alphabet: str = _LETTERS) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def _shady_domain(rng: random.Random) -> str:
    return f"{rng.choice(_SHADY_WORDS)}{_token(rng, 2, 6, _ALNUM)}.{rng.choice(_SHADY_TLDS)}"


def _fraud_phone(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.75:
        return _mobile(rng, _FRAUD_PHONE_PREFIXES)
    if roll < 0.9:  # spoofed or overseas numbers
        cc = rng.choice(("852", "853", "63", "855", "95", "60", "66", "1"))
        return f"+{cc}{rng.randrange(10**7, 10**9)}"
    if roll < 0.95:
        return f"400{rng.randrange(10**7):07d}"
    return f"0{rng.choice(('20', '21', '755', '592', '898'))}{rng.randrange(10**7, 10**8)}"


def _fraud_account(rng: random.Random) -> str:
    digits = rng.choice((14, 15, 17, 17, 17))
    return f"62{rng.randrange(10**digits):0{digits}d}"


def _fraud_app(rng: random.Random) -> str:
    return f"com.{rng.choice(_SHADY_WORDS)}{_token(rng, 2, 5)}.{rng.choice(('app', 'android', 'client', 'h5', 'mall'))}"


def generate_indicators(n: int, rng: random.Random, *, source: str = "province") -> list[dict[str, Any]]:
    """``n`` distinct indicator rows as `pingan.fraud.schemas.IndicatorIn` accepts.

    Half are phone numbers (virtual-operator mobiles, overseas and 400 numbers), then bank accounts,
    URLs, domains and app package names; each with a fraud type weighted by how common it is.
    Values are already in their normalised form, so each row is one distinct indicator.
    """
    kinds = [k for k, _ in _INDICATOR_KINDS]
    kind_weights = [w for _, w in _INDICATOR_KINDS]
    types = list(_FRAUD_WEIGHTS)
    type_weights = list(_FRAUD_WEIGHTS.values())
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        kind = rng.choices(kinds, weights=kind_weights)[0]
        if kind == "phone":
            value = _fraud_phone(rng)
        elif kind == "account":
            value = _fraud_account(rng)
        elif kind == "url":
            value = f"{_shady_domain(rng)}/{_token(rng, 3, 8, _ALNUM)}"
        elif kind == "domain":
            value = _shady_domain(rng)
        else:
            value = _fraud_app(rng)
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        rows.append(
            {
                "kind": kind,
                "value": value,
                "fraud_type": rng.choices(types, weights=type_weights)[0],
                "source": source,
                "note": None,
            }
        )
    return rows


# --- the event feed --------------------------------------------------------------------------------

# (source, kind, weight): mostly telecom calls and SMS, some transfers and internet events, and the
# occasional citizen / 96110 report or platform-pushed warning (each of those is a lead by nature).
DEFAULT_KIND_WEIGHTS: tuple[tuple[str, str, float], ...] = (
    ("telecom", "call", 60.0),
    ("telecom", "sms", 24.0),
    ("bank", "transfer", 8.0),
    ("internet", "url_visit", 5.0),
    ("internet", "app_install", 2.8),
    ("citizen", "report", 0.05),
    ("hotline", "report", 0.05),
    ("platform", "pushed_warning", 0.1),
)
_COUNTERPART_KIND = {"call": "phone", "sms": "phone", "transfer": "account", "url_visit": "url", "app_install": "app"}
_BENIGN_DOMAINS = (
    "www.baidu.com", "www.taobao.com", "www.jd.com", "www.qq.com", "www.163.com", "www.gov.cn",
    "www.nbxs.gov.cn", "www.12306.cn", "www.icbc.com.cn", "www.bilibili.com", "m.weibo.cn", "www.zjzwfw.gov.cn",
)  # fmt: skip
_BENIGN_APPS = (
    "com.tencent.mm", "com.eg.android.alipaygphone", "com.taobao.taobao", "com.jingdong.app.mall",
    "com.ss.android.ugc.aweme", "com.sankuai.meituan", "com.tmri.app.main", "cn.gov.zj.zlb",
    "com.xunmeng.pinduoduo", "com.smile.gifmaker",
)  # fmt: skip
_BENIGN_SMS = (
    "【中国移动】您本月话费账单已出。",
    "【顺丰速运】您的快件已到达象山营业点。",
    "您的验证码为{code}，5分钟内有效。",
    "【象山发布】台风预警：请做好防范。",
)
_FRAUD_SMS = (
    "【客服】您的快递丢失，点击链接申请理赔：{url}",
    "您的医保卡已冻结，请联系{phone}解冻。",
    "恭喜获得刷单兼职资格，日赚300元，加Q详聊。",
    "您的征信有异常，需注销学生贷账户，否则影响征信。",
)
_REPORT_TEXT = (
    "群众来电：家中老人称接到公检法电话，要求转账至安全账户。",
    "96110 报告：居民正在按对方指示下载会议软件并共享屏幕。",
    "居民反映：网友推荐投资平台，已准备转账。",
    "家属报告：孩子在网上刷单，已被要求继续充值。",
)


class EventFeed:
    """An endless, seeded stream of intake event dicts (the JSON a feed posts, see `EventIn`).

    A fraction ``hit_ratio`` of events carry a listed indicator as counterpart. Hits come in
    campaigns: a fraud counterpart keeps contacting the same resident (``repeat_ratio`` of hits go
    to a recent target), so warnings merge. Subjects are registered residents' phones, apart from
    ``unknown_ratio`` of events about unregistered numbers (half of those carry the cell-site
    location). Event times advance by ``spacing`` per event from ``start``; pass ``at`` to
    :meth:`event` to stamp real time instead.

    The ids of events generated as hits are kept in :attr:`hits`, and of all events expected to
    open or join a warning (hits and reports / pushed warnings) in :attr:`leads`.
    """

    def __init__(
        self,
        people: Sequence[Mapping[str, Any]],
        indicators: Sequence[Mapping[str, Any]],
        *,
        seed: int,
        hit_ratio: float = 0.01,
        unknown_ratio: float = 0.02,
        repeat_ratio: float = 0.5,
        start: datetime | None = None,
        spacing: timedelta = timedelta(milliseconds=2),
        kind_weights: Sequence[tuple[str, str, float]] = DEFAULT_KIND_WEIGHTS,
        id_prefix: str = "ev",
    ) -> None:
        if not 0.0 <= hit_ratio <= 1.0:
            raise ValueError(f"hit_ratio must be within 0..1, got {hit_ratio}")
        self.rng = random.Random(seed)
        self.hit_ratio = hit_ratio
        self.unknown_ratio = unknown_ratio
        self.repeat_ratio = repeat_ratio
        self.now = (start or datetime(2026, 11, 23, 1, 0, tzinfo=UTC)).astimezone(SHANGHAI)
        self.spacing = spacing
        self.id_prefix = id_prefix
        self.seq = 0
        self._kinds = [(s, k) for s, k, _ in kind_weights]
        self._kind_cum = list(itertools.accumulate(w for _, _, w in kind_weights))
        self._residents = [(str(p), row) for row in people for p in row.get("phones") or ()]
        if not self._residents:
            raise ValueError("the feed needs residents with phones")
        # A campaign picks its target by age (`_target_weight`); everyday traffic is anyone's.
        self._target_cum = list(
            itertools.accumulate(_target_weight(_age(row, self.now.year)) for _phone, row in self._residents)
        )
        self._by_kind: dict[str, list[Mapping[str, Any]]] = {}
        for ind in indicators:
            self._by_kind.setdefault(str(ind["kind"]), []).append(ind)
        self._listed = {(str(i["kind"]), str(i["value"])) for i in indicators}
        # Recent campaigns: (subject phone, counterpart indicator), for repeated contacts.
        self._campaigns: list[tuple[str, Mapping[str, Any], Mapping[str, Any] | None]] = []
        self.hits: set[str] = set()
        self.leads: set[str] = set()

    # -- pieces --------------------------------------------------------------------------------------

    def _subject(self, hit: bool = False) -> tuple[str, Mapping[str, Any] | None]:
        rng = self.rng
        if rng.random() < self.unknown_ratio:
            return _mobile(rng, _RESIDENT_PREFIXES[:10]), None
        if hit:
            return self._residents[bisect.bisect_left(self._target_cum, rng.random() * self._target_cum[-1])]
        return self._residents[rng.randrange(len(self._residents))]

    def _indicator_for(self, kind: str) -> Mapping[str, Any] | None:
        wanted = _COUNTERPART_KIND.get(kind, "phone")
        pool = self._by_kind.get(wanted)
        if wanted == "url" and self.rng.random() < 0.5:
            pool = self._by_kind.get("domain") or pool  # a page somewhere on a listed domain
        if not pool:
            pool = self._by_kind.get("phone")
        return None if not pool else pool[self.rng.randrange(len(pool))]

    def _counterpart_value(self, indicator: Mapping[str, Any]) -> str:
        kind, value = str(indicator["kind"]), str(indicator["value"])
        if kind == "domain":
            return f"https://{value}/{_token(self.rng, 2, 6, _ALNUM)}?from=sms"
        if kind == "url":
            return f"http://{value}"
        if kind == "phone" and value.startswith("1") and self.rng.random() < 0.2:
            return f"+86 {value[:3]}-{value[3:7]}-{value[7:]}"  # feeds write numbers their own way
        return value

    def _benign(self, kind: str) -> str | None:
        rng = self.rng
        if kind in ("call", "sms"):
            return _mobile(rng, _RESIDENT_PREFIXES)
        if kind == "transfer":
            while True:
                account = _fraud_account(rng)
                if ("account", account) not in self._listed:
                    return account
        if kind == "url_visit":
            return f"https://{rng.choice(_BENIGN_DOMAINS)}/{_token(rng, 1, 8, _ALNUM)}"
        if kind == "app_install":
            return rng.choice(_BENIGN_APPS)
        return None

    def _fields(self, kind: str, hit: bool, counterpart: str | None) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        if kind == "call":
            if hit:
                out["duration_s"] = rng.choice(
                    (rng.randint(0, 59), rng.randint(60, 299), rng.randint(300, 899), rng.randint(900, 3600))
                )
            else:
                out["duration_s"] = min(86_400, int(rng.lognormvariate(3.8, 1.1)))
        elif kind == "sms":
            if hit:
                out["text"] = rng.choice(_FRAUD_SMS).format(url=_shady_domain(rng), phone=counterpart or "")
            else:
                out["text"] = rng.choice(_BENIGN_SMS).format(code=f"{rng.randrange(10**6):06d}")
        elif kind == "transfer":
            cents = int(rng.lognormvariate(9.5 if hit else 7.5, 1.3))
            out["amount"] = f"{min(cents, 10**11) // 100}.{cents % 100:02d}"
        elif kind == "report":
            out["text"] = rng.choice(_REPORT_TEXT)
        return out

    # -- the stream ----------------------------------------------------------------------------------

    def event(self, at: datetime | None = None) -> dict[str, Any]:
        """The next event; ``at`` (aware) stamps it, otherwise the feed's own clock advances."""
        rng = self.rng
        self.seq += 1
        if at is None:
            self.now += self.spacing
            stamp = self.now.replace(tzinfo=None).isoformat(timespec="milliseconds") + "+08:00"
        else:
            stamp = at.isoformat(timespec="milliseconds")
        source, kind = rng.choices(self._kinds, cum_weights=self._kind_cum)[0]
        hit = rng.random() < self.hit_ratio
        person: Mapping[str, Any] | None
        indicator: Mapping[str, Any] | None = None
        if hit and self._campaigns and rng.random() < self.repeat_ratio:
            subject, indicator, person = self._campaigns[rng.randrange(len(self._campaigns))]
            if _COUNTERPART_KIND.get(kind) != _indicator_kind(indicator):
                source, kind = _source_kind_for(indicator)
        else:
            subject, person = self._subject(hit)
            if hit:
                indicator = self._indicator_for(kind)
                if indicator is not None:
                    source, kind = (
                        _source_kind_for(indicator) if kind in ("report", "pushed_warning") else (source, kind)
                    )
                    self._campaigns.append((subject, indicator, person))
                    if len(self._campaigns) > 200:
                        del self._campaigns[: len(self._campaigns) - 200]
        event_id = f"{self.id_prefix}-{source[:3]}-{self.seq:010d}"
        counterpart = self._counterpart_value(indicator) if indicator is not None else self._benign(kind)
        item: dict[str, Any] = {
            "id": event_id,
            "source": source,
            "kind": kind,
            "at": stamp,
            "subject_phone": subject,
        }
        if counterpart is not None:
            item["counterpart"] = counterpart
        item.update(self._fields(kind, indicator is not None, counterpart))
        if kind == "pushed_warning":
            item["level"] = rng.choice(("low", "medium", "medium", "high", "critical"))
            item["fraud_type"] = rng.choices(list(_FRAUD_WEIGHTS), weights=list(_FRAUD_WEIGHTS.values()))[0]
        if person is None and rng.random() < 0.5:
            near = self._residents[rng.randrange(len(self._residents))][1]
            if near.get("lon") is not None:
                item["lon"] = round(float(near["lon"]) + rng.uniform(-0.002, 0.002), 6)
                item["lat"] = round(float(near["lat"]) + rng.uniform(-0.002, 0.002), 6)
        if indicator is not None:
            self.hits.add(event_id)
            self.leads.add(event_id)
        elif kind in ("report", "pushed_warning"):
            self.leads.add(event_id)
        return item

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            yield self.event()

    def take(self, n: int) -> list[dict[str, Any]]:
        """The next ``n`` events."""
        return [self.event() for _ in range(n)]


def _age(row: Mapping[str, Any], year: int) -> int:
    born = row.get("birth_year")
    return year - int(born) if born is not None else 40


def _indicator_kind(indicator: Mapping[str, Any]) -> str:
    kind = str(indicator["kind"])
    return "url" if kind == "domain" else kind


_SOURCE_KIND_FOR = {
    "phone": ("telecom", "call"),
    "account": ("bank", "transfer"),
    "url": ("internet", "url_visit"),
    "app": ("internet", "app_install"),
}


def _source_kind_for(indicator: Mapping[str, Any]) -> tuple[str, str]:
    return _SOURCE_KIND_FOR[_indicator_kind(indicator)]
