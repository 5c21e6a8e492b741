//! Groups as Kafka 4 has them, against the real broker and Kafka's own Java tools: consumer
//! groups of the new protocol (KIP-848) read as ConsumerGroupCommand reads them, share groups
//! (KIP-932) as ShareGroupCommand does, and neither kind hides or breaks the others in `lag`
//! and `check`; the dashboard keeps the open group fresh however rarely the rest are polled.

mod common;

use std::collections::BTreeMap;

use common::tmux::Tmux;
use common::*;
use serde_json::Value;

const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";
const SHARE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleShareConsumer";
const GROUP_COMMAND: &str = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
const SHARE_COMMAND: &str = "org.apache.kafka.tools.consumer.group.ShareGroupCommand";

fn produce(b: &str, topic: &str, n: usize) {
    let lines: String = (0..n).map(|i| format!("m{i}\n")).collect();
    kview_ok(b, &["produce", "-q", "-t", topic], Some(lines.as_bytes()));
}

/// A Java console consumer of Kafka 4's consumer protocol in `group`.
fn consumer_protocol_member(b: &str, topic: &str, group: &str) -> Background {
    kafka_tool_background(
        CONSOLE_CONSUMER,
        &[
            "--bootstrap-server",
            b,
            "--topic",
            topic,
            "--group",
            group,
            "--from-beginning",
            "--consumer-property",
            "group.protocol=consumer",
            "--consumer-property",
            "auto.commit.interval.ms=500",
        ],
    )
}

fn share_member(b: &str, topic: &str, group: &str) -> Background {
    kafka_tool_background(
        SHARE_CONSUMER,
        &["--bootstrap-server", b, "--topic", topic, "--group", group],
    )
}

/// The rows of a Kafka tool's table whose first column is `group`, as header → value maps.
fn tool_rows(out: &[u8], group: &str) -> Vec<BTreeMap<String, String>> {
    let text = String::from_utf8_lossy(out);
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.first() == Some(&"GROUP") {
            // "COORDINATOR (ID)" is two words in a header of one-word values.
            header = line
                .replace("COORDINATOR (ID)", "COORDINATOR")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
        } else if cells.first() == Some(&group) && !header.is_empty() {
            let cells: Vec<String> = line
                .replace("  (", "(")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            rows.push(header.iter().cloned().zip(cells).collect());
        }
    }
    rows
}

