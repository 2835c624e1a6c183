#!/usr/bin/env bash
# Print line N (1 or 2) of the README's quick-start `sh` block, so CI runs it verbatim.
set -euo pipefail
n="${1:?usage: readme-command.sh 1|2}"
readme="$(dirname "$0")/../README.md"
awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$readme" |
  sed -n "${n}p"
