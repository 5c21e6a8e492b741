//! Schema Registry interop against a real registry (Apicurio) and a real serializer (Confluent's
//! Python client): what the peer writes, kview reads as the same JSON; what kview writes with
//! `--value-subject`, the peer reads back; what cannot be read says why, with its bytes kept.

mod common;

use common::*;
use serde_json::{Value, json};

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn consume_json(topic: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "--schema-registry",
        registry(),
        "consume",
        "-t",
        topic,
        "-e",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    lines(&kview_ok(broker(), &args, None))
}

fn samples(format: &str) -> Vec<Value> {
    match format {
        "avro" => vec![
            json!({"sensor": "s-1", "value": 21.5, "count": 3, "unit": "C", "kind": "TEMP", "tags": ["a", "b"]}),
            json!({"sensor": "s-2", "value": -0.25, "count": 9_000_000_000i64, "unit": null, "kind": "HUMIDITY", "tags": []}),
        ],
        "protobuf" => vec![
            json!({"sensor": "s-1", "value": 21.5, "count": 3, "tags": ["a"], "place": {"site": "north", "floor": 2}}),
            json!({"sensor": "s-2", "value": -0.25, "count": 9_000_000_000i64, "tags": [], "place": {"site": "", "floor": 0}}),
        ],
        _ => vec![
            json!({"sensor": "s-1", "value": 21.5, "count": 3, "tags": ["a"]}),
            json!({"sensor": "s-2", "value": -0.25}),
        ],
    }
}

