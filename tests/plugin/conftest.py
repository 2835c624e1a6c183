"""The plugin's fixtures for this folder's own tests.

Importing them here works whether or not the ``pytest11`` entry point has loaded the plugin
(a fixture defined in a conftest overrides a plugin's fixture of the same name).
"""

from __future__ import annotations

from plait.pytest_plugin import plait_redaction, plait_trace, trace_snapshot

__all__ = ["plait_redaction", "plait_trace", "trace_snapshot"]
