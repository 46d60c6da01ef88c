"""The `newsdelta` command: thin. Each command parses flags, calls the library, prints.

Domain errors become one line on stderr and exit code 1; usage errors exit 2 (click).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console

from scraper.clean import ExtractionError
from scraper.diffview import field_diffs
from scraper.document import render_markdown, render_text, to_dict, to_json
from scraper.lock import EXIT_LOCKED, CrawlLocked, is_locked
from scraper.runner import CrawlError, CrawlOptions, run_crawl, scrape_here
from scraper.sites import ProfileError, UnknownSite
from storage import queries
from storage.archive import Archive
from storage.migrations import ArchiveError

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds between progress lines of long work outside a crawl (a crawl's: NEWSDELTA_PROGRESS_INTERVAL).
PROGRESS_INTERVAL_S = 10.0

#: Errors a user can act on: printed as one line, exit code 1.
USER_ERRORS = (ArchiveError, CrawlError, ExtractionError, UnknownSite, ProfileError, ValueError, KeyError, OSError)

console = Console(highlight=False, soft_wrap=True)
db_option = click.option(
    "--db", default="archive.db", show_default=True, envvar="NEWSDELTA_DB", help="The archive file."
)

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), envvar="NEWSDELTA_CONFIG",
    help="newsdelta.toml: its [settings] table (and the schedule's [schedule] table).",
)


def check_settings(settings: dict[str, Any]) -> None:
    """Refuse a value the crawl could not read; warn of a name nobody reads.

    Imported here, as the crawl's other modules are: importing Scrapy added ~0.3 s to every command.
    """
    from scraper.config import check_values, unknown_settings

    check_values(settings)
    for name in unknown_settings(settings):
        click.echo(f"newsdelta: warning: {name} is not a setting of Scrapy's or newsdelta's: a typo?", err=True)


def one_line_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return command(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a reader gone shows here, not in Python's exit
        except BrokenPipeError:  # `newsdelta changes | head`: the reader had what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except CrawlLocked as error:
            click.echo(f"newsdelta: {error}", err=True)
            sys.exit(EXIT_LOCKED)
        except USER_ERRORS as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            click.echo(f"newsdelta: error: {message}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@contextmanager
def reading(db: str) -> Iterator[Archive]:
    with Archive.open(db, readonly=True) as archive:
        yield archive


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsdelta")
def main() -> None:
    """Archive a news site and track how its articles change."""


@main.command()
@db_option
@click.option("--port", default=0, show_default=True, help="Port of the stand-in on 127.0.0.1 (0: a free one).")
@one_line_errors
def demo(db: str, port: int) -> None:
    """Crawl the bundled stand-in, change it (an edit, a new article, a removal), crawl again, show the changes."""
    from scraper.demo import run_demo

    result = run_demo(db, port, say=click.echo, settings={"LOG_LEVEL": "WARNING", "NEWSDELTA_PROGRESS_INTERVAL": 2.0})
    click.echo(f"\n4. The archive flagged {len(result.changes)} change(s) in crawl {result.second['id']}:")
    order = {"new": 0, "removed": 1, "edited": 2}
    for row in sorted(result.changes, key=lambda change: order.get(change["kind"], len(order))):
        _print_change(row)
    edits = [row for row in result.changes if row["kind"] == "edited"]
    url = edits[0]["url"] if edits else "URL"
    click.echo(
        "\nExplore the archive:\n"
        f"  newsdelta changes --db {db}\n"
        f"  newsdelta show {url} --version 1 --db {db}\n"
        f"  newsdelta diff {url} --db {db}\n"
        f"  newsdelta serve --db {db}     # Datasette with readable diffs and an Atom feed\n"
        f"  datasette {db}                # plain Datasette"
    )


@main.command()
@click.option("--mode", type=click.Choice(["full", "latest", "recheck"]), default="full", show_default=True)
@click.option("--all", "everything", is_flag=True, help="With --mode recheck: every live article, due or not.")
@click.option("--site", default="indbiz", show_default=True, help="Site profile.")
@click.option("--base-url", help="Crawl this address instead of the site's own (e.g. the stand-in).")
@click.option("--url", "urls", multiple=True, help="Fetch exactly these article URLs (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress, and the summary only when something changed, failed or was held back.")
@click.option("--log-level", default="WARNING", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--lock-wait", default=0.0, show_default=True, help="Seconds to wait for another crawl of the archive.")
@click.option("--time-limit", type=float, help="Stop the crawl cleanly after this many seconds.")
@click.option("--trigger", type=click.Choice(["cli", "cron"]), default="cli", show_default=True, help="Recorded in `crawls`.")
@config_option
@click.option("-s", "--set", "pairs", multiple=True, metavar="NAME=VALUE", help="A Scrapy or newsdelta setting, as `scrapy crawl -s` (repeatable).")
@db_option
@one_line_errors
def crawl(
    mode: str,
    everything: bool,
    site: str,
    base_url: str | None,
    urls: tuple[str, ...],
    quiet: bool,
    log_level: str,
    lock_wait: float,
    time_limit: float | None,
    trigger: str,
    config_path: str | None,
    pairs: tuple[str, ...],
    db: str,
) -> None:
    """Crawl a site into the archive.

    Exit codes: 0 every page archived; 1 some pages failed (or an error); 75 another crawl of
    the archive is running.
    """
    from scraper.config import file_settings, flag_settings
    from scraper.sites import get_site, web_address

    if everything and (mode != "recheck" or urls):
        raise ValueError("--all goes with --mode recheck (every live article, due or not)")
    address = base_url or get_site(site).base_url
    if not (address or urls):
        raise ValueError(f"site profile {site!r} has no address of its own: give --base-url")
    for url in filter(None, (address, *urls)):  # checked here: in the crawl, a traceback
        web_address(url)
    settings: dict[str, Any] = {**file_settings(config_path), "LOG_LEVEL": log_level, "NEWSDELTA_RECHECK_ALL": everything}
    if quiet:
        settings.update(NEWSDELTA_SUMMARY=False, NEWSDELTA_PROGRESS_INTERVAL=0)
    settings.update(flag_settings(pairs))
    check_settings(settings)
    options = CrawlOptions(
        db=db,
        site=site,
        mode="urls" if urls else mode,
        base_url=base_url,
        urls=urls,
        settings=settings,
        trigger=trigger,
        lock_wait=lock_wait,
        time_limit=time_limit,
    )
    row = run_crawl(options)
    if quiet:
        from scraper.summary import render_summary, worth_reporting

        if worth_reporting(row):
            click.echo(render_summary(row))
    if row["error"] and row["status"] == "failed":
        raise CrawlError(row["error"])
    if row["failed"] or row["status"] != "ok":
        sys.exit(1)


@main.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--site", default="auto", show_default=True, help="Site profile; auto: by domain, else wordpress, else generic.")
@one_line_errors
def scrape(urls: tuple[str, ...], fmt: str, site: str) -> None:
    """Fetch and print the cleaned document of article pages; archive nothing."""
    from scraper.items import FetchFailure
    from scraper.sites import web_address

    for url in urls:
        web_address(url)
    results = scrape_here(urls, site)
    documents = [item.document for item in results if not isinstance(item, FetchFailure)]
    if fmt == "json":
        click.echo(json.dumps([to_dict(d) for d in documents], ensure_ascii=False, indent=2) if len(urls) > 1 else to_json(documents[0]) if documents else "", nl=bool(documents))
    else:
        render = render_text if fmt == "text" else render_markdown
        click.echo("\n\n".join(render(d).rstrip() for d in documents) if documents else "", nl=bool(documents))
    failed = [item for item in results if isinstance(item, FetchFailure)]
    missing = set(urls) - {i.requested_url for i in results if not isinstance(i, FetchFailure)} - {f.url for f in failed}
    for failure in failed:
        click.echo(f"newsdelta: error: {failure.url}: {failure.reason}", err=True)
    for url in sorted(missing):
        click.echo(f"newsdelta: error: {url}: not fetched (refused by robots.txt, off-site redirect or duplicate)", err=True)
    if failed or missing:
        sys.exit(1)


@main.command()
@click.option("--since", help="Only changes this recent: 7d, 24h, 30m, or an ISO date.")
@click.option("--kind", type=click.Choice(["new", "edited", "removed", "restored", "recleaned"]))
@click.option("--suspect", is_flag=True, help="The edits and removals the mass-change guard held back instead.")
@click.option("--crawl", "crawl_id", type=int, help="Only changes of this crawl.")
@click.option("--site", help="Only this site's articles.")
@click.option("--limit", default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@db_option
@one_line_errors
def changes(
    since: str | None, kind: str | None, suspect: bool, crawl_id: int | None, site: str | None, limit: int, fmt: str, db: str
) -> None:
    """List flagged changes, newest first."""
    with reading(db) as archive:
        rows = queries.changes(archive, since=since, kind=kind, crawl_id=crawl_id, site=site, suspect=suspect, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    columns = ["detected_at", "kind", "fields", "words_added", "words_removed", "version", "same_as", "reason", "title", "url"]
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[", ".join(r[c]) if c == "fields" else r[c] for c in columns] for r in rows])
        return
    if not rows:
        click.echo("no changes")
    for row in rows:
        fields = f" [{', '.join(row['fields'])}]" if row["fields"] else ""
        words = f" +{row['words_added']}/-{row['words_removed']} words" if row["fields"] else ""
        same = f" (= v{row['same_as']})" if row["same_as"] else ""  # an edit undone, or two versions by turns
        gone = f" gone: {row['reason'] or 'unknown'}" if row["version"] is None else ""  # a removal, held back or not
        click.echo(f"{row['detected_at']}  {row['kind']:<8} v{row['version'] or '-'}{same}{gone}{fields}{words}  {row['title']}\n    {row['url']}")


@main.command()
@click.argument("url")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]), default="text", show_default=True,
    help="html: the page as the site sent it, as archived.",
)
@db_option
@one_line_errors
def show(url: str, number: int | None, fmt: str, db: str) -> None:
    """Print an archived article in the site's text layout, or its page as fetched."""
    with reading(db) as archive:
        if fmt == "html":
            page, document = queries.page(archive, url, number), None
        else:
            page, document = None, queries.document(archive, url, number)
        removal = queries.removal(archive, url)
        moved_to = queries.moved_to(archive, url)
    if document is not None:
        click.echo({"text": render_text, "markdown": render_markdown, "json": to_json}[fmt](document).rstrip())
    elif page is not None:  # the site's bytes, in the site's encoding
        sys.stdout.buffer.write(page)
        sys.stdout.buffer.flush()
    if moved_to:
        click.echo(f"newsdelta: note: this article has moved to {moved_to}", err=True)
    if removal:  # on stderr: the article's text on stdout stays as the site printed it
        when, reason = removal
        because = f": {reason}" if reason else ""
        click.echo(f"newsdelta: note: the site removed this article ({when}{because}); this is what it archived", err=True)


