"""The access matrix written down: per operation of the OpenAPI document, per role, the answer expected.

An entry maps each role to an answer, or, where the path names an object, to one answer per relation of
the actor to it: "own" (station A's, the actor's station; the resident's own), "other" (station B's;
another resident's), "county" (the county's: push templates). Answers: "2xx"; 401 (no valid token); 403
(seen, not allowed); 404 (not visible: the object is outside the actor's scope, the same answer as an
object that does not exist, so that its existence is not disclosed).

Read by `test_access_matrix.py`; the workflow registry's part (every kind × action × role) is
`DESK_ACTIONS` and `DISSUASION_ACTIONS` below, read by `test_task_access.py`.
"""

from __future__ import annotations

from typing import Literal

Answer = Literal["2xx", 401, 403, 404]
Cell = Answer | dict[str, Answer]

ROLES = ("admin", "analyst", "commander", "station_head", "officer", "partner", "governance", "resident", "anonymous")
RELATIONS = ("any", "own", "other", "handed", "diverted", "county")
"""`handed`: station A's request handed over to another unit (出入境), no longer the station's though in its area;
`diverted`: station A's request diverted to the town's governance centre (the governance actor's unit)."""

OK: Answer = "2xx"
UNAUTH: Answer = 401
DENY: Answer = 403
HIDE: Answer = 404


def everyone() -> dict[str, Cell]:
    """Open: no token needed (health probes, sign-in, Open311's public side)."""
    return dict.fromkeys(ROLES, OK)


def only(*roles: str) -> dict[str, Cell]:
    """Signed-in users of these roles; every other role is refused (403), nobody is asked to sign in (401)."""
    assert set(roles) <= set(ROLES), roles
    return {role: OK if role in roles else UNAUTH if role == "anonymous" else DENY for role in ROLES}


def signed_in() -> dict[str, Cell]:
    return only(*ROLES[:-1])


def rel(
    own: Answer,
    other: Answer,
    *,
    handed: Answer | None = None,
    diverted: Answer | None = None,
    county: Answer | None = None,
) -> dict[str, Answer]:
    """One answer per relation of the actor to the object."""
    cells: dict[str, Answer] = {"own": own, "other": other}
    for name, answer in (("handed", handed), ("diverted", diverted), ("county", county)):
        if answer is not None:
            cells[name] = answer
    return cells


def command_object() -> dict[str, Cell]:
    """A finding or a dispute: the centres see every one, station A and its governance centre their own, the
    partner and residents none (403 before the object is looked up)."""
    return {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(OK, HIDE),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    }


