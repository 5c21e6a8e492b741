//! The detail of one record as a person reads it: where it is, sizes, key, headers, then the
//! value as pretty JSON, escaped text or a hex dump.

use super::styled::{Role, StyledLine, pretty_json};
use super::text::{escape_bytes, escape_str, hex_dump_in, looks_binary, preview};
use crate::kafka::Message;
use crate::schema::Shown;

/// Bytes of a value shown; the rest is summarised.
pub const DETAIL_BYTES: usize = 256 * 1024;

/// "value schema: avro · orders-value v3 · id 7", or why the bytes below are not decoded.
fn schema_line(lines: &mut Vec<StyledLine>, side: &str, shown: &Shown) {
    match shown {
        Shown::Plain => {}
        Shown::Decoded(d) => lines.push(StyledLine::styled(
            Role::Dim,
            format!("{side} schema: {}", escape_str(&d.described)),
        )),
        Shown::Pending { schema_id } => lines.push(StyledLine::styled(
            Role::Dim,
            format!("{side} schema: id {schema_id}, loading from the registry…"),
        )),
        Shown::Failed { reason, .. } => lines.push(StyledLine::styled(
            Role::Warn,
            format!("{side} not decoded: {} (bytes shown)", escape_str(reason)),
        )),
    }
}

fn size(bytes: Option<&bytes::Bytes>) -> String {
    bytes.map_or_else(|| "null".to_owned(), |b| format!("{} B", b.len()))
}

/// The detail lines of a record; `time` is its timestamp as the caller shows it, `key` and
/// `value` what the schema registry made of them.
/// `columns` is the pane's inner width, so a hex dump fits it.
pub fn detail_lines(
    m: &Message,
    time: &str,
    key: &Shown,
    value: &Shown,
    columns: usize,
) -> Vec<StyledLine> {
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
    ];
    if let Some(txn) = m.txn.label() {
        lines.push(StyledLine::styled(
            if txn == "committed" {
                Role::Dim
            } else {
                Role::Warn
            },
            format!(
                "written in a transaction of producer {} that {}",
                m.producer_id,
                match txn {
                    "committed" => "committed",
                    "aborted" => "was aborted: committed readers never see it",
                    _ => "had not ended when it was read",
                }
            ),
        ));
    }
    lines.extend([StyledLine::plain(format!(
        "key: {}",
        match key {
            Shown::Decoded(d) => escape_str(&d.json.to_string()),
            _ => m
                .key
                .as_deref()
                .map_or_else(|| "null".to_owned(), |k| preview(k, 400)),
        }
    ))]);
    schema_line(&mut lines, "key", key);
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
    schema_line(&mut lines, "value", value);
    lines.push(StyledLine::styled(Role::Dim, "─".repeat(20)));
    if let Shown::Decoded(d) = value {
        let text = serde_json::to_vec(&d.json).unwrap_or_default();
        if let Some(json) = pretty_json(&text) {
            lines.extend(json);
            return lines;
        }
    }
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
        lines.extend(
            hex_dump_in(shown, 4096, columns)
                .into_iter()
                .map(StyledLine::plain),
        );
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
