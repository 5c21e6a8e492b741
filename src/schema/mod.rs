//! Records written with a schema registry: the Confluent wire format, schemas fetched by id and
//! compiled once, and values turned into JSON (and JSON into values) for Avro, Protobuf and JSON
//! Schema. Looking a schema up is I/O (`registry`); deciding what a record shows is a pure
//! function of the bytes and the `SchemaBook`, so the dashboard's update step can call it.

pub mod avro;
pub mod json_schema;
pub mod protobuf;
pub mod registry;
pub mod wire;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use self::avro::AvroSchema;
use self::json_schema::JsonSchema;
use self::protobuf::ProtoSchema;
pub use self::registry::{RawSchema, Registry, RegistryError, SchemaKind};

/// How long a failed look-up stands before it is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(15);

/// How a key or value is read (`--key-format`, `--value-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// Decoded with the registry when it starts with the wire format's magic byte and the
    /// registry knows its id; shown as it is otherwise.
    #[default]
    Auto,
    Avro,
    Protobuf,
    JsonSchema,
    /// Never decoded: text as text, other bytes escaped.
    String,
    Bytes,
}

impl FromStr for DataFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" => DataFormat::Auto,
            "avro" => DataFormat::Avro,
            "protobuf" | "proto" => DataFormat::Protobuf,
            "json-schema" | "jsonschema" | "json" => DataFormat::JsonSchema,
            "string" | "text" => DataFormat::String,
            "bytes" | "raw" => DataFormat::Bytes,
            _ => {
                return Err(format!(
                    "unknown format {s:?} (auto, avro, protobuf, json-schema, string, bytes)"
                ));
            }
        })
    }
}

impl DataFormat {
    fn expects(self) -> Option<SchemaKind> {
        match self {
            DataFormat::Avro => Some(SchemaKind::Avro),
            DataFormat::Protobuf => Some(SchemaKind::Protobuf),
            DataFormat::JsonSchema => Some(SchemaKind::Json),
            _ => None,
        }
    }
}

/// A schema ready to read and write with.
#[derive(Debug)]
pub enum Compiled {
    Avro(AvroSchema),
    Protobuf(ProtoSchema),
    Json(JsonSchema),
}

/// A registry schema, compiled, with where it was registered.
#[derive(Debug)]
pub struct LoadedSchema {
    pub id: u32,
    pub kind: SchemaKind,
    /// The subjects and versions that registered it (one schema may serve many topics).
    pub subjects: Vec<(String, i32)>,
    pub compiled: Compiled,
}

impl LoadedSchema {
    /// Decodes the bytes after the magic byte and id; Protobuf also names its message type.
    pub fn decode(&self, payload: &[u8]) -> Result<(Json, Option<String>), String> {
        match &self.compiled {
            Compiled::Avro(s) => s.decode(payload).map(|j| (j, None)),
            Compiled::Protobuf(s) => s.decode(payload).map(|(j, name)| (j, Some(name))),
            Compiled::Json(_) => JsonSchema::decode(payload).map(|j| (j, None)),
        }
    }

    /// The framed bytes (magic byte, id, payload) of a JSON value; `message` picks a Protobuf
    /// message other than the file's first.
    pub fn encode(&self, json: &Json, message: Option<&str>) -> Result<Vec<u8>, String> {
        let payload = match &self.compiled {
            Compiled::Avro(s) => s.encode(json)?,
            Compiled::Protobuf(s) => s.encode(json, &s.message(message)?)?,
            Compiled::Json(s) => s.encode(json)?,
        };
        Ok(wire::frame(self.id, &payload))
    }

    /// The subject a record of `preferred` (by Kafka's default naming, "TOPIC-value") was most
    /// likely written under: that one when it registered this schema, else the first.
    pub fn subject_for(&self, preferred: &str) -> Option<&(String, i32)> {
        self.subjects
            .iter()
            .find(|(s, _)| s == preferred)
            .or(self.subjects.first())
    }

    /// "avro · orders-value v3 · id 7" for the detail pane and errors.
    pub fn describe(&self, preferred: &str) -> String {
        match self.subject_for(preferred) {
            Some((subject, version)) => {
                format!(
                    "{} · {subject} v{version} · id {}",
                    self.kind.name(),
                    self.id
                )
            }
            None => format!("{} · id {}", self.kind.name(), self.id),
        }
    }
}

