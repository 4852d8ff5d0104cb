"""Training and evaluating the fraud-type model on real labelled texts (`PINGAN_SHARED_DATA`/fraud/train.csv),
through `pingan fraud train` and `pingan fraud eval --json`, as a county would on its own cases.

The file is split here (80/20 per label, fixed seed); nothing trained on it is kept. The floors are what was
measured on this split minus a margin: lexicon alone 0.635 → 0.55; model with lexicon 0.94 → 0.90.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pingan.cli import app
from tests.conftest import IN_CI

LEXICON_FLOOR = 0.55
MODEL_FLOOR = 0.90


@pytest.fixture(scope="module")
def split(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    source = shared_data / "fraud" / "train.csv"
    if not source.is_file():
        if IN_CI:
            pytest.fail(f"{source} not found (CI=true: this must not be skipped)")
        pytest.skip(f"{source} not found; set PINGAN_SHARED_DATA")
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_label: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row)
    rng = random.Random(20261201)
    train_rows: list[dict[str, str]] = []
    test_rows: list[dict[str, str]] = []
    for label_rows in by_label.values():
        rng.shuffle(label_rows)
        cut = int(len(label_rows) * 0.8)
        train_rows += label_rows[:cut]
        test_rows += label_rows[cut:]
    folder = tmp_path_factory.mktemp("fraud-split")
    paths = []
    for name, part in (("train.csv", train_rows), ("test.csv", test_rows)):
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["text", "label", "source"])
            writer.writeheader()
            writer.writerows(part)
        paths.append(path)
    return paths[0], paths[1]


def _eval(test: Path, instance: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app, ["fraud", "eval", str(test), "--json", *extra], env={"PINGAN_INSTANCE_DIR": str(instance)}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out: dict[str, object] = json.loads(lines[0])
    return out


@pytest.mark.shared_data
def test_training_on_the_county_cases_beats_the_lexicon(split: tuple[Path, Path], tmp_path: Path) -> None:
    train, test = split
    instance = tmp_path / "var"
    baseline = _eval(test, instance)
    assert baseline["source"] == "lexicon"
    assert isinstance(baseline["macro_f1"], float)
    assert baseline["macro_f1"] > LEXICON_FLOOR

    trained = CliRunner().invoke(app, ["fraud", "train", str(train)], env={"PINGAN_INSTANCE_DIR": str(instance)})
    assert trained.exit_code == 0, trained.output
    assert (instance / "fraud_classifier.npz").is_file()

    scored = _eval(test, instance)
    assert scored["source"] == "model"
    assert isinstance(scored["macro_f1"], float)
    assert scored["macro_f1"] > MODEL_FLOOR
    assert isinstance(scored["accuracy"], float)
    assert scored["accuracy"] > MODEL_FLOOR
    per_label = scored["per_label"]
    assert isinstance(per_label, dict)
    assert set(per_label) == {
        "normal",
        "order_brushing",
        "loan",
        "impersonate_acquaintance",
        "game_trade",
        "impersonate_officials",
        "fake_customer_service",
        "romance",
    }
    assert set(per_label["romance"]) == {"precision", "recall", "f1", "support"}
    assert isinstance(scored["texts_per_s"], float)
    assert scored["texts_per_s"] > 0
    assert isinstance(scored["cpu_seconds"], float)
    assert scored["cpu_seconds"] > 0
    assert isinstance(scored["texts_per_cpu_s"], float)
    assert scored["texts_per_cpu_s"] > 0
    # An explicit --model path reads the same file; a missing one is one line, not a traceback.
    again = _eval(test, tmp_path / "elsewhere", "--model", str(instance / "fraud_classifier.npz"))
    assert again["macro_f1"] == scored["macro_f1"]
    missing = CliRunner().invoke(app, ["fraud", "eval", str(test), "--model", str(tmp_path / "none.npz")])
    assert missing.exit_code == 1
    assert "no such model file" in missing.output


def test_eval_of_a_file_without_the_label_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,kind\n刷单,x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["fraud", "eval", str(path), "--json"], env={"PINGAN_INSTANCE_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "missing column 'label'" in result.output
    assert "Traceback" not in result.output
