"""`newsdelta serve`: Datasette on an archive, with the project's metadata and plugin.

Datasette runs in its normal (mutable, not `immutable`) mode so it keeps up while a crawl writes
(WAL): it reads through read-only connections and no write plugin is installed. The metadata and
plugin live in storage/datasette/; this module only puts them together and listens.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.plugins import pm

import storage.datasette
from storage.archive import Archive
from storage.datasette.plugin import NAME as PLUGIN_NAME

DEFAULT_HOST = "127.0.0.1"
#: Datasette's own default port.
DEFAULT_PORT = 8001
#: The database key metadata.yaml is written for (the stem of the default `archive.db`).
METADATA_DATABASE = "archive"


def database_name(db: str | Path) -> str:
    """The name Datasette gives the file, as in its URLs (/archive for archive.db)."""
    return Path(db).stem


def load_metadata(database: str = METADATA_DATABASE) -> dict[str, Any]:
    """The bundled metadata, keyed for a database named `database`."""
    text = (resources.files("storage.datasette") / "metadata.yaml").read_text("utf-8")
    metadata = yaml.safe_load(text)
    databases = metadata.get("databases", {})
    databases[database] = databases.pop(METADATA_DATABASE)
    metadata.setdefault("plugins", {}).setdefault(PLUGIN_NAME, {})["database"] = database
    return metadata


def register_plugin() -> None:
    """Register the plugin once per process (Datasette's plugin manager is global)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(storage.datasette, name=PLUGIN_NAME)


def check_archive(db: str | Path) -> Path:
    """Refuse early, in one line, what Datasette would only fail on at the first request."""
    with Archive.open(db, readonly=True):
        pass
    return Path(db)


def build_datasette(db: str | Path, **settings: Any) -> Datasette:
    """A Datasette on the archive `db` with the project's metadata and plugin; nothing served yet."""
    path = check_archive(db)
    register_plugin()
    return Datasette([str(path)], metadata=load_metadata(database_name(path)), settings=settings or None)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one, so the address is known before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _quiet_client_errors() -> None:
    """No traceback on the console for a mistyped URL.

    With Rich installed (newsdelta's CLI uses it), Datasette's default error handler prints a
    Rich traceback with every local variable for each error it answers, a 404 included: ~60
    lines a request. Without Rich it prints only what is not a 4xx or one of its own errors,
    which is what a console serving an archive should show.
    """
    import datasette.handle_exception

    datasette.handle_exception.rich = None


def serve(
    db: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the archive until interrupted (SIGINT/SIGTERM end it cleanly)."""
    import uvicorn

    _quiet_client_errors()
    datasette = build_datasette(db)
    sock = listen(host, port)
    say(f"Serving {db} at {url_of(sock)}  (Ctrl-C to stop)")
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
