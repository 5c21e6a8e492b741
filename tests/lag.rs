//! Lag status, estimates, `check` and offset resets against the real broker, with commit
//! histories made by real commits (recorded by the broker in __consumer_offsets).

mod common;

use std::time::{Duration, Instant};

use common::*;
use kview::kafka::records::Isolation;
use kview::kafka::{Compression, FetchPosition, ProduceRecord};
use serde_json::Value;

fn produce(b: &str, topic: &str, n: usize) {
    let lines: String = (0..n).map(|i| format!("m{i}\n")).collect();
    kview_ok(
        b,
        &["produce", "-q", "-t", topic, "-p", "0"],
        Some(lines.as_bytes()),
    );
}

fn lag_report(b: &str, group: &str) -> Value {
    kview_json(b, &["lag", group, "--json"])
}

fn check(b: &str, group: &str) -> (i32, String) {
    let out = kview(b, &["check", group], None);
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(line.lines().count(), 1, "one summary line: {line:?}");
    (out.status.code().unwrap(), line)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_falling_behind_turns_warn_then_stop_when_it_stops() {
    let b = broker();
    let topic = unique("falling");
    let group = unique("slow");
    let _topic = create_topic(b, &topic, 1, 1);
    let c = client(b).await;

    // Production outpaces consumption: every round 20 arrive and the consumer commits 10 more.
    produce(b, &topic, 20);
    let mut committed = 0;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        produce(b, &topic, 20);
        committed += 10;
        c.commit_offsets(&group, &[(topic.clone(), 0, committed)])
            .await
            .unwrap();
    }
    let report = lag_report(b, &group);
    let p = &report["partitions"][0];
    assert_eq!(p["committed"], committed);
    assert_eq!(p["lag"], 140 - committed);
    assert_eq!(p["status"], "WARN", "{report}");
    assert_eq!(report["status"], "WARN");
    assert!(p["window"].as_u64().unwrap() >= 5, "{report}");
    assert_eq!(
        report["catch_up"]["kind"], "never",
        "consuming slower than producing: {report}"
    );
    let (code, line) = check(b, &group);
    assert_eq!(code, 1, "{line}");
    assert!(
        line.starts_with("WARN: ") && line.contains(&group),
        "{line}"
    );

    // The consumer stops; production goes on. Once the silence outlasts the window (here
    // about 1.5 s of commits): STOP.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        produce(b, &topic, 5);
        let report = lag_report(b, &group);
        if report["partitions"][0]["status"] == "STOP" {
            assert_eq!(report["status"], "ERR");
            let (code, line) = check(b, &group);
            assert_eq!(code, 2, "{line}");
            assert!(line.starts_with("ERR: "), "{line}");
            break;
        }
        assert!(Instant::now() < deadline, "never turned STOP: {report}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_catching_up_shows_a_finite_estimate_that_shrinks() {
    let b = broker();
    let topic = unique("catching");
    let group = unique("fast");
    let _topic = create_topic(b, &topic, 1, 1);
    let c = client(b).await;
    produce(b, &topic, 1000);

    let mut committed = 0;
    let mut estimates = Vec::new();
    for round in 0..8 {
        committed += 100;
        c.commit_offsets(&group, &[(topic.clone(), 0, committed)])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        if round >= 2 {
            let report = lag_report(b, &group);
            assert_eq!(report["total_lag"], 1000 - committed);
            assert_eq!(report["status"], "OK", "catching up is OK: {report}");
            assert_eq!(report["catch_up"]["kind"], "seconds", "{report}");
            estimates.push(report["catch_up"]["seconds"].as_f64().unwrap());
            let p = &report["partitions"][0];
            assert_eq!(p["lag_time_quality"], "exact");
            assert!(p["lag_ms"].as_i64().unwrap() >= 0);
        }
    }
    assert!(estimates.iter().all(|e| e.is_finite() && *e > 0.0));
    assert!(
        estimates.last().unwrap() < estimates.first().unwrap(),
        "the estimate shrinks as the lag does: {estimates:?}"
    );
    let (code, line) = check(b, &group);
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with("OK: 1 group, total lag"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_resets_preview_then_apply_and_show_in_lag() {
    let b = broker();
    let topic = unique("reset");
    let group = unique("resettable");
    let _topic = create_topic(b, &topic, 2, 1);
    produce(b, &topic, 50);
    let c = client(b).await;
    c.commit_offsets(&group, &[(topic.clone(), 0, 40), (topic.clone(), 1, 0)])
        .await
        .unwrap();

    // Preview: nothing changes.
    let preview: Value = serde_json::from_slice(&kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--shift-by",
            "-15",
            "--json",
        ],
        None,
    ))
    .unwrap();
    assert_eq!(preview["executed"], false);
    assert_eq!(preview["partitions"][0]["old_offset"], 40);
    assert_eq!(preview["partitions"][0]["new_offset"], 25);
    assert_eq!(preview["partitions"][0]["new_lag"], 25);
    assert_eq!(lag_report(b, &group)["partitions"][0]["committed"], 40);

    // Read-only refuses; --execute applies.
    let out = kview(
        b,
        &[
            "--read-only",
            "reset-offsets",
            &group,
            "--to-earliest",
            "--execute",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_line(&out).contains("read-only"));
    kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--shift-by",
            "-15",
            "--execute",
        ],
        None,
    );
    let report = lag_report(b, &group);
    assert_eq!(report["partitions"][0]["committed"], 25);
    assert_eq!(report["partitions"][0]["lag"], 25);

    kview_ok(
        b,
        &["reset-offsets", &group, "--to-latest", "--execute"],
        None,
    );
    assert_eq!(lag_report(b, &group)["total_lag"], 0);
    kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-offset",
            "10",
            "--execute",
        ],
        None,
    );
    let report = lag_report(b, &group);
    assert_eq!(report["partitions"][0]["committed"], 10);
    assert_eq!(report["partitions"][0]["lag"], 40);
    kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-datetime",
            "@0",
            "--execute",
        ],
        None,
    );
    assert_eq!(lag_report(b, &group)["total_lag"], 50);

    // A group with an active member (a real balanced consumer, kcat -G) is refused.
    let busy = unique("busy");
    let mut member = std::process::Command::new("kcat")
        .args(["-b", b, "-G", &busy, "-o", "beginning", "-q", &topic])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let out = kview(
            b,
            &[
                "reset-offsets",
                &busy,
                "-t",
                &topic,
                "--to-earliest",
                "--execute",
            ],
            None,
        );
        if !out.status.success() && stderr_line(&out).contains("active member") {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let _ = member.kill();
    let _ = member.wait();
    assert!(
        refused,
        "a reset of a group with active members must be refused"
    );
}

