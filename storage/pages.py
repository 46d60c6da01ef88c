"""How the archive stores each version's page as fetched: Zstandard-compressed.

Every version keeps its page so the archive can be re-cleaned without re-crawling, so every
write compresses ~100 KB. zlib at level 6, what the archive used before schema version 2, was
half of a write's CPU time; Zstandard at level 3 is six times faster and its output a fifth
smaller on the stand-in's pages (bench/README.md). Schema migration 2 recompresses older pages.
"""

from __future__ import annotations

import threading

import zstandard

#: Zstandard's default level: its own balance of speed and size.
LEVEL = 3

#: A compressor per thread (one may not be used by two threads at once): making one for each
#: page was a fifth of the compression's cost.
_local = threading.local()


def compress(page: bytes) -> bytes:
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return compressor.compress(page)


def decompress(stored: bytes) -> bytes:
    return zstandard.decompress(stored)
