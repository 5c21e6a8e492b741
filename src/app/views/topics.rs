//! The topics table: filtered and sorted when data or settings change, never while drawing.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use super::View;
use super::topic::TopicView;
use crate::kafka::TopicInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicSort {
    Name,
    Partitions,
    Replication,
    Messages,
    Rate,
    Size,
}

impl TopicSort {
    pub fn label(self) -> &'static str {
        match self {
            TopicSort::Name => "name",
            TopicSort::Partitions => "partitions",
            TopicSort::Replication => "replication factor",
            TopicSort::Messages => "messages",
            TopicSort::Rate => "msg/s",
            TopicSort::Size => "size",
        }
    }

    fn next(self) -> Self {
        match self {
            TopicSort::Name => TopicSort::Partitions,
            TopicSort::Partitions => TopicSort::Replication,
            TopicSort::Replication => TopicSort::Messages,
            TopicSort::Messages => TopicSort::Rate,
            TopicSort::Rate => TopicSort::Size,
            TopicSort::Size => TopicSort::Name,
        }
    }

    /// Orders that change with every watermark sample.
    pub fn depends_on_rates(self) -> bool {
        matches!(self, TopicSort::Messages | TopicSort::Rate)
    }
}

#[derive(Debug, Clone)]
pub struct TopicsView {
    pub filter: String,
    pub sort: TopicSort,
    pub descending: bool,
    pub show_internal: bool,
    pub list: ListSelection,
    /// Names in display order: filtered and sorted when data or settings change.
    pub order: Vec<String>,
}

impl Default for TopicsView {
    fn default() -> Self {
        TopicsView {
            filter: String::new(),
            sort: TopicSort::Name,
            descending: false,
            show_internal: false,
            list: ListSelection::default(),
            order: Vec::new(),
        }
    }
}

impl TopicsView {
    pub fn selected(&self) -> Option<&str> {
        self.order.get(self.list.selected).map(String::as_str)
    }
}

pub fn set_filter(state: &mut State, text: &str) {
    state.topics.filter = text.to_owned();
    refresh_order(state);
}

/// Filters and sorts the topic names, keeping the selected topic selected.
pub fn refresh_order(state: &mut State) {
    let rows = state.page();
    let Some(cluster) = &state.session.cluster else {
        state.topics.order.clear();
        return;
    };
    let view = &state.topics;
    let selected = view.selected().map(str::to_owned);
    let filter = view.filter.to_lowercase();
    let mut topics: Vec<&TopicInfo> = cluster
        .topics
        .iter()
        .filter(|t| view.show_internal || !t.internal)
        .filter(|t| filter.is_empty() || t.name.to_lowercase().contains(&filter))
        .collect();
    let stats = &state.session.stats;
    let sizes = &state.session.topic_sizes;
    let messages = |t: &TopicInfo| stats.topics.get(&t.name).map_or(0, |s| s.messages);
    let rate = |t: &TopicInfo| stats.topics.get(&t.name).map_or(0.0, |s| s.rate);
    match view.sort {
        TopicSort::Name => topics.sort_by(|a, b| a.name.cmp(&b.name)),
        TopicSort::Partitions => topics.sort_by_key(|t| t.partitions.len()),
        TopicSort::Replication => topics.sort_by_key(|t| t.replication_factor()),
        TopicSort::Messages => topics.sort_by_key(|t| messages(t)),
        TopicSort::Rate => topics.sort_by(|a, b| rate(a).total_cmp(&rate(b))),
        TopicSort::Size => topics.sort_by_key(|t| sizes.get(&t.name).copied().unwrap_or(-1)),
    }
    if view.descending {
        topics.reverse();
    }
    let order: Vec<String> = topics.into_iter().map(|t| t.name.clone()).collect();
    let view = &mut state.topics;
    view.order = order;
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
            let len = state.topics.order.len();
            state.topics.list.step(action, len, rows);
        }
        Action::Open => {
            if let Some(name) = state.topics.selected().map(str::to_owned) {
                state.topic = TopicView::new(&name);
                state.push_view(View::Topic);
                let mut commands = vec![Command::LoadConfigs(name)];
                commands.extend(super::topic::on_stable_offsets(state));
                return commands;
            }
        }
        Action::ShowMessages => {
            if let Some(name) = state.topics.selected().map(str::to_owned) {
                return state.open_messages(&name, None);
            }
        }
        Action::OpenFilter => {
            let current = state.topics.filter.clone();
            prompt::open(state, PromptKind::TopicFilter, &current);
        }
        Action::CycleSort => {
            state.topics.sort = state.topics.sort.next();
            // Numbers read best largest first; names alphabetically.
            state.topics.descending = state.topics.sort != TopicSort::Name;
            refresh_order(state);
        }
        Action::ReverseSort => {
            state.topics.descending = !state.topics.descending;
            refresh_order(state);
        }
        Action::ToggleInternal => {
            state.topics.show_internal = !state.topics.show_internal;
            refresh_order(state);
        }
        Action::NewTopic => super::admin::ask(state, PromptKind::NewTopic, None, ""),
        Action::DeleteSelected => {
            if let Some(name) = state.topics.selected().map(str::to_owned) {
                super::admin::ask(state, PromptKind::ConfirmDeleteTopic, Some(name), "");
            }
        }
        Action::AddPartitions => {
            if let Some(name) = state.topics.selected().map(str::to_owned) {
                super::admin::ask(state, PromptKind::AddPartitions, Some(name), "");
            }
        }
        _ => {}
    }
    Vec::new()
}
