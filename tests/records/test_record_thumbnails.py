"""Thumbnails of images on records: bounded (256 px), made once and cached beside the file, served with
the file's own permission; a decompression bomb, a corrupt image or a non-image gets no thumbnail (a 404
over the API, a placeholder on the page), never a 500; the store's sweep removes a thumbnail with its file."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server import thumbnails
from server.private_files import files_root
from server.services.files import ORPHAN_AGE_SECONDS, sweep_orphan_files
from tests.records.test_record_attachments import WORK_ORDER, files_of, upload


@pytest.fixture
def jobs(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("nia", roles=("worker",))  # may read the jobs' titles, not their photos
    hidden = {**WORK_ORDER, "permissions": [*WORK_ORDER["permissions"], {
        "roles": ["worker"], "actions": ["read"], "fields": ["title"]}]}
    assert api.post("modeler", "/api/v1/record-types", json=hidden).status_code == 201
    return api


def _image(width: int, height: int, kind: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(out, kind)
    return out.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A valid PNG of width x height grey pixels, a few kilobytes compressed (zeros deflate ~1000:1)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _record(api: Any, content: bytes, name: str = "plan.png", content_type: str = "image/png",
            field: str = "photos") -> tuple[int, str]:
    uploaded = upload(api, "sam", field, content, name, content_type)
    assert uploaded.status_code == 201, uploaded.get_json()
    ref = uploaded.get_json()["value"]
    fields = {"title": "T", field: [{"fileId": ref["fileId"]}]}
    created = api.post("sam", "/api/v1/records/job", json={"fields": fields})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"], ref["fileId"]


def _stored(api: Any, record_id: int) -> Path:
    [row] = files_of(api, record_id)
    return files_root(api.app.config["BOMS"].instance_path) / row.stored_path


def test_a_large_image_gets_a_bounded_cached_thumbnail(jobs: Any) -> None:
    record_id, file_id = _record(jobs, _image(2000, 1000))
    url = f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail"
    first = jobs.get("sam", url)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/webp"
    small = Image.open(io.BytesIO(first.data))
    assert small.format == "WEBP" and small.size == (256, 128)
    assert len(first.data) < len(_image(2000, 1000))
    cached = thumbnails.cache_path(_stored(jobs, record_id))
    assert cached.is_file() and oct(cached.stat().st_mode & 0o777) == "0o600"
    made = cached.stat().st_mtime_ns
    again = jobs.get("sam", url)
    assert again.data == first.data and cached.stat().st_mtime_ns == made  # served from the cache
    assert [p.name for p in cached.parent.iterdir() if p.name.endswith(".partial")] == []


def test_a_small_transparent_image_keeps_its_size_and_alpha(jobs: Any) -> None:
    record_id, file_id = _record(jobs, _image(40, 30, "PNG", "RGBA"))
    body = jobs.get("sam", f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail")
    small = Image.open(io.BytesIO(body.data))
    assert small.size == (40, 30) and small.mode == "RGBA"


def test_the_thumbnail_has_the_files_permission(jobs: Any, browser: Any) -> None:
    record_id, file_id = _record(jobs, _image(600, 600))
    assert jobs.get("nia", f"/api/v1/records/job/{record_id}/files/{file_id}").status_code == 404
    assert jobs.get("nia", f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail").status_code == 404
    assert browser("nia").get(f"/records/job/{record_id}/files/{file_id}/thumbnail").status_code == 404
    assert jobs.get("sam", f"/api/v1/records/job/{record_id + 1}/files/{file_id}/thumbnail").status_code == 404
    assert not thumbnails.cache_path(_stored(jobs, record_id)).exists()  # nothing decoded for who may not see
    page = browser("sam")
    shown = page.get(f"/records/job/{record_id}")
    assert f"/files/{file_id}/thumbnail" in shown.get_data(as_text=True)
    image = page.get(f"/records/job/{record_id}/files/{file_id}/thumbnail")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/webp"
    assert image.headers["Content-Disposition"] == "inline"
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("content, name, content_type", [
    (_bomb(8_000, 8_000), "bomb.png", "image/png"),  # 64 megapixels in a few kB (below Pillow's own limit)
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png", "image/png"),
    (_image(50, 50, "PNG"), "liar.jpg", "image/jpeg"),  # a PNG called a JPEG still decodes: allowed formats
    (b"%PDF-1.4 x", "plan.pdf", "application/pdf"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "image/svg+xml"),
])
def test_no_thumbnail_is_a_404_or_a_placeholder_never_a_500(jobs: Any, browser: Any, content: bytes, name: str,
                                                            content_type: str) -> None:
    record_id, file_id = _record(jobs, content, name, content_type)
    api = jobs.get("sam", f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail")
    page = browser("sam").get(f"/records/job/{record_id}/files/{file_id}/thumbnail")
    if name == "liar.jpg":
        assert api.status_code == 200 and page.status_code == 200
        return
    assert api.status_code == 404 and "no thumbnail" in api.get_json()["error"]["message"]
    assert page.status_code == 302 and page.headers["Location"].endswith("/static/thumbnail-none.svg")
    assert not thumbnails.cache_path(_stored(jobs, record_id)).exists()


def test_the_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    """The pixel count is read from the header: a 64-megapixel image is refused in milliseconds."""
    bomb = tmp_path / "bomb"
    bomb.write_bytes(_bomb(8_000, 8_000))
    started = time.perf_counter()
    assert thumbnails.thumbnail(bomb) is None
    assert time.perf_counter() - started < 1.0
    fine = tmp_path / "fine"
    fine.write_bytes(_bomb(2_000, 1_000))  # 2 megapixels of the same kind: decoded
    made = thumbnails.thumbnail(fine)
    assert made is not None and Image.open(made).size == (256, 128)


def test_the_sweep_removes_a_thumbnail_with_its_file(jobs: Any) -> None:
    record_id, file_id = _record(jobs, _image(500, 500))
    assert jobs.get("sam", f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail").status_code == 200
    original = _stored(jobs, record_id)
    cached = thumbnails.cache_path(original)
    deleted = jobs.client.delete(f"/api/v1/records/job/{record_id}", headers=jobs.headers("sam"))
    assert deleted.status_code in (200, 204), deleted.get_data(as_text=True)
    old = time.time() - ORPHAN_AGE_SECONDS - 60
    os.utime(original, (old, old))
    assert sweep_orphan_files(jobs.app.extensions["boms_db"], jobs.app.config["BOMS"]) == 1
    assert not original.exists() and not cached.exists()


def test_a_thumbnail_stopped_mid_write_leaves_nothing_to_serve(jobs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker stopped while writing (SystemExit: gunicorn's timeout) takes its partial file with it; the
    next request makes a whole thumbnail, and only the whole one has the name that is served."""
    record_id, file_id = _record(jobs, _image(900, 600))
    original = _stored(jobs, record_id)
    url = f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail"
    real_save = Image.Image.save

    def dies_mid_write(self: Image.Image, fp: Any, *args: Any, **kw: Any) -> None:
        fp.write(b"RIFF\x00\x00half a webp")
        raise SystemExit(1)

    monkeypatch.setattr(Image.Image, "save", dies_mid_write)
    with pytest.raises(SystemExit):
        thumbnails.thumbnail(original)
    assert not thumbnails.cache_path(original).exists()
    assert [p.name for p in original.parent.iterdir() if p.name.endswith(".partial")] == []
    monkeypatch.setattr(Image.Image, "save", real_save)
    served = jobs.get("sam", url)
    assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).size == (256, 171)


