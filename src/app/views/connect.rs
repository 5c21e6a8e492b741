//! `:connect`: the connectors of every Kafka Connect cluster of the profile as a live table,
//! and one connector's detail (tasks, config, failure). Keys pause, resume, stop, restart and
//! delete (its name typed), each refused read-only. The topic view names the connectors that
//! read or write it; the group view names the sink connector a `connect-NAME` group belongs to.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::PromptKind;
use super::super::state::State;
use super::View;
use crate::connect::{ConnectAction, Connector};

/// One Connect cluster's connectors as read, or why they could not be.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectClusterRead {
    pub cluster: String,
    pub connectors: Result<Vec<Connector>, String>,
}

/// A connector by its Connect cluster and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRef {
    pub cluster: String,
    pub name: String,
}

/// A row of the table: a connector, or a Connect cluster that did not answer.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Connector(&'a str, &'a Connector),
    Unreachable(&'a str, &'a str),
}

#[derive(Debug, Clone, Default)]
pub struct ConnectView {
    pub snapshot: Option<Vec<ConnectClusterRead>>,
    pub loading: bool,
    pub list: ListSelection,
    /// The connector the detail shows.
    pub opened: Option<ConnectorRef>,
    /// The detail shows whole traces, not only their first lines.
    pub whole_trace: bool,
    /// Lines of the detail scrolled past.
    pub scroll: u16,
    /// The connector whose deletion waits for its name to be typed.
    pub deleting: Option<ConnectorRef>,
    ticks: u64,
}

impl ConnectView {
    /// The table's rows, Connect cluster by cluster, each cluster's connectors by name.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        for read in self.snapshot.iter().flatten() {
            match &read.connectors {
                Ok(connectors) => {
                    rows.extend(connectors.iter().map(|c| Row::Connector(&read.cluster, c)))
                }
                Err(e) => rows.push(Row::Unreachable(&read.cluster, e)),
            }
        }
        rows
    }

    /// How many Connect clusters were read (a column names them when more than one).
    pub fn clusters(&self) -> usize {
        self.snapshot.as_ref().map_or(0, Vec::len)
    }

    pub fn find(&self, target: &ConnectorRef) -> Option<&Connector> {
        self.snapshot
            .iter()
            .flatten()
            .filter(|r| r.cluster == target.cluster)
            .filter_map(|r| r.connectors.as_ref().ok())
            .flatten()
            .find(|c| c.name == target.name)
    }

    fn selected(&self) -> Option<ConnectorRef> {
        match self.rows().get(self.list.selected)? {
            Row::Connector(cluster, c) => Some(ConnectorRef {
                cluster: (*cluster).to_owned(),
                name: c.name.clone(),
            }),
            Row::Unreachable(..) => None,
        }
    }

    /// Every connector read, with its Connect cluster.
    fn all(&self) -> impl Iterator<Item = (&str, &Connector)> {
        self.snapshot.iter().flatten().flat_map(|r| {
            r.connectors
                .iter()
                .flatten()
                .map(move |c| (r.cluster.as_str(), c))
        })
    }
}

/// The connectors are read every this many poller ticks while a view shows them.
const READ_EVERY: u64 = 5;

pub fn open(state: &mut State) -> Vec<Command> {
    state.views = vec![View::Overview, View::Connect];
    state.connect.list.selected = 0;
    if state.session.connect.is_empty() || state.connect.loading {
        return Vec::new();
    }
    state.connect.loading = true;
    vec![Command::LoadConnectors]
}

/// Read again while a view shows connectors, unless a read is under way.
pub fn refresh(state: &mut State) -> Vec<Command> {
    let shown = match state.view() {
        View::Connect | View::Connector => true,
        View::Topic | View::Group => !state.session.connect.is_empty(),
        _ => false,
    };
    let ticks = state.connect.ticks;
    state.connect.ticks += 1;
    let due = ticks.is_multiple_of(READ_EVERY) || state.connect.snapshot.is_none();
    if !shown || !due || state.connect.loading || state.session.connect.is_empty() {
        return Vec::new();
    }
    state.connect.loading = true;
    vec![Command::LoadConnectors]
}

