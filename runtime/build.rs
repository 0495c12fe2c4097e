//! Builds the runtime to WebAssembly (`WASM_BINARY`) unless `SKIP_WASM_BUILD` is set.
//!
//! The repository path is remapped so that the wasm blob, and hence the checked-in raw chain
//! spec, is the same whichever directory the repository is cloned into.

fn main() {
    #[cfg(feature = "std")]
    {
        let manifest_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let repository = manifest_dir.parent().unwrap_or(&manifest_dir);
        substrate_wasm_builder::WasmBuilder::new()
            .with_current_project()
            .export_heap_base()
            .import_memory()
            .append_to_rust_flags(format!("--remap-path-prefix={}=/starling", repository.display()))
            .build();
    }
}
