#!/usr/bin/env bash
# Regenerates chain-spec/local.raw.json from the runtime the node was built with.
# `cargo test -p starling-node` fails while the checked-in file is stale.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
use_clippy_driver
build_node
"$NODE_BINARY" export-chain-spec --chain local --raw --output "$repo/chain-spec/local.raw.json"
