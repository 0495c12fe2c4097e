//! The worker key: the sr25519 key a node's off-chain workers sign Starling's extrinsics with.
//!
//! An operator's (cold) account holds its stake and registers a worker (hot) key with the
//! staking pallet; the node keeps the worker key in its keystore under [`KEY_TYPE`]. On the
//! development and local chains the node inserts the dev seed's worker key itself; elsewhere
//! an operator runs `starling-node key insert --key-type swrk --scheme sr25519`.

use sp_core::crypto::KeyTypeId;

/// Keystore key type of worker keys.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"swrk");

mod app {
    use super::KEY_TYPE;
    use sp_application_crypto::{app_crypto, sr25519};
    app_crypto!(sr25519, KEY_TYPE);
}

/// A worker's public key.
pub type WorkerId = app::Public;
/// A worker's signature.
pub type WorkerSignature = app::Signature;

/// Signing with worker keys from off-chain workers, for pallets' `AuthorityId` parameter.
pub struct WorkerAuthId;

impl
    frame_system::offchain::AppCrypto<
        <crate::Signature as sp_runtime::traits::Verify>::Signer,
        crate::Signature,
    > for WorkerAuthId
{
    type RuntimeAppPublic = WorkerId;
    type GenericSignature = sp_core::sr25519::Signature;
    type GenericPublic = sp_core::sr25519::Public;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_application_crypto::RuntimeAppPublic;

    #[test]
    fn worker_keys_live_under_their_own_key_type() {
        assert_eq!(<WorkerId as RuntimeAppPublic>::ID, KEY_TYPE);
        assert_eq!(&KEY_TYPE.0, b"swrk");
    }
}
