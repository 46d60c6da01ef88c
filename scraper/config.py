"""newsdelta.toml, and the Scrapy settings a crawl takes from it and from `-s NAME=VALUE`.

Settings come from `scraper.settings`, then the file's `[settings]` table, then the command's
own flags, last `-s` (as `scrapy crawl -s`). `newsdelta crawl` and `newsdelta schedule` read the
same file (`--config`, or `$NEWSDELTA_CONFIG`); the schedule's own keys are its `[schedule]` table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.settings import Settings, default_settings
from scrapy.utils.conf import arglist_to_dict

import scraper.settings


class ConfigError(ValueError):
    """A config file or setting that cannot be used; the message names the file and the key."""


def read_config(path: str | Path | None) -> dict[str, Any]:
    """The whole file as TOML (nothing without a file)."""
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


def file_settings(path: str | Path | None) -> dict[str, Any]:
    """The file's `[settings]` table: Scrapy's and newsdelta's settings by name."""
    return settings_table(read_config(path), path)


def settings_table(config: dict[str, Any], path: str | Path | None) -> dict[str, Any]:
    """The `[settings]` table of a file already read (`read_config`)."""
    table = config.get("settings", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: settings must be a table ([settings])")
    return table


def flag_settings(pairs: Sequence[str]) -> dict[str, str]:
    """`-s NAME=VALUE` flags, read as `scrapy crawl -s` reads them; Scrapy's typed getters
    read the values (JSON for a dict)."""
    try:
        return arglist_to_dict(list(pairs))
    except ValueError:
        malformed = next(pair for pair in pairs if "=" not in pair)
        raise ConfigError(f"-s {malformed!r}: give NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2") from None


def unknown_settings(settings: dict[str, Any]) -> list[str]:
    """Names that are neither Scrapy's nor newsdelta's: a typo, most likely (Scrapy ignores them)."""
    known = {name for name in (*dir(default_settings), *dir(scraper.settings)) if name.isupper()}
    return sorted(set(settings) - known)


#: Scrapy's typed getter for a setting whose default is of this type. Scrapy's own numbers are
#: read as floats (its DOWNLOAD_DELAY defaults to the int 0 and is read with `getfloat`).
_GETTERS = {bool: "getbool", int: "getfloat", float: "getfloat", dict: "getdict", list: "getlist"}


def check_values(settings: dict[str, Any]) -> None:
    """Refuse a value the crawl would fail to read, as a `ConfigError` here: in the crawl's
    process it is a traceback. newsdelta's own settings are read as their defaults' types."""
    typed = Settings(settings)
    for name, value in settings.items():
        if name.startswith("NEWSDELTA_") and hasattr(scraper.settings, name):
            default = getattr(scraper.settings, name)
            getter = "getint" if type(default) is int else _GETTERS.get(type(default))
        else:
            getter = _GETTERS.get(type(getattr(default_settings, name, None)))
        if getter is None:
            continue
        try:
            getattr(typed, getter)(name)
        except (TypeError, ValueError):
            kind = {"getint": "a whole number", "getfloat": "a number", "getbool": "true or false"}.get(getter, "JSON")
            raise ConfigError(f"setting {name} = {value!r}: give {kind}") from None
