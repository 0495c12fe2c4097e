//! The checked-in raw chain spec of the local network must be what this node generates, and
//! the node must refuse bad start-up options with a clear error.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::{
    io::Read,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn checked_in_local_chain_spec_is_current() {
    let output = Command::new(env!("CARGO_BIN_EXE_starling-node"))
        .args(["export-chain-spec", "--chain", "local", "--raw"])
        .output()
        .expect("run starling-node export-chain-spec");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let generated: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the node prints JSON");
    let path = repository().join("chain-spec/local.raw.json");
    let checked_in: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("chain-spec/local.raw.json exists"))
            .expect("chain-spec/local.raw.json is JSON");
    assert!(
        generated == checked_in,
        "chain-spec/local.raw.json is stale: regenerate it with chain-spec/regenerate.sh"
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
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the node kept running with a missing --ml-data directory");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(!status.success());
    assert!(stderr.contains("--ml-data"), "the error names the option: {stderr}");
}
