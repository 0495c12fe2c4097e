//! Declares the `substrate_runtime` cfg, which `substrate-wasm-builder` sets for runtime builds.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(substrate_runtime)");
}
