"""Bounded thumbnails of stored images: made on first request, cached beside the file in the file store.

A record page shows images as thumbnails; sending the full upload (a 12-megapixel phone photo) for a
128 px box costs the phone its data and memory. A thumbnail is at most ``SIZE`` px on its longer side,
WebP (small, keeps transparency), written once to ``<stored file>.thumb.webp`` and served from there.

Decoding user uploads is where image libraries are attacked, so the decoder is fenced in:

- only the formats a browser shows inline are opened (PNG, JPEG, GIF, WebP), never what the bytes claim;
- the pixel count is checked from the header before any decoding, below Pillow's own bomb guard
  (``Image.MAX_IMAGE_PIXELS``, which raises past twice its value at open); the process-wide setting is
  left alone, and a per-call warnings filter would not be thread-safe under a threaded server;
- anything that fails (a corrupt file, a bomb, a full disk) is logged and means "no thumbnail": the
  page shows a placeholder, never a 500.

The cache file is not named like a stored file (a bare uuid), so the store's orphan sweep never takes it
for one; the sweep removes it with its original (server/services/files.py). A thumbnail is written as
``<stored file>.<random>.partial`` and renamed into place, so only a whole one ever has the cache name (the
only name served); a failure removes its partial file, and what a killed process leaves is removed by the
same sweep once it is an hour old (``sweep_partials``), or with its original.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from PIL import Image, ImageOps

from server.private_files import FILE_MODE

logger = logging.getLogger(__name__)

SIZE = 256
SUFFIX = ".thumb.webp"
PARTIAL = ".partial"
CONTENT_TYPE = "image/webp"
# 50 megapixels: more than any phone or scanner page (an A4 page at 600 dpi is 35 MP); an RGBA image
# this size decodes to 200 MB, the most one thumbnail may cost.
MAX_PIXELS = 50_000_000
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


def cache_path(original: Path) -> Path:
    return original.with_name(original.name + SUFFIX)


def _bounded(original: Path) -> Image.Image:
    """The image scaled into SIZE x SIZE, upright (EXIF orientation applied), in a mode WebP writes."""
    with Image.open(original, formats=FORMATS) as image:  # reads the header only
        if image.width * image.height > MAX_PIXELS:
            raise Image.DecompressionBombError(f"{image.width}x{image.height} pixels, more than {MAX_PIXELS}")
        image.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced scale, far less memory
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
        keeps_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        return upright.convert("RGBA" if keeps_alpha else "RGB")


def thumbnail(original: Path) -> Path | None:
    """The cached thumbnail of a stored image (made now if it is not yet), or None if there is none."""
    target = cache_path(original)
    if target.is_file():
        return target
    partial = original.with_name(f"{original.name}.{uuid.uuid4().hex}{PARTIAL}")
    try:
        small = _bounded(original)
        # Written under a name of its own, then renamed: a reader never sees half a file, and two
        # requests making the same thumbnail at once both end with a whole one.
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as out:
            small.save(out, "WEBP", quality=80, method=4)
        os.replace(partial, target)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            MemoryError) as exc:
        logger.warning("no thumbnail for %s: %s: %s", original.name, type(exc).__name__, exc)
        return None
    finally:  # also when the worker is stopped mid-write (SystemExit, KeyboardInterrupt): no leftover
        partial.unlink(missing_ok=True)
    return target


def forget(original: Path) -> None:
    """Remove a stored file's cached thumbnail and any half-written one (its original is being removed)."""
    cache_path(original).unlink(missing_ok=True)
    for leftover in original.parent.glob(f"{original.name}.*{PARTIAL}"):
        leftover.unlink(missing_ok=True)


def sweep_partials(directory: Path, cutoff: float) -> int:
    """Remove the half-written thumbnails in ``directory`` last written before ``cutoff`` (what a process
    killed while writing one left behind; no thumbnail takes that long to write); how many."""
    removed = 0
    for path in directory.glob(f"*{PARTIAL}"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue  # gone meanwhile, or renamed into place by its writer
    return removed