/// Fetches the schema with this id and what it references, and compiles it. Blocking.
pub fn load(registry: &Registry, id: u32) -> Result<LoadedSchema, String> {
    let raw = registry.schema_by_id(id).map_err(|e| e.to_string())?;
    let compiled = compile(registry, &raw).map_err(|e| format!("schema id {id}: {e}"))?;
    // Where it was registered is for people; a registry without the endpoint still decodes.
    let subjects = registry.versions_of_id(id).unwrap_or_default();
    Ok(LoadedSchema {
        id,
        kind: raw.kind,
        subjects,
        compiled,
    })
}

/// Which schema to write with: a subject's version (the latest when None), or an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChoice {
    Subject { name: String, version: Option<i32> },
    Id(u32),
}

impl FromStr for SchemaChoice {
    type Err = String;
    /// `SUBJECT`, `SUBJECT@VERSION`, or `id:N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(id) = s.strip_prefix("id:") {
            return id
                .trim()
                .parse()
                .map(SchemaChoice::Id)
                .map_err(|_| format!("schema id {id:?} is not a number"));
        }
        match s.rsplit_once('@') {
            Some((name, version)) if !name.is_empty() => Ok(SchemaChoice::Subject {
                name: name.to_owned(),
                version: Some(
                    version
                        .parse()
                        .map_err(|_| format!("version {version:?} of {name} is not a number"))?,
                ),
            }),
            _ if s.is_empty() => Err("no subject given".to_owned()),
            _ => Ok(SchemaChoice::Subject {
                name: s.to_owned(),
                version: None,
            }),
        }
    }
}

/// Fetches the chosen schema and compiles it. Blocking.
pub fn load_choice(registry: &Registry, choice: &SchemaChoice) -> Result<LoadedSchema, String> {
    match choice {
        SchemaChoice::Subject { name, version } => load_subject(registry, name, *version),
        SchemaChoice::Id(id) => load(registry, *id),
    }
}

/// Fetches a subject's version (the latest when None) and compiles it. Blocking.
pub fn load_subject(
    registry: &Registry,
    subject: &str,
    version: Option<i32>,
) -> Result<LoadedSchema, String> {
    let found = registry
        .subject_version(subject, version)
        .map_err(|e| e.to_string())?;
    let compiled = compile(registry, &found.schema)
        .map_err(|e| format!("subject {subject} v{}: {e}", found.version))?;
    Ok(LoadedSchema {
        id: found.id,
        kind: found.schema.kind,
        subjects: vec![(found.subject, found.version)],
        compiled,
    })
}

/// References are other subjects' versions, fetched depth first so each comes after what it
/// needs (Avro parses them in that order).
fn compile(registry: &Registry, raw: &RawSchema) -> Result<Compiled, String> {
    let mut references: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    gather_references(registry, &raw.references, &mut references, &mut seen, 0)?;
    match raw.kind {
        SchemaKind::Avro => {
            let texts: Vec<String> = references.into_iter().map(|(_, t)| t).collect();
            AvroSchema::parse(&raw.text, &texts)
                .map(Compiled::Avro)
                .map_err(|e| format!("the Avro schema does not parse: {e}"))
        }
        SchemaKind::Protobuf => {
            ProtoSchema::compile(&raw.text, &references).map(Compiled::Protobuf)
        }
        SchemaKind::Json => JsonSchema::compile(&raw.text).map(Compiled::Json),
    }
}

fn gather_references(
    registry: &Registry,
    wanted: &[registry::Reference],
    out: &mut Vec<(String, String)>,
    seen: &mut std::collections::HashSet<(String, i32)>,
    depth: usize,
) -> Result<(), String> {
    if depth > 32 {
        return Err("schema references nest deeper than 32".to_owned());
    }
    for reference in wanted {
        if !seen.insert((reference.subject.clone(), reference.version)) {
            continue;
        }
        let found = registry
            .subject_version(&reference.subject, Some(reference.version))
            .map_err(|e| format!("reference {}: {e}", reference.name))?;
        gather_references(registry, &found.schema.references, out, seen, depth + 1)?;
        out.push((reference.name.clone(), found.schema.text));
    }
    Ok(())
}

/// A subject as the `:schemas` list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSummary {
    pub name: String,
    pub kind: SchemaKind,
    pub versions: usize,
    pub latest: i32,
    pub latest_id: u32,
}

/// One version of a subject, with its text as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionText {
    pub version: i32,
    pub id: u32,
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<String>,
}

/// A subject's versions (newest last) and compatibility level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectDetail {
    pub name: String,
    pub compatibility: String,
    pub versions: Vec<VersionText>,
}

/// The most versions of one subject fetched for the `:schemas` view (the newest ones).
pub const VERSIONS_SHOWN: usize = 50;

