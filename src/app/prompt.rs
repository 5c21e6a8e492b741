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
    ResetTarget,
    /// Type the group's name to apply the previewed reset.
    ResetConfirm,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextInput,
}

pub fn open(state: &mut State, kind: PromptKind, text: &str) {
    state.prompt = Some(Prompt {
        kind,
        input: TextInput::new(text),
    });
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
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
        Action::ClearToLineStart => prompt.input.clear_to_line_start(),
        Action::Delete => prompt.input.delete(),
        Action::Left => prompt.input.left(),
        Action::Right => prompt.input.right(),
        Action::Home => prompt.input.home(),
        Action::End => prompt.input.end(),
        Action::Submit => {
            let prompt = state.prompt.take().expect("prompt is open");
            return submit(state, prompt.kind, prompt.input.text().trim());
        }
        _ => {}
    }
    Vec::new()
}

fn submit(state: &mut State, kind: PromptKind, text: &str) -> Vec<Command> {
    match kind {
        PromptKind::Command => return run_command(state, text.trim_start_matches(':')),
        PromptKind::TopicFilter => views::topics::set_filter(state, text),
        PromptKind::GroupFilter => views::groups::set_filter(state, text),
        PromptKind::ResetTarget => match text.parse::<ResetTarget>() {
            Ok(target) => return views::group::plan_reset(state, target),
            Err(e) => state.error(e),
        },
        PromptKind::ResetConfirm => return views::group::confirm_reset(state, text),
        PromptKind::MessageFilter => views::messages::set_filter(state, text),
        PromptKind::Offset => match text.parse::<StartAt>() {
            Ok(start) => {
                let (topic, partition) = (state.messages.topic.clone(), state.messages.partition);
                return vec![state.start_browse(&topic, partition, start, false)];
            }
            Err(e) => state.error(e),
        },
        PromptKind::WritePath => return views::messages::write_file(state, text),
    }
    Vec::new()
}

/// Every command the `:` line takes, for the hint after a typo.
const COMMANDS: &str = "commands: :topics, :topic NAME, :groups, :group NAME, :brokers, :produce, :ml, :sensors, :schemas, :ctx [NAME], :q";

/// `:topic NAME`: straight to the topic's partitions.
fn open_topic(state: &mut State, name: &str) -> Vec<Command> {
    if state.topic_info(name).is_none() {
        state.error(format!("no topic named {name}"));
        return Vec::new();
    }
    state.views = vec![View::Overview, View::Topics, View::Topic];
    state.topic = views::topic::TopicView::new(name);
    vec![Command::StopBrowse, Command::LoadConfigs(name.to_owned())]
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
        "brokers" | "b" | "overview" | "o" | "cluster" => state.views = vec![View::Overview],
        "produce" | "p" => views::produce::open(state),
        "groups" | "g" => state.views = vec![View::Overview, View::Groups],
        "ml" => state.views = vec![View::Overview, View::Ml],
        "sensors" => state.views = vec![View::Overview, View::Sensors],
        "ctx" | "clusters" | "context" => state.views = vec![View::Overview, View::Clusters],
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
