//! # Starling support: the protocol layer the product pallets share
//!
//! Arena, alliance and marketplace are one protocol shape with three domains. What is the same
//! in all three lives here, written once and generically; each product pallet keeps only its
//! domain.
//!
//! - [`worker_call`]: the one path of a worker call — what a worker signs, how the transaction
//!   pool validates it (signature, registered worker within its rate limit, the call's own
//!   checks) and how it is dispatched. A product's `#[pallet::call]` body is one line.
//! - [`agent`]: what every product's off-chain worker shares — whose turn it is to act (one
//!   retry rule), the sealed secrets kept until a reveal, signing and submitting.
//! - [`commit_reveal`]: the one commitment scheme, `blake2_256(SCALE((content, salt,
//!   sealer)))`, behind every sealed model, score vector, evaluation set and update.
//! - [`settlement`]: an outcome (who is paid, who is slashed and why), computed purely by a
//!   product, applied once through staking, every item named in an event.
//! - [`stage`]: the one shape of "which stage is this item in at a block", which each product
//!   implements once for its item.
//! - [`due`]: due-block queues — `on_initialize` looks only at the items due in its block.
//! - `bench` (feature `runtime-benchmarks`): the set-up every product's benchmarks share —
//!   funded accounts, operators with worker keys from the benchmark keystore, signed payloads.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod agent;
#[cfg(feature = "runtime-benchmarks")]
pub mod bench;
pub mod commit_reveal;
pub mod due;
pub mod settlement;
pub mod stage;
pub mod worker_call;
