//! The one-line prompts (filters, offsets, file names, offset resets) and the `:` command line.

use super::action::Action;
use super::event::Command;
use super::input::TextInput;
use super::state::State;
use super::views::{self, View};
use crate::kafka::StartAt;
use crate::lag::reset::ResetTarget;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    TopicFilter,
    MessageFilter,
    Offset,
    WritePath,
    GroupFilter,
    AclFilter,
    ResetTarget,
    /// Type the group's name to apply the previewed reset.
    ResetConfirm,
    /// A whole-topic search.
    SearchTopic,
    NewTopic,
    /// Type the topic's name to delete it.
    ConfirmDeleteTopic,
    AddPartitions,
    EditConfig,
    EditBrokerConfig,
    ConfirmElect,
    /// Type the group's name to delete it.
    ConfirmDeleteGroup,
    /// Type the partition (`TOPIC/P`) to abort the hanging transaction on it.
    ConfirmAbortTransaction,
    /// The topic the marked records go to.
    SendMarked,
    /// Type the connector's name to delete it.
    ConfirmDeleteConnector,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextInput,
    /// Said after the text: why a filter is not applied yet, or what Tab could complete to.
    pub hint: Option<String>,
    /// Where Up/Down is in the command history (None: the line being typed).
    history_at: Option<usize>,
    /// What the prompt is about: the topic, config key or group it changes.
    pub target: Option<String>,
}

/// Commands the `:` line remembers (Up/Down), oldest first.
pub const HISTORY: usize = 50;

/// The words the `:` line takes, for Tab.
const COMMAND_WORDS: &[&str] = &[
    "topics",
    "topic",
    "groups",
    "group",
    "brokers",
    "produce",
    "ml",
    "sensors",
    "schemas",
    "transactions",
    "acls",
    "ctx",
    "quit",
];

impl PromptKind {
    /// Filters apply as they are typed, and Esc takes them away.
    fn is_live_filter(self) -> bool {
        matches!(
            self,
            PromptKind::TopicFilter
                | PromptKind::GroupFilter
                | PromptKind::AclFilter
                | PromptKind::MessageFilter
        )
    }
}

pub fn open(state: &mut State, kind: PromptKind, text: &str) {
    state.prompt = Some(Prompt {
        kind,
        input: TextInput::new(text),
        hint: None,
        history_at: None,
        target: None,
    });
}

/// Applies a filter prompt's text as it stands; a regex that does not compile yet keeps the
/// filter before it and says why.
fn apply_live(state: &mut State) {
    let Some(prompt) = &state.prompt else {
        return;
    };
    let (kind, text) = (prompt.kind, prompt.input.text().to_owned());
    let hint = match kind {
        PromptKind::TopicFilter => {
            views::topics::set_filter(state, text.trim());
            None
        }
        PromptKind::GroupFilter => {
            views::groups::set_filter(state, text.trim());
            None
        }
        PromptKind::AclFilter => {
            views::acls::set_filter(state, &text);
            None
        }
        PromptKind::MessageFilter => match views::messages::Filter::parse(text.trim()) {
            Ok(filter) => {
                let rows = state.page();
                state.messages.set_filter(filter, rows);
                None
            }
            Err(e) => Some(e),
        },
        _ => None,
    };
    if let Some(prompt) = state.prompt.as_mut() {
        prompt.hint = hint;
    }
}

/// Up/Down through the commands typed before.
fn recall(state: &mut State, older: bool) {
    let history = &state.command_history;
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    if history.is_empty() {
        return;
    }
    let at = match (prompt.history_at, older) {
        (None, true) => Some(history.len() - 1),
        (None, false) => None,
        (Some(i), true) => Some(i.saturating_sub(1)),
        (Some(i), false) if i + 1 < history.len() => Some(i + 1),
        (Some(_), false) => None,
    };
    prompt.history_at = at;
    prompt
        .input
        .set(at.map_or_else(String::new, |i| history[i].clone()));
}

/// Tab: completes a command word, or the topic, group or cluster name after one; when several
/// fit, the common start is filled in and they are listed.
fn complete(state: &mut State) {
    let Some(prompt) = &state.prompt else {
        return;
    };
    let text = prompt.input.text().trim_start_matches(':').to_owned();
    let (prefix, word, names): (String, String, Vec<String>) = match text.split_once(' ') {
        None => (
            String::new(),
            text.clone(),
            COMMAND_WORDS.iter().map(|w| (*w).to_owned()).collect(),
        ),
        Some((command, rest)) => {
            let names = match command {
                "topic" | "t" => state
                    .session
                    .cluster
                    .as_ref()
                    .map(|c| c.topics.iter().map(|t| t.name.clone()).collect())
                    .unwrap_or_default(),
                "group" | "g" => state.groups.reports.keys().cloned().collect(),
                "ctx" | "cluster" | "context" => state
                    .clusters
                    .entries
                    .iter()
                    .map(|e| e.name.clone())
                    .collect(),
                _ => Vec::new(),
            };
            (format!("{command} "), rest.trim_start().to_owned(), names)
        }
    };
    let mut fits: Vec<&String> = names.iter().filter(|n| n.starts_with(&word)).collect();
    fits.sort();
    let (filled, hint) = match fits.as_slice() {
        [] => (None, Some("nothing to complete".to_owned())),
        [one] => (Some(format!("{prefix}{one}")), None),
        many => {
            let common = common_prefix(many);
            let shown: Vec<&str> = many.iter().take(8).map(|s| s.as_str()).collect();
            let more = if many.len() > 8 {
                format!(" … {} more", many.len() - 8)
            } else {
                String::new()
            };
            (
                (common.len() > word.len()).then(|| format!("{prefix}{common}")),
                Some(format!("{}{more}", shown.join("  "))),
            )
        }
    };
    if let Some(prompt) = state.prompt.as_mut() {
        if let Some(filled) = filled {
            prompt.input.set(filled);
        }
        prompt.hint = hint;
    }
}

