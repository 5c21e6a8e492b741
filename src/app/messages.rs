//! The message browser's state: a bounded ring of records with their display text computed on
//! arrival, a filter, a selection and the detail of the selected record.

use std::collections::VecDeque;

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};
use ratatui::text::Line;
use regex::Regex;

use crate::kafka::reader::Progress;
use crate::kafka::{Message, StartAt};
use crate::ui::text::{escape_bytes, escape_str, hex_dump, looks_binary, pretty_json, preview};
use crate::ui::theme::Theme;

/// Records kept at most; older ones are dropped (and counted) as new ones arrive.
pub const RING_RECORDS: usize = 5_000;
/// Payload bytes kept at most, so a topic of huge messages cannot exhaust memory.
pub const RING_BYTES: usize = 64 * 1024 * 1024;
/// Bytes of a value shown in the detail pane; the rest is summarised.
const DETAIL_BYTES: usize = 256 * 1024;

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
    /// Seqs of the rows that pass the filter, in order.
    visible: Vec<u64>,
    pub filter: Option<Filter>,
    pub selected: usize,
    pub focus: Focus,
    pub detail_scroll: u16,
    pub progress: Progress,
    pub done: bool,
    pub error: Option<String>,
    detail: Option<(u64, Vec<Line<'static>>)>,
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
            visible: Vec::new(),
            filter: None,
            selected: 0,
            focus: Focus::List,
            detail_scroll: 0,
            progress: Progress::default(),
            done: false,
            error: None,
            detail: None,
        }
    }
}

pub fn format_time(ms: i64, offset: Option<FixedOffset>) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return format!("{ms} ms");
    };
    match offset {
        Some(o) => o
            .from_utc_datetime(&utc.naive_utc())
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
        None => utc
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
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
            .get(self.selected)
            .and_then(|seq| self.row(*seq))
    }

    pub fn detail_lines(&self) -> &[Line<'static>] {
        self.detail.as_ref().map_or(&[], |(_, lines)| lines)
    }

    /// Adds a batch, dropping the oldest rows past the ring's bounds.
    pub fn push(&mut self, messages: Vec<Message>, offset: Option<FixedOffset>) {
        let at_end = self.selected + 1 >= self.visible.len();
        for message in messages {
            let bytes = message.payload_size();
            let row = MessageRow {
                seq: self.next_seq,
                time: format_time(message.timestamp_ms, offset),
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
                self.selected = self.selected.saturating_sub(1);
            }
        }
        if self.follow && at_end {
            self.selected = self.visible.len().saturating_sub(1);
        }
        self.clamp();
    }

    pub fn set_filter(&mut self, filter: Option<Filter>) {
        let selected_seq = self.visible.get(self.selected).copied();
        self.filter = filter;
        self.visible = self
            .rows
            .iter()
            .filter(|r| self.filter.as_ref().is_none_or(|f| f.matches(&r.message)))
            .map(|r| r.seq)
            .collect();
        self.selected = selected_seq
            .and_then(|s| self.visible.iter().position(|v| *v >= s))
            .unwrap_or(0);
        self.clamp();
    }

    pub fn select(&mut self, index: usize) {
        self.selected = index;
        self.clamp();
        self.detail_scroll = 0;
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// Forgets the detail pane, so the next refresh redraws it (its lines carry the theme).
    pub fn invalidate_detail(&mut self) {
        self.detail = None;
    }

    /// Recomputes the detail of the selected row when the selection changed.
    pub fn refresh_detail(&mut self, theme: &Theme) {
        let Some(row) = self.selected_row() else {
            self.detail = None;
            return;
        };
        if self.detail.as_ref().is_some_and(|(seq, _)| *seq == row.seq) {
            return;
        }
        let lines = detail_lines(row, theme);
        self.detail = Some((row.seq, lines));
    }
}

