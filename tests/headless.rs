//! The headless commands against a real Apache Kafka broker, with kcat and Kafka's own tools
//! as peers.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The three-broker cluster's tests that count on every broker up hold this shared; the test
/// that stops a broker holds it alone (its stop left partitions without a leader under them).
static WHOLE_CLUSTER: std::sync::RwLock<()> = std::sync::RwLock::new(());

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use common::*;
use kview::kafka::{Compression, ConnSettings, Header, KafkaClient, ProduceRecord};
use serde_json::Value;

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[tokio::test]
async fn round_trip_keeps_keys_nulls_headers_timestamps_and_binary() {
    let b = broker();
    let topic = unique("roundtrip");
    let _topic = create_topic(b, &topic, 1, 1);

    // Records with exact timestamps, a tombstone and binary data, written by the data plane.
    let client = client(b).await;
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let header = |name: &str, value: &[u8]| Header {
        name: Bytes::copy_from_slice(name.as_bytes()),
        value: Some(Bytes::copy_from_slice(value)),
    };
    let records = vec![
        ProduceRecord {
            key: Some(Bytes::from_static(b"user-1")),
            value: Some(Bytes::from_static(b"{\"n\":1}")),
            headers: vec![header("trace", b"abc")],
            timestamp_ms: 1_600_000_000_123,
        },
        ProduceRecord {
            key: Some(Bytes::from_static(b"user-1")),
            value: None,
            headers: vec![],
            timestamp_ms: 1_600_000_000_456,
        },
        ProduceRecord {
            key: Some(Bytes::from_static(&[0xff, 0x00, 0x1b])),
            value: Some(Bytes::from(binary.clone())),
            headers: vec![header("bin", &[0x80, 0x81])],
            timestamp_ms: 1_600_000_000_789,
        },
    ];
    let offsets = client
        .produce(&topic, 0, records, Compression::None)
        .await
        .unwrap();
    assert_eq!(offsets, vec![0, 1, 2]);

    // And one through the command line, with a key and headers.
    let out = kview_ok(
        b,
        &[
            "produce",
            "-t",
            &topic,
            "-k",
            "k2",
            "-H",
            "a=1",
            "-H",
            "b=2",
            "--json",
            "text value",
        ],
        None,
    );
    let written = json_lines(&out);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["partition"], 0);
    assert_eq!(written[0]["offset"], 3);

    let lines = json_lines(&kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    ));
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["key"], "user-1");
    assert_eq!(lines[0]["value"], "{\"n\":1}");
    assert_eq!(lines[0]["timestamp"], 1_600_000_000_123i64);
    assert_eq!(
        lines[0]["headers"],
        serde_json::json!([{"name": "trace", "value": "abc"}])
    );
    assert_eq!(lines[1]["value"], Value::Null);
    assert!(
        lines[1].get("value_base64").is_none(),
        "a tombstone is null, not empty"
    );
    assert_eq!(lines[1]["timestamp"], 1_600_000_000_456i64);
    assert_eq!(lines[2]["key"], Value::Null);
    assert_eq!(
        BASE64
            .decode(lines[2]["key_base64"].as_str().unwrap())
            .unwrap(),
        vec![0xff, 0x00, 0x1b]
    );
    assert_eq!(
        BASE64
            .decode(lines[2]["value_base64"].as_str().unwrap())
            .unwrap(),
        binary
    );
    assert_eq!(
        BASE64
            .decode(lines[2]["headers"][0]["value_base64"].as_str().unwrap())
            .unwrap(),
        vec![0x80, 0x81]
    );
    assert_eq!(lines[3]["key"], "k2");
    assert_eq!(lines[3]["value"], "text value");
    assert_eq!(
        lines[3]["headers"],
        serde_json::json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])
    );

    // Start positions: an offset, N before the end, a time, and a count.
    let from_two = json_lines(&kview_ok(
        b,
        &["consume", "-t", &topic, "-o", "2", "-e", "--format", "json"],
        None,
    ));
    assert_eq!(
        from_two
            .iter()
            .map(|l| l["offset"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    let last = json_lines(&kview_ok(
        b,
        &[
            "consume", "-t", &topic, "-o", "-1", "-e", "--format", "json",
        ],
        None,
    ));
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["offset"], 3);
    let by_time = json_lines(&kview_ok(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-o",
            "@1600000000400",
            "-c",
            "1",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(by_time.len(), 1);
    assert_eq!(by_time[0]["offset"], 1);
}

#[test]
fn null_header_values_and_repeated_names_from_kcat_are_read_exactly() {
    let b = broker();
    let topic = unique("headers");
    let _topic = create_topic(b, &topic, 1, 1);
    kcat(
        b,
        &[
            "-P", "-t", &topic, "-H", "dup=1", "-H", "dup=2", "-H", "nothing", "-H", "empty=",
        ],
        Some(b"payload\n"),
    );
    let lines = json_lines(&kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    ));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["value"], "payload");
    assert_eq!(
        lines[0]["headers"],
        serde_json::json!([
            {"name": "dup", "value": "1"},
            {"name": "dup", "value": "2"},
            {"name": "nothing", "value": null},
            {"name": "empty", "value": ""},
        ])
    );
}

fn numbered_lines(n: usize, tag: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(n * 40);
    for i in 0..n {
        data.extend_from_slice(format!("{tag}-{i:06}-{}\n", "x".repeat(i % 37)).as_bytes());
    }
    data
}

fn sorted_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines
}