fn common_prefix(words: &[&String]) -> String {
    let first = words[0].as_str();
    let mut end = first.len();
    for w in &words[1..] {
        end = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_owned()
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let Some(prompt) = state.prompt.as_mut() else {
        return Vec::new();
    };
    let kind = prompt.kind;
    let edits = matches!(
        action,
        Action::Insert(_) | Action::Backspace | Action::ClearToLineStart | Action::Delete
    );
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => {
            if kind == PromptKind::ResetConfirm {
                state.group.reset = None;
            }
            // Esc takes a filter away; Enter keeps it.
            if kind.is_live_filter() {
                prompt.input.set("");
                apply_live(state);
            }
            state.prompt = None;
        }
        Action::Insert(c) => prompt.input.insert(c),
        Action::Backspace => prompt.input.backspace(),
        Action::ClearToLineStart => prompt.input.clear_to_line_start(),
        Action::Delete => prompt.input.delete(),
        Action::Left => prompt.input.left(),
        Action::Right => prompt.input.right(),
        Action::Home => prompt.input.home(),
        Action::End => prompt.input.end(),
        Action::Up if kind == PromptKind::Command => recall(state, true),
        Action::Down if kind == PromptKind::Command => recall(state, false),
        Action::Complete if kind == PromptKind::Command => complete(state),
        Action::Submit => {
            let prompt = state.prompt.take().expect("prompt is open");
            let text = prompt.input.text().trim().to_owned();
            if kind == PromptKind::Command && !text.is_empty() {
                let history = &mut state.command_history;
                history.retain(|h| *h != text);
                history.push(text.clone());
                if history.len() > HISTORY {
                    history.remove(0);
                }
            }
            if let Some(commands) = submit_admin(state, kind, prompt.target, &text) {
                return commands;
            }
            return submit(state, kind, &text);
        }
        _ => {}
    }
    if edits {
        if kind.is_live_filter() {
            apply_live(state);
        } else if let Some(prompt) = state.prompt.as_mut() {
            prompt.hint = None;
        }
    }
    Vec::new()
}

/// `TOPIC` or `TOPIC/PARTITION`, limiting a reset.
fn parse_scope(text: &str) -> Result<(String, Option<i32>), String> {
    match text.rsplit_once('/') {
        Some((topic, p)) if !topic.is_empty() => p
            .parse::<i32>()
            .map(|p| (topic.to_owned(), Some(p)))
            .map_err(|_| format!("{p:?} is not a partition number (TOPIC/PARTITION)")),
        _ if text.is_empty() => Err("name the topic to reset".to_owned()),
        _ => Ok((text.to_owned(), None)),
    }
}

/// The prompts of `views::admin`; None for the others.
fn submit_admin(
    state: &mut State,
    kind: PromptKind,
    target: Option<String>,
    text: &str,
) -> Option<Vec<Command>> {
    Some(match kind {
        PromptKind::NewTopic => views::admin::new_topic(state, text),
        PromptKind::ConfirmDeleteTopic | PromptKind::ConfirmDeleteGroup => {
            views::admin::confirm_delete(state, kind, target, text)
        }
        PromptKind::AddPartitions => views::admin::add_partitions(state, target, text),
        PromptKind::EditConfig => views::admin::edit_config(state, target, text),
        PromptKind::EditBrokerConfig => views::operate::edit_broker_config(state, target, text),
        PromptKind::ConfirmElect => views::operate::confirm_elect(state, target, text),
        PromptKind::ConfirmAbortTransaction => {
            views::transactions::confirm_abort(state, target, text)
        }
        PromptKind::SendMarked => views::messages::send_marked(state, text),
        PromptKind::ConfirmDeleteConnector => views::connect::confirm_delete(state, text),
        _ => return None,
    })
}

