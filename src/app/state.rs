//! The dashboard's whole state and the one place it changes: [`update`].

use std::collections::HashMap;

use chrono::FixedOffset;

use super::action::Action;
use super::event::TaskStatus;
use super::event::{BrowseRequest, Command, ConnState, Event, ProduceRequest};
use super::input::TextInput;
use super::keymap::Mode;
use super::messages::{Filter, Focus, MessagesView};
use super::ml::MlView;
use super::sensors::SensorsView;
use super::stats::Series;
use super::stats::Stats;
use crate::headless::json::JsonMessage;
use crate::kafka::{ClusterMetadata, ConfigEntry, Header, StartAt, TopicInfo, validate_topic_name};
use crate::lag::reset::{ResetPlan, ResetTarget};
use crate::lag::tracker::{GroupReport, LagTracker};
use crate::ui::theme::Theme;

/// Readings per second when the simulator starts from the dashboard.
pub const SENSOR_RATE: f64 = 50.0;

/// Terminals cap OSC 52 payloads (often near 100 kB); larger values go to a file instead.
pub const CLIPBOARD_LIMIT: usize = 74_000;

/// The views, stacked: Esc goes back to the one below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Topics,
    Topic,
    Messages,
    Produce,
    Groups,
    Group,
    Ml,
    Sensors,
}

