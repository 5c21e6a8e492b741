//! What people search records for: a plain substring, or `/regex/`. The browser's filter, the
//! whole-topic search and `kview copy --filter` read it the same way.

use regex::Regex;

use crate::kafka::Message;

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

    /// Whether any of these texts matches.
    pub fn matches_any<'t>(&self, texts: impl IntoIterator<Item = &'t str>) -> bool {
        texts.into_iter().any(|t| match self {
            Filter::Substring(s) => t.contains(s.as_str()),
            Filter::Regex(r) => r.is_match(t),
        })
    }

    /// Whether the record's key or value, read as text (lossy for binary data), matches.
    pub fn matches_record(&self, m: &Message) -> bool {
        let texts = [&m.key, &m.value].map(|b| b.as_deref().map(String::from_utf8_lossy));
        self.matches_any(texts.iter().flatten().map(|t| t.as_ref()))
    }

    pub fn text(&self) -> String {
        match self {
            Filter::Substring(s) => s.clone(),
            Filter::Regex(r) => format!("/{}/", r.as_str()),
        }
    }
}

impl std::str::FromStr for Filter {
    type Err = String;

    /// For the command line, where an empty filter is a mistake.
    fn from_str(s: &str) -> Result<Self, String> {
        Filter::parse(s)?.ok_or_else(|| "the filter is empty".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_make_a_regex_and_anything_else_a_substring() {
        let re: Filter = "/^id-[0-9]+$/".parse().unwrap();
        assert!(re.matches_any(["id-42"]));
        assert!(!re.matches_any(["xid-42"]));
        let sub: Filter = "/x".parse().unwrap();
        assert!(sub.matches_any(["a/xb"]));
        assert!(
            "/(/"
                .parse::<Filter>()
                .unwrap_err()
                .starts_with("invalid regex")
        );
        assert!("".parse::<Filter>().is_err());
    }
}