#[test]
fn hundred_thousand_messages_from_kcat_read_back_identically() {
    let b = broker();
    let topic = unique("from-kcat");
    let _topic = create_topic(b, &topic, 4, 1);
    let input = numbered_lines(100_000, "kcat");
    kcat(b, &["-P", "-t", &topic, "-z", "lz4"], Some(&input));
    let out = kview_ok(b, &["consume", "-t", &topic, "-e"], None);
    let got = sorted_lines(&out);
    assert_eq!(got.len(), 100_000);
    assert_eq!(got, sorted_lines(&input));
}

#[test]
fn hundred_thousand_messages_from_kview_read_back_identically_by_kcat() {
    let b = broker();
    let topic = unique("to-kcat");
    let _topic = create_topic(b, &topic, 1, 1);
    let input = numbered_lines(100_000, "kview");
    kview_ok(b, &["produce", "-q", "-t", &topic], Some(&input));
    let out = kcat(b, &["-C", "-t", &topic, "-e", "-q", "-f", "%s\\n"], None);
    assert_eq!(out.len(), input.len());
    assert!(out == input, "kcat read back different bytes or order");
}

#[test]
fn compressed_batches_from_kview_read_back_identically_by_kcat() {
    let b = broker();
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let topic = unique(&format!("to-kcat-{codec}"));
        let _topic = create_topic(b, &topic, 2, 1);
        let input = numbered_lines(20_000, codec);
        kview_ok(
            b,
            &["produce", "-q", "-t", &topic, "-z", codec, "-K", "-"],
            Some(&input),
        );
        let out = kcat(b, &["-C", "-t", &topic, "-e", "-q", "-f", "%k-%s\\n"], None);
        assert_eq!(sorted_lines(&out), sorted_lines(&input), "{codec}");
    }
}

#[test]
fn null_header_values_from_kview_are_written_as_null() {
    let b = broker();
    let topic = unique("null-header");
    let _topic = create_topic(b, &topic, 1, 1);
    kview_ok(
        b,
        &[
            "produce", "-q", "-t", &topic, "-H", "trace", "-H", "a=1", "v",
        ],
        None,
    );
    let out = kcat(b, &["-C", "-t", &topic, "-e", "-q", "-f", "%h|%s\\n"], None);
    // kcat spells a null header value NULL.
    assert_eq!(String::from_utf8_lossy(&out).trim(), "trace=NULL,a=1|v");
    let read = kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    );
    let read = json_lines(&read);
    assert_eq!(read[0]["headers"][0]["value"], Value::Null, "{}", read[0]);
    // A repeated name is written as given: kcat reads both, in order.
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-H", "a=1", "-H", "a=2", "w"],
        None,
    );
    let out = kcat(
        b,
        &["-C", "-t", &topic, "-o", "-1", "-e", "-q", "-f", "%h|%s\\n"],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "a=1,a=2|w");
}

