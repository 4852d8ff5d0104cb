"""Uploads on the desk: photos and voice notes, sniffed by their first bytes, stored under `media_dir`.

The client's content type is never trusted: the type is read from the file's magic bytes and must be
one of `ALLOWED`; the size is checked per kind. Files are written to a temporary name and renamed, and
the caller deletes them again if its transaction does not commit (`StoredFile.discard`), so a failed
post leaves nothing half-stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pingan.core.errors import BadInput, PinganError
from pingan.desk.models import MediaKind


class TooLarge(PinganError):
    status = 413
    code = "file_too_large"


ALLOWED: dict[str, tuple[MediaKind, str]] = {
    "image/jpeg": (MediaKind.IMAGE, "jpg"),
    "image/png": (MediaKind.IMAGE, "png"),
    "image/webp": (MediaKind.IMAGE, "webp"),
    "audio/webm": (MediaKind.AUDIO, "webm"),
    "audio/ogg": (MediaKind.AUDIO, "ogg"),
    "audio/mpeg": (MediaKind.AUDIO, "mp3"),
    "audio/mp4": (MediaKind.AUDIO, "m4a"),
    "audio/amr": (MediaKind.AUDIO, "amr"),
}

# ISO base media brands of audio-only or generic MP4 files (m4a from phones, WeChat voice as m4a/aac).
_MP4_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"iso5", b"iso6", b"dash"})


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes (at least 64 of them when the file has them), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM names its doctype in the header
        return "audio/webm" if b"webm" in head[:64] else None
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):  # "#!AMR\n" and "#!AMR-WB\n"
        return "audio/amr"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:12] in _MP4_AUDIO_BRANDS else None
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    # An MPEG audio frame: 11 sync bits, then a version other than "reserved" and a layer other than
    # "reserved" (which also keeps out AAC ADTS, whose layer bits are 00).
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version = (head[1] >> 3) & 0b11
        layer = (head[1] >> 1) & 0b11
        if version != 0b01 and layer != 0b00:
            return "audio/mpeg"
    return None


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the client sent it; `data` has already been read within the size limit (+1 byte)."""

    filename: str | None
    declared_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str | None
    mime: str
    kind: MediaKind
    ext: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: Path
    relative: str

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class MediaStore:
    def __init__(self, root: Path, *, max_image_bytes: int, max_audio_bytes: int, max_files: int) -> None:
        self.root = root
        self.max_image_bytes = max_image_bytes
        self.max_audio_bytes = max_audio_bytes
        self.max_files = max_files

    @property
    def read_limit(self) -> int:
        """Read at most this many bytes of any upload: one more than the largest allowed file."""
        return max(self.max_image_bytes, self.max_audio_bytes) + 1

    def check(self, uploads: list[Upload]) -> list[CheckedFile]:
        """Sniff and size-check every upload; raises BadInput / TooLarge naming ``files[i]``."""
        if len(uploads) > self.max_files:
            raise BadInput(f"最多上传 {self.max_files} 个文件", field="files", code="too_many_files")
        checked: list[CheckedFile] = []
        for i, up in enumerate(uploads):
            where = f"files[{i}]"
            if not up.data:
                raise BadInput("文件为空", field=where, code="empty_file")
            mime = sniff(up.data[:64])
            if mime is None:
                raise BadInput(
                    "不支持的文件类型：只接受 JPEG/PNG/WebP 图片和 WebM/Ogg/MP3/M4A/AMR 语音",
                    field=where,
                    code="unsupported_media_type",
                )
            kind, ext = ALLOWED[mime]
            limit = self.max_image_bytes if kind is MediaKind.IMAGE else self.max_audio_bytes
            if len(up.data) > limit:
                noun = "图片" if kind is MediaKind.IMAGE else "语音"
                raise TooLarge(f"{noun}不能超过 {limit // (1024 * 1024) or 1} MB", field=where)
            checked.append(
                CheckedFile(
                    filename=_safe_name(up.filename),
                    mime=mime,
                    kind=kind,
                    ext=ext,
                    data=up.data,
                    sha256=hashlib.sha256(up.data).hexdigest(),
                )
            )
        return checked

    def write(self, file: CheckedFile, now: datetime) -> StoredFile:
        """Write atomically under ``YYYY/MM/`` with an unguessable name."""
        relative = f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}.{file.ext}"
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        try:
            with tmp.open("xb") as fh:
                fh.write(file.data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        return StoredFile(path, relative)

    def path_of(self, relative: str) -> Path:
        """The absolute path of a stored file, refusing anything that would leave the media folder."""
        root = self.root.resolve()
        path = (root / relative).resolve()
        if root not in path.parents:
            raise BadInput("文件路径无效", field="media_id")
        return path


def _safe_name(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:255] or None


class MediaLinks:
    """Short-lived signed links, so that an ``<img>`` or ``<audio>`` can load an upload without a header.

    A link names the viewer it was made for and expires; the viewer was allowed to see the request
    when the link was made.
    """

    def __init__(self, secret: str, *, ttl_seconds: int = 3600) -> None:
        self._key = hashlib.sha256(("desk-media:" + secret).encode()).digest()
        self.ttl_seconds = ttl_seconds

    def _sig(self, media_id: int, viewer_id: int, exp: int) -> str:
        return hmac.new(self._key, f"{media_id}:{viewer_id}:{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def url(self, media_id: int, viewer_id: int, now: datetime) -> str:
        exp = int(now.timestamp()) + self.ttl_seconds
        return f"/api/v1/desk/media/{media_id}?v={viewer_id}&exp={exp}&sig={self._sig(media_id, viewer_id, exp)}"

    def valid(self, media_id: int, viewer_id: int, exp: int, sig: str, now: datetime) -> bool:
        # Compared as bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500).
        expected = self._sig(media_id, viewer_id, exp).encode()
        return exp >= int(now.timestamp()) and hmac.compare_digest(sig.encode(), expected)
