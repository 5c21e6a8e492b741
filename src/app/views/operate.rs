//! What operating the cluster adds to the views: who may read or write the opened topic or
//! group (its ACLs), the topic's replicas on the move, the KRaft quorum and the disks in
//! `:brokers`; and the changes made from there (a broker's config, leaders back on their
//! preferred replicas). Read again on the poller's clock while a view that shows them is open.

use std::collections::BTreeMap;

use super::super::event::{AdminChange, Command};
use super::super::prompt::PromptKind;
use super::super::state::State;
use super::View;
use super::acls::AclsRead;
use crate::kafka::acl::{Operation, ResourceKind, who_may};
use crate::kafka::client::{Quorum, Reassignment};

/// A broker's disks: bytes its partitions take, and the space of its log directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskSpace {
    pub used: i64,
    pub free: Option<i64>,
    pub total: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterHealth {
    pub quorum: Result<Quorum, String>,
    /// Per broker; a broker missing did not answer.
    pub disks: BTreeMap<i32, DiskSpace>,
}

#[derive(Debug, Clone, Default)]
pub struct OperateState {
    /// ACLs that apply to a topic or group, by resource.
    pub access: BTreeMap<(ResourceKind, String), AclsRead>,
    pub reassignments: Option<Result<Vec<Reassignment>, String>>,
    pub health: Option<ClusterHealth>,
    loading: Vec<Command>,
    ticks: u64,
}

/// The quorum and the disks are read every this many ticks (DescribeLogDirs asks every broker).
const HEALTH_EVERY: u64 = 5;

/// What the shown view needs read again; nothing already being read is asked twice.
pub fn refresh(state: &mut State) -> Vec<Command> {
    let ticks = state.operate.ticks;
    state.operate.ticks += 1;
    let wanted = match state.view() {
        View::Topic => vec![
            Command::LoadAccess(ResourceKind::Topic, state.topic.name.clone()),
            Command::LoadReassignments,
        ],
        View::Group => vec![Command::LoadAccess(
            ResourceKind::Group,
            state.group.name.clone(),
        )],
        View::Brokers if ticks.is_multiple_of(HEALTH_EVERY) || state.operate.health.is_none() => {
            vec![Command::LoadClusterHealth]
        }
        _ => Vec::new(),
    };
    let fresh: Vec<Command> = wanted
        .into_iter()
        .filter(|c| !state.operate.loading.contains(c))
        .collect();
    state.operate.loading.extend(fresh.iter().cloned());
    fresh
}

pub fn on_access(state: &mut State, kind: ResourceKind, name: String, result: AclsRead) {
    state
        .operate
        .loading
        .retain(|c| *c != Command::LoadAccess(kind, name.clone()));
    state.operate.access.insert((kind, name), result);
}

pub fn on_reassignments(state: &mut State, result: Result<Vec<Reassignment>, String>) {
    state
        .operate
        .loading
        .retain(|c| *c != Command::LoadReassignments);
    state.operate.reassignments = Some(result);
}

pub fn on_health(state: &mut State, health: ClusterHealth) {
    state
        .operate
        .loading
        .retain(|c| *c != Command::LoadClusterHealth);
    state.operate.health = Some(health);
}

/// "may read: bob, app · may write: app", or why it cannot be said.
pub fn access_line(state: &State, kind: ResourceKind, name: &str) -> Option<String> {
    let read = state.operate.access.get(&(kind, name.to_owned()))?;
    Some(match read {
        Err(e) => format!("ACLs unknown: {e}"),
        Ok(None) => "no authorizer: every client may read and write".into(),
        Ok(Some(acls)) => {
            let list = |op| {
                let who = who_may(acls, op);
                if who.is_empty() {
                    "super users only".to_owned()
                } else {
                    who.join(", ")
                }
            };
            match kind {
                ResourceKind::Group => format!("may join: {}", list(Operation::Read)),
                _ => format!(
                    "may read: {} · may write: {}",
                    list(Operation::Read),
                    list(Operation::Write)
                ),
            }
        }
    })
}

/// The topic's partitions whose replicas are moving: "replicas moving: p0 +2,3 −1".
pub fn moving_line(state: &State, topic: &str) -> Option<String> {
    let Some(Ok(all)) = &state.operate.reassignments else {
        return None;
    };
    let ids = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let parts: Vec<String> = all
        .iter()
        .filter(|r| r.topic == topic)
        .map(|r| {
            let mut s = format!("p{}", r.partition);
            if !r.adding.is_empty() {
                s.push_str(&format!(" +{}", ids(&r.adding)));
            }
            if !r.removing.is_empty() {
                s.push_str(&format!(" −{}", ids(&r.removing)));
            }
            s
        })
        .collect();
    (!parts.is_empty()).then(|| format!("replicas moving: {}", parts.join(" · ")))
}

/// `E` in the topic view: leaders back on their preferred replicas, once the name is typed.
pub fn ask_elect(state: &mut State) {
    let name = state.topic.name.clone();
    super::admin::ask(state, PromptKind::ConfirmElect, Some(name), "");
}

pub fn confirm_elect(state: &mut State, target: Option<String>, typed: &str) -> Vec<Command> {
    let Some(topic) = target else {
        return Vec::new();
    };
    if typed.trim() != topic {
        state.info(format!(
            "leaders of {topic} left as they are: its name was not typed"
        ));
        return Vec::new();
    }
    vec![Command::Admin(AdminChange::ElectLeaders { topic })]
}

/// A broker config's new value; `default` (or nothing) removes the broker's dynamic value.
pub fn edit_broker_config(state: &mut State, target: Option<String>, text: &str) -> Vec<Command> {
    let (Some(key), Some(broker)) = (target, state.brokers.configs.as_ref().map(|c| c.0)) else {
        return Vec::new();
    };
    match super::admin::typed_value(state, &key, text) {
        Some(value) => vec![Command::Admin(AdminChange::SetBrokerConfig {
            broker,
            key,
            value,
        })],
        None => Vec::new(),
    }
}
