"""``test_secret_sinks``'s graph for the CLI: its MCP servers are declared here, in Python,
the HTTP one at ``PLAIT_TEST_FAULTS_URL``."""

from __future__ import annotations

import os

from tests.nodes.mcp.test_secret_sinks import leaky, servers

graph = leaky(*servers(os.environ.get("PLAIT_TEST_FAULTS_URL", "http://127.0.0.1:9/mcp")))
