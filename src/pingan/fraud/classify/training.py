"""Labelled CSV files (`text,label`), training, and evaluation as `pingan fraud train` / `eval` report it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.errors import BadInput
from pingan.fraud.classify.model import TextModel
from pingan.fraud.classify.service import FraudClassifier
from pingan.fraud.classify.taxonomy import LABELS, Label, parse_label


class LabelledRow(BaseModel):
    """A row of a labelled file: the text and its label id (DESIGN §4); `id` and `source` are kept for the file's
    own bookkeeping and not read."""

    text: str
    label: str
    id: str | None = None
    source: str | None = None


COLUMNS = CsvColumns.of(LabelledRow)


@dataclass
class LabelledFile:
    texts: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    """(line, field, message) of each row left out; the others are used."""


def read_labelled(path: Path) -> LabelledFile:
    """The rows of a labelled CSV. Raises BadInput (naming the column) when the header lacks `text` or `label`
    or has one it does not know; a row with an empty text or an unknown label is left out and reported."""
    out = LabelledFile()
    for line, row in read_csv(path, COLUMNS):
        text = (row.get("text") or "").strip()
        raw = row.get("label") or ""
        if not text:
            out.rejected.append((line, "text", "empty text"))
            continue
        try:
            label = parse_label(raw)
        except ValueError as exc:
            out.rejected.append((line, "label", str(exc)))
            continue
        out.texts.append(text)
        out.labels.append(label)
    if not out.texts:
        raise BadInput(f"{path}: no usable row", field="text")
    return out


def train(data: LabelledFile, *, now: datetime) -> TextModel:
    if len(set(data.labels)) < 2:
        raise BadInput("training needs rows of at least two labels", field="label")
    return TextModel.train(data.texts, data.labels, now=now)


@dataclass(frozen=True)
class Evaluation:
    macro_f1: float
    accuracy: float
    per_label: dict[str, dict[str, float]]
    texts: int
    texts_per_s: float
    source: str
    cpu_seconds: float = 0.0
    """The process's CPU time classifying (what texts/s would be on an idle core)."""
    texts_per_cpu_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_label": self.per_label,
            "texts": self.texts,
            "texts_per_s": round(self.texts_per_s, 1),
            "source": self.source,
            "cpu_seconds": round(self.cpu_seconds, 3),
            "texts_per_cpu_s": round(self.texts_per_cpu_s, 1),
        }


def scores(gold: Sequence[Label], predicted: Sequence[Label]) -> tuple[float, float, dict[str, dict[str, float]]]:
    """Macro F1 over the labels the gold holds, accuracy, and precision/recall/F1/support per gold label."""
    per: dict[str, dict[str, float]] = {}
    present = [lab for lab in LABELS if lab in set(gold)]
    for lab in present:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == lab and p == lab)
        pred = sum(1 for p in predicted if p == lab)
        support = sum(1 for g in gold if g == lab)
        precision = tp / pred if pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[lab.value] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold) if gold else 0.0
    return macro, accuracy, per


def evaluate(classifier: FraudClassifier, data: LabelledFile) -> Evaluation:
    """Classify every text (timed, for texts/s) and score the predictions against the labels."""
    classifier.model(strict=True)  # load the file before the clock starts; a bad one is an error here
    start, cpu_start = time.perf_counter(), time.process_time()
    predictions = classifier.classify(data.texts)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # on a loaded machine the wall clock counts others' turns too
    macro, accuracy, per = scores(data.labels, [p.label for p in predictions])
    source = predictions[0].source if predictions else "empty"
    n = len(data.texts)
    return Evaluation(macro, accuracy, per, n, n / elapsed if elapsed else 0.0, source, cpu, n / cpu if cpu else 0.0)
