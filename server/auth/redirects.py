"""The one check for redirects built from input (`next`, the Referer, stored links).

Browsers drop tabs, CR and LF anywhere in a URL, trim leading control characters and spaces, and read
a backslash as a slash, so `/\\t/evil.example` and `/\\evil.example` both reach `//evil.example`, another
host. Rather than imitate that normalisation, anything it could change is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def _normalisable(target: str) -> bool:
    return "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target)


def local_path(target: str | None, default: str, prefix: str = "/") -> str:
    """`target` if it is a path on this site under `prefix` (starting with one `/`), else `default`."""
    if not target or _normalisable(target) or not target.startswith(prefix):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
