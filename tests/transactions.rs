//! Transactions against the real broker, with a real transactional producer (Kafka's own client,
//! tests/peers/Txn.java) and real peers: kview reads what kcat (read_committed, librdkafka's
//! default) reads; read_uncommitted shows the rest marked; an open transaction holds the last
//! stable offset and is listed as Kafka's TransactionsCommand lists it, then aborted.

mod common;

use common::tmux::Tmux;
use common::*;
use serde_json::Value;

const TRANSACTIONS_COMMAND: &str = "org.apache.kafka.tools.TransactionsCommand";

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn committed_reads_equal_kcats_and_aborted_records_show_only_when_asked_and_marked() {
    let b = broker();
    let topic = unique("txn-read");
    let _topic = create_topic(b, &topic, 1, 1);
    transactional_producer(b, &topic, &["commit:20", "abort:12", "commit:5"]);

    // What kcat reads (read_committed): the 25 committed records, in order.
    let theirs = String::from_utf8(kcat(b, &["-C", "-t", &topic, "-e", "-q"], None)).unwrap();
    let ours = String::from_utf8(kview_ok(b, &["consume", "-t", &topic, "-e"], None)).unwrap();
    assert_eq!(theirs.lines().count(), 25, "{theirs}");
    assert_eq!(ours, theirs, "kview reads exactly what kcat reads");
    let json = json_lines(&kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    ));
    assert_eq!(json.len(), 25);
    assert!(
        json.iter().all(|r| r.get("transaction").is_none()),
        "no marks when committed"
    );

    // Read uncommitted: everything, each record saying how its transaction ended.
    let all = json_lines(&kview_ok(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-e",
            "--format",
            "json",
            "--isolation",
            "read_uncommitted",
        ],
        None,
    ));
    assert_eq!(all.len(), 37);
    for r in &all {
        let value = r["value"].as_str().unwrap();
        let expected = if value.starts_with("abort-") {
            "aborted"
        } else {
            "committed"
        };
        assert_eq!(r["transaction"], expected, "{r}");
    }
    // Raw output has no room for a mark: stderr says which records are aborted.
    let raw = kview(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-e",
            "--isolation",
            "read_uncommitted",
        ],
        None,
    );
    assert!(raw.status.success());
    let said = String::from_utf8_lossy(&raw.stderr);
    assert_eq!(
        said.lines()
            .filter(|l| l.contains("aborted transaction"))
            .count(),
        12,
        "{said}"
    );
}

#[test]
fn an_open_transaction_holds_the_last_stable_offset_is_listed_and_can_be_aborted() {
    let b = broker();
    let topic = unique("txn-open");
    let id = unique("txn-open-id");
    let _topic = create_topic(b, &topic, 1, 1);
    let producer = open_transaction(b, &topic, &id, &["commit:3", "open:4"]);

    let described = kview_json(b, &["describe", &topic, "--json"]);
    let p = &described["partitions"][0];
    assert_eq!(p["high_watermark"], 8, "3 records, a marker, 4 open: {p}");
    assert_eq!(p["last_stable_offset"], 4, "{p}");
    assert_eq!(p["open_transactions"][0]["start_offset"], 4, "{p}");
    let text = String::from_utf8(kview_ok(b, &["describe", &topic], None)).unwrap();
    assert!(
        text.contains("STABLE")
            && text.contains("1 open transaction since")
            && text.contains("holds 4 records"),
        "{text}"
    );
    // A committed read ends at the last stable offset (it does not wait for ever).
    let read = String::from_utf8(kview_ok(b, &["consume", "-t", &topic, "-e"], None)).unwrap();
    assert_eq!(read.lines().count(), 3, "{read}");

    // Listed as Kafka's own tool lists it.
    let listed = kview_json(b, &["transactions", "--json"]);
    let ours = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["transactional_id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} listed: {listed}"));
    assert_eq!(ours["state"], "Ongoing");
    assert_eq!(
        ours["partitions"],
        serde_json::json!([format!("{topic}/0")])
    );
    let tool = kafka_tool(
        TRANSACTIONS_COMMAND,
        &[
            "--bootstrap-server",
            b,
            "describe",
            "--transactional-id",
            &id,
        ],
    );
    let tool = String::from_utf8_lossy(&tool.stdout).into_owned();
    let row = tool.lines().nth(1).unwrap_or_default();
    assert!(
        row.contains("Ongoing") && row.contains(&format!("{topic}-0")),
        "{tool}"
    );
    assert!(
        row.contains(&ours["producer_id"].to_string()),
        "the same producer id: {tool} / {ours}"
    );
    // Its coordinator knows it: not hanging.
    let hanging = kview_json(
        b,
        &[
            "transactions",
            "hanging",
            "-t",
            &topic,
            "--max-age",
            "1s",
            "--json",
        ],
    );
    assert_eq!(hanging, serde_json::json!([]));

    // Aborted from kview: the last stable offset catches up, and the 4 read as aborted.
    let refused = kview(
        b,
        &[
            "--read-only",
            "transactions",
            "abort",
            "-t",
            &topic,
            "-p",
            "0",
            "--start-offset",
            "4",
            "--yes",
        ],
        None,
    );
    assert!(stderr_line(&refused).contains("read-only"));
    let wrong = kview(
        b,
        &[
            "transactions",
            "abort",
            "-t",
            &topic,
            "-p",
            "0",
            "--start-offset",
            "1",
            "--yes",
        ],
        None,
    );
    assert!(
        stderr_line(&wrong).contains("no open transaction starts at offset 1"),
        "{}",
        stderr_line(&wrong)
    );
    kview_ok(
        b,
        &[
            "transactions",
            "abort",
            "-t",
            &topic,
            "-p",
            "0",
            "--start-offset",
            "4",
            "--yes",
        ],
        None,
    );
    let described = kview_json(b, &["describe", &topic, "--json"]);
    assert!(
        described["partitions"][0]
            .get("last_stable_offset")
            .is_none(),
        "nothing held back: {described}"
    );
    let all = json_lines(&kview_ok(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-e",
            "--format",
            "json",
            "--isolation",
            "read_uncommitted",
        ],
        None,
    ));
    let aborted = all.iter().filter(|r| r["transaction"] == "aborted").count();
    assert_eq!(aborted, 4, "{all:?}");
    drop(producer);
}