impl View {
    /// The key table a view uses when no prompt or overlay has the keyboard.
    pub fn mode(self) -> Mode {
        match self {
            View::Overview => Mode::Overview,
            View::Topics => Mode::Topics,
            View::Topic => Mode::Topic,
            View::Messages => Mode::Messages,
            View::Produce => Mode::Produce,
            View::Groups => Mode::Groups,
            View::Group => Mode::Group,
            View::Ml => Mode::Ml,
            View::Sensors => Mode::Sensors,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    TopicFilter,
    MessageFilter,
    Offset,
    WritePath,
    GroupFilter,
    ResetTarget,
    /// Type the group's name to apply the previewed reset.
    ResetConfirm,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}

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
}

#[derive(Debug, Clone)]
pub struct TopicsView {
    pub filter: String,
    pub sort: TopicSort,
    pub descending: bool,
    pub show_internal: bool,
    pub selected: usize,
    /// Names in display order: filtered and sorted when data or settings change.
    pub order: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicPane {
    Partitions,
    Configs,
}

#[derive(Debug, Clone)]
pub struct TopicView {
    pub name: String,
    pub pane: TopicPane,
    pub selected: usize,
    pub config_selected: usize,
    pub configs: Option<Result<Vec<ConfigEntry>, String>>,
}

pub const FIELD_TOPIC: usize = 0;
pub const FIELD_PARTITION: usize = 1;
pub const FIELD_KEY: usize = 2;
pub const FIELD_VALUE: usize = 3;
pub const FIELD_HEADERS: usize = 4;
pub const FIELD_NAMES: [&str; 5] = ["Topic", "Partition", "Key", "Value", "Headers"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSort {
    Name,
    Lag,
    Status,
}

#[derive(Debug, Clone)]
pub struct GroupsView {
    pub filter: String,
    pub sort: GroupSort,
    pub selected: usize,
    /// Group ids in display order.
    pub order: Vec<String>,
    pub reports: HashMap<String, GroupReport>,
    /// Total lag per group, one point per poll.
    pub lag_history: HashMap<String, Series>,
    /// Lag per group partition, one point per poll.
    pub partition_history: HashMap<(String, String, i32), Series>,
    /// A first poll has answered (until then "loading", after it "no groups").
    pub loaded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetState {
    Planning,
    Preview(Vec<ResetPlan>),
    Applying,
}

#[derive(Debug, Clone)]
pub struct GroupView {
    pub name: String,
    pub selected: usize,
    pub reset: Option<ResetState>,
}

#[derive(Debug, Clone, Default)]
pub struct ProduceForm {
    pub fields: [TextInput; 5],
    pub focus: usize,
    pub sending: bool,
    pub result: Option<Result<String, String>>,
}

#[derive(Debug, Clone)]
pub struct State {
    pub theme: Theme,
    pub read_only: bool,
    pub brokers: String,
    pub conn: ConnState,
    pub cluster: Option<ClusterMetadata>,
    pub stats: Stats,
    /// Bytes on disk per topic, all replicas.
    pub topic_sizes: HashMap<String, i64>,
    pub views: Vec<View>,
    pub topics: TopicsView,
    pub topic: TopicView,
    pub messages: MessagesView,
    pub produce: ProduceForm,
    pub groups: GroupsView,
    pub group: GroupView,
    /// Commit windows and high-watermark histories behind the lag reports.
    pub tracker: LagTracker,
    pub ml: MlView,
    pub sensors: SensorsView,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub show_logs: bool,
    pub notice: Option<Notice>,
    /// Fixed offset for timestamps (tests); None means the local time zone.
    pub utc_offset: Option<FixedOffset>,
    /// Terminal size, for paging.
    pub screen: (u16, u16),
    /// `--demo`: start both pipelines on the first connection.
    pub start_demos_on_connect: bool,
    next_browse_id: u64,
}

/// Everything that can change the state.
#[derive(Debug)]
pub enum Msg {
    Action(Action),
    Event(Event),
    Resize(u16, u16),
}

impl State {
    pub fn new(brokers: String, read_only: bool, theme: Theme) -> Self {
        State {
            theme,
            read_only,
            brokers,
            conn: ConnState::Connecting,
            cluster: None,
            stats: Stats::default(),
            topic_sizes: HashMap::new(),
            views: vec![View::Overview],
            topics: TopicsView {
                filter: String::new(),
                sort: TopicSort::Name,
                descending: false,
                show_internal: false,
                selected: 0,
                order: Vec::new(),
            },
            topic: TopicView {
                name: String::new(),
                pane: TopicPane::Partitions,
                selected: 0,
                config_selected: 0,
                configs: None,
            },
            messages: MessagesView::default(),
            produce: ProduceForm::default(),
            groups: GroupsView {
                filter: String::new(),
                sort: GroupSort::Name,
                selected: 0,
                order: Vec::new(),
                reports: HashMap::new(),
                lag_history: HashMap::new(),
                partition_history: HashMap::new(),
                loaded: false,
            },
            group: GroupView {
                name: String::new(),
                selected: 0,
                reset: None,
            },
            tracker: LagTracker::default(),
            ml: MlView::default(),
            sensors: SensorsView::new(SENSOR_RATE),
            prompt: None,
            help: false,
            show_logs: false,
            notice: None,
            utc_offset: None,
            screen: (80, 24),
            start_demos_on_connect: false,
            next_browse_id: 1,
        }
    }

    /// Changes the colours, including those already baked into derived text.
    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.messages.invalidate_detail();
        self.messages.refresh_detail(&self.theme);
    }

    pub fn view(&self) -> View {
        *self.views.last().unwrap_or(&View::Overview)
    }

    pub fn mode(&self) -> Mode {
        if self.help {
            return Mode::Help;
        }
        if self.prompt.is_some() {
            return Mode::Prompt;
        }
        self.view().mode()
    }

    fn refresh_group_order(&mut self) {
        let selected = self.groups.order.get(self.groups.selected).cloned();
        let filter = self.groups.filter.to_lowercase();
        let mut reports: Vec<&GroupReport> = self
            .groups
            .reports
            .values()
            .filter(|r| filter.is_empty() || r.group.to_lowercase().contains(&filter))
            .collect();
        match self.groups.sort {
            GroupSort::Name => reports.sort_by(|a, b| a.group.cmp(&b.group)),
            GroupSort::Lag => {
                reports.sort_by(|a, b| b.total_lag.cmp(&a.total_lag).then(a.group.cmp(&b.group)))
            }
            GroupSort::Status => {
                reports.sort_by(|a, b| b.status.cmp(&a.status).then(a.group.cmp(&b.group)))
            }
        }
        self.groups.order = reports.into_iter().map(|r| r.group.clone()).collect();
        if let Some(name) = selected
            && let Some(i) = self.groups.order.iter().position(|n| *n == name)
        {
            self.groups.selected = i;
        }
        self.groups.selected = self
            .groups
            .selected
            .min(self.groups.order.len().saturating_sub(1));
    }

    pub fn group_report(&self, group: &str) -> Option<&GroupReport> {
        self.groups.reports.get(group)
    }

    pub fn topic_info(&self, name: &str) -> Option<&TopicInfo> {
        self.cluster
            .as_ref()?
            .topics
            .iter()
            .find(|t| t.name == name)
    }

    pub fn selected_topic(&self) -> Option<&str> {
        self.topics
            .order
            .get(self.topics.selected)
            .map(String::as_str)
    }

    fn page(&self) -> usize {
        (self.screen.1 as usize).saturating_sub(8).max(1)
    }

    fn refresh_topic_order(&mut self) {
        let Some(cluster) = &self.cluster else {
            self.topics.order.clear();
            return;
        };
        let selected = self.selected_topic().map(str::to_owned);
        let filter = self.topics.filter.to_lowercase();
        let mut topics: Vec<&TopicInfo> = cluster
            .topics
            .iter()
            .filter(|t| self.topics.show_internal || !t.internal)
            .filter(|t| filter.is_empty() || t.name.to_lowercase().contains(&filter))
            .collect();
        let stats = &self.stats;
        let sizes = &self.topic_sizes;
        let messages = |t: &TopicInfo| stats.topics.get(&t.name).map_or(0, |s| s.messages);
        let rate = |t: &TopicInfo| stats.topics.get(&t.name).map_or(0.0, |s| s.rate);
        match self.topics.sort {
            TopicSort::Name => topics.sort_by(|a, b| a.name.cmp(&b.name)),
            TopicSort::Partitions => topics.sort_by_key(|t| t.partitions.len()),
            TopicSort::Replication => topics.sort_by_key(|t| t.replication_factor()),
            TopicSort::Messages => topics.sort_by_key(|t| messages(t)),
            TopicSort::Rate => topics.sort_by(|a, b| rate(a).total_cmp(&rate(b))),
            TopicSort::Size => topics.sort_by_key(|t| sizes.get(&t.name).copied().unwrap_or(-1)),
        }
        if self.topics.descending {
            topics.reverse();
        }
        self.topics.order = topics.into_iter().map(|t| t.name.clone()).collect();
        if let Some(name) = selected
            && let Some(i) = self.topics.order.iter().position(|n| *n == name)
        {
            self.topics.selected = i;
        }
        self.topics.selected = self
            .topics
            .selected
            .min(self.topics.order.len().saturating_sub(1));
    }

    fn start_browse(
        &mut self,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        follow: bool,
    ) -> Command {
        let id = self.next_browse_id;
        self.next_browse_id += 1;
        self.messages.reset(id, topic, partition, start, follow);
        Command::Browse(BrowseRequest {
            id,
            topic: topic.to_owned(),
            partition,
            start,
            follow,
        })
    }

    fn open_messages(&mut self, topic: &str, partition: Option<i32>) -> Vec<Command> {
        self.push_view(View::Messages);
        vec![self.start_browse(topic, partition, StartAt::FromEnd(100), true)]
    }

    fn push_view(&mut self, view: View) {
        if self.view() != view {
            self.views.push(view);
        }
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Error(text.into()));
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Info(text.into()));
    }
}

/// The update step: the only function that changes the state.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    let commands = match msg {
        Msg::Action(action) => {
            if !matches!(action, Action::Insert(_)) && state.prompt.is_none() {
                state.notice = None;
            }
            on_action(state, action)
        }
        Msg::Event(event) => on_event(state, event),
        Msg::Resize(w, h) => {
            state.screen = (w, h);
            Vec::new()
        }
    };
    state.messages.refresh_detail(&state.theme);
    commands
}

