//! The message browser's state: a bounded ring of records with their display text computed on
//! arrival, a filter, a selection and the detail of the selected record.

use crate::kafka::records::Isolation;
use std::collections::VecDeque;

use chrono::FixedOffset;

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use crate::decode::StyledLine;
use crate::decode::detail::detail_lines;
pub use crate::decode::filter::Filter;
use crate::decode::json::JsonMessage;
use crate::decode::text::{escape_str, one_line, preview};
use crate::human;
use crate::kafka::reader::Progress;
use crate::kafka::{Message, StartAt};
use crate::schema::{DataFormat, SchemaBook, Shown};
use std::time::Instant;

/// Matches a whole-topic search keeps at most.
pub const SEARCH_MATCHES: usize = 1_000;

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
    pub bytes: usize,
    /// The key and value as the schema registry reads them.
    pub key_shown: Shown,
    pub value_shown: Shown,
}

impl MessageRow {
    /// The list's one-line key. Formatted when drawn, for the rows on screen only: a live
    /// tail of a firehose passes thousands of rows a second that nobody sees.
    pub fn key_preview(&self) -> String {
        preview_of(self.message.key.as_deref(), &self.key_shown, 40, "∅")
    }

    /// The list's one-line value (see `key_preview`).
    pub fn value_preview(&self) -> String {
        preview_of(
            self.message.value.as_deref(),
            &self.value_shown,
            200,
            "∅ (null)",
        )
    }

    /// Whether either side waits for (or failed on) the schema with this id.
    fn needs_schema(&self, id: u32) -> bool {
        [&self.key_shown, &self.value_shown].iter().any(|s| {
            matches!(s, Shown::Pending { schema_id } if *schema_id == id)
                || matches!(s, Shown::Failed { schema_id: Some(i), .. } if *i == id)
        })
    }
}

/// The list's one-line form of a key or value: decoded JSON, or the bytes escaped (marked when
/// a schema is loading or failed).
fn preview_of(bytes: Option<&[u8]>, shown: &Shown, max: usize, null: &str) -> String {
    match (shown, bytes) {
        (Shown::Decoded(d), _) => fit_chars(&escape_str(&d.json.to_string()), max),
        (_, None) => null.to_owned(),
        (Shown::Plain, Some(b)) => one_line(b, max),
        (Shown::Pending { .. }, Some(b)) => format!("… {}", preview(b, max)),
        (Shown::Failed { .. }, Some(b)) => format!("⚠ {}", preview(b, max)),
    }
}

fn fit_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Whether the filter matches a row's key or value as text: decoded JSON when a schema read
/// them, the bytes otherwise (lossy for binary data).
fn row_matches(filter: &Filter, row: &MessageRow) -> bool {
    let field = |b: &Option<bytes::Bytes>, shown: &Shown| match shown {
        Shown::Decoded(d) => Some(d.json.to_string()),
        _ => b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
    };
    let m = &row.message;
    let texts = [
        field(&m.key, &row.key_shown),
        field(&m.value, &row.value_shown),
    ];
    filter.matches_any(texts.iter().flatten().map(String::as_str))
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
    /// Committed records only (the default), or every record with its transaction's end.
    pub isolation: Isolation,
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
    /// What a whole-topic search looks for; its rows are the matches.
    pub search: Option<String>,
    /// The search was stopped (Esc) before the end.
    pub stopped: bool,
    /// The record to select again once it arrives (after reading older records).
    reselect: Option<(i32, i64)>,
    /// The detail pane's inner width, which a hex dump fits.
    pub detail_width: usize,
    detail: Option<(u64, Vec<StyledLine>)>,
    /// The zone the detail's time is written in (`z` switches).
    time_zone: Option<FixedOffset>,
}

