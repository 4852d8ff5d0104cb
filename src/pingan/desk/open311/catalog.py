"""The Open311 service catalogue: one service per desk category, its attributes, and what is public.

Pure: built from the desk's vocabularies (`pingan.desk.rules.kinds`), so a category or topic added
there appears here without a change. A category with topics has one attribute, ``topic`` (a
`singlevaluelist`); the emergency service carries an informational attribute with the 110 notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pingan.desk.rules.kinds import CATEGORY_NAMES, TOPIC_NAMES, TOPICS_OF, Category, Topic

CHANGESET = "2026-11-23T00:00:00+08:00"
"""When the catalogue last changed (the discovery document's `changeset`)."""

CALL_110 = "紧急情况请立即拨打110！"
TOPIC_ATTRIBUTE = "topic"


@dataclass(frozen=True, slots=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Attribute:
    code: str
    datatype: str
    """string, number, datetime, text, singlevaluelist or multivaluelist."""
    required: bool
    order: int
    description: str
    variable: bool = True
    """False: the attribute only informs the user (no input expected)."""
    datatype_description: str | None = None
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str
    category: Category
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)

    def attribute(self, code: str) -> Attribute | None:
        return next((a for a in self.attributes if a.code == code), None)


_ABOUT: dict[Category, tuple[str, tuple[str, ...], str]] = {
    Category.CONSULTATION: (
        "户籍、出入境、交通管理、法律求助、政务服务等咨询，由社区民警或相关警种答复。",
        ("咨询", "户籍", "出入境", "交管", "法律", "政务"),
        "警务咨询",
    ),
    Category.FRAUD: (
        "接到可疑电话、短信、网址或APP，怀疑遇到电信网络诈骗，由反诈中心和社区民警核查。已经转账的请立即拨打110或96110。",
        ("诈骗", "反诈", "可疑电话", "转账", "96110"),
        "反诈",
    ),
    Category.HAZARD: (
        "道路交通、消防通道、出租房屋等安全隐患，由派出所或交警核查整改。",
        ("隐患", "交通", "消防通道", "出租房"),
        "治安隐患",
    ),
    Category.DISPUTE: (
        "邻里、家庭、物业等矛盾纠纷，分流至属地综治中心调解。",
        ("纠纷", "调解", "邻里", "物业"),
        "社会治理",
    ),
    Category.NUISANCE: (
        "犬类管理、噪音扰民等非警务、非紧急事项，分流至属地治理部门处置。",
        ("犬类", "遛狗", "噪音", "扰民"),
        "社会治理",
    ),
    Category.EMERGENCY: (
        "正在发生、危及人身或财产安全的紧急情况。" + CALL_110 + "本渠道同时通知属地派出所。",
        ("紧急", "求助", "110"),
        "紧急求助",
    ),
}

SENSITIVE = frozenset({Category.FRAUD, Category.EMERGENCY, Category.DISPUTE})
"""Categories whose description and location are never published: they point at victims and neighbours."""


def _attributes(category: Category) -> tuple[Attribute, ...]:
    attributes: list[Attribute] = []
    topics = [t for t in Topic if t in TOPICS_OF[category]]
    if len(topics) > 1:
        attributes.append(
            Attribute(
                code=TOPIC_ATTRIBUTE,
                datatype="singlevaluelist",
                required=False,
                order=len(attributes) + 1,
                description="诉求主题（不选则按类别处理）",
                values=tuple(AttributeValue(t.value, TOPIC_NAMES[t]) for t in topics),
            )
        )
    if category is Category.EMERGENCY:
        attributes.append(
            Attribute(
                code="call_110",
                datatype="string",
                required=False,
                order=len(attributes) + 1,
                description=CALL_110,
                variable=False,
            )
        )
    return tuple(attributes)


def _service(category: Category) -> Service:
    description, keywords, group = _ABOUT[category]
    return Service(
        code=category.value,
        name=CATEGORY_NAMES[category],
        description=description,
        keywords=keywords,
        group=group,
        category=category,
        attributes=_attributes(category),
    )


SERVICES: tuple[Service, ...] = tuple(_service(c) for c in Category)
_BY_CODE = {s.code: s for s in SERVICES}


def service(code: str) -> Service | None:
    return _BY_CODE.get(code)