/// Every subject with its latest version, and the registry's compatibility level. Blocking.
pub fn subjects(registry: &Registry) -> Result<(String, Vec<SubjectSummary>), String> {
    let compatibility = registry.compatibility(None).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for name in registry.subjects().map_err(|e| e.to_string())? {
        let versions = registry.versions(&name).map_err(|e| e.to_string())?;
        let latest = registry
            .subject_version(&name, None)
            .map_err(|e| e.to_string())?;
        out.push(SubjectSummary {
            name,
            kind: latest.schema.kind,
            versions: versions.len(),
            latest: latest.version,
            latest_id: latest.id,
        });
    }
    Ok((compatibility, out))
}

/// A subject's newest versions with their texts, and its compatibility level. Blocking.
pub fn subject_detail(registry: &Registry, name: &str) -> Result<SubjectDetail, String> {
    let all = registry.versions(name).map_err(|e| e.to_string())?;
    let compatibility = registry
        .compatibility(Some(name))
        .map_err(|e| e.to_string())?;
    let mut versions = Vec::new();
    for v in all.iter().skip(all.len().saturating_sub(VERSIONS_SHOWN)) {
        let found = registry
            .subject_version(name, Some(*v))
            .map_err(|e| e.to_string())?;
        versions.push(VersionText {
            version: found.version,
            id: found.id,
            kind: found.schema.kind,
            text: readable_text(found.schema.kind, &found.schema.text),
            references: found
                .schema
                .references
                .iter()
                .map(|r| format!("{} ({} v{})", r.name, r.subject, r.version))
                .collect(),
        });
    }
    Ok(SubjectDetail {
        name: name.to_owned(),
        compatibility,
        versions,
    })
}

/// A schema's text as people read it: JSON pretty-printed, `.proto` text as written, and a
/// base64 descriptor (as Confluent's clients register them) spelled out as `.proto`.
pub fn readable_text(kind: SchemaKind, text: &str) -> String {
    match kind {
        SchemaKind::Avro | SchemaKind::Json => serde_json::from_str::<Json>(text)
            .ok()
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
            .unwrap_or_else(|| text.to_owned()),
        SchemaKind::Protobuf => {
            protobuf::descriptor_as_proto(text).unwrap_or_else(|| text.to_owned())
        }
    }
}

/// A book that fetches what it lacks: for readers that may wait on the registry (`consume`, a
/// topic search), unlike the dashboard's browser, which asks in the background.
pub struct SchemaReader {
    registry: Option<Registry>,
    book: SchemaBook,
}

impl SchemaReader {
    pub fn new(registry: Option<Registry>) -> Self {
        SchemaReader {
            book: SchemaBook::new(registry.is_some()),
            registry,
        }
    }

    /// What `bytes` show as `format`, after fetching their schema if it is new (or failed a
    /// while ago).
    pub async fn show(&mut self, format: DataFormat, bytes: &[u8], subject: &str) -> Shown {
        self.learn(format, bytes).await;
        self.book.show(format, bytes, subject)
    }

    /// Fetches the schema `bytes` name when it is new (or failed a while ago). A reader of
    /// millions of records calls this and then [`SchemaReader::known`]: most records need no
    /// fetch, and an `await` per record moved a large future each time.
    pub async fn learn(&mut self, format: DataFormat, bytes: &[u8]) {
        // Without a registry there is nothing to fetch, and no clock to read per record.
        if let Some(registry) = &self.registry
            && let Some(id) = self.book.wanted(format, bytes, Instant::now())
        {
            let registry = registry.clone();
            let loaded = tokio::task::spawn_blocking(move || load(&registry, id))
                .await
                .unwrap_or_else(|e| Err(format!("schema look-up failed: {e}")));
            self.book.insert(id, loaded.map(Arc::new), Instant::now());
        }
    }

    /// Whether [`SchemaReader::learn`] has anything to do for `bytes`.
    pub fn lacks(&self, format: DataFormat, bytes: &[u8]) -> bool {
        self.registry.is_some() && self.book.wanted(format, bytes, Instant::now()).is_some()
    }

    /// What `bytes` show with the schemas learnt so far.
    pub fn known(&self, format: DataFormat, bytes: &[u8], subject: &str) -> Shown {
        self.book.show(format, bytes, subject)
    }
}

/// A key or value read with a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub json: Json,
    pub schema_id: u32,
    pub kind: SchemaKind,
    /// A subject and version that registered the schema.
    pub subject: Option<(String, i32)>,
    /// "avro · orders-value v3 · id 7"
    pub described: String,
    /// The Protobuf message type.
    pub message: Option<String>,
}

