"""Orphaned uploads (written, but their submission never committed) are swept after an hour."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from server.models import StoredFile
from server.services.files import ORPHAN_AGE_SECONDS, SWEEP_BATCH, files_root, sweep_orphan_files
from tests.conftest import purchase_request_team


def put(root: Path, age_seconds: float, name: str | None = None) -> Path:
    file_id = name or str(uuid.uuid4())
    path = root / file_id[:2] / file_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"quote")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def record(api: Any, path: Path, instance_id: str, task_id: str | None) -> None:
    with api.app.extensions["boms_db"].write() as session:
        session.add(StoredFile(id=path.name, instance_id=instance_id, task_id=task_id, field="quote",
                               file_name="quote.pdf", content_type="application/pdf", size=5, sha256="0" * 64,
                               stored_path=f"{path.name[:2]}/{path.name}", uploaded_by="alice"))


def sweep(api: Any) -> int:
    return sweep_orphan_files(api.app.extensions["boms_db"], api.app.config["BOMS"])


def test_only_old_unrecorded_files_are_removed(api: Any) -> None:
    purchase_request_team(api)
    instance = api.start("alice", "purchase_request", {"item": "Pen", "amount": 5, "reason": "all gone"})
    root = files_root(api.app.config["BOMS"].instance_path)
    hour = ORPHAN_AGE_SECONDS

    orphan = put(root, hour + 60)
    young = put(root, hour - 60)  # may belong to a submission still committing
    recorded = put(root, 3 * hour)
    record(api, recorded, instance["id"], instance["openTasks"][0]["id"])
    task_gone = put(root, 3 * hour)
    record(api, task_gone, instance["id"], str(uuid.uuid4()))  # its task no longer exists: kept all the same
    foreign = put(root, 3 * hour, "ab")  # not a name the store gives: not ours to judge
    foreign = foreign.rename(foreign.parent / "notes.txt")
    misplaced = put(root, 3 * hour)
    moved = root / "zz" / misplaced.name  # a uuid in the wrong shard is not a stored file either
    moved.parent.mkdir()
    misplaced.rename(moved)

    assert sweep(api) == 1
    assert not orphan.exists()
    assert young.exists() and recorded.exists() and task_gone.exists() and moved.exists() and foreign.exists()
    assert sweep(api) == 0


def test_a_missing_store_and_many_files(api: Any) -> None:
    assert sweep(api) == 0  # nothing uploaded yet: no folder at all
    root = files_root(api.app.config["BOMS"].instance_path)
    paths = [put(root, 2 * ORPHAN_AGE_SECONDS) for _ in range(SWEEP_BATCH + 3)]  # more than one batch
    assert sweep(api) == len(paths)
    assert not any(p.exists() for p in paths)
