//! Which stage a task is in at a block (`stage.rs`): the one function every check, the hook,
//! the worker and the transaction lifetime ask.

use super::*;
use crate::stage::{Stage, Staged};

fn task(phase: Phase) -> TaskOf<Test> {
    let mut t = new_test_ext().execute_with(|| Tasks::<Test>::get(create(1, 9)).unwrap());
    (t.created_at, t.submission_end, t.reveal_end, t.scoring_end) = (1, 10, 20, 30);
    (t.score_reveal_end, t.phase) = (40, phase);
    t
}

/// The stage follows the windows, except that scoring waits for the draw and an ended task
/// stays ended.
#[test]
fn the_stage_follows_the_windows_and_waits_for_the_draw() {
    let at = |phase, now| task(phase).stage_at(now);
    assert_eq!(at(Phase::Submission, 1), Stage::Submission);
    assert_eq!(at(Phase::Submission, 9), Stage::Submission);
    assert_eq!(at(Phase::Submission, 10), Stage::Reveal);
    assert_eq!(at(Phase::Reveal, 19), Stage::Reveal);
    assert_eq!(at(Phase::Reveal, 20), Stage::Drawing);
    assert_eq!(at(Phase::Reveal, 35), Stage::Drawing);
    assert_eq!(at(Phase::Scoring, 20), Stage::Scoring);
    assert_eq!(at(Phase::Scoring, 30), Stage::ScoreReveal);
    assert_eq!(at(Phase::ScoreReveal, 39), Stage::ScoreReveal);
    assert_eq!(at(Phase::ScoreReveal, 40), Stage::Finalising);
    assert_eq!(at(Phase::Finalised, 5), Stage::Ended);
    assert_eq!(at(Phase::Cancelled(CancelReason::ByCreator), 5), Stage::Ended);
}

/// Each phase is due at the end of its window; an ended task is never due.
#[test]
fn each_phase_is_due_when_its_window_closes() {
    assert_eq!(task(Phase::Submission).next_due(), Some(10));
    assert_eq!(task(Phase::Reveal).next_due(), Some(20));
    assert_eq!(task(Phase::Scoring).next_due(), Some(30));
    assert_eq!(task(Phase::ScoreReveal).next_due(), Some(40));
    assert_eq!(task(Phase::Finalised).next_due(), None);
}

/// At every block of a task's life (from its creation at block 1), in every phase, a stage that
/// has a window holds the block.
#[test]
fn the_stage_and_its_window_agree_at_every_block() {
    let phases = [Phase::Submission, Phase::Reveal, Phase::Scoring, Phase::ScoreReveal];
    for phase in phases {
        let t = task(phase);
        assert!((1..50).all(|now| t.agrees_at(now)), "{phase:?}");
    }
}

#[test]
fn expecting_a_stage_names_early_and_late() {
    let t = task(Phase::Submission);
    assert_eq!(t.expect_stage(5, Stage::Reveal, "early", "late"), Err("early"));
    assert_eq!(t.expect_stage(12, Stage::Reveal, "early", "late"), Ok(()));
    assert_eq!(t.expect_stage(25, Stage::Reveal, "early", "late"), Err("late"));
}
