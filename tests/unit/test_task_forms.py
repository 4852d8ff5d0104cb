"""A task's actions as forms for the generic task page: each field with its Chinese label and type, the
kind's own work before the shared actions, and a form with an id to pick or a code to choose left to the
kind's own screen."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from pingan.core.clock import FakeClock
from pingan.core.notify import Notifier
from pingan.core.tasks import TaskService
from pingan.core.tasks.contract import Payload, form_fields
from pingan.tracking.rules import TrackingRules
from pingan.tracking.workflow import MaintenanceWorkflow, RecoverPayload, TheftWorkflow


class _RouteWithId(Payload):
    unit_id: int = Field(ge=1)


def test_a_payloads_fields_read_with_their_chinese_labels_types_and_bounds() -> None:
    fields = {f["name"]: f for f in form_fields(RecoverPayload)}
    assert fields["place"] == {"name": "place", "label": "找回地点", "type": "text", "required": True,
                               "min_length": 1, "max_length": 200}  # fmt: skip
    assert (fields["suspects"]["type"], fields["suspects"]["ge"], fields["suspects"]["le"]) == ("number", 0, 1000)
    assert (fields["gang"]["type"], fields["gang"]["required"]) == ("text", False)
    assert fields["note"]["label"] == "备注"
    assert form_fields(_RouteWithId) == [
        {"name": "note", "label": "备注", "type": "text", "required": False, "max_length": 2000},
        {"name": "unit_id", "label": "unit_id", "type": "number", "required": True, "ge": 1},
    ]


def test_the_kinds_own_work_comes_first_and_an_unnamed_field_keeps_the_action_off_the_generic_page() -> None:
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    rules = TrackingRules()
    tasks = TaskService(clock, [TheftWorkflow(rules), MaintenanceWorkflow(rules)], Notifier(clock))
    forms = tasks.action_forms("tracking_theft", ["close", "note", "recover", "compensate", "assign"])
    assert [f["action"] for f in forms] == ["recover", "compensate", "assign", "note", "close"]
    assert {f["action"]: f["generic"] for f in forms} == {
        "recover": True, "compensate": True, "note": True, "close": True,
        "assign": False,  # 承办人 is named, but picking a person is the dispatch screen's
    }  # fmt: skip
    assert tasks.action_forms("station_maintenance", ["repair"])[0]["fields"][0]["label"] == "维修情况"
