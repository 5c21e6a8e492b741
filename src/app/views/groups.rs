//! The consumer groups table: every group's report, filtered and sorted when reports arrive.

use std::collections::HashMap;
use std::time::Duration;

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use super::super::stats::Trend;
use super::View;
use super::group::GroupView;
use crate::collect::groups::OwnedGroupSnapshot;
use crate::lag::tracker::GroupReport;
use crate::maps::{named_mut, partition_mut};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupSort {
    #[default]
    Name,
    Lag,
    Status,
}

#[derive(Debug, Clone, Default)]
pub struct GroupsView {
    pub filter: String,
    pub sort: GroupSort,
    pub list: ListSelection,
    /// Group ids in display order.
    pub order: Vec<String>,
    pub reports: HashMap<String, GroupReport>,
    /// Total lag per group, one point per poll.
    pub lag_history: HashMap<String, Trend>,
    /// Lag per group partition, one point per poll: by group, then topic (looked up by
    /// borrowed names: every committed partition of every group is updated each poll), then
    /// partition id.
    partition_history: HashMap<String, HashMap<String, Vec<Trend>>>,
    /// A first poll has answered (until then "loading", after it "no groups").
    pub loaded: bool,
    /// How often every group is polled, when less often than the ordinary 5 s.
    pub every_when_slower: Option<Duration>,
}

impl GroupsView {
    pub fn selected(&self) -> Option<&str> {
        self.order.get(self.list.selected).map(String::as_str)
    }

    pub fn report(&self, group: &str) -> Option<&GroupReport> {
        self.reports.get(group)
    }

    /// A group partition's lag, one point per poll.
    pub fn partition_trend(&self, group: &str, topic: &str, partition: i32) -> Option<&Trend> {
        let by_id = self.partition_history.get(group)?.get(topic)?;
        crate::maps::partition(by_id, partition)
    }
}

/// Folds a poll of every group into reports and lag histories.
pub fn on_snapshots(
    state: &mut State,
    at_ms: i64,
    snapshots: Vec<OwnedGroupSnapshot>,
    every_when_slower: Option<Duration>,
) {
    let mut reports = HashMap::with_capacity(snapshots.len());
    for mut snapshot in snapshots {
        let report = fold(state, at_ms, &mut snapshot);
        reports.insert(report.group.clone(), report);
    }
    let view = &mut state.groups;
    view.lag_history.retain(|g, _| reports.contains_key(g));
    view.partition_history
        .retain(|g, _| reports.contains_key(g));
    view.reports = reports;
    view.every_when_slower = every_when_slower;
    view.loaded = true;
    refresh_order(state);
}

/// Folds a poll of the open group alone: its report and a point on its trends; the others stay.
pub fn on_open_group(state: &mut State, at_ms: i64, mut snapshot: OwnedGroupSnapshot) {
    let report = fold(state, at_ms, &mut snapshot);
    state.groups.reports.insert(report.group.clone(), report);
    refresh_order(state);
}

/// A group's report, its points added to the lag trends.
fn fold(state: &mut State, at_ms: i64, snapshot: &mut OwnedGroupSnapshot) -> GroupReport {
    // The poller's last stable offsets, where open transactions hold records back (none on
    // most clusters: then no look-up for each of the group's partitions).
    if !state.session.unstable.is_empty() {
        for key in snapshot.high_watermarks.keys() {
            if let Some(stable) = state.session.unstable.get(key) {
                snapshot.stable_offsets.insert(key.clone(), *stable);
            }
        }
    }
    let report = state.session.tracker.report(&snapshot.borrow(), at_ms);
    let view = &mut state.groups;
    // Only lags kview knows: a group without commits has no trend, not a flat zero.
    if let Some(lag) = report.total_lag {
        view.lag_history
            .entry(report.group.clone())
            .or_default()
            .push(lag.max(0) as u64);
    }
    let topics = named_mut(&mut view.partition_history, &report.group);
    for p in &report.partitions {
        if let Some(lag) = p.lag
            && let Some(trend) = partition_mut(named_mut(topics, &p.topic), p.partition)
        {
            trend.push(lag.max(0) as u64);
        }
    }
    report
}

pub fn set_filter(state: &mut State, text: &str) {
    state.groups.filter = text.to_owned();
    refresh_order(state);
}

fn refresh_order(state: &mut State) {
    let rows = state.page();
    let view = &mut state.groups;
    let selected = view.selected().map(str::to_owned);
    let filter = view.filter.to_lowercase();
    let mut reports: Vec<&GroupReport> = view
        .reports
        .values()
        .filter(|r| filter.is_empty() || r.group.to_lowercase().contains(&filter))
        .collect();
    match view.sort {
        GroupSort::Name => reports.sort_by(|a, b| a.group.cmp(&b.group)),
        GroupSort::Lag => {
            reports.sort_by(|a, b| b.total_lag.cmp(&a.total_lag).then(a.group.cmp(&b.group)))
        }
        GroupSort::Status => {
            reports.sort_by(|a, b| b.status.cmp(&a.status).then(a.group.cmp(&b.group)))
        }
    }
    view.order = reports.into_iter().map(|r| r.group.clone()).collect();
    if let Some(name) = selected
        && let Some(i) = view.order.iter().position(|n| *n == name)
    {
        view.list.selected = i;
    }
    view.list.keep_visible(view.order.len(), rows);
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    match action {
        a if a.is_navigation() => {
            let len = state.groups.order.len();
            state.groups.list.step(action, len, rows);
        }
        Action::Open => {
            if let Some(name) = state.groups.selected().map(str::to_owned) {
                state.group = GroupView::new(&name);
                state.push_view(View::Group);
            }
        }
        Action::OpenFilter => {
            let current = state.groups.filter.clone();
            prompt::open(state, PromptKind::GroupFilter, &current);
        }
        Action::CycleSort => {
            state.groups.sort = match state.groups.sort {
                GroupSort::Name => GroupSort::Lag,
                GroupSort::Lag => GroupSort::Status,
                GroupSort::Status => GroupSort::Name,
            };
            refresh_order(state);
        }
        Action::DeleteSelected => {
            let selected = state.groups.selected().map(str::to_owned);
            let members = selected
                .as_deref()
                .and_then(|g| state.groups.report(g))
                .and_then(|r| r.members)
                .unwrap_or(0);
            match selected {
                Some(g) if members > 0 => state.error(format!(
                    "group {g} has {}; stop them before deleting it",
                    crate::human::plural(members as i64, "active member")
                )),
                Some(g) => super::admin::ask(state, PromptKind::ConfirmDeleteGroup, Some(g), ""),
                None => {}
            }
        }
        _ => {}
    }
    Vec::new()
}
