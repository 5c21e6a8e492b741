//! Protobuf values to JSON and back. The registry holds `.proto` text (and the texts it imports,
//! as references); kview compiles them with protox into a descriptor pool, finds the message a
//! record names by its index list, and lets prost-reflect do the proto3 JSON mapping.

use std::collections::HashMap;

use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, FileDescriptor, MessageDescriptor,
    SerializeOptions,
};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value as Json;

use super::wire;

/// The name the registry's main text is compiled under (it has no name of its own).
const MAIN_FILE: &str = "kview-registry-schema.proto";

/// A compiled `.proto` file of the registry.
#[derive(Debug)]
pub struct ProtoSchema {
    file: FileDescriptor,
}

/// Serves the registry's texts by import name, before protox's copies of Google's well-known types.
struct Texts(HashMap<String, String>);

impl FileResolver for Texts {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(text) => match File::from_source(name, text) {
                Ok(file) => Ok(file),
                // Confluent's clients register a base64 FileDescriptorProto rather than text;
                // registries that do not convert it hand it back as it came.
                Err(source_error) => descriptor_file(name, text).ok_or(source_error),
            },
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A base64 `FileDescriptorProto`, renamed to the name it is imported by.
fn descriptor_file(name: &str, text: &str) -> Option<File> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    let mut proto = prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    if proto.message_type.is_empty() && proto.enum_type.is_empty() {
        return None;
    }
    proto.name = Some(name.to_owned());
    Some(File::from_file_descriptor_proto(proto))
}

impl ProtoSchema {
    /// Compiles `text`; `references` are (import name, text) of the files it imports.
    pub fn compile(text: &str, references: &[(String, String)]) -> Result<Self, String> {
        let mut texts: HashMap<String, String> = references.iter().cloned().collect();
        texts.insert(MAIN_FILE.to_owned(), text.to_owned());
        let mut resolver = ChainFileResolver::new();
        resolver.add(Texts(texts));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler
            .open_file(MAIN_FILE)
            .map_err(|e| format!("the .proto text does not compile: {e}"))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(MAIN_FILE)
            .ok_or_else(|| "the compiled schema has no file".to_owned())?;
        if file.messages().next().is_none() {
            return Err("the .proto text defines no message".to_owned());
        }
        Ok(ProtoSchema { file })
    }

    /// The message an index list names: top-level messages in file order, then nested ones.
    fn message_at(&self, indexes: &[i32]) -> Result<MessageDescriptor, String> {
        let (first, rest) = indexes.split_first().ok_or("an empty message index list")?;
        let mut message = self
            .file
            .messages()
            .nth(*first as usize)
            .ok_or_else(|| format!("the schema has no message at index {first}"))?;
        for index in rest {
            let child = message.child_messages().nth(*index as usize);
            message = child.ok_or_else(|| {
                format!(
                    "{} has no nested message at index {index}",
                    message.full_name()
                )
            })?;
        }
        Ok(message)
    }

    /// The index list of a message of this file.
    fn indexes_of(&self, message: &MessageDescriptor) -> Vec<i32> {
        let mut indexes = Vec::new();
        let mut current = message.clone();
        loop {
            match current.parent_message() {
                Some(parent) => {
                    let i = parent
                        .child_messages()
                        .position(|m| m == current)
                        .unwrap_or(0);
                    indexes.push(i as i32);
                    current = parent;
                }
                None => {
                    let i = self.file.messages().position(|m| m == current).unwrap_or(0);
                    indexes.push(i as i32);
                    break;
                }
            }
        }
        indexes.reverse();
        indexes
    }

    /// The message written when none is named: the file's first.
    pub fn message(&self, name: Option<&str>) -> Result<MessageDescriptor, String> {
        let Some(name) = name else {
            return self.message_at(&[0]);
        };
        let pool = self.file.parent_pool();
        let package = self.file.package_name();
        let qualified = if package.is_empty() {
            name.to_owned()
        } else {
            format!("{package}.{name}")
        };
        pool.get_message_by_name(name)
            .or_else(|| pool.get_message_by_name(&qualified))
            .ok_or_else(|| {
                let names: Vec<String> = all_messages(&self.file)
                    .map(|m| m.full_name().to_owned())
                    .collect();
                format!(
                    "the schema has no message {name} (messages: {})",
                    names.join(", ")
                )
            })
    }

