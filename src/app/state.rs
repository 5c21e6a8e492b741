//! The dashboard's whole state and the one place it changes: [`update`]. Each view's own state
//! and keys live in `views/`; prompts and the command line in `prompt.rs`; what belongs to the
//! connected cluster in [`Session`], which a cluster switch replaces whole.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::FixedOffset;

use super::action::Action;
use super::event::{Command, ConnState, Event, TaskStatus};
use super::keymap::Mode;
use super::prompt::{self, Prompt};
use super::stats::Stats;
use super::views::brokers::BrokersView;
use super::views::clusters::ClustersView;
use super::views::group::GroupView;
use super::views::groups::GroupsView;
use super::views::messages::MessagesView;
use super::views::ml::MlView;
use super::views::produce::ProduceForm;
use super::views::schemas::SchemasView;
use super::views::sensors::SensorsView;
use super::views::topic::TopicView;
use super::views::topics::TopicsView;
use super::views::{self, View};
use crate::decode::mask::Masking;
use crate::kafka::{ClusterMetadata, StartAt, TopicInfo};
use crate::lag::tracker::LagTracker;
use crate::schema::SchemaBook;

/// What kview knows of the cluster it is connected to. Everything here describes one cluster;
/// switching clusters starts a new session.
/// Which cluster a session is on and how kview reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIdentity {
    /// The profile's name; None when the cluster was given by brokers or `-F`.
    pub name: Option<String>,
    pub brokers: String,
    /// "TLS · SCRAM-SHA-512 as alice", "plaintext".
    pub security: String,
    pub read_only: bool,
    /// The schema registry's URL, when the cluster names one.
    pub schema_registry: Option<String>,
    /// What the profile hides of the records shown.
    pub masking: Masking,
    /// The names of the profile's Kafka Connect clusters.
    pub connect: Vec<String>,
}

