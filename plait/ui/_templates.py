"""Jinja2, behind one module: the viewer's pages, every value escaped.

Autoescaping is on for every template, so a run's values (outputs, errors, questions,
messages) render as text whatever they hold. The one value marked safe is a Graphviz
SVG, which ``dot`` writes with every label escaped (``trusted_svg``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

__all__ = ["Templates", "trusted_svg"]

FOLDER = Path(__file__).parent / "templates"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    from plait.cli._progress import format_duration

    return format_duration(seconds)


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _cost(dollars: float | None) -> str:
    if dollars is None:
        return "?"
    if dollars == 0:
        return "$0"
    return f"${dollars:.4f}" if dollars < 1 else f"${dollars:,.2f}"


def _tokens(count: int) -> str:
    return f"{count:,}" if count and math.isfinite(count) else "-"


class Templates:
    """The viewer's templates, loaded once."""

    def __init__(self) -> None:
        import jinja2

        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(FOLDER),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(duration=_duration, when=_when, cost=_cost, tokens=_tokens)

    def render(self, name: str, **values: object) -> str:
        """The page ``name`` with ``values``, every one escaped."""
        template: jinja2.Template = self.environment.get_template(name)
        return template.render(**values)


def trusted_svg(svg: str) -> object:
    """``svg`` (Graphviz output) marked safe to place in a page as it is."""
    import markupsafe

    return markupsafe.Markup(svg)
