"""The web viewer of runs (``plait ui``): runs list, run pages updated live, graph pages.

Needs the ``ui`` extra (Starlette, uvicorn, Jinja2), imported only when the app is made.
"""

from plait.ui._build import create_app
from plait.ui._security import BindingError

__all__ = ["BindingError", "create_app"]
