//! Stages: the one shape of "which stage is this item in at block `now`?".
//!
//! Each product answers the question once, for its own item (`pallets/arena/src/stage.rs` for a
//! task, `pallets/alliance/src/stage.rs` for an alliance), by implementing [`Staged`]. Every
//! call's check, the `on_initialize` hook, the due-block queue, the off-chain worker and the
//! lifetime of a worker's transaction ask that implementation; none of them compares window
//! ends itself.

/// An item that moves through stages in block order.
pub trait Staged<BlockNumber: PartialOrd + Copy> {
    /// The item's stages, in lifecycle order (`Ord` follows it).
    type Stage: Ord + Copy;

    /// The item's stage at block `now`.
    fn stage_at(&self, now: BlockNumber) -> Self::Stage;

    /// The blocks `[opens, closes)` of a stage in which someone acts; `None` for the stages
    /// that only wait for `on_initialize`, and for an ended item.
    fn window(&self, stage: Self::Stage) -> Option<(BlockNumber, BlockNumber)>;

    /// The block at which `stage` closes: where a worker transaction for that stage stops
    /// being valid.
    fn closes(&self, stage: Self::Stage) -> Option<BlockNumber> {
        self.window(stage).map(|(_, closes)| closes)
    }

    /// Whether `now` is in `wanted`: `Ok`, or `early` before it, `late` after it.
    fn expect_stage<E>(
        &self,
        now: BlockNumber,
        wanted: Self::Stage,
        early: E,
        late: E,
    ) -> Result<(), E> {
        let stage = self.stage_at(now);
        if stage < wanted {
            Err(early)
        } else if stage > wanted {
            Err(late)
        } else {
            Ok(())
        }
    }

    /// Whether `stage_at` and `window` agree at `now`: a block whose stage has a window lies in
    /// it. What each product's tests check at every block of an item's life.
    fn agrees_at(&self, now: BlockNumber) -> bool {
        self.window(self.stage_at(now)).is_none_or(|(opens, closes)| opens <= now && now < closes)
    }
}
