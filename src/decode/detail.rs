//! The detail of one record as a person reads it: where it is, sizes, key, headers, then the
//! value as pretty JSON, escaped text or a hex dump.

use super::styled::{Role, StyledLine, pretty_json};
use super::text::{escape_bytes, hex_dump, looks_binary, preview};
use crate::kafka::Message;

/// Bytes of a value shown; the rest is summarised.
pub const DETAIL_BYTES: usize = 256 * 1024;

fn size(bytes: Option<&bytes::Bytes>) -> String {
    bytes.map_or_else(|| "null".to_owned(), |b| format!("{} B", b.len()))
}

/// The detail lines of a record; `time` is its timestamp as the caller shows it.
pub fn detail_lines(m: &Message, time: &str) -> Vec<StyledLine> {
    let mut lines = vec![
        StyledLine::styled(
            Role::Heading,
            format!("partition {}  offset {}  {time}", m.partition, m.offset),
        ),
        StyledLine::plain(format!(
            "key {}  value {}  headers {}",
            size(m.key.as_ref()),
            size(m.value.as_ref()),
            m.headers.len()
        )),
        StyledLine::plain(format!(
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
        lines.push(StyledLine::plain(format!(
            "header {} = {}",
            escape_bytes(&h.name),
            value
        )));
    }
    lines.push(StyledLine::styled(Role::Dim, "─".repeat(20)));
    let Some(value) = &m.value else {
        lines.push(StyledLine::styled(Role::Dim, "null value (tombstone)"));
        return lines;
    };
    let shown = &value[..value.len().min(DETAIL_BYTES)];
    if let Some(json) = (shown.len() == value.len())
        .then(|| pretty_json(shown))
        .flatten()
    {
        lines.extend(json);
    } else if looks_binary(shown) {
        lines.extend(hex_dump(shown, 4096).into_iter().map(StyledLine::plain));
    } else {
        for line in shown.split(|b| *b == b'\n') {
            lines.push(StyledLine::plain(escape_bytes(line)));
        }
    }
    if shown.len() < value.len() {
        lines.push(StyledLine::styled(
            Role::Dim,
            format!(
                "… {} more bytes not shown (y copies, w writes the whole record)",
                value.len() - shown.len()
            ),
        ));
    }
    lines
}
