#!/usr/bin/env bash
# Load benchmark of one AI Marketplace host node: a dev chain whose node hosts the diabetes
# regression model, clients on 127.0.0.1 paying per call with signed vouchers. Prints calls
# per second (sequential, concurrent), predictions per second with 64-row calls, and the
# declared weight of the host's claim for many vouchers. CALLS and CLIENTS set the load; USERS
# the many-users phase, CLAIMS=N stops it after N claims (e.g. USERS=10000 CLAIMS=5).
# First it prints the floor of a paid call: the native cost of checking one voucher's signature
# (cargo bench -p pallet-starling-marketplace --bench voucher).
# Builds the node first if needed; starts and stops its own node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_prerequisites
ensure_npm_packages
step "the floor: one voucher's signature check, native, one core"
(cd "$repo" && SKIP_WASM_BUILD=1 cargo bench --locked -p pallet-starling-marketplace --bench voucher 2>/dev/null)
build_node
step "one host node under load (tests/bench/market-load.js)"
cd "$repo/tests"
STARLING_NODE="$NODE_BINARY" node bench/market-load.js
