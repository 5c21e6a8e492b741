//! `:ctx` / `:clusters`: the config file's clusters, and switching to one without restarting.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::state::State;
use super::View;

/// One profile as the list shows it; never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterEntry {
    pub name: String,
    pub brokers: String,
    /// "TLS · SCRAM-SHA-512 as alice".
    pub security: String,
    pub read_only: bool,
    /// Whether it answered when `:ctx` opened: its broker count, or why not; None while asked.
    pub answer: Option<Result<usize, String>>,
}

#[derive(Debug, Clone, Default)]
pub struct ClustersView {
    pub entries: Vec<ClusterEntry>,
    pub list: ListSelection,
    /// Where the profiles come from, for the empty list's hint.
    pub config_path: Option<String>,
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    match action {
        a if a.is_navigation() => {
            let len = state.clusters.entries.len();
            state.clusters.list.step(action, len, rows);
        }
        Action::Open => {
            if let Some(entry) = state.clusters.entries.get(state.clusters.list.selected) {
                let name = entry.name.clone();
                return switch(state, &name);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Opens `:ctx` and asks every profile whether it answers.
pub fn open(state: &mut State) -> Vec<Command> {
    state.views = vec![View::Overview, View::Clusters];
    for entry in &mut state.clusters.entries {
        entry.answer = None;
    }
    vec![Command::ProbeClusters]
}

pub fn on_answer(state: &mut State, name: &str, answer: Result<usize, String>) {
    if let Some(entry) = state.clusters.entries.iter_mut().find(|e| e.name == name) {
        entry.answer = Some(answer);
    }
}

/// Asks the runtime to leave the current cluster for the profile `name`.
pub fn switch(state: &mut State, name: &str) -> Vec<Command> {
    if !state.clusters.entries.iter().any(|e| e.name == name) {
        let known: Vec<&str> = state
            .clusters
            .entries
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let hint = if known.is_empty() {
            "no clusters are configured".to_owned()
        } else {
            format!("clusters: {}", known.join(", "))
        };
        state.error(format!("no cluster named {name} ({hint})"));
        return Vec::new();
    }
    if state.session.name.as_deref() == Some(name) {
        state.info(format!("already on {name}"));
        return Vec::new();
    }
    vec![Command::SwitchCluster(name.to_owned())]
}