pub fn on_loaded(state: &mut State, reads: Vec<ConnectClusterRead>) {
    state.connect.loading = false;
    state.connect.snapshot = Some(reads);
    let rows = state.connect.rows().len();
    if state.connect.list.selected >= rows {
        state.connect.list.selected = rows.saturating_sub(1);
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let shown = state.connect.rows().len();
    match action {
        a if a.is_navigation() => state.connect.list.step(action, shown, rows),
        Action::Open => {
            if let Some(target) = state.connect.selected() {
                open_detail(state, target);
            }
        }
        _ => {
            if let Some(target) = state.connect.selected() {
                return on_connector_key(state, action, target);
            }
        }
    }
    Vec::new()
}

/// Keys of the detail: scrolling, the whole trace, and the actions on the connector shown.
pub fn on_detail_action(state: &mut State, action: Action) -> Vec<Command> {
    let view = &mut state.connect;
    match action {
        Action::Down => view.scroll = view.scroll.saturating_add(1),
        Action::Up => view.scroll = view.scroll.saturating_sub(1),
        Action::PageDown => view.scroll = view.scroll.saturating_add(10),
        Action::PageUp => view.scroll = view.scroll.saturating_sub(10),
        Action::Top => view.scroll = 0,
        Action::ToggleTrace => view.whole_trace = !view.whole_trace,
        _ => {
            if let Some(target) = view.opened.clone() {
                return on_connector_key(state, action, target);
            }
        }
    }
    Vec::new()
}

fn open_detail(state: &mut State, target: ConnectorRef) {
    state.connect.opened = Some(target);
    state.connect.scroll = 0;
    state.connect.whole_trace = false;
    state.push_view(View::Connector);
}

fn on_connector_key(state: &mut State, action: Action, target: ConnectorRef) -> Vec<Command> {
    let action = match action {
        Action::ConnectorPause => ConnectAction::Pause,
        Action::ConnectorResume => ConnectAction::Resume,
        Action::ConnectorStop => ConnectAction::Stop,
        Action::ConnectorRestart => ConnectAction::Restart,
        Action::DeleteSelected => {
            let name = target.name.clone();
            state.connect.deleting = Some(target);
            super::admin::ask(state, PromptKind::ConfirmDeleteConnector, Some(name), "");
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    if state.read_only() {
        state.error("read-only mode: changes are disabled");
        return Vec::new();
    }
    vec![Command::Connect {
        connector: target,
        action,
    }]
}

/// The delete prompt's answer: the connector goes only when its name was typed.
pub fn confirm_delete(state: &mut State, typed: &str) -> Vec<Command> {
    let Some(target) = state.connect.deleting.take() else {
        return Vec::new();
    };
    if typed.trim() != target.name {
        state.info(format!(
            "connector {} kept: its name was not typed",
            target.name
        ));
        return Vec::new();
    }
    vec![Command::Connect {
        connector: target,
        action: ConnectAction::Delete,
    }]
}

/// An action's answer: said in the footer, and the connectors read again to show its effect.
pub fn on_acted(
    state: &mut State,
    connector: ConnectorRef,
    action: ConnectAction,
    result: Result<(), String>,
) -> Vec<Command> {
    match result {
        Ok(()) => {
            state.info(format!("{} connector {}", action.done(), connector.name));
            if action == ConnectAction::Delete
                && state.connect.opened.as_ref() == Some(&connector)
                && state.view() == View::Connector
            {
                state.views.pop();
            }
            if state.connect.loading {
                return Vec::new();
            }
            state.connect.loading = true;
            vec![Command::LoadConnectors]
        }
        Err(e) => {
            state.error(format!(
                "connector {} not {}: {e}",
                connector.name,
                action.done()
            ));
            Vec::new()
        }
    }
}

fn uses(connector: &Connector, topic: &str) -> bool {
    connector.topics.iter().any(|t| t == topic)
}

/// The topic view's line: the connectors that read or write `topic`; None before the first
/// read or when none do.
pub fn topic_line(state: &State, topic: &str) -> Option<String> {
    let snapshot = state.connect.snapshot.as_ref()?;
    let mut parts: Vec<String> = state
        .connect
        .all()
        .filter(|(_, c)| uses(c, topic))
        .map(|(_, c)| format!("{} ({}, {})", c.name, c.kind, c.state))
        .collect();
    parts.extend(
        snapshot
            .iter()
            .filter(|r| r.connectors.is_err())
            .map(|r| format!("Connect {} unknown", r.cluster)),
    );
    (!parts.is_empty()).then(|| format!("connectors: {}", parts.join(", ")))
}

/// The sink connector whose consumer group is `group` (`connect-NAME`, Connect's default).
pub fn connector_of_group(state: &State, group: &str) -> Option<ConnectorRef> {
    let name = group.strip_prefix("connect-")?;
    state
        .connect
        .all()
        .find(|(_, c)| c.name == name && c.kind == "sink")
        .map(|(cluster, c)| ConnectorRef {
            cluster: cluster.to_owned(),
            name: c.name.clone(),
        })
}

/// The group view's line for a sink connector's group.
pub fn group_line(state: &State, group: &str) -> Option<String> {
    let target = connector_of_group(state, group)?;
    let c = state.connect.find(&target)?;
    Some(format!(
        "sink connector {} ({}, {}/{} tasks running) — C opens it",
        c.name,
        c.state,
        c.running_tasks(),
        c.tasks.len()
    ))
}

/// `C` in the group view: the detail of the group's sink connector.
pub fn open_group_connector(state: &mut State) {
    let group = state.group.name.clone();
    match connector_of_group(state, &group) {
        Some(target) => open_detail(state, target),
        None => state.info(format!(
            "{group} is not the group of a sink connector kview knows"
        )),
    }
}