    /// Decodes what follows the schema id (index list, then the message) into JSON; returns the
    /// message's full name too.
    pub fn decode(&self, payload: &[u8]) -> Result<(Json, String), String> {
        let (indexes, bytes) = wire::read_message_indexes(payload)?;
        let descriptor = self.message_at(&indexes)?;
        let message = DynamicMessage::decode(descriptor.clone(), bytes)
            .map_err(|e| format!("not a {} message ({e})", descriptor.full_name()))?;
        let options = SerializeOptions::new()
            .stringify_64_bit_integers(false)
            .use_proto_field_name(true)
            .skip_default_fields(false);
        let json = message
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| format!("cannot show {} as JSON: {e}", descriptor.full_name()))?;
        Ok((json, descriptor.full_name().to_owned()))
    }

    /// Encodes JSON as `message` (index list, then the message bytes); the error names the field
    /// that does not fit.
    pub fn encode(&self, json: &Json, message: &MessageDescriptor) -> Result<Vec<u8>, String> {
        let value = from_json(message, json).map_err(|e| {
            let path = locate(message, json, &mut Vec::new()).unwrap_or_default();
            if path.is_empty() {
                format!("does not fit {}: {e}", message.full_name())
            } else {
                format!("field {path}: {e}")
            }
        })?;
        let mut out = Vec::new();
        wire::write_message_indexes(&self.indexes_of(message), &mut out);
        value.encode(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }
}

fn from_json(
    message: &MessageDescriptor,
    json: &Json,
) -> Result<DynamicMessage, serde_json::Error> {
    DynamicMessage::deserialize_with_options(message.clone(), json, &DeserializeOptions::new())
}

fn all_messages(file: &FileDescriptor) -> impl Iterator<Item = MessageDescriptor> {
    fn walk(m: MessageDescriptor, out: &mut Vec<MessageDescriptor>) {
        out.push(m.clone());
        for child in m.child_messages() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for m in file.messages() {
        walk(m, &mut out);
    }
    out.into_iter()
}

/// The path of the first field that does not deserialize on its own, following nested messages.
fn locate(message: &MessageDescriptor, json: &Json, path: &mut Vec<String>) -> Option<String> {
    let Json::Object(fields) = json else {
        return None;
    };
    for (key, value) in fields {
        let alone = Json::Object([(key.clone(), value.clone())].into_iter().collect());
        if from_json(message, &alone).is_ok() {
            continue;
        }
        path.push(key.clone());
        let field = message
            .get_field_by_name(key)
            .or_else(|| message.get_field_by_json_name(key));
        if let Some(inner) = field.as_ref().and_then(|f| f.kind().as_message().cloned()) {
            match value {
                Json::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if from_json(&inner, item).is_err() {
                            path.push(format!("[{i}]"));
                            return locate(&inner, item, path).or_else(|| Some(join(path)));
                        }
                    }
                }
                _ => return locate(&inner, value, path).or_else(|| Some(join(path))),
            }
        }
        return Some(join(path));
    }
    None
}

