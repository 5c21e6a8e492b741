//! `kview schemas`: the schema registry from scripts — subjects, a version's schema, and
//! registering a schema file (refused in read-only mode).

use std::io::Write;

use anyhow::{Result, bail};
use serde::Serialize;

use super::blocking;
use super::table::write_table;
use crate::cli::SchemasCommand;
use crate::schema::registry::Reference;
use crate::schema::{RawSchema, Registry, SchemaKind};

#[derive(Serialize)]
struct SubjectRow<'a> {
    subject: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    versions: usize,
    latest_version: i32,
    latest_id: u32,
}

pub async fn run(
    registry: Registry,
    action: &SchemasCommand,
    json: bool,
    read_only: bool,
    out: &mut impl Write,
) -> Result<()> {
    match action {
        SchemasCommand::List => {
            let (compatibility, subjects) =
                blocking(move || crate::schema::subjects(&registry)).await?;
            let rows: Vec<SubjectRow> = subjects
                .iter()
                .map(|s| SubjectRow {
                    subject: &s.name,
                    kind: s.kind.name(),
                    versions: s.versions,
                    latest_version: s.latest,
                    latest_id: s.latest_id,
                })
                .collect();
            if json {
                serde_json::to_writer_pretty(
                    &mut *out,
                    &serde_json::json!({"compatibility": compatibility, "subjects": rows}),
                )?;
                writeln!(out)?;
                return Ok(());
            }
            let table = rows
                .iter()
                .map(|r| {
                    vec![
                        crate::decode::text::escape_str(r.subject),
                        r.kind.to_owned(),
                        r.versions.to_string(),
                        r.latest_version.to_string(),
                        r.latest_id.to_string(),
                    ]
                })
                .collect();
            write_table(out, &["SUBJECT", "TYPE", "VERSIONS", "LATEST", "ID"], table)?;
            writeln!(out, "default compatibility {compatibility}")?;
        }
        SchemasCommand::Show { subject, version } => {
            let (subject, version) = (subject.clone(), *version);
            let found = blocking(move || {
                registry
                    .subject_version(&subject, version)
                    .map_err(|e| e.to_string())
            })
            .await?;
            if json {
                let references: Vec<_> = found
                    .schema
                    .references
                    .iter()
                    .map(|r| serde_json::json!({"name": r.name, "subject": r.subject, "version": r.version}))
                    .collect();
                serde_json::to_writer_pretty(
                    &mut *out,
                    &serde_json::json!({
                        "subject": found.subject,
                        "version": found.version,
                        "id": found.id,
                        "type": found.schema.kind.name(),
                        "schema": found.schema.text,
                        "references": references,
                    }),
                )?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(
                out,
                "{} v{} · id {} · {}",
                found.subject,
                found.version,
                found.id,
                found.schema.kind.name()
            )?;
            writeln!(
                out,
                "{}",
                crate::schema::readable_text(found.schema.kind, &found.schema.text)
            )?;
        }
        SchemasCommand::Register {
            subject,
            file,
            kind,
            references,
        } => {
            if read_only {
                bail!(
                    "read-only mode: kview does not register schemas (--read-only=false lifts it)"
                );
            }
            let text = std::fs::read_to_string(file).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read {}: {}",
                    file.display(),
                    crate::kafka::conn::io_reason(&e)
                )
            })?;
            let kind = match kind.as_deref() {
                Some(k) => parse_kind(k)?,
                None => match file.extension().and_then(|e| e.to_str()) {
                    Some("avsc" | "avro") => SchemaKind::Avro,
                    Some("proto") => SchemaKind::Protobuf,
                    Some("json") => SchemaKind::Json,
                    _ => bail!(
                        "cannot tell the schema's type from {}: give --type avro, protobuf or json-schema",
                        file.display()
                    ),
                },
            };
            let references = references
                .iter()
                .map(|r| parse_reference(r))
                .collect::<Result<Vec<_>>>()?;
            let raw = RawSchema {
                kind,
                text,
                references,
            };
            let subject = subject.clone();
            let id = blocking(move || registry.register(&subject, &raw).map_err(|e| e.to_string()))
                .await?;
            if json {
                writeln!(out, "{}", serde_json::json!({"id": id}))?;
            } else {
                writeln!(out, "{id}")?;
            }
        }
    }
    Ok(())
}

fn parse_kind(k: &str) -> Result<SchemaKind> {
    Ok(match k.to_ascii_lowercase().as_str() {
        "avro" => SchemaKind::Avro,
        "protobuf" | "proto" => SchemaKind::Protobuf,
        "json" | "json-schema" | "jsonschema" => SchemaKind::Json,
        other => bail!("unknown schema type {other:?} (avro, protobuf or json-schema)"),
    })
}

/// `NAME=SUBJECT:VERSION`.
fn parse_reference(text: &str) -> Result<Reference> {
    let parsed = text.split_once('=').and_then(|(name, rest)| {
        let (subject, version) = rest.rsplit_once(':')?;
        Some(Reference {
            name: name.trim().to_owned(),
            subject: subject.trim().to_owned(),
            version: version.trim().parse().ok()?,
        })
    });
    match parsed {
        Some(r) if !r.name.is_empty() && !r.subject.is_empty() => Ok(r),
        _ => bail!(
            "--reference {text:?}: write it as NAME=SUBJECT:VERSION (e.g. common.proto=common:1)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_types_parse() {
        let r = parse_reference("shared/place.proto=shared-place:2").unwrap();
        assert_eq!(
            (r.name.as_str(), r.subject.as_str(), r.version),
            ("shared/place.proto", "shared-place", 2)
        );
        assert!(parse_reference("nope").is_err());
        assert!(parse_reference("a=b:x").is_err());
        assert_eq!(parse_kind("Protobuf").unwrap(), SchemaKind::Protobuf);
        assert!(parse_kind("xml").is_err());
    }
}