fn jsonl(values: &[Value]) -> Vec<u8> {
    values
        .iter()
        .map(|v| format!("{v}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn records_written_by_confluent_serializers_read_as_the_same_json() {
    for format in ["avro", "protobuf", "json"] {
        let topic = unique(&format!("sr-peer-{format}"));
        let _guard = create_topic(broker(), &topic, 1, 1);
        let input = samples(format);
        let ids = schema_peer(&["produce", format, &topic], Some(&jsonl(&input)));
        let id: u64 = String::from_utf8_lossy(&ids)
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let read = consume_json(&topic, &[]);
        assert_eq!(read.len(), input.len(), "{format}");
        for (record, expected) in read.iter().zip(&input) {
            assert_eq!(&record["value"], expected, "{format}");
            let schema = &record["value_schema"];
            assert_eq!(schema["schema_id"], id, "{format}");
            assert_eq!(
                schema["format"],
                if format == "json" {
                    "json-schema"
                } else {
                    format
                }
            );
            assert_eq!(schema["subject"], format!("{topic}-value"));
            assert!(record.get("value_base64").is_none() && record.get("value_error").is_none());
        }
        if format == "protobuf" {
            assert_eq!(read[0]["value_schema"]["message"], "kview.peer.Reading");
        }
        // Raw output is the decoded value, one compact JSON per line.
        let raw = kview_ok(
            broker(),
            &[
                "--schema-registry",
                registry(),
                "consume",
                "-t",
                &topic,
                "-e",
            ],
            None,
        );
        assert_eq!(lines(&raw), input, "{format}");
        // Asked not to decode, the bytes come back as they are.
        let plain = consume_json(&topic, &["--value-format", "bytes"]);
        assert!(plain[0]["value_base64"].is_string() || plain[0]["value"].is_string());
        assert!(plain[0].get("value_schema").is_none());
    }
}

#[test]
fn values_kview_encodes_with_a_subject_are_read_by_the_peer() {
    for format in ["avro", "protobuf", "json"] {
        let topic = unique(&format!("sr-kview-{format}"));
        let _guard = create_topic(broker(), &topic, 1, 1);
        let input = samples(format);
        // The peer registers the subject's schema with its first record.
        schema_peer(&["produce", format, &topic], Some(&jsonl(&input[..1])));
        let subject = format!("{topic}-value");
        kview_ok(
            broker(),
            &[
                "--schema-registry",
                registry(),
                "produce",
                "-t",
                &topic,
                "--value-subject",
                &subject,
                "-q",
            ],
            Some(&jsonl(&input[1..])),
        );
        let read = lines(&schema_peer(&["consume", format, &topic, "2"], None));
        let mut expected = input.clone();
        if format == "protobuf" {
            // The peer prints proto3 JSON: 64-bit integers as strings, defaults left out.
            expected = vec![
                json!({"sensor": "s-1", "value": 21.5, "count": "3", "tags": ["a"], "place": {"site": "north", "floor": 2}}),
                json!({"sensor": "s-2", "value": -0.25, "count": "9000000000", "place": {}}),
            ];
        }
        if format == "avro" {
            // The peer prints what it decoded; kview's is the same record.
            assert_eq!(read[1]["count"], 9_000_000_000i64);
        }
        assert_eq!(read, expected, "{format}");
    }
}

#[test]
fn input_that_does_not_fit_the_schema_names_the_field_and_sends_nothing() {
    let topic = unique("sr-bad-input");
    let _guard = create_topic(broker(), &topic, 1, 1);
    schema_peer(
        &["produce", "avro", &topic],
        Some(&jsonl(&samples("avro")[..1])),
    );
    let subject = format!("{topic}-value");
    let good = r#"{"sensor": "ok", "value": 1.0, "count": 1, "kind": "TEMP", "tags": []}"#;
    let bad = r#"{"sensor": "s", "value": "hot", "count": 1, "kind": "TEMP", "tags": []}"#;
    let out = kview(
        broker(),
        &[
            "--schema-registry",
            registry(),
            "produce",
            "-t",
            &topic,
            "--value-subject",
            &subject,
        ],
        Some(format!("{good}\n{bad}\n").as_bytes()),
    );
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(
        line.contains("line 2: value: field value: expected a double, got \"hot\""),
        "{line}"
    );
    assert!(line.contains("nothing was sent"), "{line}");
    assert_eq!(
        consume_json(&topic, &[]).len(),
        1,
        "only the peer's record is there"
    );

    let out = kview(
        broker(),
        &[
            "--schema-registry",
            registry(),
            "produce",
            "-t",
            &topic,
            "--value-subject",
            "no-such-subject",
            "{}",
        ],
        None,
    );
    assert!(stderr_line(&out).contains("subject no-such-subject is not in the registry"));
}

#[test]
fn what_cannot_be_decoded_says_why_and_keeps_its_bytes() {
    let topic = unique("sr-broken");
    let _guard = create_topic(broker(), &topic, 1, 1);
    schema_peer(
        &["produce", "avro", &topic],
        Some(&jsonl(&samples("avro")[..1])),
    );
    let good = consume_json(&topic, &[]);
    let id = good[0]["value_schema"]["schema_id"].as_u64().unwrap() as u32;
    let mut unknown = vec![0u8];
    unknown.extend_from_slice(&0x7ff0_0001u32.to_be_bytes());
    unknown.extend_from_slice(&[2, 4]);
    let mut truncated = vec![0u8];
    truncated.extend_from_slice(&id.to_be_bytes());
    truncated.extend_from_slice(&[6, b'a']);
    let mut input = unknown.clone();
    input.push(b'\n');
    input.extend_from_slice(&truncated);
    input.extend_from_slice(b"\nplain text, no magic byte\n");
    kview_ok(broker(), &["produce", "-t", &topic, "-q"], Some(&input));

    let read = consume_json(&topic, &[]);
    assert_eq!(read.len(), 4);
    let error = |i: usize| {
        read[i]["value_error"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        error(1).contains("schema id 2146435073 is not in the registry"),
        "{}",
        error(1)
    );
    assert!(error(2).contains("not an Avro value"), "{}", error(2));
    assert!(
        read[3].get("value_error").is_none(),
        "auto leaves plain data alone"
    );
    assert_eq!(read[3]["value"], "plain text, no magic byte");
    for record in &read[1..3] {
        assert!(
            record["value_base64"].is_string() || record["value"].is_string(),
            "the bytes are kept"
        );
    }
    // Asking for Avro explicitly, the plain record says why it is not.
    let strict = consume_json(&topic, &["--value-format", "avro"]);
    let why = strict[3]["value_error"].as_str().unwrap();
    assert!(why.contains("magic byte 0x70"), "{why}");

    // A registry that is down: every record still comes out, with the reason beside it.
    let start = std::time::Instant::now();
    let out = kview(
        broker(),
        &[
            "--schema-registry",
            "http://127.0.0.1:9",
            "consume",
            "-t",
            &topic,
            "-e",
            "--format",
            "json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let down = lines(&out.stdout);
    assert_eq!(down.len(), 4);
    let why = down[0]["value_error"].as_str().unwrap();
    assert!(
        why.contains("schema registry http://127.0.0.1:9 unreachable"),
        "{why}"
    );
    assert!(down[0]["value_base64"].is_string());
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_profile_names_the_registry_with_a_password_that_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[clusters.local]\nbrokers = \"{}\"\nschema_registry = \"{}\"\nschema_registry_username = \"reader\"\nschema_registry_password_env = \"KVIEW_TEST_SR_PASSWORD\"\n",
            broker(),
            registry()
        ),
    )
    .unwrap();
    let topic = unique("sr-profile");
    let _guard = create_topic(broker(), &topic, 1, 1);
    schema_peer(
        &["produce", "avro", &topic],
        Some(&jsonl(&samples("avro")[..1])),
    );
    let config = config.to_str().unwrap();
    let out = kview_env(
        &[
            "--config",
            config,
            "--cluster",
            "local",
            "consume",
            "-t",
            &topic,
            "-e",
            "--format",
            "json",
        ],
        &[
            ("KVIEW_TEST_SR_PASSWORD", "pw-never-shown"),
            ("RUST_LOG", "trace"),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout)[0]["value"]["sensor"], "s-1");
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("pw-never-shown"));
    }
    // A password variable that is not set is one clear line.
    let out = kview_env(
        &[
            "--config",
            config,
            "--cluster",
            "local",
            "consume",
            "-t",
            &topic,
            "-e",
        ],
        &[],
        None,
    );
    assert!(stderr_line(&out).contains("KVIEW_TEST_SR_PASSWORD is not set"));
}

#[test]
fn schemas_registered_from_files_encode_what_the_peer_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let sr = |args: &[&str]| {
        let mut all = vec!["--schema-registry", registry()];
        all.extend_from_slice(args);
        kview_ok(broker(), &all, None)
    };

    // Protobuf, importing a file registered under a subject of its own.
    let topic = unique("sr-files-proto");
    let _guard = create_topic(broker(), &topic, 1, 1);
    let place = file(
        "place.proto",
        "syntax = \"proto3\";\npackage shared;\nmessage Place { string site = 1; int32 floor = 2; }\n",
    );
    let reading = file(
        "reading.proto",
        "syntax = \"proto3\";\npackage kview.peer;\nimport \"shared/place.proto\";\n\
         message Reading { string sensor = 1; double value = 2; int64 count = 3; repeated string tags = 4; shared.Place place = 5; }\n",
    );
    let place_subject = format!("{topic}-place");
    sr(&["schemas", "register", &place_subject, &place]);
    let reference = format!("shared/place.proto={place_subject}:1");
    let value_subject = format!("{topic}-value");
    let id = sr(&[
        "schemas",
        "register",
        &value_subject,
        &reading,
        "--reference",
        &reference,
    ]);
    let id: u32 = String::from_utf8_lossy(&id).trim().parse().unwrap();
    sr(&[
        "produce",
        "-t",
        &topic,
        "--value-subject",
        &value_subject,
        "-q",
        r#"{"sensor": "f-1", "value": 2.5, "count": 4, "place": {"site": "east", "floor": 1}}"#,
    ]);
    let read = lines(&schema_peer(&["consume", "protobuf", &topic, "1"], None));
    assert_eq!(
        read[0],
        json!({"sensor": "f-1", "value": 2.5, "count": "4", "place": {"site": "east", "floor": 1}})
    );
    let listed: Value = serde_json::from_slice(&sr(&["schemas", "--json"])).unwrap();
    let row = listed["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject"] == value_subject.as_str())
        .expect("the subject is listed");
    assert_eq!(
        (row["type"].as_str(), row["latest_id"].as_u64()),
        (Some("protobuf"), Some(id as u64))
    );
    let shown = String::from_utf8(sr(&["schemas", "show", &value_subject])).unwrap();
    assert!(shown.contains("import \"shared/place.proto\";"), "{shown}");

    // Avro from an .avsc file.
    let topic = unique("sr-files-avro");
    let _guard = create_topic(broker(), &topic, 1, 1);
    let avsc = file(
        "order.avsc",
        r#"{"type": "record", "name": "Order", "fields": [{"name": "item", "type": "string"}, {"name": "qty", "type": "int"}]}"#,
    );
    let subject = format!("{topic}-value");
    sr(&["schemas", "register", &subject, &avsc]);
    sr(&[
        "produce",
        "-t",
        &topic,
        "--value-subject",
        &subject,
        "-q",
        r#"{"item": "book", "qty": 2}"#,
    ]);
    let read = lines(&schema_peer(&["consume", "avro", &topic, "1"], None));
    assert_eq!(read[0], json!({"item": "book", "qty": 2}));

    // Registering is a write: refused in read-only mode.
    let out = kview(
        broker(),
        &[
            "--schema-registry",
            registry(),
            "--read-only",
            "schemas",
            "register",
            &subject,
            &avsc,
        ],
        None,
    );
    assert!(stderr_line(&out).contains("read-only"));
}

