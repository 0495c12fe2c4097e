//! The runtime API dApps use to read tasks and results without knowing storage layouts.

use crate::{TaskId, TaskResult};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
    /// Read access to the arena.
    pub trait ArenaApi<AccountId, Balance, BlockNumber>
    where
        AccountId: Codec,
        Balance: Codec,
        BlockNumber: Codec,
    {
        /// Tasks that have not ended, in order of creation.
        fn active_tasks() -> Vec<TaskId>;
        /// The result of a finalised task: ranking with consensus scores and rewards (the
        /// winner first), the committee's verdicts and the pool split.
        fn task_result(task: TaskId) -> Option<TaskResult<AccountId, Balance, BlockNumber>>;
    }
}