fn on_event(state: &mut State, event: Event) -> Vec<Command> {
    match event {
        Event::Connection(conn) => {
            let connected = conn == ConnState::Connected;
            state.conn = conn;
            if connected && std::mem::take(&mut state.start_demos_on_connect) {
                state.sensors.simulator = TaskStatus::Running("starting".into());
                state.sensors.processor = TaskStatus::Running("starting".into());
                state.ml.producer = TaskStatus::Running("starting".into());
                state.ml.trainer = TaskStatus::Running("starting".into());
                state.info("demo pipelines started: :sensors and :ml show them");
                return vec![
                    Command::StartSensors {
                        simulator: true,
                        processor: true,
                    },
                    Command::StartMl {
                        producer: true,
                        trainer: true,
                    },
                ];
            }
        }
        Event::Metadata(meta) => {
            state.cluster = Some(meta);
            state.refresh_topic_order();
        }
        Event::Watermarks { at_ms, marks } => {
            for ((topic, partition), m) in &marks {
                state
                    .tracker
                    .observe_watermark(topic, *partition, at_ms, m.high);
            }
            state.stats.record(at_ms, marks);
            if matches!(state.topics.sort, TopicSort::Messages | TopicSort::Rate) {
                state.refresh_topic_order();
            }
        }
        Event::ReplicaSizes(sizes) => {
            let mut per_topic: HashMap<String, i64> = HashMap::new();
            for r in sizes {
                *per_topic.entry(r.topic).or_default() += r.bytes;
            }
            state.topic_sizes = per_topic;
            if state.topics.sort == TopicSort::Size {
                state.refresh_topic_order();
            }
        }
        Event::Metrics(metrics) => state.ml.record(metrics),
        Event::SensorBatch { readings, alerts } => state.sensors.record(&readings, &alerts),
        Event::SensorCounts(counts) => state.sensors.counts = counts,
        Event::SensorTask { simulator, status } => {
            if simulator {
                state.sensors.simulator = status;
            } else {
                state.sensors.processor = status;
            }
        }
        Event::MlTask { producer, status } => {
            if producer {
                state.ml.producer = status;
            } else {
                state.ml.trainer = status;
            }
        }
        Event::Commits(commits) => {
            for c in &commits {
                state.tracker.observe_commit(c);
            }
        }
        Event::Groups { at_ms, snapshots } => {
            let mut reports = HashMap::with_capacity(snapshots.len());
            for snapshot in &snapshots {
                let report = state.tracker.report(&snapshot.borrow(), at_ms);
                state
                    .groups
                    .lag_history
                    .entry(report.group.clone())
                    .or_default()
                    .push(report.total_lag.max(0) as u64);
                for p in &report.partitions {
                    state
                        .groups
                        .partition_history
                        .entry((report.group.clone(), p.topic.clone(), p.partition))
                        .or_default()
                        .push(p.lag.unwrap_or(0).max(0) as u64);
                }
                reports.insert(report.group.clone(), report);
            }
            state
                .groups
                .lag_history
                .retain(|g, _| reports.contains_key(g));
            state
                .groups
                .partition_history
                .retain(|(g, _, _), _| reports.contains_key(g));
            state.groups.reports = reports;
            state.groups.loaded = true;
            state.refresh_group_order();
        }
        Event::ResetPlanned { group, result } => {
            if state.group.name == group && state.group.reset == Some(ResetState::Planning) {
                match result {
                    Ok(plans) => {
                        state.group.reset = Some(ResetState::Preview(plans));
                        open_prompt(state, PromptKind::ResetConfirm, "");
                    }
                    Err(e) => {
                        state.group.reset = None;
                        state.error(format!("cannot plan the reset: {e}"));
                    }
                }
            }
        }
        Event::ResetApplied { group, result } => {
            state.group.reset = None;
            match result {
                Ok(()) => {
                    state.tracker.forget_group(&group);
                    state.info(format!("offsets of group {group} reset"));
                }
                Err(e) => state.error(format!("reset of {group} failed: {e}")),
            }
        }
        Event::Configs { topic, result } => {
            if state.topic.name == topic {
                state.topic.configs = Some(result);
            }
        }
        Event::Messages {
            browse_id,
            messages,
            progress,
            done,
        } => {
            if browse_id == state.messages.browse_id {
                state.messages.push(messages, state.utc_offset);
                state.messages.progress = progress;
                state.messages.done = done;
            }
        }
        Event::BrowseFailed { browse_id, error } => {
            if browse_id == state.messages.browse_id {
                state.messages.error = Some(error);
                state.messages.done = true;
            }
        }
        Event::Produced(result) => {
            state.produce.sending = false;
            state.produce.result = Some(result.map(|p| {
                format!(
                    "written to {}/{} at offset {}",
                    p.topic, p.partition, p.offset
                )
            }));
        }
        Event::Wrote { path, result } => match result {
            Ok(n) => state.info(format!("wrote {n} records to {}", path.display())),
            Err(e) => state.error(format!("cannot write {}: {e}", path.display())),
        },
    }
    Vec::new()
}

fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    match state.mode() {
        Mode::Help => {
            return match action {
                Action::Quit => vec![Command::Quit],
                Action::ToggleHelp => {
                    state.help = false;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        Mode::Prompt => return on_prompt_action(state, action),
        Mode::Produce => return on_form_action(state, action),
        _ => {}
    }
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => return go_back(state),
        Action::ToggleHelp => state.help = true,
        Action::ToggleLogs => state.show_logs = !state.show_logs,
        Action::OpenCommand => open_prompt(state, PromptKind::Command, ""),
        Action::ShowTopics => state.push_view(View::Topics),
        Action::ShowGroups => state.push_view(View::Groups),
        Action::ShowMl => state.push_view(View::Ml),
        Action::ShowSensors => state.push_view(View::Sensors),
        Action::OpenProduce => open_produce(state),
        _ => {}
    }
    match state.view() {
        View::Topics => topics_action(state, action),
        View::Topic => topic_action(state, action),
        View::Messages => messages_action(state, action),
        View::Groups => groups_action(state, action),
        View::Group => group_action(state, action),
        View::Ml => ml_action(state, action),
        View::Sensors => sensors_action(state, action),
        View::Overview | View::Produce => Vec::new(),
    }
}

fn go_back(state: &mut State) -> Vec<Command> {
    if state.views.len() <= 1 {
        return Vec::new();
    }
    let left = state.views.pop();
    if left == Some(View::Messages) && !state.views.contains(&View::Messages) {
        return vec![Command::StopBrowse];
    }
    Vec::new()
}

fn open_prompt(state: &mut State, kind: PromptKind, text: &str) {
    state.prompt = Some(Prompt {
        kind,
        input: TextInput::new(text),
    });
}

fn open_produce(state: &mut State) {
    if state.read_only {
        state.error("read-only mode: producing is disabled");
        return;
    }
    let context_topic = match state.view() {
        View::Topic => Some(state.topic.name.clone()),
        View::Messages => Some(state.messages.topic.clone()),
        View::Topics => state.selected_topic().map(str::to_owned),
        _ => None,
    };
    if let Some(topic) = context_topic
        && state.produce.fields[FIELD_TOPIC].text().is_empty()
    {
        state.produce.fields[FIELD_TOPIC].set(topic);
    }
    state.produce.result = None;
    state.push_view(View::Produce);
}

/// Moves a selection in a list of `len` rows.
fn step(selected: usize, len: usize, action: Action, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (selected + page).min(last),
        _ => selected,
    }
}