#[test]
fn keys_are_encoded_with_a_subject_too_and_round_trip_through_json() {
    let dir = tempfile::tempdir().unwrap();
    let key_schema = dir.path().join("key.avsc");
    std::fs::write(
        &key_schema,
        r#"{"type": "record", "name": "OrderKey", "fields": [{"name": "id", "type": "long"}]}"#,
    )
    .unwrap();
    let topic = unique("sr-keys");
    let _guard = create_topic(broker(), &topic, 1, 1);
    let sr = |args: &[&str], stdin: Option<&[u8]>| {
        let mut all = vec!["--schema-registry", registry()];
        all.extend_from_slice(args);
        kview_ok(broker(), &all, stdin)
    };
    let subject = format!("{topic}-key");
    sr(
        &[
            "schemas",
            "register",
            &subject,
            key_schema.to_str().unwrap(),
        ],
        None,
    );
    sr(
        &[
            "produce",
            "-q",
            "-t",
            &topic,
            "-K",
            "|",
            "--key-subject",
            &subject,
        ],
        Some(b"{\"id\": 42}|first\n{\"id\": 7}|second\n"),
    );
    // The key is in the registry's wire format (magic byte 0, then the id) ...
    let raw = consume_json(&topic, &["--key-format", "bytes"]);
    // Text when the bytes happen to be UTF-8 (a NUL and a small id are), base64 otherwise.
    let key_bytes = |r: &Value| -> Vec<u8> {
        match (r["key"].as_str(), r["key_base64"].as_str()) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(b64)) => {
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
            }
            _ => panic!("a key: {r}"),
        }
    };
    let key = key_bytes(&raw[0]);
    assert_eq!(key[0], 0, "the magic byte");
    // ... and reads back as the JSON it was.
    let read = consume_json(&topic, &[]);
    assert_eq!(read[0]["key"], json!({"id": 42}));
    assert_eq!(read[0]["key_schema"]["subject"], subject.as_str());
    assert_eq!(read[1]["key"], json!({"id": 7}));

    // Out as JSON and back in: the decoded key is encoded again with its schema, the same bytes.
    let out = unique("sr-keys-back");
    let _out = create_topic(broker(), &out, 1, 1);
    let mut json_lines = Vec::new();
    for r in &read {
        json_lines.extend(serde_json::to_vec(r).unwrap());
        json_lines.push(b'\n');
    }
    sr(
        &["produce", "-q", "-t", &out, "--format", "json"],
        Some(&json_lines),
    );
    let back = consume_json(&out, &["--key-format", "bytes"]);
    assert_eq!(key_bytes(&back[0]), key_bytes(&raw[0]));
    assert_eq!(key_bytes(&back[1]), key_bytes(&raw[1]));
}

#[test]
fn a_profile_masks_fields_of_schema_decoded_values_after_decoding() {
    let topic = unique("sr-masked");
    let _guard = create_topic(broker(), &topic, 1, 1);
    schema_peer(&["produce", "avro", &topic], Some(&jsonl(&samples("avro"))));
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        format!(
            "[clusters.local]\nbrokers = \"{}\"\nschema_registry = \"{}\"\n\n[[clusters.local.mask]]\ntopics = \"sr-masked-.*\"\njson_paths = [\"$.sensor\"]\n",
            broker(),
            registry()
        ),
    )
    .unwrap();
    for format in ["json", "raw"] {
        let mut cmd = kview_command();
        cmd.args([
            "--config",
            config.path().to_str().unwrap(),
            "--cluster",
            "local",
        ])
        .args(["consume", "-t", &topic, "-e", "--format", format]);
        let out = common::run(cmd, None);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("s-1") && !text.contains("s-2"),
            "{format}: {text}"
        );
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let value = if format == "json" {
            &first["value"]
        } else {
            &first
        };
        assert_eq!(value["sensor"], "•••", "{format}: {text}");
        assert_eq!(value["kind"], "TEMP", "decoded, the rest kept: {text}");
    }
}
