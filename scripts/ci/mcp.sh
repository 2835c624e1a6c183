#!/usr/bin/env bash
# The npm MCP server the tests start: @modelcontextprotocol/server-everything, installed
# into a local folder (never globally). Source this file, then:
#   install_mcp_everything "$PWD/.mcp-servers"   # prints the folder
#   export PLAIT_TEST_MCP_EVERYTHING="$PWD/.mcp-servers"
# The tests (tests/nodes/mcp/test_everything.py) read PLAIT_TEST_MCP_EVERYTHING, or look
# in .mcp-servers; with CI=true they fail instead of skipping when it is missing.

MCP_EVERYTHING_VERSION="${MCP_EVERYTHING_VERSION:-2026.8.31}"

install_mcp_everything() {
  local dir="${1:-$PWD/.mcp-servers}"
  if ! command -v npm >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2 || return 1
  fi
  if [ ! -x "$dir/node_modules/.bin/mcp-server-everything" ]; then
    npm install --prefix "$dir" --no-audit --no-fund --silent \
      "@modelcontextprotocol/server-everything@$MCP_EVERYTHING_VERSION" >&2 || return 1
  fi
  echo "$dir"
}
