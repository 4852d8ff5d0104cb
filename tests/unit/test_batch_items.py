"""The one way a batch keeps its good items and names each bad one (`pingan.core.errors.validate_items`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter, field_validator

from pingan.command.verify.service import RowRejected
from pingan.core.errors import Rejected, validate_items


class Item(BaseModel):
    id: str
    count: int

    @field_validator("count")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("须为正数")
        return value


ITEM = TypeAdapter(Item)


def test_good_items_are_kept_with_their_place_and_bad_ones_named_in_order() -> None:
    items: list[Any] = [{"id": "a", "count": 1}, 7, {"id": "b", "count": "x"}, {"id": "c", "count": 2}]
    good, bad = validate_items(ITEM, enumerate(items), "须为对象", Rejected)
    assert [(i, item.id) for i, item in good] == [(0, "a"), (3, "c")]
    assert [(r.index, r.id, r.field, r.code) for r in bad] == [
        (1, None, None, "not_an_object"),
        (2, "b", "count", "int_parsing"),
    ]
    assert bad[0].message == "须为对象"
    assert bad[1].as_dict() == {
        "index": 2,
        "id": "b",
        "error": {"code": "int_parsing", "message": bad[1].message, "field": "count"},
    }


def test_an_item_is_named_by_its_first_problem_and_a_long_id_is_cut() -> None:
    _good, bad = validate_items(ITEM, [(0, {"id": "x" * 300, "count": 0})], "须为对象", Rejected)
    assert bad[0].field == "count"
    assert bad[0].message == "Value error, 须为正数"
    assert bad[0].id == "x" * 128


def test_a_row_of_a_list_is_named_by_its_line_without_a_blank_id_or_pydantics_prefix() -> None:
    _good, bad = validate_items(ITEM, [(5, {"id": "", "count": 0}), (9, "row")], "须为对象", RowRejected)
    assert [(r.line, r.id, r.message) for r in bad] == [(5, None, "须为正数"), (9, None, "须为对象")]
    assert bad[0].as_dict()["line"] == 5
    assert "index" not in bad[0].as_dict()


def test_an_empty_batch_has_nothing_good_and_nothing_bad() -> None:
    assert validate_items(ITEM, [], "须为对象", Rejected) == ([], [])