#[test]
fn create_describe_and_delete_a_topic() {
    let b = broker();
    let topic = unique("lifecycle");
    let out = kview_ok(b, &["create-topic", &topic, "-p", "3", "-r", "1"], None);
    assert!(String::from_utf8_lossy(&out).contains("created topic"));
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-p", "2", "a", "b"],
        None,
    );

    let topics = kview_json(b, &["topics", "--json"]);
    let listed = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == topic.as_str())
        .expect("listed");
    assert_eq!(listed["partitions"], 3);
    assert_eq!(listed["replication_factor"], 1);
    assert_eq!(listed["messages"], 2);

    let d = kview_json(b, &["describe", &topic, "--json"]);
    let parts = d["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    for p in parts {
        assert_eq!(p["leader"], 1);
        assert_eq!(p["replicas"], serde_json::json!([1]));
        assert_eq!(p["isr"], serde_json::json!([1]));
    }
    assert_eq!(parts[2]["low_watermark"], 0);
    assert_eq!(parts[2]["high_watermark"], 2);
    let configs = d["configs"].as_array().unwrap();
    assert!(
        configs
            .iter()
            .any(|c| c["name"] == "cleanup.policy" && c["value"] == "delete")
    );

    // Cross-check with kcat's view of the same topic.
    let meta: Value = serde_json::from_slice(&kcat(b, &["-L", "-J", "-t", &topic], None)).unwrap();
    assert_eq!(meta["topics"][0]["partitions"].as_array().unwrap().len(), 3);

    // CreatePartitions: up only.
    kview_ok(b, &["add-partitions", &topic, "-p", "5"], None);
    let d = kview_json(b, &["describe", &topic, "--json"]);
    assert_eq!(d["partitions"].as_array().unwrap().len(), 5);
    let meta: Value = serde_json::from_slice(&kcat(b, &["-L", "-J", "-t", &topic], None)).unwrap();
    assert_eq!(meta["topics"][0]["partitions"].as_array().unwrap().len(), 5);
    let out = kview(b, &["add-partitions", &topic, "-p", "2"], None);
    assert!(stderr_line(&out).contains("can only add partitions"));

    kview_ok(b, &["delete-topic", &topic, "--yes"], None);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = kview(b, &["describe", &topic], None);
        if !out.status.success() {
            assert_eq!(stderr_line(&out), format!("kview: unknown topic {topic:?}"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "topic still described after delete"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Parses `kafka-consumer-groups --describe` rows into (topic, partition) → (committed, end, lag).
fn kafka_group_describe(b: &str, group: &str) -> BTreeMap<(String, i64), (i64, i64, i64)> {
    let out = kafka_tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &["--bootstrap-server", b, "--describe", "--group", group],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 6
            && cols[0] == group
            && let (Ok(p), Ok(c), Ok(e), Ok(l)) = (
                cols[2].parse(),
                cols[3].parse(),
                cols[4].parse(),
                cols[5].parse(),
            )
        {
            rows.insert((cols[1].to_owned(), p), (c, e, l));
        }
    }
    rows
}

#[test]
fn lag_of_a_real_consumer_group_matches_kafkas_own_tool() {
    let b = broker();
    let topic = unique("lag");
    let group = unique("group");
    let _topic = create_topic(b, &topic, 2, 1);
    let first: Vec<u8> = (0..100)
        .map(|i| format!("k{i}:v{i}\n"))
        .collect::<String>()
        .into_bytes();
    kview_ok(b, &["produce", "-q", "-t", &topic, "-K", ":"], Some(&first));

    // Kafka's console consumer joins the group, reads and commits on exit.
    kafka_tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        &[
            "--bootstrap-server",
            b,
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "60",
            "--timeout-ms",
            "20000",
        ],
    );
    let more: Vec<u8> = (0..25)
        .map(|i| format!("m{i}:w{i}\n"))
        .collect::<String>()
        .into_bytes();
    kview_ok(b, &["produce", "-q", "-t", &topic, "-K", ":"], Some(&more));

    let report = kview_json(b, &["lag", &group, "--json"]);
    assert_eq!(report["group"], group.as_str());
    let parts = report["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);

    let d = kview_json(b, &["describe", &topic, "--json"]);
    let expected = kafka_group_describe(b, &group);
    let mut committed_total = 0;
    for p in parts {
        let partition = p["partition"].as_i64().unwrap();
        let high = d["partitions"][partition as usize]["high_watermark"]
            .as_i64()
            .unwrap();
        let committed = p["committed"].as_i64().expect("committed offset");
        committed_total += committed;
        assert_eq!(p["high_watermark"], high);
        assert_eq!(p["lag"].as_i64().unwrap(), high - committed);
        let (k_committed, k_end, k_lag) = expected[&(topic.clone(), partition)];
        assert_eq!(
            (committed, high, high - committed),
            (k_committed, k_end, k_lag)
        );
    }
    assert!(
        committed_total >= 60,
        "the console consumer committed what it read"
    );
    assert_eq!(report["total_lag"].as_i64().unwrap(), 125 - committed_total);

    let groups = kview_json(b, &["groups", "--json"]);
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == group.as_str())
    );
    let plain = String::from_utf8(kview_ok(b, &["lag", &group], None)).unwrap();
    assert!(plain.contains(&topic) && plain.contains(&format!("lag {}", 125 - committed_total)));
}

