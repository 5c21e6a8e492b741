//! Turning message bytes into text that is safe for a terminal: control characters and escape
//! sequences are shown escaped (`\x1b[31m`), never written raw; invalid UTF-8 bytes become `\xNN`;
//! binary data becomes a hex dump. Widths are terminal columns (`unicode-width`), not chars.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Escapes everything a terminal could interpret. `\n` and `\t` are escaped too, so the result
/// is always one line.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_str_into(chunk.valid(), &mut out);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Printable ASCII: a terminal column a byte, nothing to escape.
fn is_plain_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// Whether `s` is all printable ASCII (its width is its length, and no byte needs escaping).
pub fn is_plain(s: &str) -> bool {
    s.bytes().all(is_plain_byte)
}

fn escape_str_into(s: &str, out: &mut String) {
    // Printable ASCII goes as it is, a run at a time; the rest a char at a time.
    let plain = s.bytes().position(|b| !is_plain_byte(b)).unwrap_or(s.len());
    out.push_str(&s[..plain]);
    for c in s[plain..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push('\\'),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            // C1 controls (U+0080..U+009F) are escape sequences to some terminals.
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            // Bidirectional overrides can make text lie about its order.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
}

/// Escapes a string for display on one line.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_str_into(s, &mut out);
    out
}

/// The first `max_chars` characters of an escaped preview, with `…` when cut.
pub fn preview(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars * 4)];
    let mut out = escape_bytes(head);
    let end = if out.is_ascii() {
        (out.len() > max_chars).then_some(max_chars)
    } else {
        out.char_indices().nth(max_chars).map(|(at, _)| at)
    };
    if let Some(end) = end {
        out.truncate(end);
    }
    if end.is_some() || head.len() < bytes.len() {
        out.push('…');
    }
    out
}

/// A record's one-line form for lists: JSON written compact, other text with each line break
/// (and the indentation after it) shown as one `⏎`, then escaped and cut to `max_chars`.
pub fn one_line(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars * 8)];
    let looks_json = head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    if looks_json
        && bytes.len() <= 64 * 1024
        && let Ok(text) = std::str::from_utf8(bytes)
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    {
        // Compacting is a stream: a head of the text compacts to a head of the whole.
        let mut head_end = text.len().min(max_chars * 8);
        while !text.is_char_boundary(head_end) {
            head_end -= 1;
        }
        let mut out = preview(
            super::json::compact(&text[..head_end]).as_bytes(),
            max_chars,
        );
        if head_end < text.len() && !out.ends_with('…') {
            out.push('…');
        }
        return out;
    }
    if !head.contains(&b'\n') {
        return preview(bytes, max_chars);
    }
    let mut joined = Vec::with_capacity(head.len());
    let mut lines = head.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = if joined.is_empty() {
            0
        } else {
            line.iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()
        };
        joined.extend_from_slice(&line[start..]);
        if lines.peek().is_some() {
            joined.extend_from_slice(" ⏎ ".as_bytes());
        }
    }
    let mut out = preview(&joined, max_chars);
    if head.len() < bytes.len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// Terminal columns a string takes (wide CJK and emoji count two).
pub fn width(s: &str) -> usize {
    s.width()
}

/// The longest prefix of `s` that fits in `columns`, with `…` when something was cut.
pub fn fit(s: &str, columns: usize) -> String {
    if is_plain(s) {
        if s.len() <= columns {
            return s.to_owned();
        }
        let mut out = s[..columns.saturating_sub(1)].to_owned();
        if columns > 0 {
            out.push('…');
        }
        return out;
    }
    fit_by_columns(s, columns)
}

/// `fit` for any text: a column count per character.
fn fit_by_columns(s: &str, columns: usize) -> String {
    if s.width() <= columns {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    if columns > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces to `columns` (left-aligned); never cut.
pub fn pad(s: &str, columns: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(s.width())));
    out
}