def test_the_sweep_removes_what_a_killed_thumbnail_writer_left(jobs: Any) -> None:
    """A process killed mid-write (SIGKILL: no cleanup runs) leaves ``<file>.<random>.partial``: never served,
    removed by the store's sweep once an hour old, and with its original when that goes."""
    record_id, file_id = _record(jobs, _image(700, 700))
    original = _stored(jobs, record_id)
    killed = original.with_name(f"{original.name}.{'a' * 32}.partial")
    killed.write_bytes(b"RIFF half")
    fresh = original.with_name(f"{original.name}.{'b' * 32}.partial")  # being written right now: kept
    fresh.write_bytes(b"RIFF")
    served = jobs.get("sam", f"/api/v1/records/job/{record_id}/files/{file_id}/thumbnail")
    assert served.status_code == 200 and served.data != b"RIFF half"
    assert Image.open(io.BytesIO(served.data)).format == "WEBP"
    old = time.time() - ORPHAN_AGE_SECONDS - 60
    os.utime(killed, (old, old))
    assert sweep_orphan_files(jobs.app.extensions["boms_db"], jobs.app.config["BOMS"]) == 0
    assert not killed.exists() and fresh.exists() and original.exists()
    thumbnails.forget(original)  # the original going takes its leftovers
    assert not fresh.exists() and not thumbnails.cache_path(original).exists()
