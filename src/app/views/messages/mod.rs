//! The message browser's state: a bounded ring of records with their display text computed on
//! arrival, a filter, a selection and the detail of the selected record.

mod actions;

use crate::kafka::records::Isolation;
use std::collections::{BTreeSet, VecDeque};

pub use actions::{on_action, send_marked, set_filter, write_file};

use chrono::FixedOffset;

use super::super::action::Action;
use super::super::list::ListSelection;
use crate::decode::StyledLine;
use crate::decode::detail::detail_lines;
pub use crate::decode::filter::Filter;
use crate::decode::mask::TopicMask;
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
    /// The record as shown: masked where the profile says so.
    pub message: Message,
    /// The record as read, when masking changed it: what `>` sends, never what is shown.
    clear: Option<Box<Message>>,
    pub bytes: usize,
    /// The key and value as the schema registry reads them.
    pub key_shown: Shown,
    pub value_shown: Shown,
}

impl MessageRow {
    /// The record as it was read (unmasked).
    pub fn as_read(&self) -> &Message {
        self.clear.as_deref().unwrap_or(&self.message)
    }

    /// The record's place in its topic.
    pub fn id(&self) -> (i32, i64) {
        (self.message.partition, self.message.offset)
    }

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
    /// Records marked to send or save, by partition and offset; a record leaving the ring
    /// takes its mark along, so every mark is a row that can be sent.
    marked: BTreeSet<(i32, i64)>,
    /// The record last marked or unmarked alone: `V` marks from it to the selection.
    mark_anchor: Option<(i32, i64)>,
    /// What the profile hides of this topic's records.
    pub mask: TopicMask,
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
            marked: BTreeSet::new(),
            mark_anchor: None,
            mask: TopicMask::default(),
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
        let same_topic = self.topic == topic;
        let filter = self.filter.take().filter(|_| same_topic);
        // Reading the same topic again (older records, another start) keeps what was marked
        // for as long as those records are in the ring.
        let marked = std::mem::take(&mut self.marked);
        let marked = if same_topic { marked } else { BTreeSet::new() };
        *self = MessagesView {
            topic: topic.to_owned(),
            partition,
            start,
            follow,
            browse_id: id,
            filter,
            marked,
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

    /// A row of `message` as the schemas in `book` read it and the mask hides it; `subjects`
    /// are the topic's (made once a batch, not once a record).
    fn make_row(
        seq: u64,
        message: Message,
        book: &SchemaBook,
        (key_subject, value_subject): &(String, String),
        mask: &TopicMask,
    ) -> MessageRow {
        let show = |bytes: Option<&[u8]>, subject: &str| {
            bytes.map_or(Shown::Plain, |b| book.show(DataFormat::Auto, b, subject))
        };
        let mut key_shown = show(message.key.as_deref(), key_subject);
        let mut value_shown = show(message.value.as_deref(), value_subject);
        let (message, clear) = if mask.is_empty() {
            (message, None)
        } else {
            let mut shown = message.clone();
            match mask.apply(&mut shown, &mut key_shown, &mut value_shown) {
                true => (shown, Some(Box::new(message))),
                false => (message, None),
            }
        };
        MessageRow {
            seq,
            bytes: message.payload_size(),
            key_shown,
            value_shown,
            message,
            clear,
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
        // A followed firehose arrives already sorted (cut to its newest): checked, not sorted
        // again.
        let order = |m: &Message| (m.timestamp_ms, m.partition, m.offset);
        if self.partition.is_none() && !messages.is_sorted_by_key(order) {
            messages.sort_by_key(order);
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
            let row = Self::make_row(self.next_seq, message, book, &subjects, &self.mask);
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
            self.marked.remove(&old.id());
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
            let message = self.rows[i].as_read().clone();
            self.rows[i] = Self::make_row(seq, message, book, &subjects, &self.mask);
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

    pub fn is_marked(&self, row: &MessageRow) -> bool {
        !self.marked.is_empty() && self.marked.contains(&row.id())
    }

    pub fn marked_len(&self) -> usize {
        self.marked.len()
    }

    /// The marked rows, in the ring's order.
    pub fn marked_rows(&self) -> impl Iterator<Item = &MessageRow> + '_ {
        self.rows.iter().filter(|r| self.is_marked(r))
    }

    /// Marks the selected record, or unmarks it; it becomes the anchor of a `V` range.
    pub fn toggle_mark(&mut self) -> Option<bool> {
        let id = self.selected_row()?.id();
        self.mark_anchor = Some(id);
        Some(if self.marked.remove(&id) {
            false
        } else {
            self.marked.insert(id)
        })
    }

    /// Marks every shown record from the anchor to the selection (both included); without an
    /// anchor, the selected one. Returns how many marks are new.
    pub fn mark_range(&mut self) -> usize {
        let Some(selected) = self.selected_row().map(MessageRow::id) else {
            return 0;
        };
        let anchor = self
            .mark_anchor
            .and_then(|a| self.visible_rows().position(|r| r.id() == a));
        let here = self.list.selected;
        let (from, to) = match anchor {
            Some(a) => (a.min(here), a.max(here)),
            None => (here, here),
        };
        let ids: Vec<_> = self
            .visible_rows()
            .skip(from)
            .take(to - from + 1)
            .map(MessageRow::id)
            .collect();
        let before = self.marked.len();
        self.marked.extend(ids);
        self.mark_anchor = Some(selected);
        self.marked.len() - before
    }

    pub fn clear_marks(&mut self) -> usize {
        self.mark_anchor = None;
        std::mem::take(&mut self.marked).len()
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

#[cfg(test)]
mod tests;