/// What a key or value shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// Its bytes, as they are (not written with a schema, or asked not to decode).
    Plain,
    /// Boxed: most records are plain, and a row of the browser's ring holds two of these.
    Decoded(Box<Decoded>),
    /// Its schema is being fetched; the bytes show meanwhile.
    Pending { schema_id: u32 },
    /// It could not be read with a schema: the bytes show, with why.
    Failed {
        schema_id: Option<u32>,
        reason: String,
    },
}

impl Shown {
    /// A short note for the list and the detail pane.
    pub fn note(&self) -> Option<String> {
        match self {
            Shown::Plain => None,
            Shown::Decoded(d) => Some(d.described.clone()),
            Shown::Pending { schema_id } => Some(format!("schema id {schema_id} loading…")),
            Shown::Failed { reason, .. } => Some(reason.clone()),
        }
    }
}

#[derive(Debug, Clone)]
enum Entry {
    Loading,
    Ready(Arc<LoadedSchema>),
    Failed { reason: String, at: Instant },
}

/// The schemas known by id, for reading records. Cloning shares the compiled schemas.
#[derive(Debug, Clone, Default)]
pub struct SchemaBook {
    /// Whether a registry is configured at all.
    pub configured: bool,
    entries: HashMap<u32, Entry>,
}

impl SchemaBook {
    pub fn new(configured: bool) -> Self {
        SchemaBook {
            configured,
            entries: HashMap::new(),
        }
    }

    /// The schema id these bytes need fetched now, if any (unknown, or failed a while ago).
    pub fn wanted(&self, format: DataFormat, bytes: &[u8], now: Instant) -> Option<u32> {
        if !self.configured || matches!(format, DataFormat::String | DataFormat::Bytes) {
            return None;
        }
        let id = wire::unframe(bytes)?.schema_id;
        match self.entries.get(&id) {
            None => Some(id),
            Some(Entry::Failed { at, .. }) if now.duration_since(*at) >= RETRY_AFTER => Some(id),
            _ => None,
        }
    }

    pub fn mark_loading(&mut self, id: u32) {
        self.entries.insert(id, Entry::Loading);
    }

    pub fn insert(&mut self, id: u32, result: Result<Arc<LoadedSchema>, String>, now: Instant) {
        let entry = match result {
            Ok(schema) => Entry::Ready(schema),
            Err(reason) => Entry::Failed { reason, at: now },
        };
        self.entries.insert(id, entry);
    }

    pub fn get(&self, id: u32) -> Option<&Arc<LoadedSchema>> {
        match self.entries.get(&id) {
            Some(Entry::Ready(s)) => Some(s),
            _ => None,
        }
    }

