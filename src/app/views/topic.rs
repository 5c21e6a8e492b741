//! One topic: its partitions, and its configs on a second pane.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::PromptKind;
use super::super::state::State;
use super::View;
use crate::kafka::ConfigEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicPane {
    Partitions,
    Configs,
}

#[derive(Debug, Clone)]
pub struct TopicView {
    pub name: String,
    pub pane: TopicPane,
    pub partitions: ListSelection,
    pub config_list: ListSelection,
    pub configs: Option<Result<Vec<ConfigEntry>, String>>,
    /// Show config values as stored rather than in units.
    pub raw_configs: bool,
    /// The open transactions holding its last stable offsets back, when any do.
    pub transactions: Option<Result<Vec<crate::collect::transactions::Unstable>, String>>,
}

impl Default for TopicView {
    fn default() -> Self {
        TopicView::new("")
    }
}

impl TopicView {
    pub fn new(name: &str) -> Self {
        TopicView {
            name: name.to_owned(),
            pane: TopicPane::Partitions,
            partitions: ListSelection::default(),
            config_list: ListSelection::default(),
            configs: None,
            raw_configs: false,
            transactions: None,
        }
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let partitions = state
        .topic_info(&state.topic.name)
        .map_or(0, |t| t.partitions.len());
    let configs = match &state.topic.configs {
        Some(Ok(c)) => c.len(),
        _ => 0,
    };
    let view = &mut state.topic;
    match action {
        a if a.is_navigation() => match view.pane {
            TopicPane::Partitions => view.partitions.step(action, partitions, rows),
            TopicPane::Configs => view.config_list.step(action, configs, rows),
        },
        Action::NextPane | Action::PrevPane => {
            view.pane = match view.pane {
                TopicPane::Partitions => TopicPane::Configs,
                TopicPane::Configs => TopicPane::Partitions,
            };
        }
        Action::Open if view.pane == TopicPane::Partitions => {
            let name = view.name.clone();
            let partition = state
                .topic_info(&name)
                .and_then(|t| t.partitions.get(state.topic.partitions.selected))
                .map(|p| p.id);
            if partition.is_some() {
                return state.open_messages(&name, partition);
            }
        }
        Action::ShowMessages => {
            let name = view.name.clone();
            return state.open_messages(&name, None);
        }
        Action::ToggleRaw => view.raw_configs = !view.raw_configs,
        Action::EditConfig => {
            view.pane = TopicPane::Configs;
            let selected = match &view.configs {
                Some(Ok(c)) => c.get(view.config_list.selected).cloned(),
                _ => None,
            };
            match selected {
                Some(c) if c.read_only => state.error(format!("{} cannot be changed", c.name)),
                Some(c) => {
                    let raw = if c.is_sensitive {
                        String::new()
                    } else {
                        c.value.unwrap_or_default()
                    };
                    // In the units the tab shows, when they read back exactly.
                    let shown = crate::human::config_value(&c.name, &raw);
                    let exact = crate::human::config_raw(&c.name, &shown).as_deref() == Ok(&raw);
                    let current = if exact && !view.raw_configs {
                        shown
                    } else {
                        raw
                    };
                    super::admin::ask(state, PromptKind::EditConfig, Some(c.name), &current);
                }
                None => state.error("no config selected (Tab shows the configs)"),
            }
        }
        Action::ElectLeaders => super::operate::ask_elect(state),
        Action::AddPartitions => {
            let name = view.name.clone();
            super::admin::ask(state, PromptKind::AddPartitions, Some(name), "");
        }
        Action::DeleteSelected => {
            let name = view.name.clone();
            super::admin::ask(state, PromptKind::ConfirmDeleteTopic, Some(name), "");
        }
        _ => {}
    }
    Vec::new()
}

/// The poller's last stable offsets: when the open topic has partitions held back by open
/// transactions and their set changed since last asked, ask which transactions they are.
pub fn on_stable_offsets(state: &mut State) -> Vec<Command> {
    if state.view() != View::Topic {
        return Vec::new();
    }
    let name = state.topic.name.clone();
    let held: Vec<(i32, i64)> = {
        let mut v: Vec<(i32, i64)> = state
            .session
            .unstable
            .iter()
            .filter(|((t, _), _)| *t == name)
            .map(|((_, p), s)| (*p, *s))
            .collect();
        v.sort_unstable();
        v
    };
    let known: Vec<(i32, i64)> = match &state.topic.transactions {
        Some(Ok(u)) => u
            .iter()
            .map(|u| (u.partition, u.last_stable_offset))
            .collect(),
        _ => Vec::new(),
    };
    if held.is_empty() {
        state.topic.transactions = None;
        return Vec::new();
    }
    if held == known {
        return Vec::new();
    }
    vec![Command::LoadTopicTransactions(name)]
}

pub fn on_transactions(
    state: &mut State,
    topic: String,
    result: Result<Vec<crate::collect::transactions::Unstable>, String>,
) {
    if state.topic.name == topic {
        state.topic.transactions = Some(result);
    }
}