fn topics_action(state: &mut State, action: Action) -> Vec<Command> {
    let page = state.page();
    match action {
        a if a.is_navigation() => {
            state.topics.selected = step(
                state.topics.selected,
                state.topics.order.len(),
                action,
                page,
            );
        }
        Action::Open => {
            if let Some(name) = state.selected_topic().map(str::to_owned) {
                state.topic = TopicView {
                    name: name.clone(),
                    pane: TopicPane::Partitions,
                    selected: 0,
                    config_selected: 0,
                    configs: None,
                };
                state.push_view(View::Topic);
                return vec![Command::LoadConfigs(name)];
            }
        }
        Action::ShowMessages => {
            if let Some(name) = state.selected_topic().map(str::to_owned) {
                return state.open_messages(&name, None);
            }
        }
        Action::OpenFilter => {
            let current = state.topics.filter.clone();
            open_prompt(state, PromptKind::TopicFilter, &current);
        }
        Action::CycleSort => {
            state.topics.sort = state.topics.sort.next();
            // Numbers read best largest first; names alphabetically.
            state.topics.descending = state.topics.sort != TopicSort::Name;
            state.refresh_topic_order();
        }
        Action::ReverseSort => {
            state.topics.descending = !state.topics.descending;
            state.refresh_topic_order();
        }
        Action::ToggleInternal => {
            state.topics.show_internal = !state.topics.show_internal;
            state.refresh_topic_order();
        }
        _ => {}
    }
    Vec::new()
}

fn topic_action(state: &mut State, action: Action) -> Vec<Command> {
    let page = state.page();
    let partitions = state
        .topic_info(&state.topic.name)
        .map_or(0, |t| t.partitions.len());
    let configs = match &state.topic.configs {
        Some(Ok(c)) => c.len(),
        _ => 0,
    };
    match action {
        a if a.is_navigation() => match state.topic.pane {
            TopicPane::Partitions => {
                state.topic.selected = step(state.topic.selected, partitions, action, page)
            }
            TopicPane::Configs => {
                state.topic.config_selected =
                    step(state.topic.config_selected, configs, action, page)
            }
        },
        Action::NextPane | Action::PrevPane => {
            state.topic.pane = match state.topic.pane {
                TopicPane::Partitions => TopicPane::Configs,
                TopicPane::Configs => TopicPane::Partitions,
            };
        }
        Action::Open if state.topic.pane == TopicPane::Partitions => {
            let name = state.topic.name.clone();
            let partition = state
                .topic_info(&name)
                .and_then(|t| t.partitions.get(state.topic.selected))
                .map(|p| p.id);
            if partition.is_some() {
                return state.open_messages(&name, partition);
            }
        }
        Action::ShowMessages => {
            let name = state.topic.name.clone();
            return state.open_messages(&name, None);
        }
        _ => {}
    }
    Vec::new()
}

fn messages_action(state: &mut State, action: Action) -> Vec<Command> {
    let page = state.page();
    let m = &mut state.messages;
    match action {
        a if a.is_navigation() => match m.focus {
            Focus::List => {
                let next = step(m.selected, m.visible_len(), action, page);
                m.select(next);
            }
            Focus::Detail => {
                let lines = m.detail_lines().len() as u16;
                m.detail_scroll =
                    step(m.detail_scroll as usize, lines as usize, action, page) as u16;
            }
        },
        Action::NextPane | Action::PrevPane => {
            m.focus = match m.focus {
                Focus::List => Focus::Detail,
                Focus::Detail => Focus::List,
            };
        }
        Action::OpenFilter => {
            let current = m.filter.as_ref().map(Filter::text).unwrap_or_default();
            open_prompt(state, PromptKind::MessageFilter, &current);
        }
        Action::JumpToOffset => open_prompt(state, PromptKind::Offset, ""),
        Action::FromBeginning => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::Beginning, false)];
        }
        Action::Follow => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::FromEnd(100), true)];
        }
        Action::Copy => {
            return match m.selected_row() {
                Some(row)
                    if row.message.value.as_ref().map_or(0, |v| v.len()) > CLIPBOARD_LIMIT =>
                {
                    let n = row.message.value.as_ref().map_or(0, |v| v.len());
                    state.error(format!(
                        "value of {n} bytes is too large for the clipboard; w writes it to a file"
                    ));
                    Vec::new()
                }
                Some(row) => {
                    let value = row.message.value.as_deref().unwrap_or_default().to_vec();
                    let n = value.len();
                    state.info(format!("copied {n} bytes to the clipboard (OSC 52)"));
                    vec![Command::Copy(value)]
                }
                None => {
                    state.error("no message selected");
                    Vec::new()
                }
            };
        }
        Action::WriteFile => {
            let name = format!("kview-{}.jsonl", m.topic);
            open_prompt(state, PromptKind::WritePath, &name);
        }
        _ => {}
    }
    Vec::new()
}

