"""A county's own model: character n-gram TF-IDF and a multinomial logistic regression, combined with the lexicon.

Chinese needs no word segmentation here: character 1- and 2-grams carry the scripts' vocabulary (刷单, 安全账户) and
survive the typos and masked digits of real messages. The model knows only the labels it was trained on; the
lexicon knows every type of the taxonomy, so the two are combined as a product of experts,

    log p(y) ∝ log p_model(y) + beta · lexicon_points(y),

with a small share of probability (`unseen_mass`) spread over the labels absent from training, so that a text
that the lexicon clearly puts in such a type (冒充军警购物, with no training row) can still be called so.

Long texts (a victim's statement) are cut into overlapping windows, each scored alone and their probabilities
averaged by length, so that one stretch about a loan in a long story of an investment platform does not drown;
past `MAX_CHUNKS` windows the rest is not read. The file is NumPy's `.npz`, read with `allow_pickle=False`: a
model file holds arrays and text, never code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from pingan.fraud.classify.lexicon import fold, softmax
from pingan.fraud.classify.taxonomy import LABELS, Label

FORMAT = "pingan-fraud-classifier/1"
FEATURES = "char-1-2-grams/fibonacci-hash-18/sublinear-tfidf-l2"
"""How texts become columns: a model trained with other features would load and score nonsense, so it is refused."""
CHUNK_CHARS = 256
CHUNK_STEP = 224
MAX_CHUNKS = 64
"""At most this many windows per text (about 14,000 characters); the rest of a longer text is not read."""
DEFAULT_BETA = 0.5
DEFAULT_UNSEEN_MASS = 0.3
_INDEX = {label: i for i, label in enumerate(LABELS)}


class ModelFileError(ValueError):
    """A model file that cannot be read as one (not written by `pingan fraud train`, or damaged)."""


def chunks(text: str) -> list[str]:
    """The windows a text is read in: itself when short, else overlapping windows of `CHUNK_CHARS`."""
    if len(text) <= CHUNK_CHARS:
        return [text]
    out = [text[i : i + CHUNK_CHARS] for i in range(0, len(text) - CHUNK_STEP, CHUNK_STEP)]
    return out[:MAX_CHUNKS]


HASH_BITS = 18
HASH_FEATURES = 2**HASH_BITS
"""Character 1- and 2-grams are hashed into this many columns: no vocabulary to look up; with some 60,000
distinct 1-2-grams in a county's texts, collisions are rare."""
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - HASH_BITS)
_BIGRAM = np.uint64(1 << 42)


def hashed_counts(pieces: Sequence[str]) -> sparse.csr_matrix:
    """Counts of each text's character unigrams and bigrams in hashed columns, for a whole batch at once.

    The texts are laid end to end as code points with a 0 between them; every unigram is a code point and every
    bigram two neighbours with no 0 between, so the batch is counted in a few NumPy operations instead of a
    Python loop over n-grams (scikit-learn's analyzers), which is what makes thousands of texts a second.
    """
    joined = "\0".join(pieces) + "\0"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_char = cp != 0
    row_of = np.cumsum(~is_char) - (~is_char)  # the text each position belongs to
    uni = np.flatnonzero(is_char)
    bi = np.flatnonzero(is_char[:-1] & is_char[1:])
    ids = np.concatenate([cp[uni], _BIGRAM + (cp[bi] << np.uint64(21)) + cp[bi + 1]])
    rows = np.concatenate([row_of[uni], row_of[bi]])
    with np.errstate(over="ignore"):
        cols = ((ids * _GOLDEN) >> _SHIFT).astype(np.int64)
    data = np.ones(len(cols), dtype=np.float32)
    counts = sparse.csr_matrix((data, (rows, cols)), shape=(len(pieces), HASH_FEATURES), dtype=np.float32)
    counts.sum_duplicates()
    return counts


def features(pieces: Sequence[str], idf: NDArray[np.float32]) -> sparse.csr_matrix:
    """TF-IDF rows of already folded texts: sublinear term frequency, the training's idf, unit length."""
    x = hashed_counts(pieces)
    x.data = 1.0 + np.log(x.data)
    x.data *= idf[x.indices]
    out: sparse.csr_matrix = normalize(x, norm="l2", copy=False)
    return out


def document_idf(pieces: Sequence[str]) -> NDArray[np.float32]:
    """Smoothed inverse document frequency of every hashed column, as scikit-learn's TfidfTransformer computes it."""
    x = hashed_counts(pieces)
    df = np.bincount(x.indices, minlength=HASH_FEATURES)
    n = x.shape[0]
    idf: NDArray[np.float32] = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    return idf