    /// What these bytes show when read as `format`; `subject` is the one the record's topic
    /// would use ("TOPIC-value"), named when the schema was registered under it.
    pub fn show(&self, format: DataFormat, bytes: &[u8], subject: &str) -> Shown {
        if matches!(format, DataFormat::String | DataFormat::Bytes) {
            return Shown::Plain;
        }
        let explicit = format.expects();
        let Some(framed) = wire::unframe(bytes) else {
            return match explicit {
                Some(kind) => Shown::Failed {
                    schema_id: None,
                    reason: format!("not {}: {}", kind.name(), wire::why_not_framed(bytes)),
                },
                None => Shown::Plain,
            };
        };
        let id = framed.schema_id;
        if !self.configured {
            return match explicit {
                Some(_) => Shown::Failed {
                    schema_id: Some(id),
                    reason: format!(
                        "schema id {id}: no schema registry configured (--schema-registry URL, or schema_registry in the profile)"
                    ),
                },
                None => Shown::Plain,
            };
        }
        let schema = match self.entries.get(&id) {
            None | Some(Entry::Loading) => return Shown::Pending { schema_id: id },
            Some(Entry::Failed { reason, .. }) => {
                return Shown::Failed {
                    schema_id: Some(id),
                    reason: reason.clone(),
                };
            }
            Some(Entry::Ready(schema)) => schema,
        };
        if let Some(kind) = explicit
            && kind != schema.kind
        {
            return Shown::Failed {
                schema_id: Some(id),
                reason: format!(
                    "schema id {id} is {}, not {}",
                    schema.kind.name(),
                    kind.name()
                ),
            };
        }
        match schema.decode(framed.payload) {
            Ok((json, message)) => Shown::Decoded(Box::new(Decoded {
                json,
                schema_id: id,
                kind: schema.kind,
                subject: schema.subject_for(subject).cloned(),
                described: match &message {
                    Some(m) => format!("{} · {m}", schema.describe(subject)),
                    None => schema.describe(subject),
                },
                message,
            })),
            Err(reason) => Shown::Failed {
                schema_id: Some(id),
                reason: format!("{}: {reason}", schema.describe(subject)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SchemaBook {
        fn show_t(&self, format: DataFormat, bytes: &[u8]) -> Shown {
            self.show(format, bytes, "t-value")
        }
    }

    fn avro_book() -> SchemaBook {
        let mut book = SchemaBook::new(true);
        let schema = AvroSchema::parse(
            r#"{"type": "record", "name": "T", "fields": [{"name": "n", "type": "long"}]}"#,
            &[],
        )
        .unwrap();
        book.insert(
            7,
            Ok(Arc::new(LoadedSchema {
                id: 7,
                kind: SchemaKind::Avro,
                subjects: vec![("other-value".into(), 1), ("t-value".into(), 2)],
                compiled: Compiled::Avro(schema),
            })),
            Instant::now(),
        );
        book
    }

    #[test]
    fn decodes_framed_values_it_knows_and_leaves_others_plain() {
        let book = avro_book();
        let framed = book
            .get(7)
            .unwrap()
            .encode(&serde_json::json!({"n": 5}), None)
            .unwrap();
        assert_eq!(framed, [0, 0, 0, 0, 7, 10]);
        match book.show_t(DataFormat::Auto, &framed) {
            Shown::Decoded(d) => {
                assert_eq!(d.json, serde_json::json!({"n": 5}));
                assert_eq!(d.described, "avro · t-value v2 · id 7");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(book.show_t(DataFormat::Auto, b"{\"n\":5}"), Shown::Plain);
        assert_eq!(book.show_t(DataFormat::String, &framed), Shown::Plain);
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        let book = avro_book();
        let reason = |shown: Shown| match shown {
            Shown::Failed { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert!(reason(book.show_t(DataFormat::Avro, b"{\"n\":5}")).contains("magic byte 0x7b"));
        assert!(
            reason(book.show_t(DataFormat::Protobuf, &[0, 0, 0, 0, 7, 10]))
                .contains("is avro, not protobuf")
        );
        assert!(
            reason(book.show_t(DataFormat::Auto, &[0, 0, 0, 0, 7])).contains("not an Avro value")
        );
        assert!(
            reason(book.show_t(DataFormat::Auto, &[0, 0, 0, 0, 7, 10, 1])).contains("1 bytes left")
        );
        assert_eq!(
            book.show_t(DataFormat::Auto, &[0, 0, 0, 0, 9, 1]),
            Shown::Pending { schema_id: 9 }
        );
        let none = SchemaBook::new(false);
        assert_eq!(
            none.show_t(DataFormat::Auto, &[0, 0, 0, 0, 9, 1]),
            Shown::Plain
        );
        assert!(
            reason(none.show_t(DataFormat::Avro, &[0, 0, 0, 0, 9, 1]))
                .contains("no schema registry")
        );
    }

    #[test]
    fn failures_are_retried_after_a_while() {
        let mut book = SchemaBook::new(true);
        let t0 = Instant::now();
        let framed = [0, 0, 0, 0, 3, 1];
        assert_eq!(book.wanted(DataFormat::Auto, &framed, t0), Some(3));
        book.mark_loading(3);
        assert_eq!(book.wanted(DataFormat::Auto, &framed, t0), None);
        book.insert(3, Err("registry down".into()), t0);
        assert_eq!(
            book.wanted(DataFormat::Auto, &framed, t0 + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            book.wanted(DataFormat::Auto, &framed, t0 + RETRY_AFTER),
            Some(3)
        );
        assert_eq!(book.wanted(DataFormat::Auto, b"plain", t0), None);
    }

    #[test]
    fn schema_choices_parse() {
        assert_eq!(
            "orders-value".parse::<SchemaChoice>().unwrap(),
            SchemaChoice::Subject {
                name: "orders-value".into(),
                version: None
            }
        );
        assert_eq!(
            "orders-value@3".parse::<SchemaChoice>().unwrap(),
            SchemaChoice::Subject {
                name: "orders-value".into(),
                version: Some(3)
            }
        );
        assert_eq!(
            "id:42".parse::<SchemaChoice>().unwrap(),
            SchemaChoice::Id(42)
        );
        assert!("id:x".parse::<SchemaChoice>().is_err());
        assert!("a@b".parse::<SchemaChoice>().is_err());
    }

    #[test]
    fn formats_parse() {
        assert_eq!(
            "json-schema".parse::<DataFormat>().unwrap(),
            DataFormat::JsonSchema
        );
        assert!(
            "xml"
                .parse::<DataFormat>()
                .unwrap_err()
                .contains("auto, avro")
        );
    }
}