fn on_prompt_action(state: &mut State, action: Action) -> Vec<Command> {
    let Some(prompt) = state.prompt.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => {
            if prompt.kind == PromptKind::ResetConfirm {
                state.group.reset = None;
            }
            state.prompt = None;
        }
        Action::Insert(c) => prompt.input.insert(c),
        Action::Backspace => prompt.input.backspace(),
        Action::Delete => prompt.input.delete(),
        Action::Left => prompt.input.left(),
        Action::Right => prompt.input.right(),
        Action::Home => prompt.input.home(),
        Action::End => prompt.input.end(),
        Action::Submit => {
            let prompt = state.prompt.take().expect("prompt is open");
            return submit_prompt(state, prompt.kind, prompt.input.text().trim());
        }
        _ => {}
    }
    Vec::new()
}

fn submit_prompt(state: &mut State, kind: PromptKind, text: &str) -> Vec<Command> {
    match kind {
        PromptKind::Command => return run_command(state, text.trim_start_matches(':')),
        PromptKind::TopicFilter => {
            state.topics.filter = text.to_owned();
            state.refresh_topic_order();
        }
        PromptKind::GroupFilter => {
            state.groups.filter = text.to_owned();
            state.refresh_group_order();
        }
        PromptKind::ResetTarget => match parse_reset_target(text) {
            Ok(target) => {
                state.group.reset = Some(ResetState::Planning);
                return vec![Command::PlanReset {
                    group: state.group.name.clone(),
                    target,
                }];
            }
            Err(e) => state.error(e),
        },
        PromptKind::ResetConfirm => {
            let Some(ResetState::Preview(plans)) = state.group.reset.take() else {
                return Vec::new();
            };
            if text != state.group.name {
                state.info("reset cancelled: the group name was not typed");
                return Vec::new();
            }
            state.group.reset = Some(ResetState::Applying);
            return vec![Command::ApplyReset {
                group: state.group.name.clone(),
                plans,
            }];
        }
        PromptKind::MessageFilter => match Filter::parse(text) {
            Ok(filter) => state.messages.set_filter(filter),
            Err(e) => state.error(e),
        },
        PromptKind::Offset => match parse_start(text) {
            Ok(start) => {
                let (topic, partition) = (state.messages.topic.clone(), state.messages.partition);
                return vec![state.start_browse(&topic, partition, start, false)];
            }
            Err(e) => state.error(e),
        },
        PromptKind::WritePath => {
            if text.is_empty() {
                state.error("no file name given");
                return Vec::new();
            }
            let topic = state.messages.topic.clone();
            let lines = state
                .messages
                .visible_rows()
                .map(|r| {
                    serde_json::to_string(&JsonMessage::new(&topic, &r.message)).unwrap_or_default()
                })
                .collect();
            return vec![Command::WriteFile {
                path: text.into(),
                lines,
            }];
        }
    }
    Vec::new()
}

/// An offset, `-N`, `@UNIX_MS`, the words beginning/end, or an RFC 3339 time.
pub fn parse_start(text: &str) -> Result<StartAt, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(StartAt::Timestamp(t.timestamp_millis()));
    }
    text.parse()
}

fn run_command(state: &mut State, command: &str) -> Vec<Command> {
    match command {
        "q" | "quit" | "q!" => return vec![Command::Quit],
        "topics" | "t" => state.views = vec![View::Overview, View::Topics],
        "brokers" | "b" | "overview" | "o" | "cluster" => state.views = vec![View::Overview],
        "produce" | "p" => open_produce(state),
        "groups" | "g" => state.views = vec![View::Overview, View::Groups],
        "ml" => state.views = vec![View::Overview, View::Ml],
        "sensors" => state.views = vec![View::Overview, View::Sensors],
        "" => {}
        other => state.error(format!(
            "unknown command :{other} (try :topics, :brokers, :q)"
        )),
    }
    if !state.views.contains(&View::Messages) {
        // Leaving the browser through a command stops its reader.
        return vec![Command::StopBrowse];
    }
    Vec::new()
}

