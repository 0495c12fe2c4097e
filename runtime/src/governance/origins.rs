//! Custom governance origins: the ways a passed referendum may act besides `Root`.

pub use pallet_custom_origins::*;

/// The custom-origins pallet: declares the origins referenda on Starling's tracks dispatch
/// with, and the `EnsureOrigin` types pallets use to accept them.
// The pallet macro expands to `expect` on values it has just checked.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet_custom_origins {
    use frame_support::pallet_prelude::*;

    /// This pallet has no configuration.
    #[pallet::config]
    pub trait Config: frame_system::Config {}

    /// The custom-origins pallet.
    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// The origins a referendum on a non-root track dispatches with.
    #[derive(PartialEq, Eq, Clone, Debug)]
    #[derive(MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
    #[pallet::origin]
    pub enum Origin {
        /// Sets protocol parameters: minimum stakes, slash rates, reward splits, emission.
        ProtocolParameters,
        /// Verifies arena tasks so that they share the emission.
        TaskVerification,
    }

    macro_rules! decl_unit_ensure {
        ( $name:ident ) => {
            #[doc = concat!("Accepts only the `", stringify!($name), "` origin.")]
            pub struct $name;
            impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
            where
                for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
            {
                type Success = ();
                fn try_origin(o: O) -> Result<Self::Success, O> {
                    if matches!(o.caller().try_into(), Ok(Origin::$name)) {
                        Ok(())
                    } else {
                        Err(o)
                    }
                }
                #[cfg(feature = "runtime-benchmarks")]
                fn try_successful_origin() -> Result<O, ()> {
                    Ok(O::from(Origin::$name))
                }
            }
        };
    }
    decl_unit_ensure!(ProtocolParameters);
    decl_unit_ensure!(TaskVerification);
}
