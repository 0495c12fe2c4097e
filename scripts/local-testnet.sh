#!/usr/bin/env bash
# A three-validator Starling network on this machine: Alice, Bob and Charlie on 127.0.0.1.
#
#   scripts/local-testnet.sh start    start the three validators, wait until finality advances
#   scripts/local-testnet.sh status   best and finalised block of each validator
#   scripts/local-testnet.sh stop     stop them (SIGTERM, then SIGKILL after 20 s)
#   scripts/local-testnet.sh purge    stop them and delete their databases
#
# Environment:
#   STARLING_NODE   node binary   (default: $CARGO_TARGET_DIR/release/starling-node)
#   STARLING_CHAIN  chain spec    (default: chain-spec/local.raw.json)
#   STARLING_NET    state folder  (default: $HOME/.local/share/starling-local-testnet)
#   STARLING_PORT_BASE            (default: 0) added to every port, to run several networks
#
# Ports (plus STARLING_PORT_BASE): p2p 30333-30335, RPC 9944-9946, Prometheus 9615-9617,
# market endpoint (paid inference, `marketplace_predict`) 9955-9957.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/starling-target}
node=${STARLING_NODE:-$target/release/starling-node}
chain=${STARLING_CHAIN:-$repo/chain-spec/local.raw.json}
net=${STARLING_NET:-$HOME/.local/share/starling-local-testnet}
base=${STARLING_PORT_BASE:-0}
validators=(alice bob charlie)

log() { printf '[local-testnet] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

rpc_port() { echo $((9944 + base + $1)); }
market_port() { echo $((9955 + base + $1)); }
p2p_port() { echo $((30333 + base + $1)); }
prom_port() { echo $((9615 + base + $1)); }

# rpc PORT METHOD [PARAMS] -> the JSON result, or nothing if the node does not answer.
rpc() {
  curl -s --max-time 2 -H 'Content-Type: application/json' \
    -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$2\",\"params\":${3:-[]}}" \
    "http://127.0.0.1:$1" 2>/dev/null || true
}
block_number() { # PORT finalized|best
  local hash=""
  if [ "$2" = finalized ]; then
    hash=$(rpc "$1" chain_getFinalizedHead | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p')
    [ -n "$hash" ] || { echo -1; return; }
  fi
  local header
  if [ -n "$hash" ]; then header=$(rpc "$1" chain_getHeader "[\"$hash\"]"); else header=$(rpc "$1" chain_getHeader); fi
  local hex
  hex=$(printf '%s' "$header" | sed -n 's/.*"number":"0x\([0-9a-f]*\)".*/\1/p')
  [ -n "$hex" ] && echo $((16#$hex)) || echo -1
}

running() { [ -f "$net/$1/pid" ] && kill -0 "$(cat "$net/$1/pid")" 2>/dev/null; }

start() {
  [ -x "$node" ] || die "no node binary at $node (build it: cargo build --release --features fast-runtime -p starling-node)"
  [ -f "$chain" ] || die "no chain spec at $chain"
  mkdir -p "$net"
  local i=0 bootnode=""
  for v in "${validators[@]}"; do
    if running "$v"; then die "$v is already running (pid $(cat "$net/$v/pid")); run '$0 stop' first"; fi
    mkdir -p "$net/$v"
    # A fixed network key per validator, so that peers know each other's address in advance.
    [ -f "$net/$v/node-key" ] || "$node" key generate-node-key --file "$net/$v/node-key" 2>/dev/null
    if [ "$i" -eq 0 ]; then
      local peer
      peer=$("$node" key inspect-node-key --file "$net/$v/node-key")
      bootnode="/ip4/127.0.0.1/tcp/$(p2p_port 0)/p2p/$peer"
    fi
    "$node" \
      --chain "$chain" \
      --base-path "$net/$v/db" \
      --"$v" \
      --validator \
      --node-key-file "$net/$v/node-key" \
      --rpc-port "$(rpc_port $i)" \
      --market-listen "127.0.0.1:$(market_port $i)" \
      --prometheus-port "$(prom_port $i)" \
      --listen-addr "/ip4/127.0.0.1/tcp/$(p2p_port $i)" \
      --public-addr "/ip4/127.0.0.1/tcp/$(p2p_port $i)" \
      --bootnodes "$bootnode" \
      --rpc-cors all \
      --no-mdns \
      --no-telemetry \
      --allow-private-ip \
      ${STARLING_NODE_ARGS:-} \
      >"$net/$v/node.log" 2>&1 &
    echo $! >"$net/$v/pid"
    log "$v: pid $!, RPC ws://127.0.0.1:$(rpc_port $i), market http://127.0.0.1:$(market_port $i), log $net/$v/node.log"
    i=$((i + 1))
  done

  log "waiting for blocks to be finalised ..."
  local first="" deadline=$((SECONDS + ${STARLING_START_TIMEOUT:-180}))
  while [ $SECONDS -lt $deadline ]; do
    for v in "${validators[@]}"; do running "$v" || die "$v exited; see $net/$v/node.log"; done
    local f
    f=$(block_number "$(rpc_port 0)" finalized)
    if [ "$f" -ge 0 ] && [ -z "$first" ]; then first=$f; fi
    if [ -n "$first" ] && [ "$f" -ge $((first + 2)) ] && [ "$f" -ge 2 ]; then
      log "finality advances: block #$f is final. Network is up."
      status
      return 0
    fi
    sleep 2
  done
  die "finality did not advance within ${STARLING_START_TIMEOUT:-180}s; see the logs under $net"
}

status() {
  local i=0
  for v in "${validators[@]}"; do
    if running "$v"; then
      log "$v: best #$(block_number "$(rpc_port $i)" best), finalised #$(block_number "$(rpc_port $i)" finalized)"
    else
      log "$v: not running"
    fi
    i=$((i + 1))
  done
}

stop() {
  local pids=()
  for v in "${validators[@]}"; do
    if running "$v"; then
      kill -TERM "$(cat "$net/$v/pid")" && pids+=("$(cat "$net/$v/pid")")
    fi
  done
  local deadline=$((SECONDS + 20))
  for p in "${pids[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$p" 2>/dev/null && { log "pid $p ignored SIGTERM; killing it"; kill -KILL "$p"; }
  done
  for v in "${validators[@]}"; do rm -f "$net/$v/pid"; done
  log "stopped ${#pids[@]} validator(s)"
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  purge) stop; rm -rf "$net"; log "removed $net" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