impl Default for MessagesView {
    fn default() -> Self {
        MessagesView {
            topic: String::new(),
            partition: None,
            start: StartAt::End,
            follow: false,
            isolation: Isolation::ReadCommitted,
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
            search: None,
            stopped: false,
            reselect: None,
            detail_width: 78,
            detail: None,
            time_zone: None,
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
            isolation: self.isolation,
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

    /// Kafka's default subject names for this topic, preferred when naming a schema.
    fn subjects(&self) -> (String, String) {
        (
            format!("{}-key", self.topic),
            format!("{}-value", self.topic),
        )
    }

    /// A row of `message` as the schemas in `book` read it; `subjects` are the topic's
    /// (made once a batch, not once a record).
    fn make_row(
        seq: u64,
        message: Message,
        book: &SchemaBook,
        (key_subject, value_subject): &(String, String),
    ) -> MessageRow {
        let show = |bytes: Option<&[u8]>, subject: &str| {
            bytes.map_or(Shown::Plain, |b| book.show(DataFormat::Auto, b, subject))
        };
        let key_shown = show(message.key.as_deref(), key_subject);
        let value_shown = show(message.value.as_deref(), value_subject);
        MessageRow {
            seq,
            bytes: message.payload_size(),
            key_shown,
            value_shown,
            message,
        }
    }

    /// Adds a batch, dropping the oldest rows past the ring's bounds; `rows` is how many the
    /// list shows. Returns the schema ids the batch needs fetched.
    pub fn push(
        &mut self,
        mut messages: Vec<Message>,
        offset: Option<FixedOffset>,
        rows: usize,
        book: &SchemaBook,
        now: Instant,
    ) -> Vec<u32> {
        let at_end = self.list.selected + 1 >= self.visible.len();
        self.time_zone = offset;
        // A fetch answers for every partition at once; across partitions, time is the order a
        // reader expects (a live tail's new records land at the bottom).
        if self.partition.is_none() {
            messages.sort_by_key(|m| (m.timestamp_ms, m.partition, m.offset));
        }
        // What the ring could not keep anyway is never formatted.
        let excess = messages.len().saturating_sub(RING_RECORDS);
        if excess > 0 {
            messages.drain(..excess);
            self.dropped += excess as u64;
        }
        let mut wanted = Vec::new();
        let subjects = self.subjects();
        for message in messages {
            for bytes in [message.key.as_deref(), message.value.as_deref()]
                .into_iter()
                .flatten()
            {
                if let Some(id) = book.wanted(DataFormat::Auto, bytes, now)
                    && !wanted.contains(&id)
                {
                    wanted.push(id);
                }
            }
            let row = Self::make_row(self.next_seq, message, book, &subjects);
            let bytes = row.bytes;
            self.next_seq += 1;
            if self.filter.as_ref().is_none_or(|f| row_matches(f, &row)) {
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
        }
        // The visible rows that left the ring go in one cut (they are its oldest).
        let first_kept = self.rows.front().map_or(u64::MAX, |r| r.seq);
        let gone = self.visible.partition_point(|seq| *seq < first_kept);
        if gone > 0 {
            self.visible.drain(..gone);
            self.list.selected = self.list.selected.saturating_sub(gone);
            self.list.offset = self.list.offset.saturating_sub(gone);
        }
        if let Some(key) = self.reselect {
            let found = self
                .visible_rows()
                .position(|r| (r.message.partition, r.message.offset) == key);
            if let Some(i) = found {
                self.list.selected = i;
                self.reselect = None;
            }
        } else if self.follow && at_end {
            self.list.selected = self.visible.len().saturating_sub(1);
        }
        self.list.keep_visible(self.visible.len(), rows);
        wanted
    }

    /// Writes the detail's time again, in another zone (the list's is written when drawn).
    pub fn retime(&mut self, offset: Option<FixedOffset>) {
        self.time_zone = offset;
        self.detail = None;
        self.refresh_detail();
    }

    /// Reads again the rows that waited for (or failed on) schema `id`, now that the book has
    /// news of it.
    pub fn schema_arrived(&mut self, id: u32, book: &SchemaBook, rows: usize) {
        let mut changed = false;
        let subjects = self.subjects();
        for i in 0..self.rows.len() {
            if !self.rows[i].needs_schema(id) {
                continue;
            }
            let seq = self.rows[i].seq;
            let message = self.rows[i].message.clone();
            self.rows[i] = Self::make_row(seq, message, book, &subjects);
            changed = true;
        }
        if changed {
            if self.filter.is_some() {
                let filter = self.filter.take();
                self.set_filter(filter, rows);
            }
            self.detail = None;
            self.refresh_detail();
        }
    }

    pub fn set_filter(&mut self, filter: Option<Filter>, rows: usize) {
        let selected_seq = self.visible.get(self.list.selected).copied();
        self.filter = filter;
        self.visible = self
            .rows
            .iter()
            .filter(|r| self.filter.as_ref().is_none_or(|f| row_matches(f, r)))
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

    /// Sets the detail pane's width from the screen's (the layout ui/messages.rs draws).
    pub fn fit_detail_to(&mut self, screen_width: u16) {
        let pane = if screen_width >= 140 {
            // The list takes 55 %, the detail the rest.
            screen_width - screen_width * 55 / 100
        } else {
            screen_width
        };
        // Borders, and one for the layout's rounding.
        let inner = pane.saturating_sub(3) as usize;
        if inner != self.detail_width {
            self.detail_width = inner;
            self.detail = None;
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
        let lines = detail_lines(
            &row.message,
            &human::time(row.message.timestamp_ms, self.time_zone),
            &row.key_shown,
            &row.value_shown,
            self.detail_width,
        );
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
            producer_id: -1,
            txn: crate::kafka::records::TxnMark::None,
        }
    }

    #[test]
    fn the_ring_is_bounded_and_counts_what_it_dropped() {
        let mut v = MessagesView::default();
        let batch: Vec<Message> = (0..RING_RECORDS as i64 + 10).map(|o| msg(o, "x")).collect();
        v.push(
            batch,
            Some(FixedOffset::east_opt(0).unwrap()),
            10,
            &SchemaBook::default(),
            Instant::now(),
        );
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
            &SchemaBook::default(),
            Instant::now(),
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
        v.push(
            vec![msg(0, "a"), msg(1, "b")],
            None,
            10,
            &SchemaBook::default(),
            Instant::now(),
        );
        assert_eq!(v.list.selected, 1);
        v.push(
            vec![msg(2, "c")],
            None,
            10,
            &SchemaBook::default(),
            Instant::now(),
        );
        assert_eq!(v.list.selected, 2);
        v.list.select(0, 3, 10);
        v.push(
            vec![msg(3, "d")],
            None,
            10,
            &SchemaBook::default(),
            Instant::now(),
        );
        assert_eq!(v.list.selected, 0, "a user who scrolled up stays put");
    }

    #[test]
    fn detail_escapes_and_formats() {
        let mut v = MessagesView::default();
        let mut m = msg(0, "{\"a\":1}");
        m.key = Some(Bytes::from_static(b"\x1b[2Jk"));
        v.push(
            vec![m, msg(1, "line1\n\x1b[31mred")],
            None,
            10,
            &SchemaBook::default(),
            Instant::now(),
        );
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
