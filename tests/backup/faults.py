"""A real target that can die at a chosen write, as a killed process would.

`FaultyTarget` passes every call to the target it wraps; each write (put, put_new, delete)
goes through `_write` first, where a test's subclass decides whether the process dies there
(`Crash`) and records what was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from trousseau.backup.targets import Target


class Crash(Exception):
    """The process died here."""


@dataclass
class FaultyTarget:
    inner: Target

    @property
    def name(self) -> str:
        return self.inner.name

    def _write(self, op: str, path: str) -> None:
        """Called before each write: `op` is "put" (put, put_new) or "delete"."""

    def put(self, path: str, data: bytes) -> None:
        self._write("put", path)
        self.inner.put(path, data)

    def put_new(self, path: str, data: bytes) -> bool:
        self._write("put", path)
        return self.inner.put_new(path, data)

    def get(self, path: str) -> bytes:
        return self.inner.get(path)

    def get_range(self, path: str, start: int, length: int) -> bytes:
        return self.inner.get_range(path, start, length)

    def list(self, prefix: str) -> list[tuple[str, int]]:
        return self.inner.list(prefix)

    def delete(self, path: str) -> None:
        self._write("delete", path)
        self.inner.delete(path)

    def exists(self, path: str) -> bool:
        return self.inner.exists(path)
