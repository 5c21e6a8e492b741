//! Text with meaning but no colours: each piece says what it is (a heading, a JSON key, ...) and
//! the dashboard's theme decides how that looks. Lets the update step prepare text once, when
//! data arrives, without knowing anything about terminals or themes.

use super::text::escape_str;

/// What a piece of text is; `ui` maps each role to a style of its theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Plain,
    Heading,
    Dim,
    /// Something the reader should notice (a value that could not be decoded).
    Warn,
    JsonKey,
    JsonString,
    JsonNumber,
    JsonLiteral,
}

/// One line of already-escaped text in pieces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StyledLine(pub Vec<(Role, String)>);

impl StyledLine {
    pub fn plain(text: impl Into<String>) -> Self {
        StyledLine(vec![(Role::Plain, text.into())])
    }

    pub fn styled(role: Role, text: impl Into<String>) -> Self {
        StyledLine(vec![(role, text.into())])
    }
}

impl std::fmt::Display for StyledLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|(_, text)| f.write_str(text))
    }
}

/// Pretty JSON with keys, strings, numbers and literals marked; None if not a JSON object or
/// array. Strings are escaped like everything else, so JSON cannot smuggle escape sequences.
pub fn pretty_json(bytes: &[u8]) -> Option<Vec<StyledLine>> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let text = serde_json::to_string_pretty(&value).ok()?;
    Some(text.lines().map(json_line).collect())
}

fn json_line(line: &str) -> StyledLine {
    let mut pieces = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('"') {
            // A JSON string from serde_json: find its closing quote, skipping escapes.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in stripped.char_indices() {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.unwrap_or(stripped.len());
            let literal = &rest[..end + 2.min(rest.len() - end)];
            let after = &rest[literal.len()..];
            let role = if after.trim_start().starts_with(':') {
                Role::JsonKey
            } else {
                Role::JsonString
            };
            pieces.push((role, escape_str(literal)));
            rest = after;
        } else {
            let next = rest.find('"').unwrap_or(rest.len());
            let (plain, after) = rest.split_at(next);
            plain_json_pieces(plain, &mut pieces);
            rest = after;
        }
    }
    StyledLine(pieces)
}

fn plain_json_pieces(text: &str, pieces: &mut Vec<(Role, String)>) {
    let mut word = String::new();
    let flush = |word: &mut String, pieces: &mut Vec<(Role, String)>| {
        if word.is_empty() {
            return;
        }
        let role = if word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Role::JsonNumber
        } else if matches!(word.as_str(), "true" | "false" | "null") {
            Role::JsonLiteral
        } else {
            Role::Plain
        };
        pieces.push((role, std::mem::take(word)));
    };
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '+' | '.') {
            word.push(c);
        } else {
            flush(&mut word, pieces);
            pieces.push((Role::Plain, c.to_string()));
        }
    }
    flush(&mut word, pieces);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_keeps_key_order_marks_roles_and_escapes_strings() {
        let lines = pretty_json(br#"{"z":1,"a":"\u001b[2J","n":null}"#).unwrap();
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(text[1], r#"  "z": 1,"#);
        assert_eq!(text[2], r#"  "a": "\u001b[2J","#);
        assert!(lines[1].0.contains(&(Role::JsonKey, "\"z\"".into())));
        assert!(lines[1].0.contains(&(Role::JsonNumber, "1".into())));
        assert!(lines[3].0.contains(&(Role::JsonLiteral, "null".into())));
        assert!(pretty_json(b"not json").is_none());
        assert!(pretty_json(b"42").is_none());
    }
}