fn join(path: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in path.iter().enumerate() {
        if i > 0 && !part.starts_with('[') {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

/// A base64 `FileDescriptorProto` written out as `.proto` text (messages, fields, enums); None
/// when `text` is not one.
pub fn descriptor_as_proto(text: &str) -> Option<String> {
    use std::fmt::Write as _;
    let file = descriptor_file("registered.proto", text)?;
    let proto = file.file_descriptor_proto();
    let mut out = String::from("// registered as a binary descriptor; shown as .proto\n");
    let syntax = proto.syntax.as_deref().unwrap_or("proto2");
    let _ = writeln!(out, "syntax = \"{syntax}\";");
    if let Some(package) = &proto.package {
        let _ = writeln!(out, "package {package};");
    }
    for dependency in &proto.dependency {
        let _ = writeln!(out, "import \"{dependency}\";");
    }
    for e in &proto.enum_type {
        write_enum(&mut out, e, 0);
    }
    for m in &proto.message_type {
        write_message(&mut out, m, 0);
    }
    Some(out)
}

fn write_enum(out: &mut String, e: &prost_types::EnumDescriptorProto, depth: usize) {
    use std::fmt::Write as _;
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}enum {} {{", e.name());
    for v in &e.value {
        let _ = writeln!(out, "{pad}  {} = {};", v.name(), v.number());
    }
    let _ = writeln!(out, "{pad}}}");
}

fn write_message(out: &mut String, m: &prost_types::DescriptorProto, depth: usize) {
    use prost_types::field_descriptor_proto::{Label, Type};
    use std::fmt::Write as _;
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}message {} {{", m.name());
    for e in &m.enum_type {
        write_enum(out, e, depth + 1);
    }
    for nested in &m.nested_type {
        write_message(out, nested, depth + 1);
    }
    for f in &m.field {
        let kind = match f.r#type() {
            Type::Message | Type::Enum | Type::Group => {
                f.type_name().trim_start_matches('.').to_owned()
            }
            other => other
                .as_str_name()
                .trim_start_matches("TYPE_")
                .to_lowercase(),
        };
        let label = match f.label() {
            Label::Repeated => "repeated ",
            Label::Required => "required ",
            Label::Optional if f.proto3_optional() => "optional ",
            Label::Optional => "",
        };
        let _ = writeln!(out, "{pad}  {label}{kind} {} = {};", f.name(), f.number());
    }
    let _ = writeln!(out, "{pad}}}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COMMON: &str =
        r#"syntax = "proto3"; package shared; message Place { string site = 1; int32 floor = 2; }"#;
    const READING: &str = r#"
        syntax = "proto3";
        package kview.test;
        import "shared/place.proto";
        import "google/protobuf/timestamp.proto";
        message Reading {
          string sensor = 1;
          double value = 2;
          int64 count = 3;
          shared.Place place = 4;
          repeated string tags = 5;
          google.protobuf.Timestamp at = 6;
          message Note { string text = 1; }
          Note note = 7;
        }
        message Other { bool flag = 1; }
    "#;

    fn schema() -> ProtoSchema {
        ProtoSchema::compile(READING, &[("shared/place.proto".into(), COMMON.into())]).unwrap()
    }

    #[test]
    fn round_trips_through_references_and_well_known_types() {
        let schema = schema();
        let input = json!({"sensor": "s-1", "value": 2.5, "count": 9,
            "place": {"site": "north", "floor": 3}, "tags": ["x"],
            "at": "2026-11-27T10:00:00Z", "note": {"text": "hi"}});
        let reading = schema.message(None).unwrap();
        let bytes = schema.encode(&input, &reading).unwrap();
        assert_eq!(bytes[0], 0, "the first message is a single zero index");
        let (json, name) = schema.decode(&bytes).unwrap();
        assert_eq!(name, "kview.test.Reading");
        assert_eq!(json, input);
    }

    #[test]
    fn nested_and_later_messages_carry_their_indexes() {
        let schema = schema();
        let note = schema.message(Some("Reading.Note")).unwrap();
        let bytes = schema.encode(&json!({"text": "n"}), &note).unwrap();
        assert_eq!(&bytes[..3], [4, 0, 0], "[0, 0]");
        assert_eq!(schema.decode(&bytes).unwrap().1, "kview.test.Reading.Note");
        let other = schema.message(Some("Other")).unwrap();
        let bytes = schema.encode(&json!({"flag": true}), &other).unwrap();
        assert_eq!(&bytes[..2], [2, 2], "[1]");
        assert_eq!(schema.decode(&bytes).unwrap().0, json!({"flag": true}));
        assert!(
            schema
                .message(Some("Nope"))
                .unwrap_err()
                .contains("kview.test.Other")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let schema = schema();
        let reading = schema.message(None).unwrap();
        let e = schema
            .encode(&json!({"sensor": "s", "value": "hot"}), &reading)
            .unwrap_err();
        assert!(e.starts_with("field value: "), "{e}");
        let e = schema
            .encode(&json!({"place": {"floor": "third"}}), &reading)
            .unwrap_err();
        assert!(e.starts_with("field place.floor: "), "{e}");
        let e = schema.encode(&json!({"bogus": 1}), &reading).unwrap_err();
        assert!(e.starts_with("field bogus: "), "{e}");
    }

    #[test]
    fn base64_descriptors_compile_like_text() {
        use base64::Engine;
        let text = ProtoSchema::compile(COMMON, &[]).unwrap();
        let proto = text.file.file_descriptor_proto().clone();
        let encoded = base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec());
        let from_descriptor =
            ProtoSchema::compile(READING, &[("shared/place.proto".into(), encoded.clone())])
                .unwrap();
        let reading = from_descriptor.message(None).unwrap();
        let bytes = from_descriptor
            .encode(&json!({"place": {"site": "s"}}), &reading)
            .unwrap();
        assert_eq!(
            from_descriptor.decode(&bytes).unwrap().0["place"]["site"],
            "s"
        );
        let main = ProtoSchema::compile(&encoded, &[]).unwrap();
        assert_eq!(main.message(None).unwrap().full_name(), "shared.Place");
        let shown = descriptor_as_proto(&encoded).unwrap();
        assert!(shown.contains("package shared;"), "{shown}");
        assert!(
            shown.contains("message Place {\n  string site = 1;\n  int32 floor = 2;\n}"),
            "{shown}"
        );
        assert_eq!(descriptor_as_proto(COMMON), None);
    }

    #[test]
    fn bad_payloads_and_texts_are_errors() {
        let schema = schema();
        assert!(
            schema
                .decode(&[2, 40])
                .unwrap_err()
                .contains("no message at index 20")
        );
        assert!(
            schema.decode(&[0, 0x0a, 0x05, b'a']).is_err(),
            "truncated string"
        );
        assert!(ProtoSchema::compile("syntax = \"proto3\"; message {", &[]).is_err());
        assert!(
            ProtoSchema::compile(READING, &[])
                .unwrap_err()
                .contains("shared/place.proto")
        );
    }
}