fn size(bytes: Option<&bytes::Bytes>) -> String {
    bytes.map_or_else(|| "null".to_owned(), |b| format!("{} B", b.len()))
}

/// The detail pane's text: a summary, headers, then the value as JSON, text or hex.
fn detail_lines(row: &MessageRow, theme: &Theme) -> Vec<Line<'static>> {
    let m = &row.message;
    let mut lines = vec![
        Line::styled(
            format!(
                "partition {}  offset {}  {}",
                m.partition, m.offset, row.time
            ),
            theme.header,
        ),
        Line::from(format!(
            "key {}  value {}  headers {}",
            size(m.key.as_ref()),
            size(m.value.as_ref()),
            m.headers.len()
        )),
        Line::from(format!(
            "key: {}",
            m.key
                .as_deref()
                .map_or_else(|| "null".to_owned(), |k| preview(k, 400))
        )),
    ];
    for h in &m.headers {
        let value = h
            .value
            .as_deref()
            .map_or_else(|| "null".to_owned(), |v| preview(v, 400));
        lines.push(Line::from(format!(
            "header {} = {}",
            escape_str(&h.name),
            value
        )));
    }
    lines.push(Line::styled("─".repeat(20), theme.dim));
    let Some(value) = &m.value else {
        lines.push(Line::styled("null value (tombstone)", theme.dim));
        return lines;
    };
    let shown = &value[..value.len().min(DETAIL_BYTES)];
    if let Some(json) = (shown.len() == value.len())
        .then(|| pretty_json(shown, theme))
        .flatten()
    {
        lines.extend(json);
    } else if looks_binary(shown) {
        lines.extend(hex_dump(shown, 4096).into_iter().map(Line::from));
    } else {
        for line in shown.split(|b| *b == b'\n') {
            lines.push(Line::from(escape_bytes(line)));
        }
    }
    if shown.len() < value.len() {
        lines.push(Line::styled(
            format!(
                "… {} more bytes not shown (y copies, w writes the whole record)",
                value.len() - shown.len()
            ),
            theme.dim,
        ));
    }
    lines
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
        v.push(batch, Some(FixedOffset::east_opt(0).unwrap()));
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
        );
        v.select(1);
        v.set_filter(Filter::parse("ap").unwrap());
        assert_eq!(v.visible_len(), 2);
        assert_eq!(v.selected_row().unwrap().message.offset, 3);
        v.set_filter(Filter::parse("/^(b|c)/").unwrap());
        assert_eq!(
            v.visible_rows()
                .map(|r| r.message.offset)
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(Filter::parse("/(/").unwrap_err().contains("invalid regex"));
        v.set_filter(None);
        assert_eq!(v.visible_len(), 4);
    }

    #[test]
    fn following_keeps_the_newest_row_selected() {
        let mut v = MessagesView {
            follow: true,
            ..MessagesView::default()
        };
        v.push(vec![msg(0, "a"), msg(1, "b")], None);
        assert_eq!(v.selected, 1);
        v.push(vec![msg(2, "c")], None);
        assert_eq!(v.selected, 2);
        v.select(0);
        v.push(vec![msg(3, "d")], None);
        assert_eq!(v.selected, 0, "a user who scrolled up stays put");
    }

    #[test]
    fn detail_escapes_and_formats() {
        let theme = Theme::plain();
        let mut v = MessagesView::default();
        let mut m = msg(0, "{\"a\":1}");
        m.key = Some(Bytes::from_static(b"\x1b[2Jk"));
        v.push(vec![m, msg(1, "line1\n\x1b[31mred")], None);
        v.select(0);
        v.refresh_detail(&theme);
        let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l == "key: \\x1b[2Jk"));
        assert!(text.iter().any(|l| l == "  \"a\": 1"));
        v.select(1);
        v.refresh_detail(&theme);
        let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l == "\\x1b[31mred"));
        assert!(text.iter().all(|l| !l.contains('\x1b')));
    }
}
