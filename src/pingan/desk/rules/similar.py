"""Is this request like one already open? Text similarity and nearness (pure).

Residents describe the same barking dog in different words, so texts are compared as sets of
character bigrams (Chinese has no spaces to split words on; bigrams are the usual cheap unit), with
the Dice coefficient, after NFKC folding and removal of punctuation and spaces.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pingan.core.geo import distance_m

M_PER_DEG_LAT = 111_195.0


def normalize_text(text: str) -> str:
    """Lower case, full-width folded, only letters and digits (CJK included) kept."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


def bigrams(text: str) -> frozenset[str]:
    norm = normalize_text(text)
    if len(norm) < 2:
        return frozenset({norm}) if norm else frozenset()
    return frozenset(norm[i : i + 2] for i in range(len(norm) - 1))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the texts' bigram sets, 0 (nothing shared) to 1 (same text)."""
    sa, sb = bigrams(a), bigrams(b)
    if not sa or not sb:
        return 0.0
    return 2.0 * len(sa & sb) / (len(sa) + len(sb))


def content_hash(category: str, text: str) -> str:
    """A key for "the same request posted twice": category plus the normalised text."""
    return hashlib.sha256(f"{category}\x1f{normalize_text(text)}".encode()).hexdigest()[:32]


def bbox(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box that holds the circle of `radius_m` around a point."""
    dlat = radius_m / M_PER_DEG_LAT * 1.01
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    text: str
    lon: float | None
    lat: float | None
    address_key: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Duplicate:
    id: int
    similarity: float
    distance_m: float | None


def best_duplicate(
    text: str,
    lon: float | None,
    lat: float | None,
    address_key: str | None,
    candidates: Iterable[Candidate],
    *,
    radius_m: float,
    min_similarity: float,
) -> Duplicate | None:
    """The most similar candidate at the same place (within `radius_m`, or at the same address when
    either side has no location), if its text is similar enough; ties go to the older request.

    The caller has already kept only open requests of the same category within the time window.
    """
    best: Duplicate | None = None
    for c in candidates:
        dist: float | None = None
        if lon is not None and lat is not None and c.lon is not None and c.lat is not None:
            dist = distance_m(lon, lat, c.lon, c.lat)
            if dist > radius_m:
                continue
        elif address_key is None or c.address_key != address_key:
            continue
        sim = similarity(text, c.text)
        if sim < min_similarity:
            continue
        if best is None or sim > best.similarity or (sim == best.similarity and c.id < best.id):
            best = Duplicate(c.id, round(sim, 3), None if dist is None else round(dist, 1))
    return best


def address_key(address: str | None, lon: float | None, lat: float | None) -> str | None:
    """What "one address" means for flood limits: the normalised address text, else a ~10 m grid cell."""
    if address:
        norm = normalize_text(address)
        if norm:
            return "a:" + hashlib.sha256(norm.encode()).hexdigest()[:24]
    if lon is not None and lat is not None:
        return f"g:{round(lon, 4):.4f},{round(lat, 4):.4f}"
    return None
