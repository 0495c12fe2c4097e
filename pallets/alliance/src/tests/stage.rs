//! Which stage an alliance is in at a block (`stage.rs`): the one function every check, the
//! hook, the worker and the transaction lifetime ask.

use super::*;
use crate::stage::{Stage, Staged};

fn alliance(phase: Phase) -> AllianceOf<Test> {
    let mut a = new_test_ext()
        .execute_with(|| Alliances::<Test>::get(create(1, Aggregation::FedAvg)).unwrap());
    (a.spec.join_window, a.spec.propose_window, a.phase) = (5, 5, phase);
    (a.join_end, a.commit_end, a.reveal_end, a.vote_end, a.ballot_end) = (10, 20, 25, 30, 35);
    a
}

/// The stage follows the round's windows; a join window that closed waits for the first round,
/// a round whose windows are over waits to be closed, and an ended alliance stays ended.
#[test]
fn the_stage_follows_the_windows() {
    let expected = [
        (Phase::Joining, 9, Stage::Joining),
        (Phase::Joining, 10, Stage::Starting),
        (Phase::Round, 15, Stage::Propose),
        (Phase::Round, 20, Stage::RevealUpdates),
        (Phase::Round, 25, Stage::Vote),
        (Phase::Round, 30, Stage::RevealBallots),
        (Phase::Round, 34, Stage::RevealBallots),
        (Phase::Round, 35, Stage::Closing),
        (Phase::Finished, 1, Stage::Ended),
        (Phase::Cancelled, 1, Stage::Ended),
    ];
    for (phase, now, stage) in expected {
        assert_eq!(alliance(phase).stage_at(now), stage, "{phase:?} at block {now}");
    }
}

/// Each window opens where the previous one closed; the propose window opens at the draw.
#[test]
fn the_windows_follow_each_other() {
    let record = alliance(Phase::Round);
    assert_eq!(record.window(Stage::Joining), Some((5, 10)));
    assert_eq!(record.window(Stage::Propose), Some((15, 20)));
    assert_eq!(record.round_start(), 15);
    assert_eq!(record.window(Stage::RevealUpdates), Some((20, 25)));
    assert_eq!(record.window(Stage::Vote), Some((25, 30)));
    assert_eq!(record.window(Stage::RevealBallots), Some((30, 35)));
    assert_eq!(record.window(Stage::Closing), None);
    assert_eq!(record.next_due(), Some(35));
    assert_eq!(alliance(Phase::Joining).next_due(), Some(10));
    assert_eq!(alliance(Phase::Finished).next_due(), None);
}

/// In a running round (windows from the draw at block 15) and while joining, a stage that has
/// a window holds the block.
#[test]
fn the_stage_and_its_window_agree_in_a_round() {
    let round = alliance(Phase::Round);
    assert!((15..60).all(|now| round.agrees_at(now)));
    let joining = alliance(Phase::Joining);
    assert!((5..60).all(|now| joining.agrees_at(now)));
}

#[test]
fn expecting_a_stage_names_early_and_late() {
    let record = alliance(Phase::Round);
    assert_eq!(record.expect_stage(22, Stage::Vote, "early", "late"), Err("early"));
    assert_eq!(record.expect_stage(27, Stage::Vote, "early", "late"), Ok(()));
    assert_eq!(record.expect_stage(31, Stage::Vote, "early", "late"), Err("late"));
}
