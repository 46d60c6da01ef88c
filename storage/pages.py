"""How the archive stores each version's page as fetched: Zstandard-compressed, against a page
of the same site where it has one.

Every version keeps its page so the archive can be re-cleaned without re-crawling, so every
write compresses ~100 KB. zlib at level 6, what the archive used before schema version 2, was
half of a write's CPU time; Zstandard at level 3 is six times faster and its output a fifth
smaller on the stand-in's pages (bench/README.md). Schema migration 2 recompresses older pages.

Most of a news site's page is the same on every page: the theme's styles and scripts, the
menus, the footer. Compressed on its own each page stores all of that again. Since schema
version 5 a crawl compresses its pages against one page of the site, its `PageDictionary`
(a Zstandard raw-content dictionary, kept in the archive's `page_dictionaries`): only what
differs from it is stored, 1.2-1.6 KB a stand-in page instead of ~12, in under half the CPU.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import zstandard

#: Zstandard's default level: its own balance of speed and size.
LEVEL = 3
#: A page larger than this is not made a dictionary: the worker is sent it, and every batch
#: of the writer's carries it.
DICTIONARY_MAX_BYTES = 1 << 20
#: Days a site's dictionary is used for new pages; the first crawl after that makes a new one
#: from its first page, so a theme that changed stops costing what it did not share.
DICTIONARY_DAYS = 30


@dataclass(frozen=True)
class PageDictionary:
    """A page of a site that its other pages are compressed against.

    `id` is the SHA-256 of `content`: a stored page names the dictionary it needs, and no two
    dictionaries can share a name. Decompress by hand with `zstd -d -D dictionary_file`.
    """

    id: str
    #: The site whose page it is (its crawls' base URL): a crawl uses its site's latest.
    base_url: str
    content: bytes

    @classmethod
    def of(cls, base_url: str, page: bytes) -> PageDictionary:
        return cls(hashlib.sha256(page).hexdigest(), base_url, page)


#: Compressors and decompressors per thread (one may not be used by two threads at once) and
#: per dictionary: making one for each page was a fifth of the compression's cost.
_local = threading.local()


def compress(page: bytes, dictionary: PageDictionary | None = None) -> bytes:
    """`page` as a Zstandard frame, against `dictionary` if given.

    Against a dictionary the page goes in as a stream of unknown size. Told the size of a
    page this small, Zstandard copies the dictionary's match tables (~0.75 MB) into its
    context for every page; not told, it searches them where they are. Right after cleaning
    a page, as the cleaning worker compresses it, those tables are out of the cache, and the
    copy was a fifth of the compression's CPU (bench/README.md, tenth round). The frame then
    does not carry the page's size, and `decompress` does not need it. Without a dictionary
    there is nothing to copy, and the size lets Zstandard size its tables to the page.
    """
    compressors: dict[str | None, zstandard.ZstdCompressor] = _cache("compressors")
    key = dictionary.id if dictionary else None
    if (compressor := compressors.get(key)) is None:
        compressor = compressors[key] = zstandard.ZstdCompressor(level=LEVEL, dict_data=_zstd_dict(dictionary))
    if dictionary is None:
        return compressor.compress(page)
    stream = compressor.compressobj()
    return stream.compress(page) + stream.flush()


def decompress(stored: bytes, dictionary: PageDictionary | None = None) -> bytes:
    """The page `compress` stored. A frame against a dictionary says its page's size when an
    older newsdelta wrote it, and not since (`compress` says why): both read back."""
    if dictionary is None:
        return zstandard.decompress(stored)
    decompressors: dict[str, zstandard.ZstdDecompressor] = _cache("decompressors")
    if (decompressor := decompressors.get(dictionary.id)) is None:
        decompressor = decompressors[dictionary.id] = zstandard.ZstdDecompressor(dict_data=_zstd_dict(dictionary))
    return decompressor.decompressobj().decompress(stored)


def _zstd_dict(dictionary: PageDictionary | None) -> zstandard.ZstdCompressionDict | None:
    if dictionary is None:
        return None
    return zstandard.ZstdCompressionDict(dictionary.content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


#: Compressors kept per thread: a crawl uses one or two dictionaries, a re-clean one a site.
_CACHED = 8


def _cache(name: str) -> dict[Any, Any]:
    """This thread's `name` cache, emptied when full: each entry holds a dictionary and
    Zstandard's tables (~1 MB), and a schedule's process lives for months of them."""
    cache = getattr(_local, name, None)
    if cache is None or len(cache) >= _CACHED:
        cache = {}
        setattr(_local, name, cache)
    return cache
