"""The ``plait`` command, one module per command group (see ``_main``)."""

from plait.cli._main import main

__all__ = ["main"]
