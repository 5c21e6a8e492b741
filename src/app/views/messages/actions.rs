//! What the browser's keys do: filter, jump, search, follow, copy, mark records and send or
//! save them.

use chrono::FixedOffset;

use super::{CLIPBOARD_LIMIT, Filter, Focus, MessageRow, RING_RECORDS};
use crate::app::action::Action;
use crate::app::event::Command;
use crate::app::list::ListSelection;
use crate::app::prompt::{self, PromptKind};
use crate::app::state::State;
use crate::decode::json::JsonMessage;
use crate::human;
use crate::human::count;
use crate::kafka::ProduceRecord;
use crate::kafka::StartAt;
use crate::kafka::records::Isolation;

pub fn set_filter(state: &mut State, text: &str) {
    let rows = state.page();
    match Filter::parse(text) {
        Ok(filter) => state.messages.set_filter(filter, rows),
        Err(e) => state.error(e),
    }
}

/// Writes the shown records, as JSON lines, to a file the user named.
pub fn write_file(state: &mut State, path: &str) -> Vec<Command> {
    if path.is_empty() {
        state.error("no file name given");
        return Vec::new();
    }
    let m = &state.messages;
    let line = |r: &MessageRow| {
        let json = JsonMessage::new(&m.topic, &r.message)
            .with_schemas(r.key_shown.clone(), r.value_shown.clone());
        serde_json::to_string(&json).unwrap_or_default()
    };
    let lines = if m.marked_len() > 0 {
        m.marked_rows().map(line).collect()
    } else {
        m.visible_rows().map(line).collect()
    };
    vec![Command::WriteFile {
        path: path.into(),
        lines,
    }]
}

/// Sends the marked records (or the selected one) to `topic` on this cluster, as they are
/// but for the time: a replay happens now. Keys, values and headers are the bytes read, so a
/// dead-letter topic's records go back byte for byte.
pub fn send_marked(state: &mut State, topic: &str) -> Vec<Command> {
    let topic = topic.trim();
    if topic.is_empty() {
        state.error("no topic given");
        return Vec::new();
    }
    if state.read_only() {
        state.error("read-only mode: changes are disabled");
        return Vec::new();
    }
    let m = &state.messages;
    let now = chrono::Utc::now().timestamp_millis();
    let record = |r: &MessageRow| ProduceRecord {
        timestamp_ms: now,
        ..ProduceRecord::from(r.as_read())
    };
    let records: Vec<ProduceRecord> = if m.marked_len() > 0 {
        m.marked_rows().map(record).collect()
    } else {
        m.selected_row().map(record).into_iter().collect()
    };
    if records.is_empty() {
        state.error("no message selected");
        return Vec::new();
    }
    state.info(format!(
        "sending {} to {}…",
        human::plural(records.len() as i64, "record"),
        topic
    ));
    vec![Command::SendRecords {
        topic: topic.to_owned(),
        records,
    }]
}

/// Records read before the oldest shown, per partition, when scrolling up past the top.
const OLDER_STEP: i64 = 200;

/// Scrolling up past the first row reads further back: the same browse again from earlier, with
/// the selected record selected again once it is back.
fn load_older(state: &mut State) -> Vec<Command> {
    let m = &state.messages;
    if m.search.is_some() || m.len() >= RING_RECORDS {
        return Vec::new();
    }
    let start = match m.start {
        StartAt::FromEnd(n) => StartAt::FromEnd(n + OLDER_STEP),
        StartAt::End => StartAt::FromEnd(OLDER_STEP),
        StartAt::Offset(o) if o > 0 => StartAt::Offset((o - OLDER_STEP).max(0)),
        _ => return Vec::new(),
    };
    let keep = m
        .selected_row()
        .map(|r| (r.message.partition, r.message.offset));
    let (topic, partition, follow) = (m.topic.clone(), m.partition, m.follow);
    let command = state.start_browse(&topic, partition, start, follow);
    state.messages.reselect = keep;
    state.info("reading older records…");
    vec![command]
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let m = &mut state.messages;
    match action {
        Action::Up | Action::PageUp | Action::Top
            if m.focus == Focus::List && m.list.selected == 0 =>
        {
            return load_older(state);
        }
        a if a.is_navigation() => match m.focus {
            Focus::List => m.step(action, rows),
            Focus::Detail => {
                let mut scroll = ListSelection {
                    selected: m.detail_scroll as usize,
                    offset: 0,
                };
                scroll.step(action, m.detail_lines().len(), rows);
                m.detail_scroll = scroll.selected as u16;
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
            prompt::open(state, PromptKind::MessageFilter, &current);
        }
        Action::JumpToOffset => prompt::open(state, PromptKind::Offset, ""),
        Action::SearchTopic => prompt::open(state, PromptKind::SearchTopic, ""),
        Action::ToggleUtc => {
            let utc = FixedOffset::east_opt(0);
            state.utc_offset = if state.utc_offset == utc { None } else { utc };
            let offset = state.utc_offset;
            state.messages.retime(offset);
            state.info(format!("times in {}", human::zone(offset)));
        }
        Action::FromBeginning => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::Beginning, false)];
        }
        Action::Follow => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::FromEnd(100), true)];
        }
        Action::ToggleIsolation => {
            // Read the same range again, the other way.
            m.isolation = match m.isolation {
                Isolation::ReadCommitted => Isolation::ReadUncommitted,
                Isolation::ReadUncommitted => Isolation::ReadCommitted,
            };
            let (topic, partition, start, follow) =
                (m.topic.clone(), m.partition, m.start, m.follow);
            return vec![state.start_browse(&topic, partition, start, follow)];
        }
        Action::Copy => {
            let value = m
                .selected_row()
                .map(|row| row.message.value.as_deref().unwrap_or_default().to_vec());
            return match value {
                Some(value) if value.len() > CLIPBOARD_LIMIT => {
                    state.error(format!(
                        "value of {} bytes is too large for the clipboard; w writes it to a file",
                        value.len()
                    ));
                    Vec::new()
                }
                Some(value) => {
                    state.info(format!(
                        "copied {} bytes to the clipboard (OSC 52)",
                        value.len()
                    ));
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
            let marked = m.marked_len();
            prompt::open(state, PromptKind::WritePath, &name);
            if let Some(p) = state.prompt.as_mut()
                && marked > 0
            {
                p.target = Some(human::plural(marked as i64, "marked record"));
            }
        }
        Action::ToggleMark if m.toggle_mark().is_some() => m.step(Action::Down, rows),
        Action::MarkRange => {
            let added = m.mark_range();
            let marked = m.marked_len();
            state.info(format!(
                "{} marked ({added} new): > sends them to a topic, w saves them, x clears",
                count(marked as i64)
            ));
        }
        Action::ClearMarks => {
            let cleared = m.clear_marks();
            state.info(format!(
                "{} no longer marked",
                human::plural(cleared as i64, "record")
            ));
        }
        Action::SendMarked => {
            let what = match m.marked_len() {
                0 if m.selected_row().is_none() => {
                    state.error("no message selected");
                    return Vec::new();
                }
                0 => "the selected record".to_owned(),
                n => human::plural(n as i64, "marked record"),
            };
            super::super::admin::ask(state, PromptKind::SendMarked, Some(what), "");
        }
        _ => {}
    }
    Vec::new()
}