impl SessionIdentity {
    /// A plaintext cluster known by its brokers alone.
    pub fn plain(brokers: impl Into<String>, read_only: bool) -> Self {
        SessionIdentity {
            name: None,
            brokers: brokers.into(),
            security: "plaintext".into(),
            read_only,
            schema_registry: None,
            masking: Masking::default(),
            connect: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub name: Option<String>,
    pub brokers: String,
    pub security: String,
    pub read_only: bool,
    pub conn: ConnState,
    pub cluster: Option<Arc<ClusterMetadata>>,
    /// Where each topic is in `cluster.topics`, and the counts the overview shows: made when
    /// metadata arrives, so drawing never searches.
    pub topic_index: HashMap<String, usize>,
    pub counts: ClusterCounts,
    pub stats: Stats,
    /// Bytes on disk per topic, all replicas.
    pub topic_sizes: HashMap<String, i64>,
    /// Bytes on disk per broker (its log dirs).
    pub broker_sizes: HashMap<i32, i64>,
    /// Per broker: partitions it leads and replicas it holds, from the metadata.
    pub broker_loads: HashMap<i32, (usize, usize)>,
    /// Commit windows and high-watermark histories behind the lag reports.
    pub tracker: LagTracker,
    /// Last stable offsets below the high watermark (open transactions hold them back).
    pub unstable: HashMap<(String, i32), i64>,
    pub schema_registry: Option<String>,
    pub masking: Masking,
    /// The names of the profile's Kafka Connect clusters.
    pub connect: Vec<String>,
    /// The registry's schemas met so far, by id.
    pub schemas: SchemaBook,
}

impl Session {
    pub fn new(id: SessionIdentity) -> Self {
        Session {
            name: id.name,
            brokers: id.brokers,
            security: id.security,
            read_only: id.read_only,
            schemas: SchemaBook::new(id.schema_registry.is_some()),
            schema_registry: id.schema_registry,
            masking: id.masking,
            connect: id.connect,
            conn: ConnState::Connecting,
            cluster: None,
            topic_index: HashMap::new(),
            counts: ClusterCounts::default(),
            stats: Stats::default(),
            topic_sizes: HashMap::new(),
            broker_sizes: HashMap::new(),
            broker_loads: HashMap::new(),
            tracker: LagTracker::default(),
            unstable: HashMap::new(),
        }
    }

    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        let i = *self.topic_index.get(name)?;
        self.cluster.as_ref()?.topics.get(i)
    }

    /// Takes new metadata and makes what is looked up from it.
    pub fn set_metadata(&mut self, meta: impl Into<Arc<ClusterMetadata>>) {
        let meta = meta.into();
        self.topic_index = meta
            .topics
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let partitions = || meta.topics.iter().flat_map(|t| &t.partitions);
        let mut loads: HashMap<i32, (usize, usize)> = HashMap::new();
        for p in partitions() {
            if p.leader >= 0 {
                loads.entry(p.leader).or_default().0 += 1;
            }
            for r in &p.replicas {
                loads.entry(*r).or_default().1 += 1;
            }
        }
        self.broker_loads = loads;
        // Topics and partitions on the same basis: the users' own, not Kafka's internal ones.
        let own = || {
            meta.topics
                .iter()
                .filter(|t| !t.internal)
                .flat_map(|t| &t.partitions)
        };
        let internal = || {
            meta.topics
                .iter()
                .filter(|t| t.internal)
                .flat_map(|t| &t.partitions)
        };
        self.counts = ClusterCounts {
            topics: meta.topics.iter().filter(|t| !t.internal).count(),
            partitions: own().count(),
            under_replicated: own().filter(|p| p.is_under_replicated()).count(),
            offline: own().filter(|p| p.is_offline()).count(),
            internal_unhealthy: internal()
                .filter(|p| p.is_under_replicated() || p.is_offline())
                .count(),
        };
        self.stats.internal_topics = meta
            .topics
            .iter()
            .filter(|t| t.internal)
            .map(|t| t.name.clone())
            .collect();
        self.cluster = Some(meta);
    }
}

/// What the overview counts over every partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterCounts {
    /// Not counting internal topics.
    pub topics: usize,
    pub partitions: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Partitions of Kafka's internal topics that are under-replicated or offline: said apart,
    /// since a cluster whose offsets topic is offline is not healthy.
    pub internal_unhealthy: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}

#[derive(Debug, Clone)]
pub struct State {
    pub session: Session,
    pub views: Vec<View>,
    pub topics: TopicsView,
    pub topic: TopicView,
    pub messages: MessagesView,
    pub produce: ProduceForm,
    pub groups: GroupsView,
    pub group: GroupView,
    pub ml: MlView,
    pub sensors: SensorsView,
    pub clusters: ClustersView,
    pub schemas: SchemasView,
    pub brokers: BrokersView,
    pub transactions: super::views::transactions::TransactionsView,
    pub acls: super::views::acls::AclsView,
    pub connect: super::views::connect::ConnectView,
    pub operate: super::views::operate::OperateState,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// Rows of the help overlay scrolled past (the renderer keeps it within the keys).
    pub help_scroll: u16,
    pub show_logs: bool,
    pub notice: Option<Notice>,
    /// Fixed offset for timestamps (tests); None means the local time zone.
    pub utc_offset: Option<FixedOffset>,
    /// Terminal size.
    pub screen: (u16, u16),
    /// Rows the current view's list showed in the last frame (the runtime reports it).
    pub list_rows: Option<usize>,
    /// Commands typed on the `:` line, oldest first (Up/Down recall them).
    pub command_history: Vec<String>,
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
    /// Rows the current view's list had in the frame just drawn.
    ListRows(usize),
    /// The runtime left the cluster for another: nothing of the old one stays.
    NewSession(SessionIdentity),
}

impl State {
    pub fn new(brokers: String, read_only: bool) -> Self {
        Self::for_cluster(SessionIdentity::plain(brokers, read_only))
    }