#[test]
fn lag_watch_refreshes_until_stopped() {
    let b = broker();
    let topic = unique("watched");
    let group = unique("watcher");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 10);
    kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-offset",
            "4",
            "--execute",
        ],
        None,
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kview"))
        .args(["-b", b, "lag", &group, "--watch", "--interval", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // One summary line per refresh: "<group> STATUS: lag 6 (...)".
    let summaries = text
        .lines()
        .filter(|l| l.starts_with(&group) && l.contains(": lag 6"))
        .count();
    assert!(summaries >= 2, "at least two refreshes in 3.5 s:\n{text}");
}

/// kcat as a real consumer in group `group`: reads `topic` to its end and leaves, committing.
fn kcat_consume_to_end(b: &str, group: &str, topic: &str) -> usize {
    let out = kcat(
        b,
        &[
            "-G",
            group,
            "-X",
            "auto.commit.interval.ms=100",
            "-X",
            "auto.offset.reset=earliest",
            "-e",
            "-q",
            topic,
        ],
        None,
    );
    String::from_utf8_lossy(&out).lines().count()
}

fn check_with(b: &str, args: &[&str]) -> (i32, String) {
    let out = kview(b, args, None);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

#[test]
fn a_real_consumer_that_stops_after_keeping_up_is_stop_not_ok_forever() {
    let b = broker();
    let topic = unique("kept-up");
    let group = unique("kcat-group");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 20);
    assert_eq!(kcat_consume_to_end(b, &group, &topic), 20);
    let (code, line) = check_with(b, &["check", &group]);
    assert_eq!(code, 0, "caught up and gone: {line}");

    // 150 more arrive; nobody reads them. The group has no members and its lag has grown since
    // its last commit: once the silence passes the floor, STOP and ERR — never OK.
    produce(b, &topic, 150);
    std::thread::sleep(Duration::from_millis(2_500));
    let report = kview_json(b, &["lag", &group, "--json", "--min-silence", "2s"]);
    assert_eq!(report["partitions"][0]["lag"], 150);
    assert_eq!(report["partitions"][0]["status"], "STOP", "{report}");
    assert_eq!(report["members"], 0);
    let (code, line) = check_with(b, &["check", &group, "--min-silence", "2s"]);
    assert_eq!(code, 2, "{line}");
    assert_eq!(line, format!("ERR: {group} ERR (lag 150: {topic}/0 STOP)"));
}

#[test]
fn a_real_consumer_keeping_pace_is_ok_and_keeping_up() {
    let b = broker();
    let topic = unique("paced");
    let group = unique("java-pace");
    let _topic = create_topic(b, &topic, 1, 1);
    // Kafka's own console consumer, committing every 200 ms.
    let mut consumer = std::process::Command::new(repo().join("scripts/kafka-local"))
        .args([
            "run-class",
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            b,
            "--topic",
            &topic,
            "--group",
            &group,
            "--consumer-property",
            "auto.commit.interval.ms=200",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the console consumer runs");
    // Once it has joined and committed (a first message read and committed)...
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        produce(b, &topic, 1);
        std::thread::sleep(Duration::from_millis(500));
        let out = kview(b, &["lag", &group, "--json"], None);
        if out.status.success() {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            if report["members"] == 1 && report["total_lag"] == 0 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the consumer never joined the group"
        );
    }
    // ...about 100 messages a second for a few seconds, read as they come.
    let mut statuses = Vec::new();
    for round in 0..30 {
        produce(b, &topic, 20);
        std::thread::sleep(Duration::from_millis(200));
        if round >= 15 && round % 5 == 0 {
            let report = kview_json(b, &["lag", &group, "--json"]);
            statuses.push((
                report["status"].as_str().unwrap_or("").to_owned(),
                report["catch_up"]["kind"].as_str().unwrap_or("").to_owned(),
                report["total_lag"].as_i64().unwrap_or(-1),
            ));
        }
    }
    // The script execs java, so this ends the consumer itself.
    let _ = consumer.kill();
    let _ = consumer.wait();
    for (status, catch_up, lag) in &statuses {
        assert_eq!(status, "OK", "{statuses:?}");
        assert!(
            ["caught_up", "keeping_up"].contains(&catch_up.as_str()),
            "a consumer keeping pace never reads 'never': {statuses:?}"
        );
        assert!(*lag < 200, "{statuses:?}");
    }
}

#[test]
fn resetting_a_real_consumers_group_backwards_shows_rewind() {
    let b = broker();
    let topic = unique("rewound");
    let group = unique("kcat-rewind");
    let _topic = create_topic(b, &topic, 1, 1);
    // Two sessions of kcat, a second apart: the window holds commits at 10 and then 30.
    produce(b, &topic, 10);
    assert_eq!(kcat_consume_to_end(b, &group, &topic), 10);
    std::thread::sleep(Duration::from_millis(1_000));
    produce(b, &topic, 20);
    assert_eq!(kcat_consume_to_end(b, &group, &topic), 20);
    kview_ok(
        b,
        &["reset-offsets", &group, "--to-offset", "5", "--execute"],
        None,
    );
    let report = kview_json(b, &["lag", &group, "--json"]);
    assert_eq!(report["partitions"][0]["lag"], 25);
    assert_eq!(report["partitions"][0]["status"], "REWIND", "{report}");
    let (code, line) = check_with(b, &["check", &group]);
    assert_eq!(code, 2, "{line}");
    assert!(line.contains("REWIND"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_that_do_not_move_while_lag_grows_are_stall() {
    let b = broker();
    let topic = unique("stalled");
    let group = unique("stuck");
    let _topic = create_topic(b, &topic, 1, 1);
    let c = client(b).await;
    produce(b, &topic, 10);
    // A consumer stuck on one record keeps committing its position while messages arrive.
    for _ in 0..6 {
        produce(b, &topic, 10);
        c.commit_offsets(&group, &[(topic.clone(), 0, 5)])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let report = lag_report(b, &group);
    assert_eq!(report["partitions"][0]["status"], "STALL", "{report}");
    assert_eq!(report["status"], "ERR");
}

#[test]
fn check_says_unknown_when_it_cannot_tell() {
    let b = broker();
    let (code, line) = check_with(b, &["check", &unique("no-such-group")]);
    assert_eq!(code, 3, "{line}");
    assert!(line.starts_with("UNKNOWN: unknown group"), "{line}");
    let (code, line) = check_with("127.0.0.1:1", &["check", "--timeout", "2", "any"]);
    assert_eq!(code, 3, "{line}");
    assert_eq!(
        line,
        "UNKNOWN: cannot reach 127.0.0.1:1: connection refused"
    );
    let out = kview("127.0.0.1:1", &["check", "--json", "any"], None);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "UNKNOWN");
    assert_eq!(json["exit_code"], 3);
    // A configuration it cannot read: it cannot tell either.
    let out = kview_env(
        &["--config", "/nonexistent/kview.toml", "check", "any"],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("UNKNOWN: cannot read config file"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn thresholds_on_top_of_the_rules_name_their_reason() {
    let b = broker();
    let topic = unique("threshold");
    let group = unique("kcat-threshold");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 10);
    assert_eq!(kcat_consume_to_end(b, &group, &topic), 10);
    produce(b, &topic, 40);
    let (code, line) = check_with(b, &["check", &group, "--max-lag", "30"]);
    assert_eq!(code, 2, "{line}");
    assert!(line.contains("lag 40 > --max-lag 30"), "{line}");
    let out = kview(
        b,
        &[
            "check",
            &group,
            "--max-lag",
            "100",
            "--max-lag-time",
            "1h",
            "--json",
        ],
        None,
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = json["groups"][0]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .all(|r| !r.as_str().unwrap().contains("--max-lag")),
        "under both thresholds: {json}"
    );
}

#[test]
fn lag_watch_into_a_pipe_writes_no_terminal_escapes() {
    let b = broker();
    let topic = unique("watched");
    let group = unique("kcat-watched");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 5);
    assert_eq!(kcat_consume_to_end(b, &group, &topic), 5);
    let bin = env!("CARGO_BIN_EXE_kview");
    for (json, check_line) in [(false, "GROUP"), (true, "{")] {
        let mut cmd = std::process::Command::new("timeout");
        cmd.args([
            "3",
            bin,
            "-b",
            b,
            "lag",
            &group,
            "--watch",
            "--interval",
            "1",
        ]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains('\x1b'), "no escapes into a pipe: {text:?}");
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(check_line)).collect();
        assert!(lines.len() >= 2, "a table or JSON line per refresh: {text}");
        if json {
            for l in lines {
                let v: Value = serde_json::from_str(l).expect("one JSON document per line");
                assert_eq!(v["group"], group.as_str());
            }
        }
    }
}

/// The lag in time of every lagging committed offset comes from the record there: many groups
/// on many partitions ask for thousands of them (a connection each, once), so they go one
/// fetch per leader and are remembered.
#[tokio::test(flavor = "multi_thread")]
async fn timestamps_at_offsets_cost_a_fetch_per_leader_and_are_remembered() {
    let c = cluster();
    let topic = unique("stamps");
    let _topic = create_topic(c, &topic, 30, 1);
    let client = client(c).await;
    let stamp = |p: i32, i: i64| 1_700_000_000_000 + p as i64 * 1_000 + i;
    let parts: Vec<(i32, Vec<ProduceRecord>)> = (0..30)
        .map(|p| {
            let records = (0..3)
                .map(|i| ProduceRecord {
                    timestamp_ms: stamp(p, i),
                    ..ProduceRecord::value(format!("{p}-{i}"))
                })
                .collect();
            (p, records)
        })
        .collect();
    let written = client
        .produce_partitions(&topic, parts, Compression::None)
        .await;
    assert!(written.iter().all(|w| w.error.is_none()), "{written:?}");
    // Each partition twice (offsets 0 and 2): a partition appears once a fetch, so twice is
    // two rounds.
    let wanted: Vec<FetchPosition> = (0..30)
        .flat_map(|p| {
            [0, 2].map(|offset| FetchPosition {
                topic: topic.clone(),
                partition: p,
                offset,
            })
        })
        .collect();
    // Read uncommitted is never remembered (an open transaction's record may be aborted): a
    // first call that learns the leaders, and reads the same.
    let expected: Vec<Option<i64>> = wanted
        .iter()
        .map(|w| Some(stamp(w.partition, w.offset)))
        .collect();
    let uncommitted = client
        .timestamps_at(&wanted, Isolation::ReadUncommitted)
        .await;
    assert_eq!(uncommitted, expected);
    let before = client.requests_sent();
    let stamps = client
        .timestamps_at(&wanted, Isolation::ReadCommitted)
        .await;
    let sent = client.requests_sent() - before;
    assert_eq!(stamps, expected);
    assert!(
        sent <= 2 * 3,
        "60 offsets of 30 partitions on 3 brokers: two rounds of a fetch per leader; sent {sent}"
    );
    let before = client.requests_sent();
    let again = client
        .timestamps_at(&wanted, Isolation::ReadCommitted)
        .await;
    assert_eq!(again, expected);
    assert_eq!(
        client.requests_sent() - before,
        0,
        "remembered, not asked again"
    );
    // Past the end there is no record: unknown, not a time.
    let past = [FetchPosition {
        topic: topic.clone(),
        partition: 0,
        offset: 3,
    }];
    assert_eq!(
        client.timestamps_at(&past, Isolation::ReadCommitted).await,
        vec![None]
    );
}
