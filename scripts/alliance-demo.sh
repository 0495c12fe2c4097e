#!/usr/bin/env bash
# FL Alliance demo: a clean alliance and one with two of five poisoning participants, ten
# rounds each on shards of the built-in diabetes data, on the three-validator local network.
# Prints per round the accepted/rejected updates and test MSEs next to the centralised MSE.
# Builds the node first if needed; starts and stops its own nodes (127.0.0.1, free ports).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_prerequisites
ensure_npm_packages
build_node
cd "$repo/tests"
STARLING_NODE="$NODE_BINARY" node e2e/alliance-demo.js