#[test]
fn errors_are_one_line_and_non_zero() {
    let b = broker();
    let topic = unique("errors");
    let _topic = create_topic(b, &topic, 2, 1);

    let out = kview("127.0.0.1:9999", &["topics"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_line(&out),
        "kview: cannot reach 127.0.0.1:9999: connection refused"
    );

    // Brokers from the environment when -b is not given.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kview"));
    cmd.args(["topics", "--json"]).env("KVIEW_BROKERS", b);
    let out = run(cmd, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kview"));
    cmd.args(["topics"]).env("KVIEW_BROKERS", "127.0.0.1:9999");
    assert_eq!(
        stderr_line(&run(cmd, None)),
        "kview: cannot reach 127.0.0.1:9999: connection refused"
    );

    // A listener that never answers: the stated timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let out = kview(&addr, &["--timeout", "1", "topics"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_line(&out).contains("timed out after 1s"),
        "{}",
        stderr_line(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (
            vec!["consume", "-t", "no-such-topic", "-e"],
            "unknown topic \"no-such-topic\"",
            1,
        ),
        (vec!["describe", "no-such-topic"], "unknown topic", 1),
        (
            vec!["produce", "-t", "no-such-topic", "v"],
            "unknown topic",
            1,
        ),
        (
            vec!["consume", "-t", &topic, "-p", "9"],
            "has no partition 9",
            1,
        ),
        (
            vec!["produce", "-t", &topic, "--partition=-3", "v"],
            "has no partition -3",
            1,
        ),
        (
            vec!["consume", "-t", &topic, "-o", "500", "-p", "0"],
            "offset 500 is out of range",
            1,
        ),
        (
            vec!["consume", "-t", &topic, "-o", "yesterday"],
            "invalid offset",
            2,
        ),
        (vec!["create-topic", "bad name!"], "invalid topic name", 1),
        (vec!["consume", "-t", "bad/name"], "invalid topic name", 1),
        (vec!["delete-topic", &topic], "without --yes", 1),
        (
            vec!["--read-only", "produce", "-t", &topic, "v"],
            "read-only",
            1,
        ),
    ];
    for (args, expected, code) in cases {
        let out = kview(b, &args, None);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let line = stderr_line(&out);
        assert!(
            line.starts_with("kview: ") && line.contains(expected),
            "{args:?}: {line}"
        );
        assert!(!line.contains("panicked"), "{line}");
    }
    // Nothing was written by the refused commands.
    let d = kview_json(b, &["describe", &topic, "--json"]);
    assert_eq!(d["messages"], 0);
}

#[test]
fn three_broker_cluster_replicates_and_survives_a_broker_stop() {
    let _alone = WHOLE_CLUSTER.write().unwrap_or_else(|p| p.into_inner());
    let c = cluster();
    let topic = unique("replicated");
    let _topic = create_topic(c, &topic, 3, 3);

    let d = kview_json(c, &["describe", &topic, "--json"]);
    for p in d["partitions"].as_array().unwrap() {
        assert_eq!(p["replicas"].as_array().unwrap().len(), 3);
        assert_eq!(p["isr"].as_array().unwrap().len(), 3);
    }
    let input: Vec<u8> = (0..300)
        .map(|i| format!("key{i}:value{i}\n"))
        .collect::<String>()
        .into_bytes();
    kview_ok(c, &["produce", "-q", "-t", &topic, "-K", ":"], Some(&input));

    stop_cluster_node(3);
    let result = std::panic::catch_unwind(|| {
        // The controller takes broker 3 out of every ISR; leadership moves off it.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let d = kview_json("127.0.0.1:19092", &["describe", &topic, "--json"]);
            let parts = d["partitions"].as_array().unwrap().clone();
            let shrunk = parts
                .iter()
                .all(|p| p["isr"].as_array().unwrap().len() == 2 && p["leader"] != 3);
            if shrunk {
                let plain =
                    String::from_utf8(kview_ok("127.0.0.1:19092", &["describe", &topic], None))
                        .unwrap();
                assert!(plain.contains("under-replicated"));
                break;
            }
            assert!(Instant::now() < deadline, "ISR did not shrink: {parts:?}");
            std::thread::sleep(Duration::from_millis(500));
        }
        let out = kview_ok(
            "127.0.0.1:19092,127.0.0.1:39092",
            &["consume", "-t", &topic, "-e"],
            None,
        );
        assert_eq!(sorted_lines(&out).len(), 300);
        let topics = kview_json("127.0.0.1:19092", &["topics", "--json"]);
        let t = topics
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == topic.as_str())
            .unwrap()
            .clone();
        assert_eq!(t["under_replicated_partitions"], 3);
        assert_eq!(t["messages"], 300);
    });
    start_cluster_node(3);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }

    // Groups and lag on the cluster too: a standalone commit by kview's own client.
    let group = unique("cluster-group");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = KafkaClient::connect(
            vec![c.split(',').next().unwrap().to_owned()],
            ConnSettings::default(),
        )
        .await
        .unwrap();
        client
            .commit_offsets(
                &group,
                &[
                    (topic.clone(), 0, 1),
                    (topic.clone(), 1, 0),
                    (topic.clone(), 2, 0),
                ],
            )
            .await
            .unwrap();
    });
    let report = kview_json(c, &["lag", &group, "--json"]);
    assert_eq!(report["total_lag"], 299);
    let groups = kview_json(c, &["groups", "--json"]);
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == group.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
// Each test has a runtime of its own: the guard only orders tests, no task waits on it.
#[allow(clippy::await_holding_lock)]
async fn watermarks_cost_two_requests_per_broker_not_per_partition() {
    let _whole = WHOLE_CLUSTER.read().unwrap_or_else(|p| p.into_inner());
    let c = cluster();
    let topic = unique("batched");
    let _topic = create_topic(c, &topic, 30, 1);
    let client = client(c).await;
    let keys: Vec<(String, i32)> = (0..30).map(|p| (topic.clone(), p)).collect();
    // The first call learns the leaders (one metadata request).
    let first = client.watermarks(&keys).await;
    assert!(first.iter().all(Result::is_ok), "{first:?}");
    let before = client.requests_sent();
    let marks = client.watermarks(&keys).await;
    let sent = client.requests_sent() - before;
    assert!(marks.iter().all(Result::is_ok));
    assert!(
        sent <= 2 * 3,
        "30 partitions on 3 brokers: earliest and latest, one request per leader each; sent {sent}"
    );
    // Three times per partition (a commit window's look-ups): three rounds per leader.
    let now = chrono::Utc::now().timestamp_millis();
    let asks: Vec<(String, i32, i64)> = (0..30)
        .flat_map(|p| [0, 1, 2].map(|k| (topic.clone(), p, now - k * 1000)))
        .collect();
    let before = client.requests_sent();
    let answers = client.offsets_for_times(&asks).await;
    let sent = client.requests_sent() - before;
    assert!(
        answers.iter().all(|a| *a.as_ref().unwrap() == 0),
        "an empty topic: 0"
    );
    assert!(sent <= 2 * 3 * 3, "sent {sent}");
}

