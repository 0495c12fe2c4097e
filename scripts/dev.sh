#!/usr/bin/env bash
# Runs a Starling development chain: one validator (Alice), blocks every 3 s, finality,
# RPC on ws://127.0.0.1:9944, paid inference (`marketplace_predict`) on http://127.0.0.1:9955.
# Installs what is missing and builds the node first.
#
#   scripts/dev.sh [extra starling-node options]
#
# The chain lives in a temporary folder and disappears when the node stops (Ctrl-C).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_prerequisites
use_clippy_driver
build_node
step "starting the development chain (Ctrl-C stops it)"
exec "$NODE_BINARY" --dev --rpc-cors all --market-listen 127.0.0.1:9955 "$@"
