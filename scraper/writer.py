"""The crawl's archive writes, in a process of their own.

Writing a batch is Python (converting documents, hashing, JSON) around SQLite, ~0.6 ms of CPU
a page. In the crawl's process it held the GIL that Scrapy needs, and the crawl ran a fifth
slower than without writes (bench/README.md). The archive pipeline's writer thread sends each
batch here and waits for its counts, so batches are still written one after another, in the
crawl's order, one transaction each.

`python -m scraper.writer FD`: the socket's first message is a `WriterConfig`; the writer opens
the archive, says "ready" (or sends the `ArchiveError`), then answers each `Batch` with what
`write_batch` returns. It exits when the crawl closes the socket.
"""

from __future__ import annotations

import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

from scraper import ipc
from scraper.summary import MOVED
from storage.archive import WRITER_CACHE_MB, Archive, Failure, Fetched
from storage.migrations import ArchiveError

#: Seconds the writer has to finish its batch and exit once the crawl closes its socket.
EXIT_WAIT_S = 30.0

_READY = "ready"


@dataclass(frozen=True)
class WriterConfig:
    db: str
    crawl_id: int
    #: `Archive.open`'s size cap (0: none).
    max_mb: float = 0
    #: `Archive.record_failures`' `confirm_after_s`.
    confirm_removal_after: float = 3600


@dataclass
class Batch:
    """What the archive pipeline buffered since its last write."""

    fetched: list[Fetched] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: URLs of articles that answered 304 Not Modified.
    not_modified: list[str] = field(default_factory=list)
    #: Of those, the ones whose 304 came from another address after a redirect: URL → there.
    answered_at: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.fetched) + len(self.failures) + len(self.not_modified)


Written = tuple[Counter[str], ArchiveError | None]


def write_batch(archive: Archive, config: WriterConfig, batch: Batch) -> Written:
    """One batch, in the order the crawl met its items: Scrapy stats to add, or the refusal.

    `newsdelta/archive_cpu_s` is the CPU the writes took (the bench's archive figure).
    """
    counts: Counter[str] = Counter()
    started = time.thread_time()
    try:
        if batch.fetched:
            for outcome in archive.record(config.crawl_id, batch.fetched):
                counts[f"newsdelta/{outcome.kind}"] += 1
                if outcome.moved_from:
                    counts[MOVED] += 1
        if batch.not_modified:
            if moved := archive.touch(config.crawl_id, batch.not_modified, answered_at=batch.answered_at):
                counts[MOVED] += moved
            counts["newsdelta/not_modified"] += len(batch.not_modified)
        if batch.failures:
            removed = archive.record_failures(
                config.crawl_id, batch.failures, confirm_after_s=config.confirm_removal_after
            )
            counts["newsdelta/removed"] += removed
            counts["newsdelta/failed"] += len(batch.failures) - removed
    except ArchiveError as error:
        return counts, error
    finally:
        counts["newsdelta/archive_cpu_s"] += time.thread_time() - started  # type: ignore[assignment]
    return counts, None


class ArchiveWriter:
    """The pipeline's handle on its writer process. `write` from one thread at a time."""

    def __init__(self, config: WriterConfig) -> None:
        self.config = config
        self._helper = ipc.HelperProcess("scraper.writer")
        self._socket = self._helper.connection
        self._answers = self._socket.makefile("rb")
        ipc.send(self._socket, config)
        #: Whether the writer said it opened the archive: awaited by the first write, so the
        #: crawl does not wait for the process to start.
        self._ready = False

    def write(self, batch: Batch) -> Written:
        try:
            if not self._ready:
                ready = ipc.receive(self._answers)
                if isinstance(ready, ArchiveError):
                    return Counter(), ready
                if ready != _READY:
                    return Counter(), self._gone("did not start")
                self._ready = True
            ipc.send(self._socket, batch)
            answer = ipc.receive(self._answers)
        except OSError:
            answer = None
        if answer is None:
            return Counter(), self._gone("exited: this batch was not written")
        if isinstance(answer, BaseException):  # a bug in the writes, raised where they were asked for
            raise answer
        return answer

    def _gone(self, what: str) -> ArchiveError:
        code = self._helper.process.poll()
        return ArchiveError(f"{self.config.db}: the archive writer process {what} (exit code {code})")

    def close(self) -> None:
        """Close the socket: the writer finishes the batch in hand, closes the archive, exits."""
        self._answers.close()
        self._helper.close(EXIT_WAIT_S)


def _serve(connection: socket.socket, archive: Archive, config: WriterConfig, batches: BinaryIO) -> None:
    while (batch := ipc.receive(batches)) is not None:
        try:
            answer: object = write_batch(archive, config, batch)
            payload = ipc.dumps(answer)
        except Exception as error:  # a bug: the crawl raises it with the items of this batch
            payload = ipc.dumps(RuntimeError(f"archive writer: {type(error).__name__}: {error}"))
        try:
            connection.sendall(ipc.frame(payload))
        except OSError:
            return


def open_archive(config: WriterConfig) -> Archive:
    """The archive as the writer writes it: capped at `max_mb`, with a batch's pages in cache."""
    return Archive.open(config.db, max_mb=config.max_mb, cache_mb=WRITER_CACHE_MB)


def main(argv: list[str]) -> None:
    """The writer process: open the archive, then write each batch the crawl sends."""
    ipc.leave_stop_signals_to_the_crawl()
    with socket.socket(fileno=int(argv[0])) as connection, connection.makefile("rb") as batches:
        config = ipc.receive(batches)
        if config is None:
            return
        try:
            archive = open_archive(config)
        except ArchiveError as error:
            _tell(connection, error)
            return
        with archive:
            if _tell(connection, _READY):
                _serve(connection, archive, config, batches)


def _tell(connection: socket.socket, message: object) -> bool:
    """Send `message`; False when the crawl has closed its end already. A crawl that had
    nothing to write (a recheck with nothing due) can end before its writer has opened the
    archive: the writer then has nothing to do, and no traceback to print."""
    try:
        ipc.send(connection, message)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    main(sys.argv[1:])
