"""Uploads: the type comes from the file's first bytes, never from the client; sizes per kind; safe storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pingan.core.errors import BadInput
from pingan.desk.media import MediaLinks, MediaStore, TooLarge, Upload, sniff
from pingan.desk.models import MediaKind

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(60),
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(60),
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(60),
    "audio/webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(60),
    "audio/ogg": b"OggS\x00\x02" + bytes(60),
    "audio/mpeg": b"ID3\x04\x00\x00" + bytes(60),
    "audio/mp4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(60),
    "audio/amr": b"#!AMR\n" + bytes(60),
}


def store(tmp_path: Path, **limits: int) -> MediaStore:
    return MediaStore(
        tmp_path,
        max_image_bytes=limits.get("image", 1000),
        max_audio_bytes=limits.get("audio", 2000),
        max_files=limits.get("files", 3),
    )


@pytest.mark.parametrize("mime", sorted(SAMPLES))
def test_each_allowed_type_is_recognised_by_its_magic_bytes(mime: str) -> None:
    assert sniff(SAMPLES[mime][:64]) == mime


def test_a_bare_mpeg_frame_is_audio_but_an_aac_adts_frame_and_a_matroska_video_are_not() -> None:
    assert sniff(b"\xff\xfb\x90\x64" + bytes(60)) == "audio/mpeg"
    assert sniff(b"\xff\xf1\x50\x80" + bytes(60)) is None
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska" + bytes(60)) is None


@pytest.mark.parametrize(
    "data",
    [b"<?php system($_GET['c']); ?>", b"<html><script>alert(1)</script>", b"%PDF-1.7", b"MZ\x90\x00", b"GIF89a"],
)
def test_anything_else_is_refused_whatever_the_client_says(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(BadInput) as caught:
        store(tmp_path).check([Upload("photo.jpg", "image/jpeg", data)])
    assert (caught.value.field, caught.value.code) == ("files[0]", "unsupported_media_type")


def test_the_sniffed_type_wins_over_the_declared_one(tmp_path: Path) -> None:
    [checked] = store(tmp_path).check([Upload("voice.jpg", "image/jpeg", SAMPLES["audio/amr"])])
    assert (checked.mime, checked.kind, checked.ext) == ("audio/amr", MediaKind.AUDIO, "amr")


def test_sizes_are_limited_per_kind_and_files_per_post(tmp_path: Path) -> None:
    media = store(tmp_path, image=100, audio=500, files=2)
    media.check([Upload(None, None, SAMPLES["audio/ogg"] + bytes(300))])
    with pytest.raises(TooLarge) as caught:
        media.check([Upload(None, None, SAMPLES["audio/ogg"]), Upload(None, None, SAMPLES["image/png"] + bytes(100))])
    assert caught.value.field == "files[1]"
    assert caught.value.status == 413
    with pytest.raises(BadInput) as too_many:
        media.check([Upload(None, None, SAMPLES["image/png"])] * 3)
    assert too_many.value.field == "files"
    with pytest.raises(BadInput, match="为空"):
        media.check([Upload(None, None, b"")])


def test_files_are_written_under_unguessable_names_and_cannot_be_read_outside_the_folder(tmp_path: Path) -> None:
    media = store(tmp_path)
    [checked] = media.check([Upload("../../etc/passwd\x00.png", "image/png", SAMPLES["image/png"])])
    assert checked.filename == "passwd.png"
    saved = media.write(checked, NOW)
    assert saved.path.read_bytes() == SAMPLES["image/png"]
    assert saved.relative.startswith("2026/11/")
    assert saved.relative.endswith(".png")
    assert media.path_of(saved.relative) == saved.path.resolve()
    with pytest.raises(BadInput):
        media.path_of("../../etc/passwd")
    saved.discard()
    assert not saved.path.exists()
    assert not list(tmp_path.rglob("*.part"))


def test_signed_links_name_their_viewer_and_expire() -> None:
    links = MediaLinks("a-secret-of-enough-length", ttl_seconds=60)
    url = links.url(5, 42, NOW)
    params = dict(p.split("=") for p in url.split("?")[1].split("&"))
    exp, sig = int(params["exp"]), params["sig"]
    assert links.valid(5, 42, exp, sig, NOW)
    assert not links.valid(5, 43, exp, sig, NOW)
    assert not links.valid(6, 42, exp, sig, NOW)
    assert not links.valid(5, 42, exp + 1, sig, NOW)
    assert not links.valid(5, 42, exp, sig, NOW + timedelta(seconds=61))
    assert not MediaLinks("another-secret-of-length").valid(5, 42, exp, sig, NOW)


@pytest.mark.parametrize("sig", ["缺少 api_key，无法提交诉求", "é" * 32, "", "\x00" * 32])
def test_a_signature_of_any_characters_is_merely_invalid(sig: str) -> None:
    """Found by the long fuzzing run: a non-ASCII `sig` made the comparison raise (a 500)."""
    links = MediaLinks("a-secret-of-enough-length", ttl_seconds=60)
    exp = int(NOW.timestamp()) + 60
    assert not links.valid(5, 42, exp, sig, NOW)
