# Shared by scripts/dev.sh and scripts/test.sh: one build configuration for the whole
# repository, so that running the chain and running the tests compile the tree once.
#
#   - release profile, node built with the `fast-runtime` feature (short epochs and
#     referendum periods: the dev chain and the e2e tests run in minutes);
#   - build cache outside the work tree, in $CARGO_TARGET_DIR;
#   - clippy runs as the compiler of the workspace's own crates (RUSTC_WORKSPACE_WRAPPER), so
#     lints come with the build instead of a second, check-mode compilation of ~900 crates.
# shellcheck shell=bash

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/starling-target}
export PATH="$HOME/.cargo/bin:$PATH"
NODE_FEATURES="starling-node/fast-runtime"
NODE_BINARY="$CARGO_TARGET_DIR/release/starling-node"

# Every step's name and start (seconds since the script began), for step_times.
STEP_NAMES=()
STEP_STARTS=()
step() {
  STEP_NAMES+=("$*")
  STEP_STARTS+=("$SECONDS")
  printf '\n\033[1m==> %s\033[0m  (%s)\n' "$*" "$(date +%H:%M:%S)"
}

# Prints how long each step took (a step lasts until the next one starts), so that a slower
# step shows at a glance. scripts/test.sh runs it on exit, failed or not.
step_times() {
  local count=${#STEP_NAMES[@]} i end took
  [ "$count" -gt 0 ] || return 0
  printf '\n\033[1m==> time per step\033[0m\n'
  for ((i = 0; i < count; i++)); do
    end=$SECONDS
    [ $((i + 1)) -lt "$count" ] && end=${STEP_STARTS[$((i + 1))]}
    took=$((end - STEP_STARTS[i]))
    printf '  %3d:%02d  %s\n' $((took / 60)) $((took % 60)) "${STEP_NAMES[$i]}"
  done
  printf '  %3d:%02d  total\n' $((SECONDS / 60)) $((SECONDS % 60))
}

# Installs what a fresh machine lacks: protoc, the wasm target, clippy/rustfmt, npm packages.
ensure_prerequisites() {
  if ! command -v cargo >/dev/null; then
    echo "error: the Rust toolchain (rustup, cargo) is required: https://rustup.rs" >&2
    exit 1
  fi
  if ! command -v protoc >/dev/null; then
    step "installing protobuf-compiler (protoc, needed by the networking crates)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq || true
    $sudo apt-get install -y -qq protobuf-compiler
  fi
  if ! rustup target list --installed | grep -qx wasm32v1-none; then
    step "adding the wasm32v1-none target (the runtime is compiled to WebAssembly)"
    rustup target add wasm32v1-none
  fi
  local components
  components=$(rustup component list --installed)
  for c in clippy rustfmt; do
    grep -q "^$c" <<<"$components" || rustup component add "$c"
  done
}

ensure_npm_packages() {
  if ! command -v npm >/dev/null; then
    echo "error: Node.js >= 20 and npm are required for the end-to-end tests" >&2
    exit 1
  fi
  if [ ! -d "$repo/tests/node_modules/@polkadot/api" ] ||
     [ "$repo/tests/package-lock.json" -nt "$repo/tests/node_modules/.package-lock.json" ]; then
    step "installing the end-to-end tests' npm packages (npm ci)"
    (cd "$repo/tests" && npm ci --no-audit --no-fund)
  fi
}

# Compiles through clippy; CLIPPY_ARGS=-D warnings turns lints into errors.
use_clippy_driver() {
  RUSTC_WORKSPACE_WRAPPER=$(command -v clippy-driver)
  export RUSTC_WORKSPACE_WRAPPER
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

build_node() {
  step "building starling-node (release, $NODE_FEATURES) into $CARGO_TARGET_DIR"
  cargo build --locked --release -p starling-node --features "$NODE_FEATURES"
}