    pub fn for_cluster(id: SessionIdentity) -> Self {
        State {
            session: Session::new(id),
            views: vec![View::Overview],
            topics: TopicsView::default(),
            topic: TopicView::default(),
            messages: MessagesView::default(),
            produce: ProduceForm::default(),
            groups: GroupsView::default(),
            group: GroupView::default(),
            ml: MlView::default(),
            sensors: SensorsView::default(),
            clusters: ClustersView::default(),
            schemas: SchemasView::default(),
            brokers: BrokersView::default(),
            transactions: Default::default(),
            acls: Default::default(),
            connect: Default::default(),
            operate: Default::default(),
            prompt: None,
            help: false,
            help_scroll: 0,
            show_logs: false,
            notice: None,
            utc_offset: None,
            screen: (80, 24),
            list_rows: None,
            start_demos_on_connect: false,
            command_history: Vec::new(),
            next_browse_id: 1,
        }
    }

    pub fn read_only(&self) -> bool {
        self.session.read_only
    }

    pub fn view(&self) -> View {
        *self.views.last().unwrap_or(&View::Overview)
    }

    /// The group whose view is on top, which the poller keeps fresh.
    pub fn open_group(&self) -> Option<&str> {
        (self.view() == View::Group).then_some(self.group.name.as_str())
    }

    pub fn mode(&self) -> Mode {
        if self.help {
            return Mode::Help;
        }
        if self.prompt.is_some() {
            return Mode::Prompt;
        }
        Mode::View(self.view())
    }

    pub fn topic_info(&self, name: &str) -> Option<&TopicInfo> {
        self.session.topic(name)
    }

    /// Rows a page holds: what the last frame showed, else an estimate from the screen.
    pub fn page(&self) -> usize {
        self.list_rows
            .unwrap_or_else(|| (self.screen.1 as usize).saturating_sub(8))
            .max(1)
    }

    pub(super) fn start_browse(
        &mut self,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        follow: bool,
    ) -> Command {
        let id = self.next_browse_id;
        self.next_browse_id += 1;
        self.messages.reset(id, topic, partition, start, follow);
        let mask = self.session.masking.for_topic(topic);
        self.messages.mask = mask.clone();
        Command::Browse(super::event::BrowseRequest {
            id,
            topic: topic.to_owned(),
            partition,
            start,
            follow,
            search: None,
            isolation: self.messages.isolation,
            mask,
        })
    }

    /// Scans the topic (or the browsed partition) for records that match: from where the
    /// browse was started with `o` (an offset or a time), else from the beginning.
    pub(super) fn start_search(&mut self, text: &str) -> Command {
        let (topic, partition) = (self.messages.topic.clone(), self.messages.partition);
        let start = match self.messages.start {
            at @ (StartAt::Offset(_) | StartAt::Timestamp(_)) => at,
            _ => StartAt::Beginning,
        };
        let mut command = self.start_browse(&topic, partition, start, false);
        self.messages.search = Some(text.to_owned());
        if let Command::Browse(request) = &mut command {
            request.search = Some(text.to_owned());
        }
        command
    }

    pub(super) fn open_messages(&mut self, topic: &str, partition: Option<i32>) -> Vec<Command> {
        self.push_view(View::Messages);
        vec![self.start_browse(topic, partition, StartAt::FromEnd(100), true)]
    }

    pub(super) fn push_view(&mut self, view: View) {
        if self.view() != view {
            self.views.push(view);
        }
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Error(text.into()));
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Info(text.into()));
    }
}

/// The update step: the only function that changes the state.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    let open_before = state.open_group().map(str::to_owned);
    let mut commands = match msg {
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
        Msg::ListRows(rows) => {
            state.list_rows = Some(rows);
            Vec::new()
        }
        Msg::NewSession(id) => {
            start_session(state, id);
            Vec::new()
        }
    };
    let width = state.screen.0;
    state.messages.fit_detail_to(width);
    state.messages.refresh_detail();
    if state.open_group() != open_before.as_deref() {
        commands.push(Command::WatchGroup(state.open_group().map(str::to_owned)));
    }
    commands
}