@dataclass
class TextModel:
    idf: NDArray[np.float32]
    coef: NDArray[np.float32]
    """(trained labels, features)."""
    intercept: NDArray[np.float32]
    trained: tuple[Label, ...]
    """The labels seen in training, in the rows of `coef`."""
    meta: dict[str, Any]
    beta: float = DEFAULT_BETA
    unseen_mass: float = DEFAULT_UNSEEN_MASS

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[Label],
        *,
        now: datetime,
        c: float = 20.0,
        beta: float = DEFAULT_BETA,
    ) -> TextModel:
        """Fit on labelled texts (at least two labels). Long texts are trained on their windows."""
        distinct = sorted(set(labels), key=lambda lab: _INDEX[lab])
        if len(distinct) < 2:
            raise ValueError("training needs texts of at least two labels")
        rows: list[str] = []
        targets: list[int] = []
        for text, label in zip(texts, labels, strict=True):
            for piece in chunks(fold(text)):
                rows.append(piece)
                targets.append(_INDEX[label])
        idf = document_idf(rows)
        x = features(rows, idf)
        clf = LogisticRegression(C=c, max_iter=500, class_weight="balanced")
        clf.fit(x, np.array(targets))
        trained = tuple(LABELS[int(i)] for i in clf.classes_)
        counts = {lab.value: int(sum(1 for t in labels if t == lab)) for lab in distinct}
        meta = {
            "format": FORMAT,
            "features": FEATURES,
            "trained_at": now.isoformat(),
            "rows": len(texts),
            "counts": counts,
            "c": c,
        }
        coef = np.asarray(clf.coef_, dtype=np.float32)
        intercept = np.asarray(clf.intercept_, dtype=np.float32)
        if len(trained) == 2:  # binary: sklearn keeps one row, for the second class
            coef = (np.vstack([-coef, coef]) / 2).astype(np.float32)
            intercept = (np.concatenate([-intercept, intercept]) / 2).astype(np.float32)
        return cls(idf, coef, intercept, trained, meta, beta=beta)

    # -- scoring ---------------------------------------------------------------------------------------

    def probabilities(self, folded: Sequence[str]) -> NDArray[np.float64]:
        """p_model over every label (`LABELS` order) for already folded texts; unseen labels share `unseen_mass`."""
        pieces: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(folded):
            for piece in chunks(text):
                pieces.append(piece)
                owner.append(i)
        out = np.zeros((len(folded), len(LABELS)))
        if not pieces:
            return out
        x = features(pieces, self.idf)
        logits = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        p_piece = softmax(logits)
        weights = np.array([max(1, len(p)) for p in pieces], dtype=np.float64)
        sums = np.zeros((len(folded), len(self.trained)))
        np.add.at(sums, np.array(owner), p_piece * weights[:, None])
        total = np.zeros(len(folded))
        np.add.at(total, np.array(owner), weights)
        p_trained = sums / total[:, None]
        columns = [_INDEX[lab] for lab in self.trained]
        unseen = [i for i in range(len(LABELS)) if i not in set(columns)]
        share = self.unseen_mass if unseen else 0.0
        out[:, columns] = p_trained * (1.0 - share)
        if unseen:
            out[:, unseen] = share / len(unseen)
        return out

    def combine(
        self, p_model: NDArray[np.float64], lexicon_points: NDArray[np.float64], normal_bias: float
    ) -> NDArray[np.float64]:
        """The product of the model and the lexicon (see the module docstring), as probabilities."""
        evidence = lexicon_points.copy()
        evidence[:, _INDEX[Label.NORMAL]] -= normal_bias  # the model has its own view of normal
        return softmax(np.log(np.clip(p_model, 1e-9, None)) + self.beta * evidence)

    # -- the file --------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the model to `path` (via a temporary file renamed over it: a reader never sees half a model)."""
        meta = {
            **self.meta,
            "beta": self.beta,
            "unseen_mass": self.unseen_mass,
            "labels": [lab.value for lab in self.trained],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.savez_compressed(
                fh,
                idf=self.idf,
                coef=self.coef,
                intercept=self.intercept,
                meta=np.array(json.dumps(meta, ensure_ascii=False)),
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                    found = meta.get("format") if isinstance(meta, dict) else None
                    raise ModelFileError(f"{path}: model format {found!r}, expected {FORMAT!r}")
                idf = data["idf"]
                coef = data["coef"]
                intercept = data["intercept"]
        except ModelFileError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a model file written by `pingan fraud train` ({exc})") from None
        if meta.get("features") != FEATURES:
            raise ModelFileError(
                f"{path}: trained with features {meta.get('features')!r}, this version reads {FEATURES!r}: "
                "train it again (pingan fraud train)"
            )
        try:
            trained = tuple(Label(v) for v in meta["labels"])
        except (KeyError, ValueError) as exc:
            raise ModelFileError(f"{path}: bad label list ({exc})") from None
        shapes = (coef.shape, idf.shape, intercept.shape)
        if shapes != ((len(trained), HASH_FEATURES), (HASH_FEATURES,), (len(trained),)):
            raise ModelFileError(f"{path}: arrays of inconsistent shapes {shapes}")
        return cls(
            idf,
            coef,
            intercept,
            trained,
            meta,
            beta=float(meta.get("beta", DEFAULT_BETA)),
            unseen_mass=float(meta.get("unseen_mass", DEFAULT_UNSEEN_MASS)),
        )
