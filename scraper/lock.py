"""At most one crawl per archive at a time, whoever starts it (CLI, cron, the scheduler).

An advisory `flock` on `ARCHIVE.lock`: the kernel releases it when its process ends, however it
ends, so a lock left by a `kill -9`ed crawl never blocks the next run. The file also says who
holds it, for the message the second crawl prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from storage.migrations import ArchiveError

#: `newsdelta crawl`'s exit code when another crawl holds the archive (EX_TEMPFAIL, as cron knows it).
EXIT_LOCKED = 75


class CrawlLocked(RuntimeError):
    """Another crawl of the same archive is running."""


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.lock")


class CrawlLock:
    def __init__(self, db: str | Path, wait_s: float = 0.0) -> None:
        self.path = lock_path(db)
        self.wait_s = wait_s
        self._file: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:  # a read-only file system or folder: nothing can be archived
            raise ArchiveError(f"cannot write beside the archive ({error.strerror}): {self.path}") from None
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = holder_of(self.path)
                    os.close(fd)
                    raise CrawlLocked(
                        f"another crawl is running on this archive ({holder}); waited {self.wait_s:g} s"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, json.dumps({"pid": os.getpid(), "started": started}).encode())
        self._file = fd

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None

    def __enter__(self) -> CrawlLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def holder_of(path: Path) -> str:
    try:
        data = json.loads(path.read_text() or "{}")
        return f"pid {data['pid']}, started {data['started']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"


def is_locked(db: str | Path) -> bool:
    """Is a crawl running on `db` now? (Tries the lock without waiting.)"""
    path = lock_path(db)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
