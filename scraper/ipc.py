"""Messages between a crawl and its helper processes: pickles, each behind its length.

The crawl hands pages to its cleaning worker (`scraper.worker`) and batches to its archive
writer (`scraper.writer`) over socket pairs, one frame per message.
"""

from __future__ import annotations

import pickle
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

_LENGTH = struct.Struct("!I")


def frame(payload: bytes) -> bytes:
    """`payload` (a pickle) as one frame."""
    return _LENGTH.pack(len(payload)) + payload


def dumps(message: Any) -> bytes:
    return pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def send(connection: socket.socket, message: Any) -> None:
    """Send one message (blocking)."""
    connection.sendall(frame(dumps(message)))


def receive(stream: BinaryIO) -> Any | None:
    """The next message from a blocking stream (`socket.makefile("rb")`); None once it is closed.

    A connection reset is a close: the other side closed its end with a message of ours
    unread (the writer's "ready" when a crawl wrote nothing), and there is nothing more to read.
    """
    try:
        header = stream.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return None
        (length,) = _LENGTH.unpack(header)
        payload = stream.read(length)
    except ConnectionResetError:
        return None
    if len(payload) < length:
        return None
    return pickle.loads(payload)


def complete_messages(buffer: bytearray) -> Iterator[Any]:
    """The whole messages at the start of `buffer`, removed from it as they are read.

    For a non-blocking reader, which appends what arrives to `buffer` and calls this each time.
    """
    while len(buffer) >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(buffer)
        if len(buffer) < _LENGTH.size + length:
            return
        message = pickle.loads(buffer[_LENGTH.size : _LENGTH.size + length])
        del buffer[: _LENGTH.size + length]
        yield message


def leave_stop_signals_to_the_crawl() -> None:
    """In a helper: ignore SIGINT and SIGTERM. They reach the whole process group (Ctrl-C,
    `timeout`, `kill -- -PGID`) or every process of the service (`systemctl stop`); the crawl
    stops cleanly on them and then closes its helpers, which exit once their socket closes.
    Killed with the crawl, a writer lost the batch in hand and a worker the pages it held."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class HelperProcess:
    """`python -m MODULE FD ARGS…`, holding the other end of `connection`: a crawl's helper process."""

    def __init__(self, module: str, *args: str) -> None:
        self.connection, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, str(theirs.fileno()), *args], pass_fds=[theirs.fileno()]
            )

    def close(self, wait_s: float) -> None:
        """Close the connection: the helper finishes what it holds and exits (killed after `wait_s`)."""
        self.connection.close()
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