EXPECTED: dict[str, dict[str, Cell]] = {
    "GET /api/v1/health": everyone(),
    "POST /api/v1/auth/token": everyone(),
    "POST /api/v1/auth/refresh": signed_in(),
    "POST /api/v1/auth/logout": signed_in(),
    "POST /api/v1/auth/password": only(
        "admin", "analyst", "commander", "station_head", "officer", "partner", "governance"
    ),
    "PATCH /api/v1/users/{user_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/me": signed_in(),
    "GET /api/v1/areas": signed_in(),
    "POST /api/v1/areas/lookup": signed_in(),
    "GET /api/v1/units": signed_in(),
    "GET /api/v1/notifications": signed_in(),
    "POST /api/v1/notifications/read": signed_in(),
    "GET /api/v1/tasks": signed_in(),
    "GET /api/v1/tasks/kinds": signed_in(),
    "GET /api/v1/tasks/{task_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/tasks/{task_id}/actions": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/audit/events": only("admin"),
    "GET /api/v1/audit/access": only("admin"),
    "GET /api/v1/admin/dead-letters": only("admin"),
    "POST /api/v1/fraud/events": only("admin", "analyst", "commander", "partner"),
    "GET /api/v1/fraud/indicators": only("admin", "analyst", "commander"),
    "POST /api/v1/fraud/indicators": only("admin", "analyst"),
    "DELETE /api/v1/fraud/indicators/{indicator_id}": only("admin", "analyst"),
    "GET /api/v1/fraud/warnings": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/fraud/warnings/summary": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/fraud/warnings/{warning_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/fraud/warnings/by-task/{task_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/fraud/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/fraud/people/by-phone/{phone}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/auth/otp": everyone(),
    "POST /api/v1/desk/auth/verify": everyone(),
    "GET /api/v1/desk/me": only("resident"),
    "PUT /api/v1/desk/me": only("resident"),
    "GET /api/v1/desk/me/officer": only("resident"),
    "POST /api/v1/desk/requests": only("resident"),
    "GET /api/v1/desk/requests": only("resident"),
    "GET /api/v1/desk/requests/{request_id}": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/requests/{request_id}/messages": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, HIDE),
        "officer": rel(DENY, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/requests/{request_id}/rate": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, HIDE),
        "officer": rel(DENY, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/desk/media/{media_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/desk/staff/requests": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/desk/staff/requests/{request_id}": {
        "admin": rel(OK, OK, handed=OK, diverted=OK),
        "analyst": rel(OK, OK, handed=OK, diverted=OK),
        "commander": rel(OK, OK, handed=OK, diverted=OK),
        "station_head": rel(OK, HIDE, handed=HIDE, diverted=HIDE),
        "officer": rel(OK, HIDE, handed=HIDE, diverted=HIDE),
        "partner": rel(DENY, DENY, handed=DENY, diverted=DENY),
        "governance": rel(HIDE, HIDE, handed=HIDE, diverted=OK),
        "resident": rel(DENY, DENY, handed=DENY, diverted=DENY),
        "anonymous": rel(UNAUTH, UNAUTH, handed=UNAUTH, diverted=UNAUTH),
    },
    "GET /api/v1/desk/staff/requests/{request_id}/duplicates": {
        "admin": rel(OK, OK, handed=OK),
        "analyst": rel(OK, OK, handed=OK),
        "commander": rel(OK, OK, handed=OK),
        "station_head": rel(OK, HIDE, handed=HIDE),
        "officer": rel(OK, HIDE, handed=HIDE),
        "partner": rel(DENY, DENY, handed=DENY),
        "governance": rel(HIDE, HIDE, handed=HIDE),
        "resident": rel(DENY, DENY, handed=DENY),
        "anonymous": rel(UNAUTH, UNAUTH, handed=UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/sign": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/assign": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(DENY, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/reply": {
        "admin": rel(OK, OK, diverted=OK),
        "analyst": rel(OK, OK, diverted=OK),
        "commander": rel(OK, OK, diverted=OK),
        "station_head": rel(OK, HIDE, diverted=HIDE),
        "officer": rel(OK, HIDE, diverted=HIDE),
        "partner": rel(HIDE, HIDE, diverted=HIDE),
        "governance": rel(HIDE, HIDE, diverted=OK),
        "resident": rel(DENY, HIDE, diverted=DENY),
        "anonymous": rel(UNAUTH, UNAUTH, diverted=UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/reroute": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/divert": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/merge": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/case": {
        "admin": rel(OK, OK, diverted=OK),
        "analyst": rel(OK, OK, diverted=OK),
        "commander": rel(DENY, DENY, diverted=DENY),
        "station_head": rel(OK, HIDE, diverted=HIDE),
        "officer": rel(OK, HIDE, diverted=HIDE),
        "partner": rel(HIDE, HIDE, diverted=HIDE),
        "governance": rel(HIDE, HIDE, diverted=DENY),
        "resident": rel(DENY, HIDE, diverted=DENY),
        "anonymous": rel(UNAUTH, UNAUTH, diverted=UNAUTH),
    },
    "POST /api/v1/desk/staff/requests/{request_id}/close": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(HIDE, HIDE),
        "governance": rel(HIDE, HIDE),
        "resident": rel(DENY, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/desk/admin/routing-rules": only("admin", "commander"),
    "POST /api/v1/desk/admin/routing-rules": only("admin"),
    "PATCH /api/v1/desk/admin/routing-rules/{rule_id}": only("admin"),
    "DELETE /api/v1/desk/admin/routing-rules/{rule_id}": only("admin"),
    "POST /api/v1/desk/admin/routing-rules/preview": only("admin", "commander"),
    "GET /api/v1/desk/admin/officers": only("admin", "commander", "station_head"),
    "PUT /api/v1/desk/admin/officers/{user_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/desk/admin/dingtalk-robots": only("admin"),
    "POST /api/v1/desk/admin/dingtalk-robots": only("admin"),
    "DELETE /api/v1/desk/admin/dingtalk-robots/{robot_id}": only("admin"),
    "GET /api/v1/desk/stats": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/desk/stats/hot-topics": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/desk/push-templates": only("admin", "analyst", "commander", "station_head"),
    "POST /api/v1/desk/push-templates": only("admin", "analyst", "commander", "station_head"),
    "PATCH /api/v1/desk/push-templates/{template_id}": {
        "admin": rel(OK, OK, county=OK),
        "analyst": rel(OK, OK, county=OK),
        "commander": rel(OK, OK, county=OK),
        "station_head": rel(OK, HIDE, county=DENY),
        "officer": rel(DENY, DENY, county=DENY),
        "partner": rel(DENY, DENY, county=DENY),
        "governance": rel(DENY, DENY, county=DENY),
        "resident": rel(DENY, DENY, county=DENY),
        "anonymous": rel(UNAUTH, UNAUTH, county=UNAUTH),
    },
    "GET /api/v1/desk/pushes/inbox": only("resident"),
    "POST /api/v1/desk/pushes/inbox/{delivery_id}/read": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/desk/pushes": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/desk/pushes": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/desk/pushes/{push_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /open311/v2/discovery.{fmt}": everyone(),
    "GET /open311/v2/services.{fmt}": everyone(),
    "GET /open311/v2/services/{service_code}.{fmt}": everyone(),
    "POST /open311/v2/requests.{fmt}": everyone(),
    "GET /open311/v2/requests.{fmt}": everyone(),
    "GET /open311/v2/requests/{service_request_id}.{fmt}": everyone(),
    "GET /open311/v2/tokens/{token}.{fmt}": everyone(),
    "GET /api/v1/health/live": everyone(),
    "GET /api/v1/health/ready": everyone(),
    # -- fraud: indicator hits, figures series -------------------------------------------------------
    "GET /api/v1/fraud/indicators/{indicator_id}/hits": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/fraud/indicators/import": only("admin", "analyst"),
    "GET /api/v1/fraud/figures/series": only("admin", "analyst", "commander", "station_head", "officer"),
    # -- cases ------------------------------------------------------------------------------------------
    "GET /api/v1/cases": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/cases/clusters": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/cases/blocked": only("admin", "analyst"),
    "POST /api/v1/cases/relink": only("admin", "analyst"),
    "POST /api/v1/cases": only("admin", "analyst", "station_head", "officer"),
    "GET /api/v1/cases/{case_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "PATCH /api/v1/cases/{case_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(DENY, DENY),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # -- analysis, campaigns, interception figures (money) ------------------------------------------------
    "GET /api/v1/analysis": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/interception/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/exports/interception-figures": only("admin", "analyst", "commander", "station_head", "officer"),
    "POST /api/v1/campaigns": only("admin", "analyst", "station_head"),
    "GET /api/v1/campaigns": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/campaigns/{campaign_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/sms/inbound": only(),  # the SMS gateway's partner account (a telecom unit): none of these
    "GET /api/v1/sms/opt-outs": only("admin"),
    "GET /api/v1/sms/opt-outs/history": only("admin"),
    "POST /api/v1/sms/opt-outs": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/sms/me": only("resident"),
    "PUT /api/v1/sms/me": only("resident"),
    # -- back office: search, people, dispatch, users, exports (an export answers as the list it exports) --
    "GET /api/v1/search": only("admin", "analyst", "commander", "station_head", "officer", "partner", "governance"),
    "GET /api/v1/people/{person_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/dispatch/load": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/users": only("admin"),
    "POST /api/v1/users": only("admin"),
    "GET /api/v1/exports/tasks": signed_in(),  # as GET /tasks: each their own worklist
    "GET /api/v1/exports/warnings": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/exports/desk-requests": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/exports/indicators": only("admin", "analyst", "commander"),
    "GET /api/v1/exports/audit-access": only("admin"),
    "GET /api/v1/exports/users": only("admin"),
    "GET /api/v1/exports/dispatch-load": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/exports/fraud-figures": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/exports/desk-figures": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/exports/search": only(
        "admin", "analyst", "commander", "station_head", "officer", "partner", "governance"
    ),
    # -- maps -------------------------------------------------------------------------------------------
    "GET /api/v1/map/config": signed_in(),
    "GET /api/v1/map/areas": signed_in(),
    "GET /api/v1/map/warnings": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/map/desk-requests": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    # -- 断卡 -------------------------------------------------------------------------------------------
    "POST /api/v1/cards/openings": only("admin", "analyst", "partner"),
    "GET /api/v1/cards/flagged": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/cards/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    # -- tracking ---------------------------------------------------------------------------------------
    "GET /api/v1/tracking/tags": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/tracking/stations": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/tracking/me/tags": only("resident"),
    "GET /api/v1/tracking/coverage": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/tracking/thefts": only(
        "admin", "analyst", "commander", "station_head", "officer", "resident"
    ),  # a resident: their own
    "GET /api/v1/tracking/alerts": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/tracking/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    # The command centre's reports (日研判、周通报、月点评、季总结): county-wide roles only, they name every station.
    "GET /api/v1/command/reports": only("admin", "analyst", "commander"),
    "GET /api/v1/command/reports/{cadence}": only("admin", "analyst", "commander"),
    "GET /api/v1/command/reports/archive/{name}": only("admin", "analyst", "commander"),
    "POST /api/v1/tracking/tags": only("admin", "commander", "partner"),
    "POST /api/v1/tracking/stations": only("admin", "commander", "partner"),
    "POST /api/v1/tracking/detections": only("admin", "partner"),
    # a heartbeat of a registered base station (station A's; its relation does not change the answer)
    "POST /api/v1/tracking/stations/{code}/status": {
        "admin": rel(OK, OK),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, OK),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # own: an owner of station A's / the resident's own tag; other: station B's / another resident's
    "GET /api/v1/tracking/tags/{tag}/track": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "PUT /api/v1/tracking/tags/{tag}/safe-area": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/tracking/thefts": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(OK, HIDE),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/tracking/thefts/{theft_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/tracking/thefts/{theft_id}/recovery": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # the station head certifies; an officer sees the theft, may not
    "POST /api/v1/tracking/thefts/{theft_id}/compensation": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(DENY, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # -- patrol and the "135" reach, unified alarm intake (command centre) -----------------------------------
    "GET /api/v1/command/reach": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/command/patrol/zones": only("admin", "analyst", "commander", "station_head", "officer"),
    "POST /api/v1/command/patrol/zones": only("admin", "commander"),
    "GET /api/v1/command/patrol/units": only("admin", "analyst", "commander", "station_head", "officer"),
    "POST /api/v1/command/patrol/units": only("admin", "commander"),
    # station staff report their own station's units (another's is a rejected item of a 200)
    "POST /api/v1/command/patrol/positions": only("admin", "commander", "station_head", "officer"),
    "GET /api/v1/command/patrol/roster": only("admin", "analyst", "commander", "station_head", "officer"),
    "POST /api/v1/command/patrol/roster": only("admin", "commander", "station_head"),
    # own: a row of station A's roster; other: of station B's
    "DELETE /api/v1/command/patrol/roster/{shift_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(DENY, DENY),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(DENY, DENY),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/command/alarms": only("admin", "commander", "station_head", "officer"),
    "GET /api/v1/command/alarms": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/command/alarms/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    # own: an alarm in station A; other: in station B
    "GET /api/v1/command/alarms/{alarm_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # -- 核查清单: own = a list with a row of station A's; other = a list of station B's rows only ---------
    "POST /api/v1/verify/lists": only("admin", "analyst", "commander"),
    "POST /api/v1/verify/lists/upload": only("admin", "analyst", "commander"),
    "GET /api/v1/verify/lists": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/verify/lists/{list_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/verify/lists/{list_id}/items": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/exports/verify-items": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(DENY, DENY),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # -- 社区戒毒: the 禁毒 duty alone opens it, whatever the role; nobody of the matrix holds it (the duty's
    # holders are in test_rehab_api.py)
    "GET /api/v1/rehab/plans": only(),
    "POST /api/v1/rehab/plans": only(),
    "POST /api/v1/rehab/plans/import": only(),
    "GET /api/v1/rehab/plans/{plan_id}": only(),
    "POST /api/v1/rehab/plans/{plan_id}/checks": only(),
    "POST /api/v1/rehab/plans/{plan_id}/end": only(),
    "GET /api/v1/rehab/figures": only(),
    "GET /api/v1/exports/rehab-plans": only(),
    # -- 交通执法 ----------------------------------------------------------------------------------------------
    "POST /api/v1/traffic/records/import": only("admin", "commander"),
    "GET /api/v1/traffic/figures": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/desk/stats/series": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    # -- stop-payments: the lists as the matrix's partner, of no bank (the bank systems' API refuses it); an
    # order as bank X's liaison: "own" is station A's order to bank X, "other" station B's to bank Y
    "GET /api/v1/payments/banks": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/payments/orders": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/payments/figures": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/payments/calendar/{year}": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/payments/working-days": only("admin", "analyst", "commander", "station_head", "officer", "partner"),
    "GET /api/v1/payments/bank/requests": only(),
    "POST /api/v1/payments/stops": only("admin", "analyst", "station_head", "officer"),
    "GET /api/v1/payments/orders/{order_id}": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(OK, HIDE),
        "officer": rel(OK, HIDE),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # the note of every kind: the bank (the holder) and the centres; the victim's station follows, may not note
    "POST /api/v1/payments/orders/{order_id}/actions": {
        "admin": rel(OK, OK),
        "analyst": rel(OK, OK),
        "commander": rel(OK, OK),
        "station_head": rel(DENY, HIDE),
        "officer": rel(DENY, HIDE),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "GET /api/v1/payments/bank/requests/{order_id}": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/payments/bank/requests/{order_id}/answer": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/payments/bank/requests/{order_id}/freeze": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/payments/bank/requests/{order_id}/renew": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    "POST /api/v1/payments/bank/requests/{order_id}/return": {
        "admin": rel(DENY, DENY),
        "analyst": rel(DENY, DENY),
        "commander": rel(DENY, DENY),
        "station_head": rel(DENY, DENY),
        "officer": rel(DENY, DENY),
        "partner": rel(OK, HIDE),
        "governance": rel(DENY, DENY),
        "resident": rel(DENY, DENY),
        "anonymous": rel(UNAUTH, UNAUTH),
    },
    # -- the command centre: rankings (打榜, read by the centres and the station heads) and the big screen --
    "GET /api/v1/command/rankings": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/command/rankings/boards": only("admin", "analyst", "commander", "station_head"),
    "GET /api/v1/command/rankings/published": only("admin", "analyst", "commander", "station_head"),
    "POST /api/v1/command/rankings/publish": only("admin", "commander"),
    "GET /api/v1/command/screen": only("admin", "analyst", "commander"),
    "GET /api/v1/exports/rankings": only("admin", "analyst", "commander", "station_head"),
    # -- the command centre: hidden dangers and dispute mediation ------------------------------------------
    # "own": a finding in station A's area led by station A's governance centre (the matrix's governance
    # actor); "other": one in station B's area led by a county department. A dispute "own": held by station A
    # (for the governance actor: by its own centre), "other": held by station B.
    "POST /api/v1/command/dangers": only("admin", "analyst", "commander", "station_head", "officer"),
    "GET /api/v1/command/dangers": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/command/dangers/map": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/command/dangers/figures": only(
        "admin", "analyst", "commander", "station_head", "officer", "governance"
    ),
    "GET /api/v1/command/dangers/{danger_id}": command_object(),
    "GET /api/v1/command/dangers/{danger_id}/progress": command_object(),
    "POST /api/v1/command/dangers/{danger_id}/photos": command_object(),
    "GET /api/v1/command/dangers/{danger_id}/photos/{photo_id}": command_object(),
    "POST /api/v1/command/disputes": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/command/disputes": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    # the exports of the two lists: exactly the lists' answers
    "GET /api/v1/exports/dangers": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/exports/disputes": only("admin", "analyst", "commander", "station_head", "officer", "governance"),
    "GET /api/v1/command/disputes/figures": only(
        "admin", "analyst", "commander", "station_head", "officer", "governance"
    ),
    "GET /api/v1/command/disputes/mediators": only(
        "admin", "analyst", "commander", "station_head", "officer", "governance"
    ),
    "POST /api/v1/command/disputes/mediators": only("admin", "commander", "station_head"),
    "GET /api/v1/command/disputes/{dispute_id}": command_object(),
}


# -- the workflow registry: every kind × action × actor (test_task_access.py) -------------------------------

ALLOWED = "allowed"
HIDDEN = "hidden"  # 404: the actor cannot see the task at all
REFUSED = "refused"  # 403: sees it, may not do this

STAFF = ("admin", "analyst", "commander", "head_a", "officer_a1", "officer_b", "gov_a", "exit_officer", "partner")
RESIDENTS = ("owner", "other_resident")
ACTOR_OF_ROLE = {
    "admin": "admin",
    "analyst": "analyst",
    "commander": "commander",
    "station_head": "head_a",
    "officer": "officer_a1",
    "partner": "partner",
    "governance": "gov_a",
    "resident": "owner",
}
"""The matrix's roles as the registry's actors (the relation "own": station A's staff, the request's owner)."""


def desk_expected(who: str, action: str) -> str:
    """The desk workflow's declaration, written out: the handling unit works it, the centres may too, the
    station head assigns, the owner follows up and rates; nobody else sees it."""
    resident_action = action in ("follow_up", "rate")
    if who in ("officer_b", "gov_a", "exit_officer", "partner", "other_resident"):
        return HIDDEN
    if who == "owner":
        return ALLOWED if resident_action else REFUSED
    if resident_action:
        return REFUSED
    if action == "assign":
        return ALLOWED if who in ("admin", "analyst", "commander", "head_a") else REFUSED
    if action == "open_case":  # the police who open cases: not the commander (nor a governance department)
        return REFUSED if who == "commander" else ALLOWED
    return ALLOWED


def dissuasion_expected(who: str, action: str) -> str:
    """The dissuasion workflow's declaration: station A works it, its head assigns, the centres evaluate and
    close; nobody else sees it."""
    if who in ("officer_b", "gov_a", "exit_officer", "partner", "owner", "other_resident"):
        return HIDDEN
    centre = who in ("admin", "analyst", "commander")
    if action in ("evaluate", "close"):
        return ALLOWED if centre else REFUSED
    if action == "assign":
        return ALLOWED if centre or who == "head_a" else REFUSED
    return ALLOWED


# -- the kinds of stop-payments, 断卡, tracking: every kind × action × actor (test_task_access.py) -------------

HOLDER_PARTNER, OTHER_PARTNER = "partner_x", "partner_y"
"""The partner whose unit holds the task (bank X for a stop, the tracking operator for a base station's
maintenance), and a partner of another bank; the matrix's `partner` belongs to no unit."""
CAPABILITY_ACTORS = (*STAFF, HOLDER_PARTNER, OTHER_PARTNER, *RESIDENTS)
CENTRES = ("admin", "analyst", "commander")

STATION_KIND_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # per kind held by station A (in station A's area): per action, who of the centres and of the station may
    "card_verification": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": CENTRES,
        "reopen": CENTRES,
        "sign": (*CENTRES, "head_a", "officer_a1"),
        "verify": (*CENTRES, "head_a", "officer_a1"),
    },
    "case": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": (*CENTRES, "head_a"),
        "reopen": CENTRES,
        "investigate": (*CENTRES, "head_a", "officer_a1"),
        "add_suspect": (*CENTRES, "head_a", "officer_a1"),
        "solve": (*CENTRES, "head_a"),
        "transfer": (*CENTRES, "head_a"),
    },
    "tracking_alert": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": (*CENTRES, "head_a", "officer_a1"),
        "reopen": CENTRES,
        "sign": (*CENTRES, "head_a", "officer_a1"),
        "handle": (*CENTRES, "head_a", "officer_a1"),
    },
    "alarm": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": (*CENTRES, "head_a"),
        "reopen": CENTRES,
        "dispatch": (*CENTRES, "head_a", "officer_a1"),
        "arrive": (*CENTRES, "head_a", "officer_a1"),
        "finish": (*CENTRES, "head_a", "officer_a1"),
    },
    "verification": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": CENTRES,
        "reopen": CENTRES,
        "sign": (*CENTRES, "head_a", "officer_a1"),
        "feedback": (*CENTRES, "head_a", "officer_a1"),
        "route": CENTRES,
    },
    "tracking_theft": {
        "assign": (*CENTRES, "head_a"),
        "note": (*CENTRES, "head_a", "officer_a1"),
        "close": (*CENTRES, "head_a"),
        "reopen": CENTRES,
        "recover": (*CENTRES, "head_a", "officer_a1"),
        "compensate": (*CENTRES, "head_a"),
    },
}


def station_kind_expected(kind: str, who: str, action: str) -> str:
    """A task of station A: the centres and station A work it as declared; nobody else sees it (station B,
    the governance centre, a specialty, every partner, residents)."""
    if who not in (*CENTRES, "head_a", "officer_a1"):
        return HIDDEN
    return ALLOWED if who in STATION_KIND_ROLES[kind][action] else REFUSED


BANK_STOP_ROLES: dict[str, tuple[str, ...]] = {
    # a stop held by bank X, of a victim in station A's area
    "assign": (*CENTRES, HOLDER_PARTNER),
    "note": (*CENTRES, HOLDER_PARTNER),
    "close": ("admin", "analyst"),
    "reopen": CENTRES,
    "answer": ("admin", "analyst", HOLDER_PARTNER),
    "freeze": ("admin", "analyst", HOLDER_PARTNER),
    "renew": ("admin", "analyst", HOLDER_PARTNER),
    "confirm_return": ("admin", "analyst", HOLDER_PARTNER),
    "order_freeze": ("admin", "analyst", "head_a", "officer_a1"),
    "order_renewal": ("admin", "analyst", "head_a", "officer_a1"),
    "order_return": ("admin", "analyst", "head_a", "officer_a1"),
}


def bank_stop_expected(who: str, action: str) -> str:
    """The bank answers, freezes and returns; the police (the centre, the victim's station) order; the victim's
    station follows the order but does not hold it (no note); another bank, the partner of no bank, station B
    and everyone else do not see it."""
    if who not in (*CENTRES, HOLDER_PARTNER, "head_a", "officer_a1"):
        return HIDDEN
    return ALLOWED if who in BANK_STOP_ROLES[action] else REFUSED


MAINTENANCE_ROLES: dict[str, tuple[str, ...]] = {
    # a silent base station's maintenance, held by the tracking operator
    "assign": (*CENTRES, HOLDER_PARTNER),
    "note": (*CENTRES, HOLDER_PARTNER),
    "close": CENTRES,
    "reopen": CENTRES,
    "repair": (*CENTRES, HOLDER_PARTNER),
}


def maintenance_expected(who: str, action: str) -> str:
    """The operator repairs; the centres follow; the stations, banks and residents do not see it."""
    if who not in (*CENTRES, HOLDER_PARTNER):
        return HIDDEN
    return ALLOWED if who in MAINTENANCE_ROLES[action] else REFUSED


# -- 社区戒毒: every action of the restricted kind, with and without the 禁毒 duty (test_task_access.py) ------

NARCOTICS_ACTORS = ("jd_commander", "jd_officer_a1", "jd_officer_b")
"""A commander, station A's officer and station B's officer holding the 禁毒 duty (the other actors do not)."""
REHAB_ROLES: dict[str, tuple[str, ...]] = {
    # a missed check-in held by station A: the duty's holders of the centre and of station A work it
    "assign": ("jd_commander",),
    "note": ("jd_commander", "jd_officer_a1"),
    "close": ("jd_commander",),
    "reopen": ("jd_commander",),
    "sign": ("jd_commander", "jd_officer_a1"),
    "resolve": ("jd_commander", "jd_officer_a1"),
}


def rehab_expected(who: str, action: str) -> str:
    """Without the duty nobody sees it, not the admin, the analyst or the plain commander, nor station A's own
    head and officer; with it, the centre and station A work it as declared; station B's holder does not see it."""
    if who not in ("jd_commander", "jd_officer_a1"):
        return HIDDEN
    return ALLOWED if who in REHAB_ROLES[action] else REFUSED


# -- the command centre's kinds: hidden dangers held by station A's governance centre (the lead department, or
# a co-department for a part) in station A's area; a dispute held by station A ------------------------------

DEPARTMENT_KIND_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "hidden_danger": {
        "assign": (*CENTRES, "gov_a"),
        "note": (*CENTRES, "gov_a", "head_a", "officer_a1"),
        "close": CENTRES,
        "reopen": CENTRES,
        "sign": (*CENTRES, "gov_a"),
        "submit": (*CENTRES, "gov_a"),
        "accept": (*CENTRES, "head_a", "officer_a1"),
        "reject": (*CENTRES, "head_a", "officer_a1"),
        "revise": (*CENTRES, "gov_a"),
    },
    "hidden_danger_part": {
        "assign": (*CENTRES, "gov_a"),
        "note": (*CENTRES, "gov_a"),
        "close": CENTRES,
        "reopen": CENTRES,
        "sign": (*CENTRES, "gov_a"),
        "report": (*CENTRES, "gov_a"),
    },
}


def department_kind_expected(kind: str, who: str, action: str) -> str:
    """The department holding the task works it; the station of the place sees it (and accepts a finding);
    nobody else sees it (station B, a specialty, every partner, residents)."""
    if who not in (*CENTRES, "gov_a", "head_a", "officer_a1"):
        return HIDDEN
    return ALLOWED if who in DEPARTMENT_KIND_ROLES[kind][action] else REFUSED


DISPUTE_ROLES: dict[str, tuple[str, ...]] = {
    "assign": (*CENTRES, "head_a"),
    "note": (*CENTRES, "head_a", "officer_a1"),
    "close": (*CENTRES, "head_a"),
    "reopen": CENTRES,
    "session": (*CENTRES, "head_a", "officer_a1"),
    "agree": (*CENTRES, "head_a", "officer_a1"),
    "follow_up": (*CENTRES, "head_a", "officer_a1"),
    "fail": (*CENTRES, "head_a", "officer_a1"),
}


def dispute_expected(who: str, action: str) -> str:
    """Station A mediates (its head assigns and closes); the centres may too; nobody else sees it."""
    if who not in (*CENTRES, "head_a", "officer_a1"):
        return HIDDEN
    return ALLOWED if who in DISPUTE_ROLES[action] else REFUSED


# -- a finding's co-departments (test_task_access.py): 消防 has a part of a finding led by station A's
# governance centre, 交通 has none -------------------------------------------------------------------------

CO_DEPARTMENT, UNINVOLVED_DEPARTMENT = "gov_xf", "gov_jt"
"""Users of two partner departments of the county (governance units that log in)."""
CO_DEPARTMENT_ROLES: dict[str, tuple[str, ...]] = {
    # per kind, the actions the co-department may take: none on the lead's finding, its own part as holder
    "hidden_danger": (),
    "hidden_danger_part": ("assign", "note", "sign", "report"),
}


def co_department_expected(kind: str, who: str, action: str) -> str:
    """The co-department reads the lead's finding (in the one task list and its detail) and works its own
    part; a department not on the finding sees neither."""
    if who == UNINVOLVED_DEPARTMENT:
        return HIDDEN
    return ALLOWED if action in CO_DEPARTMENT_ROLES[kind] else REFUSED
