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

step() { printf '\n\033[1m==> %s\033[0m  (%s)\n' "$*" "$(date +%H:%M:%S)"; }

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
