"""What the CLI reads from ``plait.yaml`` and the environment: store, imports, models."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.engine import Store
    from plait.graphs import Graph
    from plait.nodes import PlaitConfig

__all__ = ["DEFAULT_STORE", "Settings", "add_store_option", "settings"]

DEFAULT_STORE = "sqlite:///.plait/runs.db"
"""Where runs are checkpointed unless ``--store`` or ``plait.yaml`` says otherwise."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The CLI's configuration, read once per command."""

    config: PlaitConfig

    def store_url(self, given: str | None) -> str:
        """``--store``, else ``plait.yaml``'s ``store:``, else the SQLite default."""
        return given or self.config.store or DEFAULT_STORE

    def imports(self, given: Sequence[str]) -> list[str]:
        """``plait.yaml``'s ``imports:`` followed by every ``--import``."""
        return [*self.config.imports, *given]

    def graph_target(self, graph_name: str, given: str | None, run_id: str) -> str:
        """Where a stored run's graph is defined: ``module:attribute`` or a spec file.

        Raises:
            CliError: when neither ``--graph`` nor ``plait.yaml``'s ``graphs:`` names it.
        """
        target = given or self.config.graphs.get(graph_name)
        if target is None:
            raise CliError(
                f"run {run_id} ran graph `{graph_name}`; say where it is defined with "
                f"--graph module:attribute (or --graph SPEC.json --import MODULE), or in "
                f"plait.yaml: graphs: {{{graph_name}: 'module:attribute'}} (plait never "
                "imports a name read from a store)"
            )
        return target

    def configure_agents(self, graph: Graph[object], model: str | None) -> Graph[object]:
        """Give every agent node the configured keys, and ``model`` when one is given
        (``plait.cli._agent_models.configure_agents``)."""
        from plait.cli._agent_models import configure_agents

        return configure_agents(self.config, graph, model)


def settings() -> Settings:
    """Read ``plait.yaml`` (and secrets, environment) from the current directory.

    Raises:
        CliError: code 2 listing every configuration problem.
    """
    from plait.nodes import ConfigError, load_config

    try:
        return Settings(load_config(Path.cwd(), os.environ))
    except ConfigError as error:
        raise CliError(f"plait.yaml: {error}") from None


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store URL``."""
    parser.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help=f"the checkpoint store: sqlite:///file.db, postgresql://..., redis://..., memory:// "
        f"(default: plait.yaml's store, else {DEFAULT_STORE})",
    )


async def open_store(url: str) -> Store:
    """An opened store for ``url``.

    Raises:
        CliError: code 2 for a URL that names no store, 1 when it cannot be opened.
    """
    from plait.engine import StoreError
    from plait.engine import open_store as make

    try:
        store = make(url)
    except StoreError as error:
        raise CliError(str(error)) from None
    try:
        await store.open()
    except StoreError as error:
        raise CliError(str(error), RUN_FAILED) from None
    return store
