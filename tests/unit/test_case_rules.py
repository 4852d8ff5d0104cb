"""The cases' county rules: the stoplist is normalised as identifiers are, and a county file overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.bootstrap import load_rules
from pingan.money.rules import CaseRules


def test_the_default_stoplist_holds_the_hotlines_and_apps_normalised() -> None:
    rules = load_rules().section(CaseRules)
    stop = rules.stop_keys()
    assert {("phone", "95588"), ("phone", "10086"), ("app", "com.eg.android.alipaygphone"), ("domain", "t.cn")} <= stop
    assert rules.link_rules().cap == 50


def test_a_county_file_replaces_a_kinds_stoplist_and_the_cap(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text(
        '[cases]\ncounty_code = "522301"\nmax_cases_per_identifier = 20\n'
        '[cases.stoplist]\nphone = ["+86 0859-3221100"]\n',
        encoding="utf-8",
    )
    rules = load_rules(county).section(CaseRules)
    assert rules.county_code == "522301"
    stop = rules.link_rules().stoplist
    assert {v for k, v in stop if k == "phone"} == {"08593221100"}  # the phone list replaced whole
    assert ("domain", "alipay.com") in stop  # the kinds it does not name keep their defaults
    assert rules.link_rules().cap == 20


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('[cases.stoplist]\nphone = ["12ab"]\n', "stoplist"),
        ("[cases]\nmax_cases_per_identifier = 1\n", "max_cases_per_identifier"),
        ('[cases]\ncounty_code = "xx"\n', "county_code"),
        ('[cases.stoplist]\nfax = ["1"]\n', "stoplist"),
    ],
)
def test_a_bad_value_is_refused_with_its_place(tmp_path: Path, body: str, where: str) -> None:
    county = tmp_path / "county.toml"
    county.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError, match=where):
        load_rules(county)
