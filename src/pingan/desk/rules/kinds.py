"""The desk's vocabularies: request categories and topics, routes, specialties, pushes."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    CONSULTATION = "consultation"  # 咨询：户籍、出入境、交管、法律求助、政务服务
    FRAUD = "fraud"  # 疑似诈骗 → also a lead in the fraud loop
    HAZARD = "hazard"  # 安全隐患
    DISPUTE = "dispute"  # 矛盾纠纷
    NUISANCE = "nuisance"  # 非警务：犬类、噪音扰民
    EMERGENCY = "emergency"  # 紧急：call 110 at once; the station is still alerted


class Topic(StrEnum):
    HOUSEHOLD = "household"  # 户籍
    EXIT_ENTRY = "exit_entry"  # 出入境
    TRAFFIC = "traffic"  # 交管
    LEGAL = "legal"  # 法律求助
    GOVERNMENT = "government"  # 政务服务
    DOG = "dog"  # 犬类管理
    NOISE = "noise"  # 噪音扰民
    OTHER = "other"


TOPICS_OF: dict[Category, frozenset[Topic]] = {
    Category.CONSULTATION: frozenset(
        {Topic.HOUSEHOLD, Topic.EXIT_ENTRY, Topic.TRAFFIC, Topic.LEGAL, Topic.GOVERNMENT, Topic.OTHER}
    ),
    Category.NUISANCE: frozenset({Topic.DOG, Topic.NOISE, Topic.OTHER}),
    Category.FRAUD: frozenset({Topic.OTHER}),
    Category.HAZARD: frozenset({Topic.TRAFFIC, Topic.OTHER}),
    Category.DISPUTE: frozenset({Topic.OTHER}),
    Category.EMERGENCY: frozenset({Topic.OTHER}),
}

CATEGORY_NAMES = {
    Category.CONSULTATION: "咨询",
    Category.FRAUD: "疑似诈骗",
    Category.HAZARD: "安全隐患",
    Category.DISPUTE: "矛盾纠纷",
    Category.NUISANCE: "非警务求助",
    Category.EMERGENCY: "紧急求助",
}
TOPIC_NAMES = {
    Topic.HOUSEHOLD: "户籍",
    Topic.EXIT_ENTRY: "出入境",
    Topic.TRAFFIC: "交管",
    Topic.LEGAL: "法律求助",
    Topic.GOVERNMENT: "政务服务",
    Topic.DOG: "犬类管理",
    Topic.NOISE: "噪音扰民",
    Topic.OTHER: "其他",
}


class Route(StrEnum):
    """Where a rule sends a request."""

    OFFICER = "officer"  # the community officer of the place (else the station)
    STATION = "station"  # the station of the place
    SPECIALTY = "specialty"  # a specialty (警种), through the command centre's triage unless the rule says direct
    TRIAGE = "triage"  # the command centre (情指中心) decides
    GOVERNANCE = "governance"  # diverted to a governance department
    UNIT = "unit"  # one named unit


ROUTE_NAMES = {
    Route.OFFICER: "社区民警",
    Route.STATION: "派出所",
    Route.SPECIALTY: "警种",
    Route.TRIAGE: "情指中心研判",
    Route.GOVERNANCE: "治理部门",
    Route.UNIT: "指定单位",
}


class Specialty(StrEnum):
    PUBLIC_ORDER = "public_order"  # 治安
    LEGAL = "legal"  # 法制
    TRAFFIC = "traffic"  # 交警
    EXIT_ENTRY = "exit_entry"  # 出入境

    @property
    def unit_code(self) -> str:
        """The code of the unit that answers for this specialty (see `pingan.desk.setup`)."""
        return f"specialty-{self.value}"


SPECIALTY_NAMES = {
    Specialty.PUBLIC_ORDER: "治安大队",
    Specialty.LEGAL: "法制大队",
    Specialty.TRAFFIC: "交警大队",
    Specialty.EXIT_ENTRY: "出入境管理大队",
}


class PushKind(StrEnum):
    FRAUD = "fraud"  # 电诈预警
    WEATHER = "weather"  # 天气
    DISASTER = "disaster"  # 灾害警告
    TRAFFIC = "traffic"  # 交通安全
    EPIDEMIC = "epidemic"  # 疫情防控
    NOTICE = "notice"  # 其他通知


PUSH_KIND_NAMES = {
    PushKind.FRAUD: "电诈预警",
    PushKind.WEATHER: "天气提醒",
    PushKind.DISASTER: "灾害警告",
    PushKind.TRAFFIC: "交通安全",
    PushKind.EPIDEMIC: "疫情防控",
    PushKind.NOTICE: "通知",
}

RESIDENT_TAGS = frozenset({"elderly", "student"})
"""Tags a push may target; registry tags (`pingan.core.people.KNOWN_TAGS`) are carried over too."""
