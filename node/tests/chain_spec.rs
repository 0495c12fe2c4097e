//! The checked-in raw chain spec of the local network must be what this node generates, and
//! the node must refuse bad start-up options with a clear error.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::{
    io::Read,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Storage key of the runtime code (`:code`).
const CODE_KEY: &str = "0x3a636f6465";

/// The custom sections of a (compressed) wasm runtime that describe it: its version and the
/// runtime APIs it implements.
fn runtime_description(code_hex: &str) -> Vec<(String, Vec<u8>)> {
    let compressed = hex_decode(code_hex.trim_start_matches("0x"));
    let wasm = sp_maybe_compressed_blob::decompress(
        &compressed,
        sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT,
    )
    .expect("the code decompresses");
    let mut sections = Vec::new();
    let mut at = 8; // magic and version
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let (size, read) = leb128(&wasm[at..]);
        at += read;
        let body = &wasm[at..at + size];
        at += size;
        if id == 0 {
            let (name_len, read) = leb128(body);
            let name = String::from_utf8_lossy(&body[read..read + name_len]).into_owned();
            let content = &body[read + name_len..];
            if name == "runtime_version" {
                sections.push((name, content.to_vec()));
            } else if name == "runtime_apis" {
                // (api id, version) entries of 12 bytes, in link order, which varies.
                let mut entries: Vec<&[u8]> = content.chunks(12).collect();
                entries.sort();
                sections.push((name, entries.concat()));
            }
        }
    }
    sections.sort();
    sections
}

fn leb128(bytes: &[u8]) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    for (i, byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
        shift += 7;
    }
    panic!("truncated LEB128");
}

fn hex_decode(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Removes and returns the runtime code of a raw chain spec.
fn take_code(spec: &mut serde_json::Value) -> String {
    let code = spec["genesis"]["raw"]["top"]
        .as_object_mut()
        .expect("raw genesis")
        .remove(CODE_KEY)
        .expect("the spec carries runtime code");
    code.as_str().expect("hex string").to_owned()
}

/// The checked-in spec must match what this node generates: every genesis entry, the name,
/// id, properties and boot nodes exactly; the runtime code by its embedded version and API
/// list. (The wasm bytes themselves also carry symbol hashes that depend on the directory
/// the repository is built in, so they are not compared byte for byte.)
#[test]
fn checked_in_local_chain_spec_is_current() {
    let output = Command::new(env!("CARGO_BIN_EXE_starling-node"))
        .args(["export-chain-spec", "--chain", "local", "--raw"])
        .output()
        .expect("run starling-node export-chain-spec");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut generated: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the node prints JSON");
    let path = repository().join("chain-spec/local.raw.json");
    let mut checked_in: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("chain-spec/local.raw.json exists"))
            .expect("chain-spec/local.raw.json is JSON");

    let stale = "chain-spec/local.raw.json is stale: regenerate it with chain-spec/regenerate.sh";
    let (generated_code, checked_in_code) = (take_code(&mut generated), take_code(&mut checked_in));
    assert!(generated == checked_in, "{stale} (genesis state or metadata differ)");
    let described = runtime_description(&generated_code);
    assert_eq!(described.len(), 2, "the runtime declares its version and APIs");
    assert!(
        described == runtime_description(&checked_in_code),
        "{stale} (runtime version differs)"
    );
}

#[test]
fn local_chain_spec_carries_the_token_properties() {
    let spec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repository().join("chain-spec/local.raw.json")).expect("spec"),
    )
    .expect("json");
    assert_eq!(spec["properties"]["tokenSymbol"], "STAR");
    assert_eq!(spec["properties"]["tokenDecimals"], 12);
    assert_eq!(spec["properties"]["ss58Format"], 42);
    assert_eq!(spec["chainType"], "Local");
}

#[test]
fn a_bad_ml_data_directory_is_refused_at_start() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_starling-node"))
        .args(["--dev", "--tmp", "--ml-data", "/nonexistent/starling-data", "--no-prometheus"])
        .args(["--rpc-port", "0", "--port", "0", "--no-mdns"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run starling-node");
    // Drain stderr while the node runs: a full pipe would block the node's logging and keep it
    // from ever exiting.
    let mut pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut stderr = String::new();
        let _ = pipe.read_to_string(&mut stderr);
        stderr
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = reader.join().unwrap_or_default();
            panic!("the node kept running with a missing --ml-data directory; its log:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stderr = reader.join().expect("stderr reader");
    assert!(!status.success());
    assert!(stderr.contains("--ml-data"), "the error names the option: {stderr}");
}
