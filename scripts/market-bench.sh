#!/usr/bin/env bash
# Load benchmark of one AI Marketplace host node: a dev chain whose node hosts the diabetes
# regression model, clients on 127.0.0.1 paying per call with signed vouchers. Prints calls
# per second (sequential, concurrent), predictions per second with 64-row calls, and the
# declared weight of the host's claim for many vouchers. CALLS and CLIENTS set the load.
# Builds the node first if needed; starts and stops its own node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_prerequisites
ensure_npm_packages
build_node
cd "$repo/tests"
STARLING_NODE="$NODE_BINARY" node bench/market-load.js