fn on_form_action(state: &mut State, action: Action) -> Vec<Command> {
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => return go_back(state),
        _ => {}
    }
    let form = &mut state.produce;
    let focus = form.focus;
    let multiline = matches!(focus, FIELD_VALUE | FIELD_HEADERS);
    let field = &mut form.fields[focus];
    match action {
        Action::NextPane => form.focus = (focus + 1) % FIELD_NAMES.len(),
        Action::PrevPane => form.focus = (focus + FIELD_NAMES.len() - 1) % FIELD_NAMES.len(),
        Action::Insert(c) => field.insert(c),
        Action::Newline if multiline => field.insert('\n'),
        Action::Newline => form.focus = (focus + 1) % FIELD_NAMES.len(),
        Action::Backspace => field.backspace(),
        Action::Delete => field.delete(),
        Action::Left => field.left(),
        Action::Right => field.right(),
        Action::Home => field.home(),
        Action::End => field.end(),
        Action::Up => field.up(),
        Action::Down => field.down(),
        Action::FormatJson => {
            let value = form.fields[FIELD_VALUE].text().to_owned();
            match serde_json::from_str::<serde_json::Value>(&value) {
                Ok(v) => {
                    let pretty = serde_json::to_string_pretty(&v).unwrap_or(value);
                    form.fields[FIELD_VALUE].set(pretty);
                    form.result = Some(Ok("value is valid JSON".into()));
                }
                Err(e) => form.result = Some(Err(format!("value is not valid JSON: {e}"))),
            }
        }
        Action::Submit => {
            if form.sending {
                return Vec::new();
            }
            match build_produce_request(form) {
                Ok(request) => {
                    form.sending = true;
                    form.result = None;
                    return vec![Command::Produce(request)];
                }
                Err(e) => form.result = Some(Err(e)),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Checks the form and turns it into a request; the input stays as typed either way.
pub fn build_produce_request(form: &ProduceForm) -> Result<ProduceRequest, String> {
    let topic = form.fields[FIELD_TOPIC].text().trim().to_owned();
    validate_topic_name(&topic).map_err(|e| e.to_string())?;
    let partition = match form.fields[FIELD_PARTITION].text().trim() {
        "" | "auto" => None,
        p => Some(p.parse::<i32>().ok().filter(|p| *p >= 0).ok_or_else(|| {
            format!("partition {p:?} is not a number (leave empty for automatic)")
        })?),
    };
    let key = Some(form.fields[FIELD_KEY].text())
        .filter(|k| !k.is_empty())
        .map(|k| k.as_bytes().to_vec());
    let headers = form.fields[FIELD_HEADERS]
        .text()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Header::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProduceRequest {
        topic,
        partition,
        key,
        value: form.fields[FIELD_VALUE].text().as_bytes().to_vec(),
        headers,
    })
}

/// `earliest`, `latest`, an offset, `+N`/`-N` to shift, or a time (`@unix_ms`, RFC 3339).
pub fn parse_reset_target(text: &str) -> Result<ResetTarget, String> {
    let bad = || {
        format!(
            "invalid reset target {text:?}: use earliest, latest, OFFSET, +N, -N, @UNIX_MS or an RFC 3339 time"
        )
    };
    match text {
        "earliest" | "beginning" => return Ok(ResetTarget::Earliest),
        "latest" | "end" => return Ok(ResetTarget::Latest),
        _ => {}
    }
    if let Some(n) = text.strip_prefix('+') {
        return n.parse().map(ResetTarget::Shift).map_err(|_| bad());
    }
    if text.starts_with('-') {
        return text.parse().map(ResetTarget::Shift).map_err(|_| bad());
    }
    if let Ok(offset) = text.parse::<i64>() {
        return Ok(ResetTarget::Offset(offset));
    }
    match parse_start(text) {
        Ok(StartAt::Timestamp(ms)) => Ok(ResetTarget::Timestamp(ms)),
        _ => Err(bad()),
    }
}

fn groups_action(state: &mut State, action: Action) -> Vec<Command> {
    let page = state.page();
    match action {
        a if a.is_navigation() => {
            state.groups.selected = step(
                state.groups.selected,
                state.groups.order.len(),
                action,
                page,
            );
        }
        Action::Open => {
            if let Some(name) = state.groups.order.get(state.groups.selected).cloned() {
                state.group = GroupView {
                    name,
                    selected: 0,
                    reset: None,
                };
                state.push_view(View::Group);
            }
        }
        Action::OpenFilter => {
            let current = state.groups.filter.clone();
            open_prompt(state, PromptKind::GroupFilter, &current);
        }
        Action::CycleSort => {
            state.groups.sort = match state.groups.sort {
                GroupSort::Name => GroupSort::Lag,
                GroupSort::Lag => GroupSort::Status,
                GroupSort::Status => GroupSort::Name,
            };
            state.refresh_group_order();
        }
        _ => {}
    }
    Vec::new()
}

fn group_action(state: &mut State, action: Action) -> Vec<Command> {
    let page = state.page();
    let partitions = state
        .group_report(&state.group.name)
        .map_or(0, |r| r.partitions.len());
    match action {
        a if a.is_navigation() => {
            state.group.selected = step(state.group.selected, partitions, action, page);
        }
        Action::ResetOffsets => {
            if state.read_only {
                state.error("read-only mode: offset resets are disabled");
            } else if state
                .group_report(&state.group.name)
                .is_some_and(|r| r.members > 0)
            {
                state.error("the group has active members; stop them before resetting offsets");
            } else {
                open_prompt(state, PromptKind::ResetTarget, "");
            }
        }
        _ => {}
    }
    Vec::new()
}

fn ml_action(state: &mut State, action: Action) -> Vec<Command> {
    let running = |s: &TaskStatus| matches!(s, TaskStatus::Running(_));
    match action {
        Action::MlStart | Action::MlTrainer if state.read_only => {
            state.error("read-only mode: the ML demo writes to Kafka and is disabled");
        }
        Action::MlStart => {
            if running(&state.ml.producer) {
                state.error("a run is already being produced; x stops it");
            } else {
                let trainer = !running(&state.ml.trainer);
                state.ml.producer = TaskStatus::Running("starting".into());
                if trainer {
                    state.ml.trainer = TaskStatus::Running("starting".into());
                }
                return vec![Command::StartMl {
                    producer: true,
                    trainer,
                }];
            }
        }
        Action::MlStop => {
            state.ml.producer = TaskStatus::Idle;
            state.ml.trainer = TaskStatus::Idle;
            return vec![Command::StopMl {
                producer: true,
                trainer: true,
            }];
        }
        Action::MlTrainer => {
            if running(&state.ml.trainer) {
                state.ml.trainer = TaskStatus::Idle;
                return vec![Command::StopMl {
                    producer: false,
                    trainer: true,
                }];
            }
            state.ml.trainer = TaskStatus::Running("starting".into());
            return vec![Command::StartMl {
                producer: false,
                trainer: true,
            }];
        }
        Action::NextPane => state.ml.select_next(),
        _ => {}
    }
    Vec::new()
}

fn sensors_action(state: &mut State, action: Action) -> Vec<Command> {
    let running = |s: &TaskStatus| matches!(s, TaskStatus::Running(_));
    let v = &mut state.sensors;
    match action {
        a if a.is_navigation() => {
            v.selected = step(v.selected, v.series.len(), action, 10);
        }
        Action::SensorsStart | Action::RateUp | Action::RateDown | Action::Inject(_)
            if state.read_only =>
        {
            state.error("read-only mode: the sensor simulator writes to Kafka and is disabled");
        }
        Action::SensorsStart => {
            let simulator = !running(&v.simulator);
            let processor = !running(&v.processor);
            if !simulator && !processor {
                state.error("simulator and processor are already running; x stops them");
                return Vec::new();
            }
            if simulator {
                v.simulator = TaskStatus::Running("starting".into());
            }
            if processor {
                v.processor = TaskStatus::Running("starting".into());
            }
            return vec![Command::StartSensors {
                simulator,
                processor,
            }];
        }
        Action::SensorsStop => {
            v.simulator = TaskStatus::Running("stopping".into());
            v.processor = TaskStatus::Running("draining".into());
            return vec![Command::StopSensors];
        }
        Action::RateUp | Action::RateDown => {
            v.rate = if action == Action::RateUp {
                (v.rate * 2.0).min(100_000.0)
            } else {
                (v.rate / 2.0).max(1.0)
            };
            return vec![Command::SetSensorRate(v.rate)];
        }
        Action::Inject(anomaly) => {
            if !running(&v.simulator) {
                state.error("start the simulator first (s)");
                return Vec::new();
            }
            match v.selected_index() {
                Some(sensor) => {
                    let name = v
                        .selected_sensor()
                        .map(|(id, _)| id.clone())
                        .unwrap_or_default();
                    state.info(format!("injecting a {} into {name}", anomaly.name()));
                    return vec![Command::InjectAnomaly { sensor, anomaly }];
                }
                None => state.error("no sensor selected yet"),
            }
        }
        _ => {}
    }
    Vec::new()
}
