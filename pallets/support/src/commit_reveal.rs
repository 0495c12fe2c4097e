//! The one commit–reveal scheme.
//!
//! Whoever must not be copied first publishes a commitment, later the content and the salt:
//!
//! `commitment = blake2_256(SCALE((content, salt, sealer)))`
//!
//! where `sealer` is the account that commits. Naming the sealer makes a copied commitment
//! useless to anyone else (it would open only for the original sealer); the 32-byte random
//! salt keeps content from a small space (scores, a dataset choice) from being guessed.
//!
//! Every commitment of the protocol is this one:
//!
//! | who | content |
//! |---|---|
//! | arena trainer | the model's parameter hash, [`content_hash`] of the parameters |
//! | arena validator | its score vector |
//! | arena task creator | `(evaluation dataset, its content hash)` |
//! | alliance proposer | `(update parameters, samples)` |
//! | alliance voter | its ballots (one approval bit per judged update) |

use codec::Encode;
use sp_core::H256;

/// The salt of a commitment: 32 random bytes.
pub type Salt = [u8; 32];

/// The commitment to `content` by `sealer` with `salt`:
/// `blake2_256(SCALE((content, salt, sealer)))`.
pub fn seal<C: Encode + ?Sized, A: Encode + ?Sized>(content: &C, salt: &Salt, sealer: &A) -> H256 {
    H256(sp_io::hashing::blake2_256(&(content, salt, sealer).encode()))
}

/// Whether `content` and `salt` open `commitment` for `sealer`.
pub fn opens<C: Encode + ?Sized, A: Encode + ?Sized>(
    commitment: &H256,
    content: &C,
    salt: &Salt,
    sealer: &A,
) -> bool {
    seal(content, salt, sealer) == *commitment
}

/// The hash a large content is committed by: `blake2_256(SCALE(content))`.
pub fn content_hash<C: Encode + ?Sized>(content: &C) -> H256 {
    H256(sp_io::hashing::blake2_256(&content.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tuple_content_seals_like_its_flattened_fields() {
        // (params, samples) as one content encodes like the two fields in a row, so the
        // alliance's former `(params, samples, salt, proposer)` commitments still open.
        let params: alloc::vec::Vec<i64> = alloc::vec![1, -2, 3];
        let salt = [9u8; 32];
        let flat = H256(sp_io::hashing::blake2_256(&(&params, 7u32, &salt, 5u64).encode()));
        assert_eq!(seal(&(&params, 7u32), &salt, &5u64), flat);
    }

    #[test]
    fn a_commitment_opens_only_for_its_content_salt_and_sealer() {
        let c = seal(&42u32, &[1u8; 32], &7u64);
        assert!(opens(&c, &42u32, &[1u8; 32], &7u64));
        assert!(!opens(&c, &43u32, &[1u8; 32], &7u64));
        assert!(!opens(&c, &42u32, &[2u8; 32], &7u64));
        assert!(!opens(&c, &42u32, &[1u8; 32], &8u64));
    }
}