/// Whether bytes read better as a hex dump than as escaped text: they hold a NUL, or a third
/// or more of them are invalid UTF-8 or control characters. Text with a few escape sequences or
/// stray bytes stays text, shown escaped.
pub fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    let (mut suspicious, mut total) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            total += 1;
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                suspicious += 1;
            }
        }
        total += chunk.invalid().len();
        suspicious += chunk.invalid().len();
    }
    suspicious * 3 >= total.max(1) && suspicious > 0
}

/// `hexdump -C` style lines: offset, 16 bytes in hex, printable ASCII.
pub fn hex_dump(bytes: &[u8], max_lines: usize) -> Vec<String> {
    hex_dump_in(bytes, max_lines, 78)
}

/// A hex dump whose lines fit `columns`: 16 bytes a line, or 8 or 4 in a narrow pane.
pub fn hex_dump_in(bytes: &[u8], max_lines: usize, columns: usize) -> Vec<String> {
    // Offset, two spaces, three columns a byte (and one between halves), then |ascii|.
    let per_line = [16usize, 8, 4]
        .into_iter()
        .find(|n| 10 + n * 3 + 1 + n + 2 <= columns)
        .unwrap_or(4);
    let hex_width = per_line * 3 + 1;
    let mut lines = Vec::new();
    for (i, chunk) in bytes.chunks(per_line).enumerate() {
        if i == max_lines {
            lines.push(format!("… {} more bytes", bytes.len() - i * per_line));
            break;
        }
        let mut hex = String::with_capacity(hex_width);
        for (j, b) in chunk.iter().enumerate() {
            if j == per_line / 2 && per_line >= 8 {
                hex.push(' ');
            }
            hex.push_str(&format!("{b:02x} "));
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        lines.push(format!("{:08x}  {hex:<hex_width$} |{ascii}|", i * per_line));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dumps_fit_their_pane() {
        let bytes: Vec<u8> = (0..40).collect();
        for columns in [78, 68, 40, 30] {
            let lines = hex_dump_in(&bytes, 100, columns);
            assert!(
                lines.iter().all(|l| width(l) <= columns.max(30)),
                "{columns}: {lines:?}"
            );
        }
        assert_eq!(
            hex_dump_in(&bytes, 100, 78).len(),
            3,
            "16 a line when there is room"
        );
        assert_eq!(
            hex_dump_in(&bytes, 100, 68).len(),
            5,
            "8 a line in a 68-column pane"
        );
        assert!(hex_dump_in(&bytes, 100, 68)[1].starts_with("00000008  08 09"));
    }

    #[test]
    fn list_previews_are_one_line() {
        assert_eq!(
            one_line(b"{\n  \"a\": 1,\n  \"b\": [1, 2]\n}", 100),
            "{\"a\":1,\"b\":[1,2]}"
        );
        assert_eq!(
            one_line(b"first\r\n    second\nthird", 100),
            "first ⏎ second ⏎ third"
        );
        assert_eq!(one_line(b"plain", 100), "plain");
        assert_eq!(one_line(b"{not json\n x", 100), "{not json ⏎ x");
        assert_eq!(one_line(b"a\nb\x1b[2J", 100), "a ⏎ b\\x1b[2J");
        assert!(one_line(b"line\nline\nline\nline", 8).ends_with('…'));
    }

    #[test]
    fn escapes_control_sequences_and_invalid_utf8() {
        assert_eq!(escape_bytes(b"\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(escape_bytes(b"a\nb\tc\x07"), "a\\nb\\tc\\x07");
        assert_eq!(escape_bytes(&[b'o', b'k', 0xff, 0xfe]), "ok\\xff\\xfe");
        assert_eq!(escape_bytes("é✓".as_bytes()), "é✓");
        assert_eq!(escape_bytes("\u{9b}2J".as_bytes()), "\\u{9b}2J");
        assert_eq!(escape_bytes("a\u{202e}b".as_bytes()), "a\\u{202e}b");
        assert!(!escape_bytes(b"\x1b]52;c;AAAA\x07").contains('\x1b'));
    }

    #[test]
    fn previews_are_cut_with_an_ellipsis() {
        assert_eq!(preview(b"hello", 10), "hello");
        assert_eq!(preview(b"hello world", 5), "hello…");
        assert_eq!(preview(b"\x1b\x1b", 5), "\\x1b\\…");
    }

    #[test]
    fn widths_are_terminal_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本"), 4);
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
        assert_eq!(fit("short", 10), "short");
        assert_eq!(pad("日本", 6), "日本  ");
    }

    #[test]
    fn tells_binary_from_text() {
        assert!(looks_binary(&[0xff, 0x00, 0x10]));
        assert!(looks_binary(&[0xfa, 0xfb, b'a', 0xfc]));
        assert!(!looks_binary(b"mostly text \xff\xfe with two bad bytes"));
        assert!(looks_binary(&[0, 1, 2, 3, b'a']));
        assert!(looks_binary(b"ab\0cd"));
        assert!(!looks_binary(b"plain text\nwith lines"));
        assert!(!looks_binary(b"\x1b[31mred escape\x1b[0m"));
    }

    #[test]
    fn hex_dump_matches_hexdump_c() {
        let lines = hex_dump(b"0123456789abcdefXYZ\x00", 10);
        assert_eq!(
            lines[0],
            "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|"
        );
        assert!(lines[1].starts_with("00000010  58 59 5a 00"));
        assert!(lines[1].ends_with("|XYZ.|"));
        let long = hex_dump(&[0u8; 100], 2);
        assert_eq!(long.len(), 3);
        assert_eq!(long[2], "… 68 more bytes");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn dangerous(c: char) -> bool {
            let u = c as u32;
            u < 0x20
                || u == 0x7f
                || (0x80..0xa0).contains(&u)
                || (0x202a..=0x202e).contains(&u)
                || (0x2066..=0x2069).contains(&u)
        }

        proptest! {
            #[test]
            fn no_control_character_survives_escaping(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
                let text = escape_bytes(&bytes);
                prop_assert!(!text.chars().any(dangerous), "{text:?}");
                let shown = preview(&bytes, 40);
                prop_assert!(!shown.chars().any(dangerous), "{shown:?}");
            }

            #[test]
            fn no_control_character_survives_in_strings(s in ".*") {
                prop_assert!(!escape_str(&s).chars().any(dangerous));
            }

            // The ASCII fast paths cut and fit exactly as the char-by-char reading does.
            #[test]
            fn previews_cut_as_char_by_char(
                bytes in prop::collection::vec(prop_oneof![32u8..127, any::<u8>()], 0..300),
                max in 0usize..120,
            ) {
                let head = &bytes[..bytes.len().min(max * 4)];
                let escaped = escape_bytes(head);
                let mut expected: String = escaped.chars().take(max).collect();
                if escaped.chars().count() > max || head.len() < bytes.len() {
                    expected.push('…');
                }
                prop_assert_eq!(preview(&bytes, max), expected);
            }

            #[test]
            fn fitting_cuts_as_by_columns(s in "[ -~]{0,60}|.{0,30}", columns in 0usize..50) {
                prop_assert_eq!(fit(&s, columns), fit_by_columns(&s, columns));
            }

            // A JSON value's list line: the head of its compact form, however long it is.
            #[test]
            fn a_long_json_value_shows_the_head_of_its_compact_form(
                words in prop::collection::vec("[a-zé ]{0,12}", 1..400),
                max in 1usize..80,
            ) {
                let pretty = serde_json::to_string_pretty(&words).unwrap();
                let compact = serde_json::to_string(&words).unwrap();
                let mut expected: String = compact.chars().take(max).collect();
                if compact.chars().count() > max {
                    expected.push('…');
                }
                let shown = one_line(pretty.as_bytes(), max);
                // The head compacted may hold fewer characters than `max` (then it is cut
                // sooner), never others.
                let shown_text = shown.trim_end_matches('…');
                prop_assert!(expected.starts_with(shown_text), "{shown:?} vs {expected:?}");
                prop_assert_eq!(shown.ends_with('…'), expected.ends_with('…'));
            }
        }
    }
}
