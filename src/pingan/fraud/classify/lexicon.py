"""The fraud-type lexicon (`lexicon.toml`): classification with no training, and the prior of a trained model.

Pure: texts in, points per label out. All terms are matched in one pass of one regular expression (longest
term first), over the text folded to NFKC and lower case, so full-width letters and digits match too.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pingan.fraud.classify.taxonomy import LABELS, Label

_INDEX = {label: i for i, label in enumerate(LABELS)}


def fold(text: str) -> str:
    """What the lexicon and the model read: NFKC (full-width to half-width), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True, slots=True)
class LexiconHits:
    points: NDArray[np.float64]
    """Per label, in `LABELS` order; `normal` holds the bias."""
    terms: tuple[str, ...]
    """The distinct terms found, in the order they appear."""


class Lexicon:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.normal_bias = float(config.get("normal_bias", 1.5))
        strong = float(config.get("strong_weight", 2.0))
        weak = float(config.get("weak_weight", 1.0))
        cue = float(config.get("cue_weight", 0.75))
        weights: dict[str, list[tuple[int, float]]] = {}

        def add(term: str, label: Label, weight: float) -> None:
            key = fold(term).strip()
            if key:
                entries = weights.setdefault(key, [])
                if all(i != _INDEX[label] for i, _ in entries):
                    entries.append((_INDEX[label], weight))

        types = config.get("types", {})
        unknown = sorted(set(types) - {label.value for label in LABELS})
        if unknown:
            raise ValueError(f"lexicon: unknown type {unknown[0]!r}")
        for name, table in types.items():
            label = Label(name)
            for term in table.get("strong", ()):
                add(term, label, strong)
            for term in table.get("weak", ()):
                add(term, label, weak)
        for term in config.get("cues", ()):
            add(term, Label.OTHER, cue)
        self.weights = {term: tuple(entries) for term, entries in weights.items()}
        self.covered = frozenset(Label(name) for name, table in types.items() if table.get("strong"))
        """The types the lexicon has terms for."""
        ordered = sorted(self.weights, key=lambda t: (-len(t), t))
        self._pattern = re.compile("|".join(re.escape(t) for t in ordered))

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """The packaged lexicon, or a county's own file of the same form."""
        if path is None:
            raw = resources.files("pingan.fraud.classify").joinpath("lexicon.toml").read_text(encoding="utf-8")
        else:
            raw = path.read_text(encoding="utf-8")
        return cls(tomllib.loads(raw))

    def hits(self, folded: str) -> LexiconHits:
        """Points of an already folded text (see `fold`); each distinct term counts once."""
        points = np.zeros(len(LABELS))
        points[_INDEX[Label.NORMAL]] = self.normal_bias
        seen: dict[str, None] = {}
        for match in self._pattern.finditer(folded):
            term = match.group()
            if term in seen:
                continue
            seen[term] = None
            for i, weight in self.weights[term]:
                points[i] += weight
        return LexiconHits(points, tuple(seen))

    def score(self, texts: Sequence[str]) -> list[LexiconHits]:
        return [self.hits(fold(t)) for t in texts]


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: NDArray[np.float64] = exp / exp.sum(axis=-1, keepdims=True)
    return out
