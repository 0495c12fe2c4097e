//! The wasm runtime carries no demonstration misbehaviour: the dishonest scoring and poisoning
//! that development networks show live in the node's engine (`starling_ml_engine::demo`).
//!
//! The check reads the compiled wasm (before compaction) for the settings keys and the log
//! lines the misbehaviour needs — all of which the runtime of commit `de5bd79` contains; to show that the search can see what the runtime does contain, it
//! first finds the arena's training-shard key, which the off-chain worker reads.

#![allow(clippy::expect_used)]

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn the_wasm_runtime_carries_no_misbehaviour() {
    let wasm =
        starling_runtime::WASM_BINARY_BLOATY.expect("the runtime was built with its wasm blob");
    assert!(
        contains(wasm, b"starling::arena::train-shard"),
        "the search must find a settings key the runtime does read"
    );
    for needle in [
        &b"starling::arena::dishonest"[..],
        b"starling::alliance::poison",
        b"DISHONEST",
        b"POISONED",
    ] {
        assert!(
            !contains(wasm, needle),
            "the wasm runtime contains {:?}",
            String::from_utf8_lossy(needle)
        );
    }
}
