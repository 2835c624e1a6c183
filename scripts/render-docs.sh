#!/usr/bin/env bash
# Regenerate the diagrams in docs/ that the README shows. Needs Graphviz's `dot` program
# (`apt-get install graphviz` or `brew install graphviz`) and plait installed (`pip install -e .`).
# Top to bottom keeps the SVG narrow enough to read at the README's width.
set -euo pipefail
cd "$(dirname "$0")/.."
plait render examples.digest:graph -o docs/digest.svg --direction TB
plait render examples.patterns:graph -o docs/patterns-desk.svg --direction TB
