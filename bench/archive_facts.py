"""What the bench reads from an archive: a fingerprint, the validators, the size of a version.

The fingerprint is everything in the archive but `articles.last_checked`: equal before and after
a recheck means that the recheck wrote nothing else (issue 8: "no archive write beyond
`last_checked` for a 304").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from storage.archive import Archive, RecheckPolicy

#: Columns a no-change recheck may move.
TOUCHED = ("last_checked",)


@dataclass(frozen=True)
class Fingerprint:
    articles: str
    versions: int
    changes: int
    fetch_failures: int

    def writes_since(self, earlier: Fingerprint) -> int:
        """Rows added or changed since `earlier` (articles changed count as one)."""
        return (
            (self.articles != earlier.articles)
            + self.versions
            - earlier.versions
            + self.changes
            - earlier.changes
            + self.fetch_failures
            - earlier.fetch_failures
        )


@dataclass(frozen=True)
class Size:
    file_bytes: int
    versions: int
    #: Mean stored (Zstandard-compressed) page, bytes.
    html_z_bytes: float

    @property
    def bytes_per_version(self) -> float:
        return self.file_bytes / max(1, self.versions)


def fingerprint(db: Path) -> Fingerprint:
    with Archive.open(db, readonly=True) as archive:
        columns = [c.name for c in archive.db["articles"].columns if c.name not in TOUCHED]
        digest = hashlib.sha256()
        for row in archive.db.execute(f"select {', '.join(columns)} from articles order by id"):
            digest.update(repr(row).encode())
        count = {t: archive.db[t].count for t in ("versions", "changes", "fetch_failures")}
    return Fingerprint(
        digest.hexdigest(), count["versions"], count["changes"], count["fetch_failures"]
    )


def write_validators(db: Path, target: Path) -> int:
    """Every live article's ETag / Last-Modified, as a recheck sends them: [url, etag, date]."""
    with Archive.open(db, readonly=True) as archive:
        due = archive.due("indbiz", RecheckPolicy(), everything=True)
    target.write_text(json.dumps([[d.url, d.etag, d.last_modified] for d in due]))
    return len(due)


def size(db: Path) -> Size:
    """The archive file (after a WAL checkpoint) per version, and the mean stored page."""
    with Archive.open(db) as archive:
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        versions, html_z = archive.db.execute(
            "select count(*), avg(length(raw_html)) from versions"
        ).fetchone()
    wal = db.with_name(db.name + "-wal")
    file_bytes = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Size(file_bytes, versions, float(html_z or 0))