#[tokio::test(flavor = "multi_thread")]
// Each test has a runtime of its own: the guard only orders tests, no task waits on it.
#[allow(clippy::await_holding_lock)]
async fn a_produce_costs_one_request_per_leader_not_per_partition() {
    let _whole = WHOLE_CLUSTER.read().unwrap_or_else(|p| p.into_inner());
    let c = cluster();
    let topic = unique("produce-batched");
    let _topic = create_topic(c, &topic, 30, 1);
    let client = client(c).await;
    let parts = |round: usize| -> Vec<(i32, Vec<ProduceRecord>)> {
        (0..30)
            .map(|p| {
                let records = (0..10)
                    .map(|i| ProduceRecord::value(format!("{round}-{p}-{i}")))
                    .collect();
                (p, records)
            })
            .collect()
    };
    // The first call also asks for a producer id and the leaders, and a topic this new may
    // answer NOT_LEADER until its leaders have taken over (the call waits and tries again).
    let first = client
        .produce_partitions(&topic, parts(0), Compression::None)
        .await;
    assert!(first.iter().all(|w| w.error.is_none()), "{first:?}");
    let before = client.requests_sent();
    let second = client
        .produce_partitions(&topic, parts(1), Compression::None)
        .await;
    let sent = client.requests_sent() - before;
    assert!(sent <= 3, "one Produce per leader; sent {sent}");
    for w in &second {
        assert!(w.error.is_none(), "{w:?}");
        assert_eq!(
            w.offsets,
            (10..20).collect::<Vec<i64>>(),
            "partition {}",
            w.partition
        );
    }
    let out = kview_ok(
        c,
        &["consume", "-t", &topic, "-p", "7", "-e", "--format", "raw"],
        None,
    );
    let expected: String = (0..2)
        .flat_map(|round| (0..10).map(move |i| format!("{round}-7-{i}\n")))
        .collect();
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_groups_are_described_in_one_request_per_coordinator() {
    let b = broker();
    let topic = unique("described");
    let _topic = create_topic(b, &topic, 1, 1);
    let client = client(b).await;
    let groups: Vec<String> = (0..5).map(|i| unique(&format!("described-{i}"))).collect();
    for g in &groups {
        client
            .commit_offsets(g, &[(topic.clone(), 0, 0)])
            .await
            .unwrap();
    }
    let listings: Vec<_> = client
        .list_groups()
        .await
        .unwrap()
        .into_iter()
        .filter(|l| groups.contains(&l.group_id))
        .collect();
    assert_eq!(listings.len(), groups.len());
    // The first call finds the coordinators; later ones remember them.
    let first = client.describe_groups(&listings).await;
    assert!(first.iter().all(Result::is_ok), "{first:?}");
    let before = client.requests_sent();
    let described = client.describe_groups(&listings).await;
    let sent = client.requests_sent() - before;
    assert_eq!(sent, 1, "one broker coordinates them all: one request");
    for (l, d) in listings.iter().zip(&described) {
        let d = d.as_ref().unwrap();
        assert_eq!(d.group_id, l.group_id);
        assert_eq!(d.state, "Empty");
    }
    // Their committed offsets: one OffsetFetch (v8+, many groups) too.
    let before = client.requests_sent();
    let committed = client.committed_offsets_of(&groups).await;
    assert_eq!(client.requests_sent() - before, 1);
    for c in committed {
        let c = c.unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].topic.as_str(), c[0].partition, c[0].offset),
            (topic.as_str(), 0, 0)
        );
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    for shell in ["bash", "zsh", "fish"] {
        let out = kview_command()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["consume", "schemas", "value-format", "schema-registry"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = kview_command().arg("man").output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") && page.contains(".TH kview 1"),
        "{page}"
    );
    assert!(page.contains("consume") && page.contains("schema\\-registry"));
    let out = kview_command()
        .args(["completions", "nosh"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn topic_configs_change_and_groups_are_deleted_on_the_real_broker() {
    let b = broker();
    let topic = unique("configured");
    let _topic = create_topic(b, &topic, 1, 1);
    kview_ok(
        b,
        &[
            "set-config",
            &topic,
            // In the units kview shows, written as Kafka stores them.
            "retention.ms=1h",
            "cleanup.policy=compact",
        ],
        None,
    );
    let described = kview_json(b, &["describe", &topic, "--json"]);
    let config = |name: &str| {
        described["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(config("retention.ms")["value"], "3600000");
    assert_eq!(config("cleanup.policy")["value"], "compact");
    kview_ok(b, &["set-config", &topic, "--unset", "retention.ms"], None);
    let described = kview_json(b, &["describe", &topic, "--json"]);
    let retention = described["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "retention.ms")
        .cloned()
        .unwrap();
    assert_eq!(
        retention["value"], "604800000",
        "back to the broker's default"
    );
    let bad = kview(b, &["set-config", &topic, "retention.ms=soon"], None);
    assert!(stderr_line(&bad).contains("is not a value of retention.ms"));
    let bad = kview(b, &["set-config", &topic, "cleanup.policy=sometimes"], None);
    assert!(
        stderr_line(&bad).contains("INVALID_CONFIG"),
        "the broker's own check"
    );
    let read_only = kview(
        b,
        &["--read-only", "set-config", &topic, "retention.ms=1"],
        None,
    );
    assert!(stderr_line(&read_only).contains("read-only"));

    // A group with committed offsets and no members is deleted; then it is gone.
    let group = unique("doomed");
    let client = client(b).await;
    client
        .commit_offsets(&group, &[(topic.clone(), 0, 0)])
        .await
        .unwrap();
    let refused = kview(b, &["delete-group", &group], None);
    assert!(stderr_line(&refused).contains("without --yes"));
    kview_ok(b, &["delete-group", &group, "--yes"], None);
    let groups = kview_json(b, &["groups", "--json"]);
    assert!(
        !groups.to_string().contains(&group),
        "the group is gone: {groups}"
    );
    let again = kview(b, &["delete-group", &group, "--yes"], None);
    assert!(stderr_line(&again).contains("no consumer group named"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brokers_configs_come_from_that_broker() {
    let b = broker();
    let client = client(b).await;
    let meta = client.metadata(Some(&[])).await.unwrap();
    let id = meta.brokers[0].id;
    let configs = client.broker_configs(id).await.unwrap();
    let get = |name: &str| configs.iter().find(|c| c.name == name).cloned();
    // scripts/kafka-local writes this into the broker's file; the default would be true.
    let auto = get("auto.create.topics.enable").expect("the broker's own config");
    assert_eq!(auto.value.as_deref(), Some("false"));
    assert!(!auto.is_default);
    assert!(get("log.dirs").is_some());
    assert!(
        client
            .broker_configs(9_999)
            .await
            .unwrap_err()
            .to_string()
            .contains("no broker 9999")
    );
}

#[test]
fn help_puts_the_connection_options_under_their_own_heading() {
    let out = kview_command()
        .args(["consume", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let own = help.find("-t, --topic").expect("consume's own options");
    let heading = help
        .find("Connection (every command):")
        .expect("a heading for the options every command takes");
    assert!(
        own < heading,
        "the command's own options come first:\n{help}"
    );
    for global in [
        "-b, --brokers",
        "--cluster",
        "-F, --command-config",
        "--timeout",
    ] {
        let at = help
            .find(global)
            .unwrap_or_else(|| panic!("{global} in:\n{help}"));
        assert!(at > heading, "{global} under the heading:\n{help}");
    }
    let topic_line = &help[own..];
    let description = topic_line.lines().nth(1).unwrap_or_default().trim();
    assert!(
        !description.is_empty(),
        "-t, --topic says what it is:\n{help}"
    );
    let root = kview_command().arg("--help").output().unwrap();
    let root = String::from_utf8(root.stdout).unwrap();
    assert!(!root.contains("[env: KVIEW_DEMO_PREFIX=]"), "{root}");
    assert!(root.contains("Dashboard:"), "{root}");
}

/// A live tail that fell behind asks where the log ends now and starts its next fetch there,
/// so it reads the records it will show instead of the thousands it would pass over.
#[tokio::test]
async fn a_tail_skips_to_where_the_log_ends_now_not_where_it_last_saw_it() {
    use kview::kafka::StartAt;
    use kview::kafka::reader::Reader;
    let b = broker();
    let topic = unique("tail-latest");
    let _topic = create_topic(b, &topic, 2, 1);
    let client = client(b).await;
    let records = |n: usize| -> Vec<ProduceRecord> {
        (0..n)
            .map(|i| ProduceRecord {
                key: None,
                value: Some(Bytes::from(format!("reading {i}"))),
                headers: vec![],
                timestamp_ms: 1_700_000_000_000 + i as i64,
            })
            .collect()
    };
    for partition in 0..2 {
        let offsets = client
            .produce(&topic, partition, records(300), Compression::None)
            .await
            .unwrap();
        assert_eq!(offsets.len(), 300);
    }
    let mut reader = Reader::open(&client, &topic, None, StartAt::Beginning, false)
        .await
        .unwrap();
    // The log grows after the reader last looked at its ends (300 a partition then).
    for partition in 0..2 {
        client
            .produce(&topic, partition, records(200), Compression::None)
            .await
            .unwrap();
    }
    let skipped = reader.skip_to_latest(&client, 100).await;
    assert_eq!(
        skipped,
        2 * (500 - 100),
        "each partition from 0 to 100 before 500"
    );
    assert_eq!(reader.positions(), vec![(0, 400), (1, 400)]);
    let mut batch = Vec::new();
    // A fetch answers for both partitions, or for one when the other's answer is cut.
    for _ in 0..10 {
        if batch.len() >= 200 {
            break;
        }
        reader.next_batch(&client, &mut batch).await.unwrap();
    }
    assert_eq!(batch.len(), 200, "the newest 100 of each partition");
    assert!(batch.iter().all(|m| (400..500).contains(&m.offset)));
}
