//! A client of a Confluent-compatible Schema Registry (Confluent's, Apicurio's `ccompat` API,
//! Redpanda's, Karapace): schemas by id, subjects, versions and compatibility. Blocking (ureq);
//! callers run it off the async threads. The password never leaves the `Authorization` header.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// How long one registry request may take before the record is shown raw instead.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What kind of schema a registry entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    Avro,
    Protobuf,
    Json,
}

impl SchemaKind {
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Avro => "avro",
            SchemaKind::Protobuf => "protobuf",
            SchemaKind::Json => "json-schema",
        }
    }

    /// The registry's `schemaType`; absent means Avro.
    fn parse(schema_type: Option<&str>) -> Result<Self, RegistryError> {
        match schema_type.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Ok(SchemaKind::Avro),
            Some("PROTOBUF") => Ok(SchemaKind::Protobuf),
            Some("JSON") => Ok(SchemaKind::Json),
            Some(other) => Err(RegistryError::Other(format!(
                "the registry returned a schema of type {other}, which kview does not read"
            ))),
        }
    }
}

/// Another subject's version that a schema imports (Protobuf) or names (Avro).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSchema {
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    pub schema: RawSchema,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    NotFound(String),
    #[error("schema registry {url} unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{0}")]
    Other(String),
}

#[derive(Deserialize)]
struct SchemaBody {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct VersionBody {
    subject: String,
    version: i32,
    id: u32,
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct SubjectVersionRef {
    subject: String,
    version: i32,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ConfigBody {
    #[serde(rename = "compatibilityLevel", alias = "compatibility")]
    compatibility: String,
}

/// A registry at one base URL, with its credentials and trust.
#[derive(Clone)]
pub struct Registry {
    agent: ureq::Agent,
    base: String,
    authorization: Option<Arc<SecretString>>,
    user: Option<String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("url", &self.base)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// `url` is the API's base (e.g. `http://127.0.0.1:8081` or Apicurio's
    /// `…/apis/ccompat/v7`); `ca_file` a PEM bundle to trust instead of the built-in roots.
    pub fn new(
        url: &str,
        basic_auth: Option<(String, SecretString)>,
        ca_file: Option<&Path>,
    ) -> Result<Self, String> {
        let base = crate::http::base_url(url, "schema registry")?;
        let agent = crate::http::agent(REQUEST_TIMEOUT, ca_file, "schema registry")?;
        let user = basic_auth.as_ref().map(|(u, _)| u.clone());
        let authorization =
            basic_auth.map(|(user, password)| crate::http::basic_authorization(&user, &password));
        Ok(Registry {
            agent,
            base,
            authorization,
            user,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, RegistryError> {
        self.send::<T>(path, None)
    }

    fn send<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.base);
        let accept = "application/vnd.schemaregistry.v1+json, application/json";
        let result = match body {
            None => {
                let mut request = self.agent.get(&url).header("Accept", accept);
                if let Some(auth) = &self.authorization {
                    request = request.header("Authorization", auth.expose_secret());
                }
                request.call()
            }
            Some(body) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("Accept", accept)
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json");
                if let Some(auth) = &self.authorization {
                    request = request.header("Authorization", auth.expose_secret());
                }
                request.send_json(body)
            }
        };
        let mut response = result.map_err(|e| RegistryError::Unreachable {
            url: self.base.clone(),
            reason: transport_reason(&e),
        })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return response.body_mut().read_json::<T>().map_err(|e| {
                RegistryError::Other(format!(
                    "schema registry {} answered {path} with something that is not its API: {e}",
                    self.base
                ))
            });
        }
        let error: Option<ErrorBody> = response.body_mut().read_json().ok();
        let message = error
            .as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let code = error.and_then(|e| e.error_code).unwrap_or(0);
        Err(match status {
            404 => RegistryError::NotFound(format!("{message} ({path}, error {code})")),
            401 | 403 => RegistryError::Other(format!(
                "schema registry {} refused the credentials (HTTP {status})",
                self.base
            )),
            _ => RegistryError::Other(format!(
                "schema registry {} answered HTTP {status} to {path}: {message}",
                self.base
            )),
        })
    }

    /// The schema with this id.
    pub fn schema_by_id(&self, id: u32) -> Result<RawSchema, RegistryError> {
        let body: SchemaBody = self
            .get(&format!("/schemas/ids/{id}"))
            .map_err(|e| match e {
                RegistryError::NotFound(_) => {
                    RegistryError::NotFound(format!("schema id {id} is not in the registry"))
                }
                other => other,
            })?;
        Ok(RawSchema {
            kind: SchemaKind::parse(body.schema_type.as_deref())?,
            text: body.schema,
            references: body.references,
        })
    }

    /// The subjects and versions that registered the schema with this id (may be empty).
    pub fn versions_of_id(&self, id: u32) -> Result<Vec<(String, i32)>, RegistryError> {
        let found: Vec<SubjectVersionRef> = self.get(&format!("/schemas/ids/{id}/versions"))?;
        Ok(found.into_iter().map(|v| (v.subject, v.version)).collect())
    }

    /// A subject's version, or its latest when `version` is None.
    pub fn subject_version(
        &self,
        subject: &str,
        version: Option<i32>,
    ) -> Result<SubjectVersion, RegistryError> {
        let which = version.map_or_else(|| "latest".to_owned(), |v| v.to_string());
        let body: VersionBody = self
            .get(&format!(
                "/subjects/{}/versions/{which}",
                encode_segment(subject)
            ))
            .map_err(|e| match e {
                RegistryError::NotFound(_) => RegistryError::NotFound(match version {
                    None => format!("subject {subject} is not in the registry"),
                    Some(v) => format!("subject {subject} has no version {v}"),
                }),
                other => other,
            })?;
        Ok(SubjectVersion {
            subject: body.subject,
            version: body.version,
            id: body.id,
            schema: RawSchema {
                kind: SchemaKind::parse(body.schema_type.as_deref())?,
                text: body.schema,
                references: body.references,
            },
        })
    }

    pub fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        let mut subjects: Vec<String> = self.get("/subjects")?;
        subjects.sort();
        Ok(subjects)
    }

