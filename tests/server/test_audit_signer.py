"""The publisher's fast v3 signer (server/audit.py `_Signer`) gives byte for byte the hash the verifier's
formula (`hash_v2(key, fields, "v3")`) computes, for every kind of value an event carries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

import pytest

from server.audit import HASHED, _Signer, canonical_json, hash_v2


class _Kind(StrEnum):
    A = "record.created"


class _Number(IntEnum):
    ONE = 1


_TEXTS = ["", "plain", "quote \" back \\ slash", "控制\x00\x01\x1f\x7f", "line\nfeed\r\ttab\b\f", "\u2028\u2029",
          "emoji 𝄞 😀", "é" * 300, "</script>", "x"]
_DATA: list[Any] = [{}, {"type": "t", "id": 5, "changes": {"b": {"old": None, "new": "中文"}, "a": {"new": 1.5}}},
                    {"n": [1, 2.0, -0.0, 1e16, 3.14159, True, False, None]}, {"d": Decimal("1.10"),
                                                                             "at": datetime(2026, 1, 2, tzinfo=UTC)},
                    {"k": "\x00\"\\"}, {"nested": {"z": [{"y": "x"}], "a": {}}}]


def _fields(text: str, data: Any, number: Any = 7) -> dict[str, Any]:
    return {"prev_hash": "0" * 64, "chain": 1, "chain_seq": number, "seq": 10 ** 12 + 3,
            "at": datetime(2026, 3, 5, 1, 2, 3, 456789, tzinfo=UTC), "actor": text, "kind": _Kind.A,
            "subject_type": None, "subject_id": text, "instance_id": None, "task_id": "t-" + text,
            "element_id": None, "data": canonical_json(data)}


@pytest.mark.parametrize("text", _TEXTS)
@pytest.mark.parametrize("data", _DATA)
def test_the_fast_signer_is_the_verifier_formula(text: str, data: Any) -> None:
    sign = _Signer(b"key \x00 bytes")
    fields = _fields(text, data)
    assert sign(fields) == hash_v2(b"key \x00 bytes", fields, tag="v3")
    other = {**fields, "chain_seq": _Number.ONE, "element_id": 12, "instance_id": True}  # odd values take the slow path
    assert sign(other) == hash_v2(b"key \x00 bytes", other, tag="v3")
    # and it is keyed: another key, another hash; one byte of data changed, another hash
    assert sign(fields) != _Signer(b"other key")(fields)
    assert sign(fields) != sign({**fields, "data": fields["data"] + " "})


def test_every_hashed_field_is_covered() -> None:
    sign = _Signer(b"k")
    fields = _fields("a", {"x": 1})
    for name in HASHED:
        changed = {**fields, name: (fields[name] if name != "at" else None)}
        if name == "at":
            changed["at"] = datetime(2027, 1, 1, tzinfo=UTC)
        else:
            changed[name] = "other" if fields[name] != "other" else "x"
        assert sign(changed) != sign(fields), name
        assert sign(changed) == hash_v2(b"k", changed, tag="v3")