fn submit(state: &mut State, kind: PromptKind, text: &str) -> Vec<Command> {
    match kind {
        PromptKind::Command => return run_command(state, text.trim_start_matches(':')),
        PromptKind::TopicFilter => views::topics::set_filter(state, text),
        PromptKind::GroupFilter => views::groups::set_filter(state, text),
        PromptKind::AclFilter => views::acls::set_filter(state, text),
        PromptKind::ResetTarget => {
            // "earliest", or "earliest orders" / "earliest orders/2" for one topic or partition.
            let (target, scope) = match text.split_once(char::is_whitespace) {
                Some((t, scope)) => (t, Some(scope.trim())),
                None => (text, None),
            };
            match (target.parse::<ResetTarget>(), scope.map(parse_scope)) {
                (Ok(target), None) => return views::group::plan_reset(state, target),
                (Ok(target), Some(Ok(scope))) => {
                    state.group.reset_only = Some(scope);
                    return views::group::plan_reset(state, target);
                }
                (Err(e), _) | (_, Some(Err(e))) => state.error(e),
            }
        }
        PromptKind::ResetConfirm => return views::group::confirm_reset(state, text),
        PromptKind::MessageFilter => views::messages::set_filter(state, text),
        PromptKind::Offset => match text.parse::<StartAt>() {
            Ok(start) => {
                let (topic, partition) = (state.messages.topic.clone(), state.messages.partition);
                let was_live = state.messages.follow;
                let command = state.start_browse(&topic, partition, start, false);
                if was_live {
                    state.info(format!(
                        "reading from {start}; the live tail stopped (f follows again)"
                    ));
                }
                return vec![command];
            }
            Err(e) => state.error(e),
        },
        PromptKind::WritePath => return views::messages::write_file(state, text),
        PromptKind::SearchTopic => match views::messages::Filter::parse(text) {
            Ok(Some(_)) => return vec![state.start_search(text)],
            Ok(None) => state.error("nothing to search for"),
            Err(e) => state.error(e),
        },
        PromptKind::NewTopic
        | PromptKind::ConfirmDeleteTopic
        | PromptKind::AddPartitions
        | PromptKind::EditConfig
        | PromptKind::EditBrokerConfig
        | PromptKind::ConfirmElect
        | PromptKind::ConfirmDeleteGroup
        | PromptKind::ConfirmAbortTransaction
        | PromptKind::ConfirmDeleteConnector
        | PromptKind::SendMarked => {}
    }
    Vec::new()
}

/// Every command the `:` line takes, for the hint after a typo.
const COMMANDS: &str = "commands: :topics, :topic NAME, :groups, :group NAME, :brokers, :transactions, :acls, :connect, :produce, :ml, :sensors, :schemas, :ctx [NAME], :q";

/// `:topic NAME`: straight to the topic's partitions.
fn open_topic(state: &mut State, name: &str) -> Vec<Command> {
    if state.topic_info(name).is_none() {
        state.error(format!("no topic named {name}"));
        return Vec::new();
    }
    state.views = vec![View::Overview, View::Topics, View::Topic];
    state.topic = views::topic::TopicView::new(name);
    let mut commands = vec![Command::StopBrowse, Command::LoadConfigs(name.to_owned())];
    commands.extend(views::topic::on_stable_offsets(state));
    commands
}

/// `:group NAME`: straight to the group's partitions.
fn open_group(state: &mut State, name: &str) {
    if state.groups.loaded && state.groups.report(name).is_none() {
        state.error(format!("no consumer group named {name}"));
        return;
    }
    state.views = vec![View::Overview, View::Groups, View::Group];
    state.group = views::group::GroupView::new(name);
}

fn run_command(state: &mut State, command: &str) -> Vec<Command> {
    match command {
        "q" | "quit" | "q!" => return vec![Command::Quit],
        "topics" | "t" => state.views = vec![View::Overview, View::Topics],
        "overview" | "o" | "cluster" => state.views = vec![View::Overview],
        "brokers" | "b" => state.views = vec![View::Overview, View::Brokers],
        "transactions" | "txn" | "tx" => return views::transactions::open(state),
        "acls" | "acl" => return views::acls::open(state),
        "connect" | "connectors" | "kc" => return views::connect::open(state),
        "produce" | "p" => views::produce::open(state),
        "groups" | "g" => state.views = vec![View::Overview, View::Groups],
        "ml" => state.views = vec![View::Overview, View::Ml],
        "sensors" => state.views = vec![View::Overview, View::Sensors],
        "ctx" | "clusters" | "context" => return views::clusters::open(state),
        "schemas" | "schema" | "subjects" | "sr" => {
            let mut commands = views::schemas::open(state);
            commands.push(Command::StopBrowse);
            return commands;
        }
        "" => {}
        other => match other.split_once(' ') {
            Some(("ctx" | "cluster" | "context", name)) if !name.trim().is_empty() => {
                return views::clusters::switch(state, name.trim());
            }
            Some(("topic" | "t", name)) if !name.trim().is_empty() => {
                return open_topic(state, name.trim());
            }
            Some(("group" | "g", name)) if !name.trim().is_empty() => {
                open_group(state, name.trim());
            }
            _ => state.error(format!("unknown command :{other} ({COMMANDS})")),
        },
    }
    if !state.views.contains(&View::Messages) {
        // Leaving the browser through a command stops its reader.
        return vec![Command::StopBrowse];
    }
    Vec::new()
}
