"""A set of normalised identifiers as a sorted array of 64-bit hashes: membership for millions at a time.

Ten million indicators are 80 MB here (a Python set of the strings would take well over a gigabyte), and a
batch of lookups is one vectorised hash and one `searchsorted`. Identifiers are hashed as ``kind:value``
(`hash_keys`: eight bytes at a time, MurmurHash3's finaliser); at 10 M entries the chance that a given lookup meets a false
match is about 5e-13, and a caller who must be sure confirms a hit against the stored value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_SEED = np.uint64(0xCBF29CE484222325)
_MUL = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)


def hash_keys(keys: Sequence[str]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each string's UTF-8 bytes, for a whole batch at once.

    The bytes are read eight at a time as little-endian words; each word is mixed in (xor, multiply by the
    golden ratio, xor-shift) and the result goes through MurmurHash3's finaliser. Words that are all zero
    are skipped: they can only be the padding of a shorter string (no key holds a NUL), so a string hashes
    the same whatever the width of the batch it is in.
    """
    if not keys:
        return np.zeros(0, dtype=np.uint64)
    try:
        raw = np.array(keys, dtype=np.bytes_)  # ASCII, the common case: numpy encodes in C
    except UnicodeEncodeError:
        raw = np.array([k.encode() for k in keys], dtype=np.bytes_)
    width = raw.dtype.itemsize
    padded = -(-width // 8) * 8
    if padded != width:
        raw = raw.astype(f"S{padded}")
    words = np.frombuffer(raw.tobytes(), dtype="<u8").reshape(len(keys), padded // 8)
    h = np.full(len(keys), _SEED, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(words.shape[1]):
            word = words[:, i]
            mixed = (h ^ word) * _MUL
            mixed ^= mixed >> np.uint64(32)
            h = np.where(word != 0, mixed, h)
        h ^= h >> np.uint64(33)
        h *= _M1
        h ^= h >> np.uint64(33)
        h *= _M2
        h ^= h >> np.uint64(33)
    return h


def key_of(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class HashIndex:
    """Membership of normalised identifiers in a fixed set, by their hashes (see the module's note)."""

    def __init__(self, hashes: npt.NDArray[np.uint64]) -> None:
        ordered = np.sort(hashes)
        keep = np.ones(ordered.size, dtype=bool)
        if ordered.size:
            np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
        self.hashes = ordered[keep]  # sorted, without repeats

    @classmethod
    def of(cls, keys: Sequence[str], batch: int = 1_000_000) -> HashIndex:
        parts = [hash_keys(keys[i : i + batch]) for i in range(0, len(keys), batch)]
        return cls(np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64))

    def __len__(self) -> int:
        return int(self.hashes.size)

    def contains_hashes(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        found = np.zeros(hashes.size, dtype=bool)
        if not self.hashes.size or not hashes.size:
            return found
        # Looked up in sorted order: the binary searches then walk the array forwards and mostly hit the
        # cache (random needles into 80 MB were fifteen times slower).
        order = np.argsort(hashes)
        needles = hashes[order]
        at = np.searchsorted(self.hashes, needles)
        at[at == self.hashes.size] = 0
        found[order] = self.hashes[at] == needles
        return found

    def contains(self, keys: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Whether each key (``kind:value``, normalised) is in the set."""
        return self.contains_hashes(hash_keys(keys))
