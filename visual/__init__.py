"""How a graph looks: diagrams of graphs and runs (DOT, SVG/PNG through Graphviz, Mermaid)."""

__all__: list[str] = []
