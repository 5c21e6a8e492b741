//! The changes a Kafka user makes from the dashboard: create, delete and grow topics, change a
//! topic's configs, delete a consumer group. Each is refused in read-only mode, asks on the
//! prompt line (destructive ones want the name typed), and runs as a command whose answer
//! comes back as `Event::Admin`.

use super::super::event::{AdminChange, Command};
use super::super::prompt::{self, PromptKind};
use super::super::state::State;

/// Opens the prompt for `kind` about `target` (a topic, a config key, a group), unless the
/// dashboard is read-only.
pub fn ask(state: &mut State, kind: PromptKind, target: Option<String>, text: &str) {
    if state.read_only() {
        state.error("read-only mode: changes are disabled");
        return;
    }
    prompt::open(state, kind, text);
    if let Some(p) = state.prompt.as_mut() {
        p.target = target;
    }
}

/// `NAME [PARTITIONS [REPLICATION]]` (defaults 1 and the smaller of 3 and the broker count).
pub fn new_topic(state: &mut State, text: &str) -> Vec<Command> {
    let brokers = state
        .session
        .cluster
        .as_ref()
        .map_or(1, |c| c.brokers.len().max(1));
    match parse_new_topic(text, brokers) {
        Ok(change) => vec![Command::Admin(change)],
        Err(e) => {
            state.error(e);
            Vec::new()
        }
    }
}

fn parse_new_topic(text: &str, brokers: usize) -> Result<AdminChange, String> {
    let mut words = text.split_whitespace();
    let name = words
        .next()
        .ok_or("give the topic's name (and partitions, replication)")?
        .to_owned();
    crate::kafka::validate_topic_name(&name).map_err(|e| e.to_string())?;
    let partitions = match words.next() {
        Some(p) => p
            .parse::<i32>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or(format!("partitions {p:?} is not a positive number"))?,
        None => 1,
    };
    let replication = match words.next() {
        Some(r) => r
            .parse::<i16>()
            .ok()
            .filter(|r| *r > 0)
            .ok_or(format!("replication {r:?} is not a positive number"))?,
        None => brokers.min(3) as i16,
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "unexpected {extra:?}: NAME [PARTITIONS [REPLICATION]]"
        ));
    }
    Ok(AdminChange::CreateTopic {
        name,
        partitions,
        replication,
    })
}

/// The typed confirmation of a deletion: the exact name applies it, anything else keeps it.
pub fn confirm_delete(
    state: &mut State,
    kind: PromptKind,
    target: Option<String>,
    typed: &str,
) -> Vec<Command> {
    let Some(name) = target else {
        return Vec::new();
    };
    let what = if kind == PromptKind::ConfirmDeleteTopic {
        "topic"
    } else {
        "group"
    };
    if typed != name {
        state.info(format!("{what} {name} kept: its name was not typed"));
        return Vec::new();
    }
    vec![Command::Admin(if kind == PromptKind::ConfirmDeleteTopic {
        AdminChange::DeleteTopic(name)
    } else {
        AdminChange::DeleteGroup(name)
    })]
}

pub fn add_partitions(state: &mut State, target: Option<String>, text: &str) -> Vec<Command> {
    let Some(topic) = target else {
        return Vec::new();
    };
    let current = state
        .topic_info(&topic)
        .map_or(0, |t| t.partitions.len() as i32);
    match text.trim().parse::<i32>() {
        Ok(count) if count > current => {
            vec![Command::Admin(AdminChange::AddPartitions { topic, count })]
        }
        Ok(_) => {
            state.error(format!(
                "{topic} has {}; the new count must be larger (partitions cannot be removed)",
                crate::human::plural(current, "partition")
            ));
            Vec::new()
        }
        Err(_) => {
            state.error(format!("{:?} is not a number of partitions", text.trim()));
            Vec::new()
        }
    }
}

/// A config's new value; `default` (or nothing) removes the topic's own value.
pub fn edit_config(state: &mut State, target: Option<String>, text: &str) -> Vec<Command> {
    let Some(key) = target else {
        return Vec::new();
    };
    let topic = state.topic.name.clone();
    match typed_value(state, &key, text) {
        Some(value) => vec![Command::Admin(AdminChange::SetConfig { topic, key, value })],
        None => Vec::new(),
    }
}

/// A typed config value as Kafka stores it: `Some(None)` for `default` (or nothing), which
/// removes the resource's own value; `None` when it does not read (said as an error).
pub fn typed_value(state: &mut State, key: &str, text: &str) -> Option<Option<String>> {
    match text.trim() {
        "" | "default" => Some(None),
        typed => match crate::human::config_raw(key, typed) {
            Ok(raw) => Some(Some(raw)),
            Err(e) => {
                state.error(e);
                None
            }
        },
    }
}

/// What the change was, in words, for the answer's notice.
pub fn describe(change: &AdminChange) -> String {
    match change {
        AdminChange::CreateTopic {
            name,
            partitions,
            replication,
        } => format!(
            "created topic {name} ({}, replication {replication})",
            crate::human::plural(*partitions, "partition")
        ),
        AdminChange::DeleteTopic(name) => format!("deleted topic {name}"),
        AdminChange::AddPartitions { topic, count } => {
            format!(
                "{topic} now has {}",
                crate::human::plural(*count, "partition")
            )
        }
        AdminChange::SetConfig { topic, key, value } => match value {
            Some(v) => format!("{topic}: {key} = {v}"),
            None => format!("{topic}: {key} back to the default"),
        },
        AdminChange::DeleteGroup(group) => format!("deleted group {group}"),
        AdminChange::SetBrokerConfig { broker, key, value } => match value {
            Some(v) => format!("broker {broker}: {key} = {v}"),
            None => format!("broker {broker}: {key} back to the default"),
        },
        AdminChange::ElectLeaders { topic } => {
            format!("leaders of {topic} are on their preferred replicas")
        }
        AdminChange::AbortTransaction {
            topic,
            partition,
            start_offset,
        } => format!("aborted the transaction on {topic}/{partition} from offset {start_offset}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_topics_parse_with_defaults() {
        assert_eq!(
            parse_new_topic("orders", 3).unwrap(),
            AdminChange::CreateTopic {
                name: "orders".into(),
                partitions: 1,
                replication: 3
            }
        );
        assert_eq!(
            parse_new_topic("orders 6 1", 5).unwrap(),
            AdminChange::CreateTopic {
                name: "orders".into(),
                partitions: 6,
                replication: 1
            }
        );
        assert!(parse_new_topic("", 1).is_err());
        assert!(parse_new_topic("bad/name", 1).is_err());
        assert!(
            parse_new_topic("t 0", 1)
                .unwrap_err()
                .contains("partitions")
        );
        assert!(
            parse_new_topic("t 1 1 x", 1)
                .unwrap_err()
                .contains("unexpected")
        );
    }
}
