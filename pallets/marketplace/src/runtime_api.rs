//! The runtime API a host node uses to serve predictions: what it serves, whether a voucher
//! pays, and a user's free tier.

use crate::{LineId, Serving, SignedVoucher, VoucherError};
use codec::Codec;

sp_api::decl_runtime_apis! {
    /// Read access to the marketplace for host nodes and dApps.
    pub trait MarketplaceApi<AccountId, Balance, Signature>
    where
        AccountId: Codec,
        Balance: Codec,
        Signature: Codec,
    {
        /// The operator a worker key acts for.
        fn operator_of_worker(worker: AccountId) -> Option<AccountId>;
        /// What `host` serves of `line` (version, model, price), if it hosts it.
        fn serving(line: LineId, host: AccountId) -> Option<Serving<Balance>>;
        /// Whether `voucher` would pay `host` now for calls served from here on: signature,
        /// host, line, price, and new calls within the escrow less what is unlocking.
        /// Returns the new calls beyond those claimed.
        fn check_voucher(
            host: AccountId,
            voucher: SignedVoucher<AccountId, Balance, Signature>,
        ) -> Result<u64, VoucherError>;
        /// `user`'s free calls per period and the current period.
        fn free_tier(user: AccountId) -> (u32, u32);
    }
}