fn on_event(state: &mut State, event: Event) -> Vec<Command> {
    match event {
        Event::Connection(conn) => {
            let connected = conn == ConnState::Connected;
            state.session.conn = conn;
            if connected && std::mem::take(&mut state.start_demos_on_connect) {
                return start_demos(state);
            }
        }
        Event::Metadata(meta) => {
            state.session.set_metadata(meta);
            views::topics::refresh_order(state);
        }
        Event::Watermarks {
            at_ms,
            marks,
            missing,
        } => {
            for ((topic, partition), m) in &marks {
                state
                    .session
                    .tracker
                    .observe_watermark(topic, *partition, at_ms, m.high);
            }
            state.session.stats.record(at_ms, marks, missing);
            if state.topics.sort.depends_on_rates() {
                views::topics::refresh_order(state);
            }
        }
        Event::ReplicaSizes(sizes) => {
            let mut per_topic: HashMap<String, i64> = HashMap::new();
            let mut per_broker: HashMap<i32, i64> = HashMap::new();
            for r in sizes {
                *per_broker.entry(r.broker).or_default() += r.bytes;
                *per_topic.entry(r.topic).or_default() += r.bytes;
            }
            state.session.broker_sizes = per_broker;
            state.session.topic_sizes = per_topic;
            if state.topics.sort == views::topics::TopicSort::Size {
                views::topics::refresh_order(state);
            }
        }
        Event::Metrics(metrics) => state.ml.record(metrics),
        Event::SensorBatch { readings, alerts } => state.sensors.record(&readings, &alerts),
        Event::SensorCounts(counts) => state.sensors.counts = counts,
        Event::ProcessorGroup { at_ms, topic, look } => match look {
            Ok((group, committed)) => state
                .sensors
                .processors
                .apply(at_ms, &group, &topic, committed),
            Err(e) => state.sensors.processors.failed(e),
        },
        Event::SensorTask { task, status } => state.sensors.set_status(task, status),
        Event::MlTask { task, status } => state.ml.set_status(task, status),
        Event::Commits(commits) => {
            for c in &commits {
                state.session.tracker.observe_commit(c);
            }
        }
        Event::Groups {
            at_ms,
            snapshots,
            every_when_slower,
        } => views::groups::on_snapshots(state, at_ms, snapshots, every_when_slower),
        Event::OpenGroup { at_ms, snapshot } => {
            views::groups::on_open_group(state, at_ms, *snapshot)
        }
        Event::ResetPlanned { group, result } => views::group::on_planned(state, group, result),
        Event::ResetApplied { group, result } => views::group::on_applied(state, group, result),
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
            skipped,
            permit: _,
        } => {
            if browse_id == state.messages.browse_id {
                state.messages.skipped += skipped;
                let rows = state.page();
                let wanted = state.messages.push(
                    messages,
                    state.utc_offset,
                    rows,
                    &state.session.schemas,
                    Instant::now(),
                );
                state.messages.progress = progress;
                state.messages.done = done;
                // Each schema is asked for once; the rows show their bytes until it comes.
                return wanted
                    .into_iter()
                    .map(|id| {
                        state.session.schemas.mark_loading(id);
                        Command::LoadSchema(id)
                    })
                    .collect();
            }
        }
        Event::ClusterAnswer { name, answer } => views::clusters::on_answer(state, &name, answer),
        Event::StableOffsets(held) => {
            state.session.unstable = held.into_iter().collect();
            let mut commands = views::topic::on_stable_offsets(state);
            commands.extend(views::transactions::refresh(state));
            commands.extend(views::acls::refresh(state));
            commands.extend(views::operate::refresh(state));
            commands.extend(views::connect::refresh(state));
            return commands;
        }
        Event::Transactions(result) => views::transactions::on_loaded(state, result),
        Event::Acls(result) => views::acls::on_loaded(state, result),
        Event::Connectors(reads) => views::connect::on_loaded(state, reads),
        Event::ConnectActed {
            connector,
            action,
            result,
        } => return views::connect::on_acted(state, connector, action, result),
        Event::Access { kind, name, result } => {
            views::operate::on_access(state, kind, name, result)
        }
        Event::Reassignments(result) => views::operate::on_reassignments(state, result),
        Event::ClusterHealth(health) => views::operate::on_health(state, health),
        Event::TopicTransactions { topic, result } => {
            views::topic::on_transactions(state, topic, result)
        }
        Event::Admin {
            change,
            result,
            metadata,
        } => {
            if let Some(meta) = metadata {
                state.session.set_metadata(meta);
                views::topics::refresh_order(state);
            }
            match result {
                Ok(()) => state.info(views::admin::describe(&change)),
                Err(e) => state.error(e),
            }
            use crate::app::event::AdminChange;
            match change {
                // A changed config is read again so the tab shows what the broker now holds.
                AdminChange::SetConfig { topic, .. } if state.topic.name == topic => {
                    return vec![Command::LoadConfigs(topic)];
                }
                AdminChange::SetBrokerConfig { broker, .. } => {
                    return vec![Command::LoadBrokerConfigs(broker)];
                }
                // Nothing is left to show of what was deleted.
                AdminChange::DeleteTopic(topic)
                    if state.view() == View::Topic && state.topic.name == topic =>
                {
                    state.views = vec![View::Overview, View::Topics];
                }
                AdminChange::DeleteGroup(group)
                    if state.view() == View::Group && state.group.name == group =>
                {
                    state.views = vec![View::Overview, View::Groups];
                }
                _ => {}
            }
        }
        Event::BrokerConfigs { broker, result } => {
            views::brokers::on_configs(state, broker, result)
        }
        Event::Subjects(result) => views::schemas::on_subjects(state, result),
        Event::Subject { name, result } => views::schemas::on_subject(state, name, result),
        Event::Schema { id, result } => {
            if let Err(e) = &result {
                tracing::warn!("{e}");
            }
            state.session.schemas.insert(id, result, Instant::now());
            let rows = state.page();
            state
                .messages
                .schema_arrived(id, &state.session.schemas, rows);
        }
        Event::BrowseFailed { browse_id, error } => {
            if browse_id == state.messages.browse_id {
                state.messages.error = Some(error);
                state.messages.done = true;
            }
        }
        Event::Produced(result) => views::produce::on_produced(state, result),
        Event::Sent(Ok(said)) => state.info(said),
        Event::Sent(Err(e)) => state.error(e),
        Event::Wrote { path, result } => match result {
            Ok(n) => state.info(format!("wrote {n} records to {}", path.display())),
            Err(e) => state.error(format!("cannot write {}: {e}", path.display())),
        },
    }
    Vec::new()
}

