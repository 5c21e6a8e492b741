//! The message browser's state: a bounded ring of records with their display text computed on
//! arrival, a filter, a selection and the detail of the selected record.

use std::collections::VecDeque;

use chrono::FixedOffset;
use regex::Regex;

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use crate::decode::StyledLine;
use crate::decode::detail::detail_lines;
use crate::decode::json::JsonMessage;
use crate::decode::text::preview;
use crate::human;
use crate::kafka::reader::Progress;
use crate::kafka::{Message, StartAt};

/// Terminals cap OSC 52 payloads (often near 100 kB); larger values go to a file instead.
pub const CLIPBOARD_LIMIT: usize = 74_000;

/// Records kept at most; older ones are dropped (and counted) as new ones arrive.
pub const RING_RECORDS: usize = 5_000;
/// Payload bytes kept at most, so a topic of huge messages cannot exhaust memory.
pub const RING_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub seq: u64,
    pub message: Message,
    pub time: String,
    pub key: String,
    pub value: String,
    pub bytes: usize,
}

#[derive(Debug, Clone)]
pub enum Filter {
    Substring(String),
    Regex(Regex),
}

impl Filter {
    /// `/pattern/` is a regex; anything else a plain substring.
    pub fn parse(text: &str) -> Result<Option<Filter>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            return Regex::new(&text[1..text.len() - 1])
                .map(|r| Some(Filter::Regex(r)))
                .map_err(|e| {
                    format!(
                        "invalid regex: {}",
                        e.to_string().lines().last().unwrap_or_default()
                    )
                });
        }
        Ok(Some(Filter::Substring(text.to_owned())))
    }

    pub fn text(&self) -> String {
        match self {
            Filter::Substring(s) => s.clone(),
            Filter::Regex(r) => format!("/{}/", r.as_str()),
        }
    }

    /// Matches over key and value as text (lossy for binary data).
    fn matches(&self, m: &Message) -> bool {
        let field =
            |b: &Option<bytes::Bytes>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
        let texts = [field(&m.key), field(&m.value)];
        texts.iter().flatten().any(|t| match self {
            Filter::Substring(s) => t.contains(s.as_str()),
            Filter::Regex(r) => r.is_match(t),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

#[derive(Debug, Clone)]
pub struct MessagesView {
    pub topic: String,
    pub partition: Option<i32>,
    pub start: StartAt,
    pub follow: bool,
    pub browse_id: u64,
    rows: VecDeque<MessageRow>,
    ring_bytes: usize,
    next_seq: u64,
    pub dropped: u64,
    /// Offsets the live tail passed over to keep up with the topic.
    pub skipped: u64,
    /// Seqs of the rows that pass the filter, in order.
    visible: Vec<u64>,
    pub filter: Option<Filter>,
    pub list: ListSelection,
    pub focus: Focus,
    pub detail_scroll: u16,
    pub progress: Progress,
    pub done: bool,
    pub error: Option<String>,
    detail: Option<(u64, Vec<StyledLine>)>,
}

impl Default for MessagesView {
    fn default() -> Self {
        MessagesView {
            topic: String::new(),
            partition: None,
            start: StartAt::End,
            follow: false,
            browse_id: 0,
            rows: VecDeque::new(),
            ring_bytes: 0,
            next_seq: 0,
            dropped: 0,
            skipped: 0,
            visible: Vec::new(),
            filter: None,
            list: ListSelection::default(),
            focus: Focus::List,
            detail_scroll: 0,
            progress: Progress::default(),
            done: false,
            error: None,
            detail: None,
        }
    }
}

impl MessagesView {
    /// Starts over for a new browse.
    pub fn reset(
        &mut self,
        id: u64,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        follow: bool,
    ) {
        let filter = self.filter.take().filter(|_| self.topic == topic);
        *self = MessagesView {
            topic: topic.to_owned(),
            partition,
            start,
            follow,
            browse_id: id,
            filter,
            ..MessagesView::default()
        };
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    fn row(&self, seq: u64) -> Option<&MessageRow> {
        let front = self.rows.front()?.seq;
        self.rows.get(seq.checked_sub(front)? as usize)
    }

    /// The rows that pass the filter, in order.
    pub fn visible_rows(
        &self,
    ) -> impl DoubleEndedIterator<Item = &MessageRow> + ExactSizeIterator + '_ {
        self.visible
            .iter()
            .map(|seq| self.row(*seq).expect("visible rows are in the ring"))
    }

    pub fn selected_row(&self) -> Option<&MessageRow> {
        self.visible
            .get(self.list.selected)
            .and_then(|seq| self.row(*seq))
    }

    /// The visible rows from `start`, in order.
    pub fn visible_from(&self, start: usize) -> impl Iterator<Item = &MessageRow> + '_ {
        self.visible[start.min(self.visible.len())..]
            .iter()
            .map(|seq| self.row(*seq).expect("visible rows are in the ring"))
    }

    pub fn detail_lines(&self) -> &[StyledLine] {
        self.detail.as_ref().map_or(&[], |(_, lines)| lines)
    }

    /// Adds a batch, dropping the oldest rows past the ring's bounds; `rows` is how many the
    /// list shows.
    pub fn push(&mut self, messages: Vec<Message>, offset: Option<FixedOffset>, rows: usize) {
        let at_end = self.list.selected + 1 >= self.visible.len();
        for message in messages {
            let bytes = message.payload_size();
            let row = MessageRow {
                seq: self.next_seq,
                time: human::time(message.timestamp_ms, offset),
                key: message
                    .key
                    .as_deref()
                    .map_or_else(|| "∅".to_owned(), |k| preview(k, 40)),
                value: message
                    .value
                    .as_deref()
                    .map_or_else(|| "∅ (null)".to_owned(), |v| preview(v, 200)),
                bytes,
                message,
            };
            self.next_seq += 1;
            if self.filter.as_ref().is_none_or(|f| f.matches(&row.message)) {
                self.visible.push(row.seq);
            }
            self.ring_bytes += bytes;
            self.rows.push_back(row);
        }
        while self.rows.len() > RING_RECORDS
            || (self.ring_bytes > RING_BYTES && self.rows.len() > 1)
        {
            let old = self.rows.pop_front().expect("non-empty ring");
            self.ring_bytes -= old.bytes;
            self.dropped += 1;
            if self.visible.first() == Some(&old.seq) {
                self.visible.remove(0);
                self.list.selected = self.list.selected.saturating_sub(1);
                self.list.offset = self.list.offset.saturating_sub(1);
            }
        }
        if self.follow && at_end {
            self.list.selected = self.visible.len().saturating_sub(1);
        }
        self.list.keep_visible(self.visible.len(), rows);
    }

    pub fn set_filter(&mut self, filter: Option<Filter>, rows: usize) {
        let selected_seq = self.visible.get(self.list.selected).copied();
        self.filter = filter;
        self.visible = self
            .rows
            .iter()
            .filter(|r| self.filter.as_ref().is_none_or(|f| f.matches(&r.message)))
            .map(|r| r.seq)
            .collect();
        self.list.selected = selected_seq
            .and_then(|s| self.visible.iter().position(|v| *v >= s))
            .unwrap_or(0);
        self.list.keep_visible(self.visible.len(), rows);
    }

    /// Moves the selection by a navigation action.
    pub fn step(&mut self, action: Action, rows: usize) {
        let before = self.list.selected;
        self.list.step(action, self.visible.len(), rows);
        if self.list.selected != before {
            self.detail_scroll = 0;
        }
    }

    /// Recomputes the detail of the selected row when the selection changed.
    pub fn refresh_detail(&mut self) {
        let Some(row) = self.selected_row() else {
            self.detail = None;
            return;
        };
        if self.detail.as_ref().is_some_and(|(seq, _)| *seq == row.seq) {
            return;
        }
        let lines = detail_lines(&row.message, &row.time);
        self.detail = Some((row.seq, lines));
    }
}

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
    let topic = &state.messages.topic;
    let lines = state
        .messages
        .visible_rows()
        .map(|r| serde_json::to_string(&JsonMessage::new(topic, &r.message)).unwrap_or_default())
        .collect();
    vec![Command::WriteFile {
        path: path.into(),
        lines,
    }]
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let m = &mut state.messages;
    match action {
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
        Action::FromBeginning => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::Beginning, false)];
        }
        Action::Follow => {
            let (topic, partition) = (m.topic.clone(), m.partition);
            return vec![state.start_browse(&topic, partition, StartAt::FromEnd(100), true)];
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
            prompt::open(state, PromptKind::WritePath, &name);
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::TimestampType;
    use bytes::Bytes;

    fn msg(offset: i64, value: &str) -> Message {
        Message {
            partition: 0,
            offset,
            timestamp_ms: 0,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: Some(Bytes::copy_from_slice(value.as_bytes())),
            headers: vec![],
        }
    }

    #[test]
    fn the_ring_is_bounded_and_counts_what_it_dropped() {
        let mut v = MessagesView::default();
        let batch: Vec<Message> = (0..RING_RECORDS as i64 + 10).map(|o| msg(o, "x")).collect();
        v.push(batch, Some(FixedOffset::east_opt(0).unwrap()), 10);
        assert_eq!(v.len(), RING_RECORDS);
        assert_eq!(v.dropped, 10);
        assert_eq!(v.visible_rows().next().unwrap().message.offset, 10);
    }

    #[test]
    fn filters_by_substring_and_regex_and_keeps_the_selection() {
        let mut v = MessagesView::default();
        v.push(
            vec![
                msg(0, "apple"),
                msg(1, "banana"),
                msg(2, "cherry"),
                msg(3, "apricot"),
            ],
            None,
            10,
        );
        v.list.select(1, 4, 10);
        v.set_filter(Filter::parse("ap").unwrap(), 10);
        assert_eq!(v.visible_len(), 2);
        assert_eq!(v.selected_row().unwrap().message.offset, 3);
        v.set_filter(Filter::parse("/^(b|c)/").unwrap(), 10);
        assert_eq!(
            v.visible_rows()
                .map(|r| r.message.offset)
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(Filter::parse("/(/").unwrap_err().contains("invalid regex"));
        v.set_filter(None, 10);
        assert_eq!(v.visible_len(), 4);
    }

    #[test]
    fn following_keeps_the_newest_row_selected() {
        let mut v = MessagesView {
            follow: true,
            ..MessagesView::default()
        };
        v.push(vec![msg(0, "a"), msg(1, "b")], None, 10);
        assert_eq!(v.list.selected, 1);
        v.push(vec![msg(2, "c")], None, 10);
        assert_eq!(v.list.selected, 2);
        v.list.select(0, 3, 10);
        v.push(vec![msg(3, "d")], None, 10);
        assert_eq!(v.list.selected, 0, "a user who scrolled up stays put");
    }

    #[test]
    fn detail_escapes_and_formats() {
        let mut v = MessagesView::default();
        let mut m = msg(0, "{\"a\":1}");
        m.key = Some(Bytes::from_static(b"\x1b[2Jk"));
        v.push(vec![m, msg(1, "line1\n\x1b[31mred")], None, 10);
        v.list.select(0, 2, 10);
        v.refresh_detail();
        let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l == "key: \\x1b[2Jk"));
        assert!(text.iter().any(|l| l == "  \"a\": 1"));
        v.list.select(1, 2, 10);
        v.refresh_detail();
        let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l == "\\x1b[31mred"));
        assert!(text.iter().all(|l| !l.contains('\x1b')));
    }
}
