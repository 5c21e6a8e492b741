//! One group: its partitions' lag and status, and offset resets (preview, then typed
//! confirmation).

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use super::View;
use crate::kafka::StartAt;
use crate::lag::reset::{ResetPlan, ResetTarget};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetState {
    Planning,
    Preview(Vec<ResetPlan>),
    Applying,
}

#[derive(Debug, Clone, Default)]
pub struct GroupView {
    pub name: String,
    pub list: ListSelection,
    pub reset: Option<ResetState>,
    /// The topic, or topic and partition, a reset is limited to (`R`, or `TOPIC[/P]` typed
    /// after the target); None resets them all.
    pub reset_only: Option<(String, Option<i32>)>,
}

impl GroupView {
    pub fn new(name: &str) -> Self {
        GroupView {
            name: name.to_owned(),
            ..GroupView::default()
        }
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let report = state.groups.report(&state.group.name);
    let partitions = report.map_or(0, |r| r.partitions.len());
    let members = report.and_then(|r| r.members).unwrap_or(0);
    let commits = report.is_none_or(|r| r.kind.commits_offsets());
    match action {
        a if a.is_navigation() => state.group.list.step(action, partitions, rows),
        Action::OpenConnector => super::connect::open_group_connector(state),
        Action::Open => {
            // What the group reads next: its committed offset, or the partition's start when it
            // never committed.
            let target = report
                .and_then(|r| r.partitions.get(state.group.list.selected))
                .map(|p| (p.topic.clone(), p.partition, p.committed));
            if let Some((topic, partition, committed)) = target {
                let start = committed.map_or(StartAt::Beginning, StartAt::Offset);
                state.push_view(View::Messages);
                return vec![state.start_browse(&topic, Some(partition), start, false)];
            }
        }
        Action::ResetOffsets | Action::ResetPartition => {
            let only = (action == Action::ResetPartition)
                .then(|| {
                    report
                        .and_then(|r| r.partitions.get(state.group.list.selected))
                        .map(|p| (p.topic.clone(), Some(p.partition)))
                })
                .flatten();
            if state.read_only() {
                state.error("read-only mode: offset resets are disabled");
            } else if !commits {
                state.error("offset resets are for groups that commit offsets (classic and consumer groups)");
            } else if members > 0 {
                state.error(format!(
                    "the group has {}; the broker takes offsets only from a group without members: stop them first",
                    crate::human::plural(members as i64, "active member")
                ));
            } else if action == Action::ResetPartition && only.is_none() {
                state.error("no partition selected");
            } else {
                state.group.reset_only = only;
                prompt::open(state, PromptKind::ResetTarget, "");
            }
        }
        _ => {}
    }
    Vec::new()
}

pub fn plan_reset(state: &mut State, target: ResetTarget) -> Vec<Command> {
    state.group.reset = Some(ResetState::Planning);
    vec![Command::PlanReset {
        group: state.group.name.clone(),
        target,
        only: state.group.reset_only.clone(),
    }]
}

/// The typed confirmation: the group's name applies the previewed plan, anything else cancels.
pub fn confirm_reset(state: &mut State, typed: &str) -> Vec<Command> {
    let Some(ResetState::Preview(plans)) = state.group.reset.take() else {
        return Vec::new();
    };
    if typed != state.group.name {
        state.info("reset cancelled: the group name was not typed");
        return Vec::new();
    }
    state.group.reset = Some(ResetState::Applying);
    vec![Command::ApplyReset {
        group: state.group.name.clone(),
        plans,
    }]
}

pub fn on_planned(state: &mut State, group: String, result: Result<Vec<ResetPlan>, String>) {
    if state.group.name != group || state.group.reset != Some(ResetState::Planning) {
        return;
    }
    match result {
        Ok(plans) => {
            state.group.reset = Some(ResetState::Preview(plans));
            prompt::open(state, PromptKind::ResetConfirm, "");
        }
        Err(e) => {
            state.group.reset = None;
            state.error(format!("cannot plan the reset: {e}"));
        }
    }
}

pub fn on_applied(state: &mut State, group: String, result: Result<(), String>) {
    state.group.reset = None;
    match result {
        Ok(()) => {
            // The windows keep the commits from before: a reset backwards reads REWIND until
            // the group is back where it was, in the dashboard as in `kview lag`.
            state.info(format!("offsets of group {group} reset"));
        }
        Err(e) => state.error(format!("reset of {group} failed: {e}")),
    }
}
