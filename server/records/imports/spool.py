"""The validation pass's converted rows, kept for the writing pass of the same run (``onError: abort``).

Converting the cells again and reading the sheet again were a third of an import's time; holding the rows in
memory would not fit a million-row file, so each chunk is pickled to an anonymous temporary file (deleted when
closed, never read by another process) and read back in order. Only this process writes what it reads: no
pickle from outside is ever loaded. A run that resumes after a crash has no spool and reads the file again.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any


class Spool:
    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), it outlives this call
        self.chunks = 0

    def add(self, chunk: list[Any]) -> None:
        pickle.dump(chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def read(self) -> Iterator[list[Any]]:
        self._file.seek(0)
        for _ in range(self.chunks):
            yield pickle.load(self._file)  # noqa: S301 - written above by this process, see the docstring

    def close(self) -> None:
        self._file.close()
