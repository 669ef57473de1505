"""The ``graphex`` command: one click group with a subcommand per tool."""

from __future__ import annotations

import logging

import click

from .. import __version__
from .bench import bench
from .check import check
from .devnet import devnet
from .feed import feed
from .node import node
from .wallet import wallet


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="graphex")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """graphex: a decentralized exchange-and-clearing blockchain (BitShares-compatible)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


cli.add_command(devnet)
cli.add_command(node)
cli.add_command(check)
cli.add_command(bench)
cli.add_command(feed)
cli.add_command(wallet)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
