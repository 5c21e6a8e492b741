//! Masking: a profile's rules hide fields (JSON paths) or text (a regex) of the records of the
//! topics they name, wherever kview shows or writes records — the browser and its detail, the
//! topic search, `consume` and saved files. What is hidden reads `•••`.
//!
//! ```toml
//! [[clusters.prod.mask]]
//! topics = "payments.*"                  # a regex over the whole topic name
//! json_paths = ["$.card", "$.customer.ssn"]
//! regex = "\\d{4}-\\d{4}-\\d{4}-\\d{4}"  # over keys, values and header values
//! on = ["value", "headers"]              # where the rule looks (default: all three)
//! enforce = true                         # --no-mask cannot lift it
//! ```
//!
//! A value that a rule with JSON paths cannot read (binary, or written with a schema that is not
//! loaded yet) is hidden whole: what kview cannot check, it does not show.

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value as Json;
use serde_json_path::JsonPath;

use crate::kafka::Message;
use crate::schema::Shown;

/// What a masked field or match reads.
pub const MASKED: &str = "•••";

/// A rule as a profile writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskRuleConfig {
    pub topics: String,
    #[serde(default)]
    pub json_paths: Vec<String>,
    pub regex: Option<String>,
    pub on: Option<Vec<String>>,
    #[serde(default)]
    pub enforce: bool,
}

#[derive(Debug)]
struct Rule {
    config: MaskRuleConfig,
    topics: regex::Regex,
    paths: Vec<JsonPath>,
    /// Over bytes (keys, values and headers that are not JSON) and over JSON's text leaves.
    bytes_regex: Option<regex::bytes::Regex>,
    text_regex: Option<regex::Regex>,
    key: bool,
    value: bool,
    headers: bool,
}

/// The rules of one cluster.
#[derive(Debug, Clone, Default)]
pub struct Masking {
    rules: Vec<Arc<Rule>>,
}

impl PartialEq for Masking {
    fn eq(&self, other: &Self) -> bool {
        configs(&self.rules) == configs(&other.rules)
    }
}

impl Eq for Masking {}

fn configs(rules: &[Arc<Rule>]) -> Vec<&MaskRuleConfig> {
    rules.iter().map(|r| &r.config).collect()
}