@main.command()
@click.argument("url")
@click.option("--from", "old", type=int, help="Older version (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer version (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
@one_line_errors
def diff(url: str, old: int | None, new: int | None, fmt: str, db: str) -> None:
    """Word diff between two versions of an article: [-deleted-] {+inserted+}."""
    asked_from = old
    with reading(db) as archive:
        old, new, change = queries.diff(archive, url, old, new)
    if fmt == "json":
        payload = {"url": url, "from": old, "to": new, "fields": list(change.fields) if change else [],
                   "significance": change.significance if change else None,
                   "diff": {name: d.to_json() for name, d in change.diffs.items()} if change else {}}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if old == new:
        click.echo(f"{url}: version {new} " + ("is both --from and --to" if asked_from else "has no earlier version to compare with"))
        return
    click.echo(f"{url}: version {old} → {new}")
    if change is None:
        click.echo("  no difference in the content fields")
        return
    for name, text in field_diffs({name: d.to_json() for name, d in change.diffs.items()}):
        console.print(f"  {name}: ", text)


@main.command()
@click.argument("url")
@db_option
@one_line_errors
def history(url: str, db: str) -> None:
    """List an article's versions, and when it was removed or came back."""
    with reading(db) as archive:
        rows = queries.history(archive, url)
    for row in rows:
        fields = json.loads(row["fields"] or "[]")
        changed = f"[{', '.join(fields)}]  " if fields else ""
        changed += f"(= v{row['same_as']})  " if row["same_as"] else ""
        version = "--" if row["version"] is None else f"v{row['version']}"  # a removal makes no version
        what = row["title"] or row["reason"] or ""
        if row["version"] is None and row["kind"] == "suspect":
            what = f"removal held back: {what}"
        if row["fetched_at_url"]:  # before the article moved
            what = f"{what}  (at {row['fetched_at_url']})"
        click.echo(f"{version:<3} {row['detected_at']}  crawl {row['crawl_id']:<4} {row['kind']:<9} {changed}{what}".rstrip())


@main.command()
@click.option("--crawl", "crawl_id", type=int, help="Only failures of this crawl (default: all).")
@db_option
@one_line_errors
def failures(crawl_id: int | None, db: str) -> None:
    """List pages that failed to load or to clean (never recorded as edits or removals)."""
    with reading(db) as archive:
        rows = queries.failures(archive, crawl_id)
    for row in rows:
        click.echo(f"crawl {row['crawl_id']}  {row['failed_at']}  {row['status'] or '-'}  {row['url']}  {row['reason']}")
    if not rows:
        click.echo("no failures")


@main.command()
@one_line_errors
def sites() -> None:
    """List the site profiles (bundled, ./sites/*.toml, $NEWSDELTA_SITES)."""
    from scraper.sites import sites as all_sites

    for name, profile in sorted(all_sites().items()):
        click.echo(f"{name:<12} {profile.base_url or '(give --base-url)':<28} {profile.title}  [{profile.source}]")


@main.command()
@click.argument("crawl_id", type=int)
@db_option
@one_line_errors
def accept(crawl_id: int, db: str) -> None:
    """Accept the edits and removals the mass-change guard held back in a crawl after all.

    A held-back removal of an article read since (the site came back) stays held back.
    """
    with Archive.open(db, create=False) as archive:
        edits, removals = archive.accept(crawl_id)
    click.echo(f"accepted {edits} edit(s) and {removals} removal(s) of crawl {crawl_id}")


@main.command()
@click.option("--site", help="Only this site's articles.")
@click.option("--lock-wait", default=0.0, show_default=True, help="Seconds to wait for a crawl of the archive to end.")
@db_option
@one_line_errors
def reclean(site: str | None, lock_wait: float, db: str) -> None:
    """Re-run the current cleaner over the stored pages; changes are `recleaned`, not edits.

    Exit codes: 0 done; 1 an error; 75 a crawl of the archive is running.
    """
    from scraper.reclean import reclean as run_reclean

    last = time.monotonic()

    def report(done: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_INTERVAL_S:
            click.echo(f"progress: {done} pages re-cleaned", err=True)
            last = time.monotonic()

    row = run_reclean(db, site, lock_wait=lock_wait, progress=report)
    click.echo(f"re-cleaned crawl {row['id']}: {row['recleaned']} recleaned, {row['unchanged']} unchanged, {row['failed']} failed")


@main.command()
@config_option
@click.option("--db", envvar="NEWSDELTA_DB", help="The archive file (default: the config's schedule.db, else ./archive.db).")
@click.option("--list", "list_jobs", is_flag=True, help="Print the jobs and their next run times, then exit.")
@click.option("--log-file", help="Also log to this file (rotated at 5 MB).")
@one_line_errors
def schedule(config_path: str | None, db: str | None, list_jobs: bool, log_file: str | None) -> None:
    """Run crawls on a timetable until SIGTERM/SIGINT (APScheduler).

    Settings come from the config file, then $NEWSDELTA_DB, then --db.
    """
    from dataclasses import replace

    from scraper.schedule import Daemon, address, configure_logging, load_config, next_runs

    config = load_config(config_path)
    check_settings(config.settings)
    if db:
        config = replace(config, db=db)
    if list_jobs:
        click.echo(f"{config.db}: {config.site} at {address(config)}, times in {config.timezone}")
        for job, when in next_runs(config):
            click.echo(f"{job.name:<10} {job.mode:<8} {job.describe():<24} next {when.isoformat()}")
        return
    configure_logging(log_file or config.log_file)
    Daemon(config).run()


@main.command()
@db_option
@one_line_errors
def status(db: str) -> None:
    """What the archive holds, the last run of each kind of crawl, and whether one runs now."""
    with reading(db) as archive:
        rows = queries.last_runs(archive)
        held = queries.holdings(archive)
    click.echo(f"{db}: a crawl is running now" if is_locked(db) else f"{db}: no crawl running")
    for site in held:
        click.echo(f"{site['site']}: {site['articles']} articles ({site['live']} live, {site['removed']} removed), {site['versions']} versions")
    for row in rows:
        counts = f"{row['new']} new, {row['edited']} edited, {row['removed']} removed, {row['failed']} failed"
        error = f"  ({row['error']})" if row["error"] else ""
        click.echo(f"{row['trigger']:<9} {row['mode']:<8} crawl {row['id']:<5} {row['started']}  {row['status']:<11} {counts}{error}")


@main.command()
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0: a free one).")
def standin(port: int) -> None:
    """Serve the bundled stand-in of IndBiz until interrupted (for `scrapy crawl` by hand)."""
    import time

    from scraper.standin import StandinServer

    with StandinServer(port=port) as server:
        click.echo(f"Serving the IndBiz stand-in at {server.url}/  (Ctrl-C to stop)")
        click.echo(f"  scrapy crawl indbiz -a base_url={server.url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@main.command()
@db_option
@click.option("--port", default=8001, show_default=True, help="Port (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@one_line_errors
def serve(db: str, port: int, host: str) -> None:
    """Browse the archive in Datasette, with its metadata, readable diffs and a changes feed."""
    from scraper.serve import serve as run_server

    run_server(db, host=host, port=port, say=click.echo)


def _print_change(row: dict[str, Any]) -> None:
    click.echo(f"\n  {row['kind']}: {row['title']}\n  {row['url']}")
    if row["kind"] != "edited":
        return
    click.echo(f"  fields: {', '.join(row['fields'])} ({row['significance']}; +{row['words_added']} / -{row['words_removed']} words)")
    for name, text in field_diffs(row["diff"]):
        console.print(f"  {name}: ", text)


if __name__ == "__main__":
    main()
