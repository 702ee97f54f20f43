"""Plumbing for the user cache: a lock so parallel notebooks build a cached file once, and atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file (POSIX); elsewhere, no lock."""
    try:
        import fcntl
    except ImportError:  # Windows: two notebooks may both train; the atomic writes keep the cache sound.
        yield
        return
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def atomic_write(target: Path, write: Callable[[str], Any]) -> None:
    """Write through a temporary file and rename, so parallel notebooks never read half a file."""
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
