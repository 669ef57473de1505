"""``graphex feed``: a witness's price-feed publisher (see :mod:`graphex.feed`, ``docs/feed.md``)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from ..feed.config import load_config
from ..feed.errors import FeedError

MIN_REPORT_WIDTH = 140
"""Columns the report is laid out in when stdout is not a terminal (logs, cron mail)."""


@click.command()
@click.option("--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The feed tool's TOML config (docs/feed.md).")
@click.option("--once", is_flag=True, help="Run one round and exit (status 1 if anything failed).")
@click.option("--dry-run", is_flag=True, help="Print what would be published; publish nothing.")
def feed(config_path: Path, once: bool, dry_run: bool) -> None:
    """Publish price feeds for smartcoins: fetch sources, combine, round, publish."""
    from ..feed.runner import run  # imported on use: aiohttp and rich layout code

    try:
        config = load_config(config_path, read_key=not dry_run)
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console(highlight=False, soft_wrap=True,
                      width=None if sys.stdout.isatty() else MIN_REPORT_WIDTH)
    try:
        status = asyncio.run(run(config, once=once, dry_run=dry_run, console=console))
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        console.print("stopped")
        status = 0
    sys.exit(status)