fn lag_json(b: &str, group: &str) -> Result<Value, String> {
    let out = kview(b, &["lag", group, "--json"], None);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

#[test]
fn a_consumer_protocol_group_reads_as_kafkas_own_tool_reads_it() {
    let b = broker();
    let topic = unique("kip848");
    let group = unique("kip848-group");
    let _topic = create_topic(b, &topic, 4, 1);
    produce(b, &topic, 40);
    // Members heartbeat every 5 s in this group (the local brokers' default is 1 s), so a
    // rebalance stays reconciling long enough to be seen: the first member gives partitions
    // up only at its next heartbeat.
    kafka_tool(
        "kafka.admin.ConfigCommand",
        &[
            "--bootstrap-server",
            b,
            "--alter",
            "--entity-type",
            "groups",
            "--entity-name",
            &group,
            "--add-config",
            "consumer.heartbeat.interval.ms=5000",
        ],
    );

    let first = consumer_protocol_member(b, &topic, &group);
    let report = wait_until("one member that read everything", 60, || {
        let r = lag_json(b, &group)?;
        let ok = r["kind"] == "consumer"
            && r["members"] == 1
            && r["total_lag"] == 0
            && r["partitions"]
                .as_array()
                .is_some_and(|p| p.len() == 4 && p.iter().all(|p| !p["owner"].is_null()));
        if ok { Ok(r) } else { Err(r.to_string()) }
    });
    assert_eq!(report["state"], "Stable", "{report}");
    assert_eq!(
        report["status"], "OK",
        "a live consumer keeping up: {report}"
    );
    assert_eq!(
        report["protocol"], "uniform",
        "the broker's assignor: {report}"
    );

    // As ConsumerGroupCommand says it: state and members, then each partition's offsets, lag
    // and owner.
    let state = kafka_tool(
        GROUP_COMMAND,
        &[
            "--bootstrap-server",
            b,
            "--describe",
            "--group",
            &group,
            "--state",
        ],
    );
    let state = &tool_rows(&state.stdout, &group)[0];
    assert_eq!(state["STATE"], "Stable");
    assert_eq!(state["#MEMBERS"], "1");
    assert_eq!(state["ASSIGNMENT-STRATEGY"], "uniform");
    let described = kafka_tool(
        GROUP_COMMAND,
        &["--bootstrap-server", b, "--describe", "--group", &group],
    );
    let rows = tool_rows(&described.stdout, &group);
    assert_eq!(
        rows.len(),
        4,
        "{}",
        String::from_utf8_lossy(&described.stdout)
    );
    let members = kview_json(b, &["groups", &group, "--json"]);
    let member_id = members["members"][0]["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for row in &rows {
        let p: i64 = row["PARTITION"].parse().unwrap();
        let ours = report["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["partition"] == p)
            .unwrap();
        assert_eq!(
            ours["committed"].to_string(),
            row["CURRENT-OFFSET"],
            "{row:?}"
        );
        assert_eq!(
            ours["high_watermark"].to_string(),
            row["LOG-END-OFFSET"],
            "{row:?}"
        );
        assert_eq!(ours["lag"].to_string(), row["LAG"], "{row:?}");
        assert_eq!(row["CONSUMER-ID"], member_id, "{row:?}");
        assert_eq!(ours["owner"]["member_id"], member_id.as_str());
    }

    // A second member: the coordinator moves partitions to it, which reads as reconciling
    // until both have taken what they were given, then settles with two members.
    let second = consumer_protocol_member(b, &topic, &group);
    let reconciling_seen = wait_until("a rebalance, reconciling or settled", 60, || {
        let g = kview_json(b, &["groups", &group, "--json"]);
        let reconciling = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["target_assignment"] != m["assignment"]);
        match g["members"].as_array().unwrap().len() {
            2 if reconciling => Ok(true),
            2 => Ok(false),
            _ => Err(g.to_string()),
        }
    });
    let settled = wait_until("two members holding two partitions each", 60, || {
        let g = kview_json(b, &["groups", &group, "--json"]);
        let held: Vec<usize> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["assignment"].as_array().unwrap().len())
            .collect();
        if held == [2, 2] {
            Ok(g)
        } else {
            Err(g.to_string())
        }
    });
    let listed = String::from_utf8(kview_ok(b, &["groups"], None)).unwrap();
    let row = listed
        .lines()
        .find(|l| l.starts_with(&group))
        .unwrap()
        .to_owned();
    assert!(
        row.contains("consumer") && row.contains("Stable") && row.contains(" 2 "),
        "{row}"
    );
    let epochs = (
        settled["group_epoch"].as_i64(),
        settled["assignment_epoch"].as_i64(),
    );
    assert!(
        epochs.0.is_some() && epochs.0 == epochs.1,
        "settled: {settled}"
    );
    // The first member gives partitions up at its next heartbeat (seconds away), so the
    // first look at two members finds the new one waiting for what it was assigned.
    assert!(reconciling_seen, "the rebalance reads as reconciling first");

    // The second leaves (SIGTERM: the console consumer leaves its group); the first takes
    // every partition back, and lag follows it.
    second.terminate();
    wait_until(
        "the first member alone again, owning every partition",
        60,
        || {
            let r = lag_json(b, &group)?;
            let all_first = r["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["owner"]["member_id"] == member_id.as_str());
            if r["members"] == 1 && all_first {
                Ok(())
            } else {
                Err(r.to_string())
            }
        },
    );
    drop(first);
}

#[test]
fn a_share_group_is_listed_and_described_as_kafkas_own_tool_says() {
    let b = broker();
    let topic = unique("share");
    let group = unique("share-group");
    let _topic = create_topic(b, &topic, 2, 1);
    let member = share_member(b, &topic, &group);
    // A share consumer starts at the latest offset: records written after it joined.
    let listed = wait_until("the share group with its member", 60, || {
        produce(b, &topic, 4);
        let g = kview_json(b, &["groups", "--json"]);
        let row = g
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == group.as_str())
            .cloned();
        match row {
            Some(r) if r["members"] == 1 => Ok(r),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(listed["kind"], "share", "{listed}");
    // Start offsets: kview's and ShareGroupCommand's, read until they agree (the consumer
    // keeps acknowledging between the two reads).
    wait_until(
        "kview's start offsets equal ShareGroupCommand's",
        90,
        || {
            let r = lag_json(b, &group)?;
            let tool = kafka_tool(
                SHARE_COMMAND,
                &["--bootstrap-server", b, "--describe", "--group", &group],
            );
            let theirs: BTreeMap<i64, String> = tool_rows(&tool.stdout, &group)
                .into_iter()
                .map(|row| {
                    (
                        row["PARTITION"].parse().unwrap(),
                        row["START-OFFSET"].clone(),
                    )
                })
                .collect();
            let ours: BTreeMap<i64, String> = r["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["start_offset"].is_null())
                .map(|p| {
                    (
                        p["partition"].as_i64().unwrap(),
                        p["start_offset"].to_string(),
                    )
                })
                .collect();
            if ours.len() < 2 {
                // Its partitions start when it first reads them: give it records to read.
                produce(b, &topic, 4);
            }
            if ours.len() == 2 && ours == theirs {
                Ok(())
            } else {
                Err(format!("kview {ours:?}, ShareGroupCommand {theirs:?}"))
            }
        },
    );
    let report = lag_json(b, &group).unwrap();
    assert_eq!(report["status"], "NOT_JUDGED", "{report}");
    assert!(
        report["total_lag"].is_null(),
        "a share group has no lag in 4.1: {report}"
    );
    let text = String::from_utf8(kview_ok(b, &["lag", &group], None)).unwrap();
    assert!(
        text.contains("SHARE GROUP") && text.contains("START TRAILS BY"),
        "{text}"
    );
    assert!(text.contains("not lag"), "labelled for what it is: {text}");
    drop(member);
}

#[test]
fn a_share_group_never_hides_a_failing_group_from_lag_and_check() {
    let b = broker();
    let topic = unique("mixed");
    let share = unique("mixed-share");
    let failing = unique("mixed-rewound");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 10);
    let _member = share_member(b, &topic, &share);
    wait_until("the share group", 60, || {
        let g = kview_json(b, &["groups", "--json"]);
        let found = g
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["group"] == share.as_str());
        if found {
            Ok(())
        } else {
            Err("not listed yet".into())
        }
    });
    // A group whose offsets went backwards: REWIND, so ERR.
    for offset in ["5", "1"] {
        kview_ok(
            b,
            &[
                "reset-offsets",
                &failing,
                "-t",
                &topic,
                "--to-offset",
                offset,
                "--execute",
            ],
            None,
        );
    }

    // Every group: the share group is set aside, the failing group decides the exit code.
    let out = kview(b, &["check"], None);
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "{line}");
    assert!(line.contains(&format!("{failing} ERR")), "{line}");
    assert!(
        line.contains("not judged") && line.contains(&share),
        "{line}"
    );

    // Named together: the share group is UNKNOWN, and the ERR still wins.
    let out = kview(b, &["check", &failing, &share], None);
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "{line}");
    assert!(line.contains(&format!("{share} N/A")), "{line}");
    // Named alone, kview says it cannot judge it.
    let out = kview(b, &["check", &share], None);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // `kview lag` reports every group, the share group and the failing one among them.
    let out = kview(b, &["lag"], None);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("{failing} ERR")), "{text}");
    assert!(
        text.contains(&format!("{share} N/A: share group")),
        "{text}"
    );
    let all = kview_json(b, &["lag", "--json"]);
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] == share.as_str() || r["group"] == failing.as_str())
        .map(|r| r["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(kinds.len(), 2, "{all}");
    assert!(
        kinds.contains(&"share") && kinds.contains(&"classic"),
        "{kinds:?}"
    );
}

#[test]
fn a_group_that_committed_nothing_has_no_lag_and_check_says_so() {
    let b = broker();
    let topic = unique("nocommit");
    let group = unique("nocommit-group");
    let _topic = create_topic(b, &topic, 2, 1);
    produce(b, &topic, 6);
    // A real consumer joins, reads and leaves without committing.
    kafka_tool(
        CONSOLE_CONSUMER,
        &[
            "--bootstrap-server",
            b,
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "3",
            "--consumer-property",
            "enable.auto.commit=false",
        ],
    );
    let report = lag_json(b, &group).unwrap();
    assert_eq!(report["status"], "NO_COMMITS", "{report}");
    assert!(report["total_lag"].is_null(), "never 0: {report}");
    let text = String::from_utf8(kview_ok(b, &["lag", &group], None)).unwrap();
    assert!(text.contains("no committed offsets, lag unknown"), "{text}");
    assert!(!text.contains("caught up"), "{text}");
    let out = kview(b, &["check", &group], None);
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "the stated rule: WARN: {line}");
    assert!(line.contains("no committed offsets"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_of_every_kind_are_described_in_one_request_per_coordinator_and_kind() {
    let b = broker();
    let topic = unique("kinds");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 10);
    let prefix = unique("kinds-group");
    let classic: Vec<String> = (0..3).map(|i| format!("{prefix}-classic-{i}")).collect();
    let consumer: Vec<String> = (0..2).map(|i| format!("{prefix}-consumer-{i}")).collect();
    let share = format!("{prefix}-share");
    let client = client(b).await;
    for g in &classic {
        client
            .commit_offsets(g, &[(topic.clone(), 0, 1)])
            .await
            .unwrap();
    }
    // Consumer-protocol groups that read one record and left (they stay, Empty).
    for g in &consumer {
        kafka_tool(
            CONSOLE_CONSUMER,
            &[
                "--bootstrap-server",
                b,
                "--topic",
                &topic,
                "--group",
                g,
                "--from-beginning",
                "--max-messages",
                "1",
                "--consumer-property",
                "group.protocol=consumer",
            ],
        );
    }
    let member = share_member(b, &topic, &share);
    // Listed once the share consumer has joined (an await loop: this test runs on tokio).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let listings = loop {
        let listed: Vec<_> = client
            .list_groups()
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.group_id.starts_with(&prefix))
            .collect();
        if listed.len() == 6 {
            break listed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "every group listed: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    let kinds: Vec<&str> = listings.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "classic").count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "consumer").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "share").count(),
        1,
        "{kinds:?}"
    );
    // The first call finds the coordinators; the second costs one request per kind.
    let first = client.describe_groups(&listings).await;
    assert!(first.iter().all(Result::is_ok), "{first:?}");
    let before = client.requests_sent();
    let described = client.describe_groups(&listings).await;
    assert_eq!(
        client.requests_sent() - before,
        3,
        "one broker coordinates them all: one DescribeGroups, one ConsumerGroupDescribe, one ShareGroupDescribe"
    );
    for (l, d) in listings.iter().zip(&described) {
        let d = d.as_ref().unwrap();
        assert_eq!(d.kind, l.kind, "{}", l.group_id);
        assert_ne!(d.state, "Dead", "{}: described by its own API", l.group_id);
    }
    drop(member);
}

#[test]
fn the_dashboard_shows_consumer_and_share_groups_at_80x24() {
    let b = broker();
    let topic = unique("dash-kinds");
    let prefix = unique("dk");
    let (consumer, share) = (format!("{prefix}-c"), format!("{prefix}-s"));
    let _topic = create_topic(b, &topic, 2, 1);
    produce(b, &topic, 10);
    let _consumer = consumer_protocol_member(b, &topic, &consumer);
    let _share = share_member(b, &topic, &share);
    wait_until("both groups with a member", 60, || {
        produce(b, &topic, 2);
        let g = kview_json(b, &["groups", "--json"]);
        let members = |name: &str| {
            g.as_array()
                .unwrap()
                .iter()
                .find(|r| r["group"] == name)
                .map(|r| r["members"].clone())
        };
        match (members(&consumer), members(&share)) {
            (Some(a), Some(b)) if a == 1 && b == 1 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -b {b}; sleep 60"), 80, 24);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("groups");
    tmux.keys(&["Enter", "/"]);
    tmux.type_text(&prefix);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("both groups", |s| s.contains("Consumer groups (2)"));
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| {
                l.contains(&name[..12])
                    && l.contains(if name == consumer {
                        "consumer"
                    } else {
                        "share"
                    })
            })
            .map(str::to_owned)
    };
    assert!(
        row(&consumer).is_some_and(|r| r.contains("Stable")),
        "{screen}"
    );
    assert!(row(&share).is_some(), "{screen}");
    // The consumer group: its member, of the consumer protocol, holds both partitions.
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for("the consumer group's members", |s| s.contains("┌ Members"));
    assert!(
        detail.contains("consumer group") && detail.contains("console-consumer"),
        "{detail}"
    );
    assert!(!detail.contains("members unknown"), "{detail}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the groups again", |s| s.contains("Consumer groups (2)"));
    tmux.keys(&["j", "Enter"]);
    let detail = tmux.wait_for("the share group", |s| s.contains("share group"));
    assert!(
        detail.contains("START") && detail.contains("TRAILS"),
        "{detail}"
    );
}

/// A profile that polls every group once an hour still has the group the user opens polled
/// every few seconds: a commit made while it is open shows, and the table says how often the
/// rest are polled.
#[test]
fn the_open_group_stays_fresh_while_every_group_is_polled_rarely() {
    let b = broker();
    let topic = unique("fresh");
    let group = unique("fresh-group");
    let _topic = create_topic(b, &topic, 1, 1);
    produce(b, &topic, 10);
    let commit = |offset: &str| {
        kview_ok(
            b,
            &[
                "reset-offsets",
                &group,
                "-t",
                &topic,
                "--to-offset",
                offset,
                "--execute",
            ],
            None,
        )
    };
    commit("3");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[clusters.hourly]\nbrokers = \"{b}\"\ngroup_refresh = \"1h\"\n"),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_kview");
    let command = format!(
        "{bin} --config {} --cluster hourly; sleep 60",
        config.display()
    );
    let tmux = Tmux::start(&command, 160, 40);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("groups");
    tmux.keys(&["Enter", "/"]);
    tmux.type_text(&group);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the group's row, polled hourly", |s| {
        s.contains("polled every 1h00m") && s.lines().any(|l| l.contains(&group))
    });
    // The partition's row: committed, high watermark, lag.
    let row_says = |screen: &str, committed: &str, lag: &str| {
        screen.lines().any(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            l.contains(&topic[..12]) && cells.windows(3).any(|w| w == [committed, "10", lag])
        })
    };
    tmux.keys(&["Enter"]);
    tmux.wait_for("committed 3 of 10", |s| row_says(s, "3", "7"));
    commit("8");
    tmux.wait_for("committed 8 of 10, within the hour", |s| {
        row_says(s, "8", "2")
    });
}