/// A fresh state for the new cluster; only what belongs to the terminal and the user stays
/// (screen size, log panel, time zone, the list of clusters).
fn start_session(state: &mut State, id: SessionIdentity) {
    let name = id.name.clone().unwrap_or_else(|| id.brokers.clone());
    let mut fresh = State::for_cluster(id);
    fresh.clusters = std::mem::take(&mut state.clusters);
    fresh.screen = state.screen;
    fresh.show_logs = state.show_logs;
    fresh.utc_offset = state.utc_offset;
    fresh.command_history = std::mem::take(&mut state.command_history);
    fresh.next_browse_id = state.next_browse_id;
    *state = fresh;
    state.info(format!("switched to {name}"));
}

fn start_demos(state: &mut State) -> Vec<Command> {
    use super::event::{MlTask, SensorTask};
    let starting = || TaskStatus::Running("starting".into());
    state.sensors.set_status(SensorTask::Simulator, starting());
    state.sensors.set_status(SensorTask::Processor, starting());
    state.ml.set_status(MlTask::Producer, starting());
    state.ml.set_status(MlTask::Trainer, starting());
    state.info("demo pipelines started: :sensors and :ml show them");
    vec![
        Command::StartSensors {
            simulator: true,
            processor: true,
        },
        Command::StartMl {
            producer: true,
            trainer: true,
        },
    ]
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
                Action::Down => {
                    state.help_scroll = state.help_scroll.saturating_add(1);
                    Vec::new()
                }
                Action::Up => {
                    state.help_scroll = state.help_scroll.saturating_sub(1);
                    Vec::new()
                }
                Action::PageDown | Action::Bottom => {
                    state.help_scroll =
                        state
                            .help_scroll
                            .saturating_add(if action == Action::Bottom {
                                u16::MAX / 2
                            } else {
                                10
                            });
                    Vec::new()
                }
                Action::PageUp | Action::Top => {
                    state.help_scroll = if action == Action::Top {
                        0
                    } else {
                        state.help_scroll.saturating_sub(10)
                    };
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        Mode::Prompt => return prompt::on_action(state, action),
        Mode::View(View::Produce) => return views::produce::on_action(state, action),
        Mode::View(_) => {}
    }
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => {
            if state.view() == View::Messages
                && state.messages.search.is_some()
                && !state.messages.done
            {
                state.messages.done = true;
                state.messages.stopped = true;
                state.info("search stopped; the matches so far stay");
                return vec![Command::StopBrowse];
            }
            if clear_filter(state) {
                return Vec::new();
            }
            return go_back(state);
        }
        Action::ToggleHelp => {
            state.help = true;
            state.help_scroll = 0;
        }
        Action::ToggleLogs => state.show_logs = !state.show_logs,
        Action::OpenCommand => prompt::open(state, prompt::PromptKind::Command, ""),
        Action::ShowTopics => state.push_view(View::Topics),
        Action::ShowGroups => state.push_view(View::Groups),
        Action::ShowMl => state.push_view(View::Ml),
        Action::ShowSensors => state.push_view(View::Sensors),
        Action::OpenProduce => views::produce::open(state),
        _ => {}
    }
    match state.view() {
        View::Topics => views::topics::on_action(state, action),
        View::Topic => views::topic::on_action(state, action),
        View::Messages => views::messages::on_action(state, action),
        View::Groups => views::groups::on_action(state, action),
        View::Group => views::group::on_action(state, action),
        View::Ml => views::ml::on_action(state, action),
        View::Sensors => views::sensors::on_action(state, action),
        View::Clusters => views::clusters::on_action(state, action),
        View::Schemas => views::schemas::on_action(state, action),
        View::Brokers => views::brokers::on_action(state, action),
        View::Transactions => views::transactions::on_action(state, action),
        View::Acls => views::acls::on_action(state, action),
        View::Connect => views::connect::on_action(state, action),
        View::Connector => views::connect::on_detail_action(state, action),
        View::Overview | View::Produce => Vec::new(),
    }
}

/// Esc in a filtered list takes the filter away before it leaves the view; true if it did.
fn clear_filter(state: &mut State) -> bool {
    match state.view() {
        View::Messages if state.messages.filter.is_some() => {
            let rows = state.page();
            state.messages.set_filter(None, rows);
        }
        View::Topics if !state.topics.filter.is_empty() => views::topics::set_filter(state, ""),
        View::Groups if !state.groups.filter.is_empty() => views::groups::set_filter(state, ""),
        _ => return false,
    }
    state.info("filter cleared");
    true
}

pub(super) fn go_back(state: &mut State) -> Vec<Command> {
    if state.views.len() <= 1 {
        return Vec::new();
    }
    let left = state.views.pop();
    if left == Some(View::Messages) && !state.views.contains(&View::Messages) {
        return vec![Command::StopBrowse];
    }
    Vec::new()
}
