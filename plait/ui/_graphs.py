"""The graphs the viewer knows: given with ``--graph``, named in ``plait.yaml``'s
``graphs:``, or named on the graph page.

A stored run's graph is found by its name among those, never by importing what the
store says: a store is data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from plait.cli._graph_name import named_graph
from plait.cli._settings import Settings
from plait.cli._target import is_spec
from plait.cli._usage import CliError
from plait.ui._actions import ActionError

if TYPE_CHECKING:
    from plait.engine import RunRecord
    from plait.graphs import Graph, Outline

__all__ = ["Graphs"]


class Graphs:
    """Finds graphs by name or target, each loaded once."""

    def __init__(
        self, config: Settings, given: Mapping[str, Graph[object]], imports: Sequence[str] = ()
    ) -> None:
        self.config = config
        self.given = dict(given)
        self.imports = list(imports)
        self._loaded: dict[str, Graph[object]] = {}

    def names(self) -> list[str]:
        """The graph names the viewer can resume, fork and draw by name."""
        return sorted({*self.given, *self.config.config.graphs})

    def by_name(self, name: str) -> Graph[object] | None:
        """The graph called ``name`` (``--graph``, else ``plait.yaml``), or None.

        Raises:
            ActionError: when ``plait.yaml`` names it but it does not load.
        """
        if name in self.given:
            return self.given[name]
        target = self.config.config.graphs.get(name)
        if target is None:
            return None
        if target not in self._loaded:
            try:
                graph = named_graph(target, self.imports, self.config)
            except CliError as error:
                raise ActionError(f"graph `{name}` ({target}): {error.message}") from None
            self._loaded[target] = self.config.configure_agents(graph, None)
        return self._loaded[target]

    def for_run(self, record: RunRecord) -> Graph[object]:
        """The graph to resume or fork ``record`` with.

        Raises:
            ActionError: when no graph of that name is known, naming how to give one.
        """
        graph = self.by_name(record.graph)
        if graph is None:
            raise ActionError(
                f"run {record.run_id} ran graph `{record.graph}`; to resume or fork it, start "
                f"the viewer with --graph module:attribute, or name it in plait.yaml: graphs: "
                f"{{{record.graph}: 'module:attribute'}} (plait never imports a name read "
                "from a store)"
            )
        return graph

    def drawn(self, record: RunRecord) -> Graph[object] | None:
        """The typed graph to draw ``record`` with: a known one that is the graph it ran."""
        try:
            graph = self.by_name(record.graph)
        except ActionError:
            return None
        if graph is None or graph.content_hash != record.content_hash:
            return None
        return graph

    def target(self, target: str) -> Graph[object] | Outline:
        """The graph ``target`` names (``module:attribute``, a spec file, or a known name);
        a spec with no registry to load it is drawn from its text alone.

        Raises:
            ActionError: with the CLI's one-line message when it does not load.
        """
        from plait.graphs import SpecError, outline

        target = target.strip()
        try:
            known = self.by_name(target)
            if known is not None:
                return known
            if is_spec(target) and not self.config.imports(self.imports):
                return outline(Path(target))
            return named_graph(target, self.imports, self.config)
        except CliError as error:
            raise ActionError(error.message) from None
        except SpecError as error:
            raise ActionError(str(error)) from None
        except OSError as error:
            raise ActionError(f"cannot read `{target}`: {error.strerror or error}") from None