impl Masking {
    /// Compiles a profile's rules; an error names the rule (from 1) and what is wrong.
    pub fn compile(configs: &[MaskRuleConfig]) -> Result<Self, String> {
        let rules = configs
            .iter()
            .enumerate()
            .map(|(i, c)| compile(c).map_err(|e| format!("mask rule {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Masking {
            rules: rules.into_iter().map(Arc::new).collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// `--no-mask`: drops the rules the profile does not enforce. Returns (lifted, kept).
    pub fn lift(&mut self) -> (usize, usize) {
        let before = self.rules.len();
        self.rules.retain(|r| r.config.enforce);
        (before - self.rules.len(), self.rules.len())
    }

    /// The rules that apply to `topic`.
    pub fn for_topic(&self, topic: &str) -> TopicMask {
        TopicMask {
            rules: self
                .rules
                .iter()
                .filter(|r| r.topics.is_match(topic))
                .cloned()
                .collect(),
        }
    }
}

fn compile(c: &MaskRuleConfig) -> Result<Rule, String> {
    let topics = regex::Regex::new(&format!("^(?:{})$", c.topics))
        .map_err(|e| format!("topics {:?} is not a regex: {e}", c.topics))?;
    let paths = c
        .json_paths
        .iter()
        .map(|p| JsonPath::parse(p).map_err(|e| format!("json path {p:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (bytes_regex, text_regex) = match &c.regex {
        Some(r) => (
            Some(regex::bytes::Regex::new(r).map_err(|e| format!("regex {r:?}: {e}"))?),
            Some(regex::Regex::new(r).map_err(|e| format!("regex {r:?}: {e}"))?),
        ),
        None => (None, None),
    };
    if paths.is_empty() && bytes_regex.is_none() {
        return Err("give json_paths, a regex, or both".into());
    }
    let on =
        c.on.clone()
            .unwrap_or_else(|| ["key", "value", "headers"].map(str::to_owned).to_vec());
    for side in &on {
        if !["key", "value", "headers"].contains(&side.as_str()) {
            return Err(format!("on: {side:?} is not key, value or headers"));
        }
    }
    let has = |side: &str| on.iter().any(|s| s == side);
    Ok(Rule {
        config: c.clone(),
        topics,
        paths,
        bytes_regex,
        text_regex,
        key: has("key"),
        value: has("value"),
        headers: has("headers"),
    })
}

/// The rules that apply to one topic's records.
#[derive(Debug, Clone, Default)]
pub struct TopicMask {
    rules: Vec<Arc<Rule>>,
}

impl PartialEq for TopicMask {
    fn eq(&self, other: &Self) -> bool {
        configs(&self.rules) == configs(&other.rules)
    }
}

impl Eq for TopicMask {}

#[derive(Clone, Copy)]
enum Side {
    Key,
    Value,
    Headers,
}

impl TopicMask {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Masks a record in place — key, value, header values and what a schema decoded of them;
    /// true when anything changed. Bytes a schema decoded are replaced by the masked JSON, so
    /// no view of the raw bytes shows what the decoded form hides.
    pub fn apply(&self, m: &mut Message, key: &mut Shown, value: &mut Shown) -> bool {
        if self.rules.is_empty() {
            return false;
        }
        let mut changed = self.side(Side::Key, &mut m.key, key);
        changed |= self.side(Side::Value, &mut m.value, value);
        for h in &mut m.headers {
            changed |= self.side(Side::Headers, &mut h.value, &mut Shown::Plain);
        }
        changed
    }

    /// [`TopicMask::apply`] for a record shown without schemas.
    pub fn apply_plain(&self, m: &mut Message) -> bool {
        self.apply(m, &mut Shown::Plain, &mut Shown::Plain)
    }

    fn side(&self, side: Side, bytes: &mut Option<Bytes>, shown: &mut Shown) -> bool {
        let rules: Vec<&Rule> = self
            .rules
            .iter()
            .map(Arc::as_ref)
            .filter(|r| match side {
                Side::Key => r.key,
                Side::Value => r.value,
                Side::Headers => r.headers,
            })
            .collect();
        if rules.is_empty() {
            return false;
        }
        let Some(raw) = bytes.as_ref() else {
            return false;
        };
        if let Shown::Decoded(d) = shown {
            if !mask_json(&rules, &mut d.json) {
                return false;
            }
            *bytes = Some(Bytes::from(serde_json::to_vec(&d.json).unwrap_or_default()));
            return true;
        }
        let wants_paths = rules.iter().any(|r| !r.paths.is_empty());
        let written_with_schema = !matches!(shown, Shown::Plain);
        match serde_json::from_slice::<Json>(raw) {
            Ok(mut json) if !written_with_schema && (json.is_object() || json.is_array()) => {
                if !mask_json(&rules, &mut json) {
                    return false;
                }
                *bytes = Some(Bytes::from(serde_json::to_vec(&json).unwrap_or_default()));
                true
            }
            // Text that is not JSON has no fields; bytes kview cannot read (binary, or framed
            // for a schema it has not loaded) might: they are not shown at all.
            _ if wants_paths && (written_with_schema || unreadable(raw)) => {
                *bytes = Some(Bytes::from_static(MASKED.as_bytes()));
                true
            }
            _ => {
                let mut out = raw.clone();
                for r in &rules {
                    if let Some(re) = &r.bytes_regex
                        && re.is_match(&out)
                    {
                        out = Bytes::from(re.replace_all(&out, MASKED.as_bytes()).into_owned());
                    }
                }
                let changed = out != *raw;
                *bytes = Some(out);
                changed
            }
        }
    }
}

/// Binary, or framed as a schema registry's serializers frame (a zero byte first).
fn unreadable(raw: &[u8]) -> bool {
    raw.first() == Some(&0) || std::str::from_utf8(raw).is_err()
}

/// Masks the fields the rules' paths name and the text their regexes match (in strings and
/// numbers); true when anything changed.
fn mask_json(rules: &[&Rule], json: &mut Json) -> bool {
    let mut changed = false;
    for rule in rules {
        for path in &rule.paths {
            let pointers: Vec<String> = path
                .query_located(json)
                .locations()
                .map(|p| p.to_json_pointer())
                .collect();
            for pointer in pointers {
                if let Some(node) = json.pointer_mut(&pointer)
                    && node.as_str() != Some(MASKED)
                {
                    *node = MASKED.into();
                    changed = true;
                }
            }
        }
        if let Some(re) = &rule.text_regex {
            changed |= mask_leaves(re, json);
        }
    }
    changed
}

fn mask_leaves(re: &regex::Regex, json: &mut Json) -> bool {
    match json {
        Json::String(s) if re.is_match(s) => {
            *s = re.replace_all(s, MASKED).into_owned();
            true
        }
        Json::Number(n) if re.is_match(&n.to_string()) => {
            *json = re.replace_all(&n.to_string(), MASKED).into_owned().into();
            true
        }
        Json::Array(items) => items
            .iter_mut()
            .fold(false, |c, item| mask_leaves(re, item) | c),
        Json::Object(fields) => fields
            .values_mut()
            .fold(false, |c, item| mask_leaves(re, item) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::records::TxnMark;
    use crate::kafka::{Header, TimestampType};

    fn rule(topics: &str, paths: &[&str], regex: Option<&str>) -> MaskRuleConfig {
        MaskRuleConfig {
            topics: topics.into(),
            json_paths: paths.iter().map(|p| p.to_string()).collect(),
            regex: regex.map(str::to_owned),
            on: None,
            enforce: false,
        }
    }

    fn record(key: &[u8], value: &[u8], header: &[u8]) -> Message {
        Message {
            partition: 0,
            offset: 0,
            timestamp_ms: 0,
            timestamp_type: TimestampType::CreateTime,
            key: Some(Bytes::copy_from_slice(key)),
            value: Some(Bytes::copy_from_slice(value)),
            headers: vec![Header {
                name: Bytes::from_static(b"h"),
                value: Some(Bytes::copy_from_slice(header)),
            }],
            producer_id: -1,
            txn: TxnMark::None,
        }
    }

    fn text(b: &Option<Bytes>) -> String {
        String::from_utf8_lossy(b.as_deref().unwrap()).into_owned()
    }

    #[test]
    fn json_paths_hide_fields_and_leave_the_rest() {
        let masking =
            Masking::compile(&[rule("payments.*", &["$.card", "$.customer.ssn"], None)]).unwrap();
        let mask = masking.for_topic("payments-eu");
        let mut m = record(
            b"k",
            br#"{"card":"4111111111111111","customer":{"ssn":"123-45-6789","name":"Ann"},"n":1}"#,
            b"plain",
        );
        assert!(mask.apply_plain(&mut m));
        let v: Json = serde_json::from_slice(m.value.as_deref().unwrap()).unwrap();
        assert_eq!(v["card"], MASKED);
        assert_eq!(v["customer"]["ssn"], MASKED);
        assert_eq!(v["customer"]["name"], "Ann");
        assert_eq!(text(&m.key), "k");
        assert!(masking.for_topic("orders").is_empty());
        assert!(
            masking.for_topic("my-payments").is_empty(),
            "the whole name"
        );
    }

    #[test]
    fn a_value_the_paths_cannot_read_is_hidden_whole() {
        let masking = Masking::compile(&[rule(".*", &["$.card"], None)]).unwrap();
        let mut m = record(b"k", b"\x00\x00\x00\x00\x07binary 4111", b"h");
        assert!(masking.for_topic("t").apply_plain(&mut m));
        assert_eq!(text(&m.value), MASKED);
    }

    #[test]
    fn a_regex_hides_matches_in_keys_values_headers_and_json_numbers() {
        let masking = Masking::compile(&[rule(".*", &[], Some(r"4111\d{12}"))]).unwrap();
        let mut m = record(
            b"card-4111111111111111",
            br#"{"n":4111111111111111,"s":"x 4111111111111111 y"}"#,
            b"4111111111111111",
        );
        assert!(masking.for_topic("t").apply_plain(&mut m));
        assert_eq!(text(&m.key), "card-•••");
        let v: Json = serde_json::from_slice(m.value.as_deref().unwrap()).unwrap();
        assert_eq!(v["n"], MASKED);
        assert_eq!(v["s"], "x ••• y");
        assert_eq!(text(&m.headers[0].value), MASKED);
    }

    #[test]
    fn decoded_values_are_masked_after_decoding_and_their_bytes_follow() {
        let masking = Masking::compile(&[rule(".*", &["$.card"], None)]).unwrap();
        let mut m = record(b"k", b"\x00\x00\x00\x00\x01avro 4111", b"h");
        let mut value = Shown::Decoded(Box::new(crate::schema::Decoded {
            json: serde_json::json!({"card": "4111", "amount": 3}),
            schema_id: 1,
            kind: crate::schema::SchemaKind::Avro,
            subject: None,
            described: String::new(),
            message: None,
        }));
        assert!(
            masking
                .for_topic("t")
                .apply(&mut m, &mut Shown::Plain, &mut value)
        );
        let Shown::Decoded(d) = &value else {
            panic!("still decoded")
        };
        assert_eq!(d.json["card"], MASKED);
        assert!(!text(&m.value).contains("4111"));
    }

    #[test]
    fn no_mask_lifts_only_what_is_not_enforced() {
        let mut enforced = rule("a", &[], Some("x"));
        enforced.enforce = true;
        let mut masking = Masking::compile(&[rule("b", &[], Some("x")), enforced]).unwrap();
        assert_eq!(masking.lift(), (1, 1));
        assert!(!masking.for_topic("a").is_empty());
        assert!(masking.for_topic("b").is_empty());
    }

    #[test]
    fn bad_rules_say_which_and_why() {
        let e = Masking::compile(&[rule("ok", &["card"], None)]).unwrap_err();
        assert!(e.starts_with("mask rule 1: json path \"card\""), "{e}");
        let e = Masking::compile(&[rule("(", &[], Some("x"))]).unwrap_err();
        assert!(e.contains("topics \"(\" is not a regex"), "{e}");
        let e = Masking::compile(&[rule("t", &[], None)]).unwrap_err();
        assert!(e.contains("give json_paths, a regex, or both"), "{e}");
    }
}