    pub fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let mut versions: Vec<i32> =
            self.get(&format!("/subjects/{}/versions", encode_segment(subject)))?;
        versions.sort_unstable();
        Ok(versions)
    }

    /// The compatibility level of a subject (falling back to the registry's default), or of
    /// the registry when `subject` is None.
    pub fn compatibility(&self, subject: Option<&str>) -> Result<String, RegistryError> {
        if let Some(subject) = subject {
            match self.get::<ConfigBody>(&format!(
                "/config/{}?defaultToGlobal=true",
                encode_segment(subject)
            )) {
                Ok(c) => return Ok(c.compatibility),
                Err(RegistryError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.get::<ConfigBody>("/config")?.compatibility)
    }

    /// Registers a schema under a subject; returns its id. (The demo and tests register theirs.)
    pub fn register(&self, subject: &str, schema: &RawSchema) -> Result<u32, RegistryError> {
        #[derive(Deserialize)]
        struct Id {
            id: u32,
        }
        let mut body = serde_json::json!({ "schema": schema.text });
        if schema.kind != SchemaKind::Avro {
            body["schemaType"] = match schema.kind {
                SchemaKind::Protobuf => "PROTOBUF".into(),
                _ => "JSON".into(),
            };
        }
        if !schema.references.is_empty() {
            body["references"] = schema
                .references
                .iter()
                .map(|r| serde_json::json!({"name": r.name, "subject": r.subject, "version": r.version}))
                .collect();
        }
        let id: Id = self.send(
            &format!("/subjects/{}/versions", encode_segment(subject)),
            Some(&body),
        )?;
        Ok(id.id)
    }
}

/// A subject in a URL path (subjects may hold `/`, spaces and the like).
fn encode_segment(s: &str) -> String {
    crate::http::path_segment(s)
}

fn transport_reason(e: &ureq::Error) -> String {
    crate::http::transport_reason(e, REQUEST_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_credentials_stay_out_of_them() {
        assert!(Registry::new("localhost:8081", None, None).is_err());
        assert!(
            Registry::new("https://user:pw@host:8081", None, None)
                .unwrap_err()
                .contains("not in the URL")
        );
        let r = Registry::new(
            "http://127.0.0.1:8081/apis/ccompat/v7/",
            Some(("alice".into(), SecretString::from("s3cret-pw".to_owned()))),
            None,
        )
        .unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:8081/apis/ccompat/v7");
        let shown = format!("{r:?}");
        assert!(shown.contains("alice") && !shown.contains("s3cret") && !shown.contains("Basic"));
    }

    #[test]
    fn subjects_are_escaped_in_paths() {
        assert_eq!(encode_segment("orders-value"), "orders-value");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn an_absent_type_is_avro() {
        assert_eq!(SchemaKind::parse(None).unwrap(), SchemaKind::Avro);
        assert_eq!(
            SchemaKind::parse(Some("PROTOBUF")).unwrap(),
            SchemaKind::Protobuf
        );
        assert!(SchemaKind::parse(Some("XML")).is_err());
    }

    #[test]
    fn an_unreachable_registry_says_so_quickly() {
        let r = Registry::new("http://127.0.0.1:9", None, None).unwrap();
        match r.schema_by_id(1) {
            Err(RegistryError::Unreachable { url, .. }) => assert_eq!(url, "http://127.0.0.1:9"),
            other => panic!("{other:?}"),
        }
    }
}
