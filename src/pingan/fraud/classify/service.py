"""`FraudClassifier.classify(texts) -> list[Prediction]`: the one entry point, for intake, the CLI and other
capabilities (through a port of theirs, wired in `pingan.bootstrap`).

With no model file it classifies by the lexicon alone; once `pingan fraud train` has written the county's
model into the instance folder, by the model combined with the lexicon. A model file written while the
server runs is picked up at the next call (its modification time is looked at, not its content).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pingan.fraud.classify.lexicon import Lexicon, fold, softmax
from pingan.fraud.classify.model import ModelFileError, TextModel
from pingan.fraud.classify.taxonomy import LABEL_NAMES, LABELS, Label

log = logging.getLogger(__name__)
MODEL_FILE_NAME = "fraud_classifier.npz"
MAX_TEXT_CHARS = 20_000
"""Longer texts are read up to here (the model reads fewer: see `model.MAX_CHUNKS`)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    label: Label
    """The most likely type; `normal` for a text with no sign of fraud (and for an empty one)."""
    name: str
    """Its Chinese name."""
    confidence: float
    """Its probability, 0..1; 0 for an empty text."""
    source: str
    """`model` (the county's trained model with the lexicon), `lexicon` (no model yet) or `empty`."""
    runner_up: Label | None = None
    terms: tuple[str, ...] = ()
    """The lexicon terms found, for the analyst to see why (at most 8)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label.value,
            "name": self.name,
            "confidence": round(self.confidence, 4),
            "source": self.source,
            "runner_up": self.runner_up.value if self.runner_up else None,
            "terms": list(self.terms),
        }


EMPTY = Prediction(Label.NORMAL, LABEL_NAMES[Label.NORMAL], 0.0, "empty")


class FraudClassifier:
    def __init__(self, model_path: Path | None, lexicon: Lexicon | None = None) -> None:
        self.model_path = model_path
        self.lexicon = lexicon or Lexicon.load()
        self._model: TextModel | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def in_instance(cls, instance_dir: Path) -> FraudClassifier:
        return cls(instance_dir / MODEL_FILE_NAME)

    def model(self, *, strict: bool = False) -> TextModel | None:
        """The model in `model_path`, reloaded when the file changed; None while there is none.

        A file that is not a usable model (damaged, or trained by another version) raises `ModelFileError` when
        `strict` (the CLI says so); otherwise it is logged once and the lexicon classifies alone, so that intake
        never fails over a model file.
        """
        if self.model_path is None:
            return self._model
        try:
            st = os.stat(self.model_path)
        except FileNotFoundError:
            self._model, self._stamp = None, None
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp or (strict and self._model is None):
            with self._lock:
                if stamp != self._stamp or (strict and self._model is None):
                    self._stamp = stamp
                    try:
                        self._model = TextModel.load(self.model_path)
                    except ModelFileError:
                        self._model = None
                        if strict:
                            raise
                        log.exception("fraud classifier: %s is not usable; classifying by the lexicon", self.model_path)
        return self._model

    def use(self, model: TextModel | None) -> None:
        """Classify with this model (in memory, no file): evaluation of a model just trained, tests."""
        self.model_path = None
        self._model = model

    def classify(self, texts: Sequence[str | None]) -> list[Prediction]:
        """A prediction for each text, in order. Empty or blank texts get `EMPTY`; long ones are read in
        windows up to `MAX_TEXT_CHARS`."""
        folded = [fold(t[:MAX_TEXT_CHARS]).strip() if t else "" for t in texts]
        present = [i for i, t in enumerate(folded) if t]
        out: list[Prediction] = [EMPTY] * len(folded)
        if not present:
            return out
        hits = [self.lexicon.hits(folded[i]) for i in present]
        points = np.array([h.points for h in hits])
        model = self.model()
        if model is None:
            probs = softmax(points)
            source = "lexicon"
        else:
            probs = model.combine(model.probabilities([folded[i] for i in present]), points, self.lexicon.normal_bias)
            source = "model"
        order = np.argsort(-probs, axis=1)
        for row, i in enumerate(present):
            best, second = LABELS[int(order[row, 0])], LABELS[int(order[row, 1])]
            out[i] = Prediction(
                best, LABEL_NAMES[best], float(probs[row, order[row, 0]]), source, second, hits[row].terms[:8]
            )
        return out