#[test]
fn a_group_that_read_past_a_commit_marker_has_no_lag() {
    let b = broker();
    let topic = unique("txn-lag");
    let group = unique("txn-lag-group");
    let _topic = create_topic(b, &topic, 1, 1);
    transactional_producer(b, &topic, &["commit:10", "commit:5"]);
    // A real read-committed consumer group (kcat -G) reads it all and commits.
    kcat(
        b,
        &[
            "-G",
            &group,
            "-X",
            "auto.offset.reset=earliest",
            "-e",
            "-q",
            &topic,
        ],
        None,
    );
    let report = kview_json(b, &["lag", &group, "--json"]);
    assert_eq!(
        report["total_lag"], 0,
        "never a permanent lag of 1: {report}"
    );
    assert_eq!(
        report["partitions"][0]["high_watermark"], 17,
        "two markers: {report}"
    );
    assert_eq!(report["partitions"][0]["committed"], 17, "{report}");
    let out = kview(b, &["check", &group], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_browser_and_the_topic_search_show_only_committed_records() {
    let b = broker();
    let topic = unique("txn-browse");
    let _topic = create_topic(b, &topic, 1, 1);
    transactional_producer(b, &topic, &["commit:6", "abort:4"]);
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -b {b}; sleep 60"), 80, 24);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {topic}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic", |s| s.contains("Partitions (Enter: messages)"));
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("the committed records", |s| s.contains("6 loaded"));
    assert!(!screen.contains("abort-"), "{screen}");
    // The whole-topic search reads committed records too.
    tmux.keys(&["S"]);
    tmux.type_text("abort-");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the search's answer", |s| s.contains("no match for abort-"));
    // `I` reads the same range again, everything, the aborted records marked.
    tmux.keys(&["I"]);
    let screen = tmux.wait_for("every record", |s| s.contains("10 loaded"));
    assert!(screen.contains("read uncommitted"), "{screen}");
    assert!(screen.contains("aborted"), "{screen}");
}

#[test]
fn lag_held_by_an_open_transaction_is_said_and_not_held_against_the_group() {
    let b = broker();
    let topic = unique("txn-held");
    let group = unique("txn-held-group");
    let _topic = create_topic(b, &topic, 1, 1);
    let producer = open_transaction(b, &topic, &unique("txn-held-id"), &["commit:5", "open:3"]);
    // kcat reads committed: all it can is the 5 records and the marker, and it commits 6;
    // twice, so the group has a history of commits to be judged by.
    for _ in 0..2 {
        kcat(
            b,
            &[
                "-G",
                &group,
                "-X",
                "auto.offset.reset=earliest",
                "-e",
                "-q",
                &topic,
            ],
            None,
        );
    }
    let report = kview_json(b, &["lag", &group, "--json"]);
    let p = &report["partitions"][0];
    assert_eq!(p["committed"], 6, "{report}");
    assert_eq!(p["lag"], 3, "as Kafka's tools count it: {report}");
    assert_eq!(p["last_stable_offset"], 6, "{report}");
    assert_eq!(p["held_by_open_transactions"], 3, "{report}");
    assert_eq!(report["status"], "OK", "it read all it can: {report}");
    let text = String::from_utf8(kview_ok(b, &["lag", &group], None)).unwrap();
    assert!(text.contains("3 (3 in open transactions)"), "{text}");
    drop(producer);
}
