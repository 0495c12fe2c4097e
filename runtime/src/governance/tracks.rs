//! Referendum tracks: who may decide what, how fast, and with how much support.

use super::*;
use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::str_array as name;

/// Track periods. `fast-runtime` shrinks them to seconds so end-to-end tests can run a whole
/// referendum; the approval and support curves are the same in both builds.
pub mod periods {
    use super::*;

    #[cfg(not(feature = "fast-runtime"))]
    mod values {
        use super::*;
        pub const PREPARE: BlockNumber = 2 * HOURS;
        pub const ROOT_DECISION: BlockNumber = 14 * DAYS;
        pub const PARAMETERS_DECISION: BlockNumber = 7 * DAYS;
        pub const VERIFICATION_DECISION: BlockNumber = 3 * DAYS;
        pub const ROOT_CONFIRM: BlockNumber = DAYS;
        pub const CONFIRM: BlockNumber = 3 * HOURS;
        pub const ROOT_ENACTMENT: BlockNumber = DAYS;
        pub const ENACTMENT: BlockNumber = 10 * MINUTES;
        pub const VOTE_LOCKING: BlockNumber = 7 * DAYS;
        pub const UNDECIDING_TIMEOUT: BlockNumber = 14 * DAYS;
    }
    #[cfg(feature = "fast-runtime")]
    mod values {
        use super::*;
        pub const PREPARE: BlockNumber = 2;
        pub const ROOT_DECISION: BlockNumber = 40;
        pub const PARAMETERS_DECISION: BlockNumber = 40;
        pub const VERIFICATION_DECISION: BlockNumber = 40;
        pub const ROOT_CONFIRM: BlockNumber = 3;
        pub const CONFIRM: BlockNumber = 3;
        pub const ROOT_ENACTMENT: BlockNumber = 1;
        pub const ENACTMENT: BlockNumber = 1;
        pub const VOTE_LOCKING: BlockNumber = 10;
        pub const UNDECIDING_TIMEOUT: BlockNumber = 100;
    }
    pub use values::*;
}
use periods::*;

const fn percent(x: i32) -> sp_runtime::FixedI64 {
    sp_runtime::FixedI64::from_rational(x as u128, 100)
}

/// Root needs a clear majority from the start, falling to 50% only at the end of the
/// decision period, and a support that falls from 50% of active issuance to 5%.
const APPROVAL_ROOT: Curve = Curve::make_reciprocal(4, 14, percent(80), percent(50), percent(100));
const SUPPORT_ROOT: Curve = Curve::make_linear(14, 14, percent(5), percent(50));
/// Parameters move faster and with less turnout than the code itself.
const APPROVAL_PARAMETERS: Curve = Curve::make_linear(7, 7, percent(50), percent(100));
const SUPPORT_PARAMETERS: Curve = Curve::make_reciprocal(3, 7, percent(2), percent(1), percent(30));
/// Task verification is routine: a simple majority and little turnout.
const APPROVAL_VERIFICATION: Curve = Curve::make_linear(3, 3, percent(50), percent(100));
const SUPPORT_VERIFICATION: Curve = Curve::make_linear(3, 3, percent(1), percent(10));

const TRACKS: [Track<u16, Balance, BlockNumber>; 3] = [
    Track {
        id: 0,
        info: TrackInfo {
            name: name("root"),
            max_deciding: 1,
            decision_deposit: 10_000 * STAR,
            prepare_period: PREPARE,
            decision_period: ROOT_DECISION,
            confirm_period: ROOT_CONFIRM,
            min_enactment_period: ROOT_ENACTMENT,
            min_approval: APPROVAL_ROOT,
            min_support: SUPPORT_ROOT,
        },
    },
    Track {
        id: 1,
        info: TrackInfo {
            name: name("protocol_parameters"),
            max_deciding: 10,
            decision_deposit: 1_000 * STAR,
            prepare_period: PREPARE,
            decision_period: PARAMETERS_DECISION,
            confirm_period: CONFIRM,
            min_enactment_period: ENACTMENT,
            min_approval: APPROVAL_PARAMETERS,
            min_support: SUPPORT_PARAMETERS,
        },
    },
    Track {
        id: 2,
        info: TrackInfo {
            name: name("task_verification"),
            max_deciding: 50,
            decision_deposit: 100 * STAR,
            prepare_period: PREPARE,
            decision_period: VERIFICATION_DECISION,
            confirm_period: CONFIRM,
            min_enactment_period: ENACTMENT,
            min_approval: APPROVAL_VERIFICATION,
            min_support: SUPPORT_VERIFICATION,
        },
    },
];

/// Maps origins to Starling's three tracks.
pub struct TracksInfo;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
    type Id = u16;
    type RuntimeOrigin = <RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

    fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
        TRACKS.iter().map(Cow::Borrowed)
    }

    fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
        if let Ok(system) = frame_system::RawOrigin::try_from(origin.clone()) {
            return match system {
                frame_system::RawOrigin::Root => Ok(0),
                _ => Err(()),
            };
        }
        match origins::Origin::try_from(origin.clone()) {
            Ok(origins::Origin::ProtocolParameters) => Ok(1),
            Ok(origins::Origin::TaskVerification) => Ok(2),
            Err(_) => Err(()),
        }
    }
}
