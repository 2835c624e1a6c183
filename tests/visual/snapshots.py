"""syrupy extensions that store DOT and Mermaid snapshots as readable files of their own."""

from __future__ import annotations

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

__all__ = ["DotSnapshotExtension", "MermaidSnapshotExtension"]


class DotSnapshotExtension(SingleFileSnapshotExtension):
    """One ``.dot`` file per snapshot: open it, or render it with ``dot -Tsvg``."""

    file_extension = "dot"
    _write_mode = WriteMode.TEXT


class MermaidSnapshotExtension(SingleFileSnapshotExtension):
    """One ``.mmd`` file per snapshot: paste it into any Mermaid viewer."""

    file_extension = "mmd"
    _write_mode = WriteMode.TEXT
