//! kview as a member of a consumer group, of Kafka 4's protocol (KIP-848) and of the classic
//! one, beside Kafka's own console consumer in the same group, against the real broker.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    /// Kafka 4's consumer protocol (KIP-848), what kview picks on its own here.
    Consumer,
    Classic,
    /// The classic protocol with the range assignor: eager, everything given up each round.
    ClassicRange,
}

/// A member writing what it reads to `out` (and what it says to `out` + `.err`), one value a
/// line; killed when dropped (a failed test leaves no member behind).
fn kview_member(protocol: Protocol, topic: &str, group: &str, out: &Path) -> Background {
    let mut command = kview_command();
    command
        .args(["-b", broker(), "consume", "-G", group, "-t", topic])
        .args(["-o", "beginning", "--commit-interval", "1s"]);
    if protocol != Protocol::Consumer {
        command.args(["--group-protocol", "classic", "--session-timeout", "10s"]);
    }
    if protocol == Protocol::ClassicRange {
        command.args(["--assignor", "range"]);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
        .spawn()
        .unwrap();
    Background { child }
}

fn java_member(protocol: Protocol, topic: &str, group: &str, out: &Path) -> Background {
    let protocol = match protocol {
        Protocol::Consumer => "group.protocol=consumer",
        // Kafka's defaults otherwise: range and cooperative-sticky offered, eager rebalances.
        Protocol::Classic | Protocol::ClassicRange => "session.timeout.ms=10000",
    };
    let child = Command::new(repo().join("scripts/kafka-local"))
        .args([
            "run-class",
            CONSOLE_CONSUMER,
            "--bootstrap-server",
            broker(),
        ])
        .args(["--topic", topic, "--group", group, "--from-beginning"])
        .args(["--consumer-property", protocol])
        .args(["--consumer-property", "auto.commit.interval.ms=1000"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Background { child }
}

/// Every line of the files, counted.
fn read_counts(files: &[&Path]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap_or_default().lines() {
            *counts.entry(line.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// Members of `group` and how many partitions each owns, as Kafka's own tool says.
fn members(group: &str) -> Vec<(String, usize)> {
    let out = kafka_tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &[
            "--bootstrap-server",
            broker(),
            "--describe",
            "--members",
            "--group",
            group,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .filter(|l| l.starts_with(group))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS
            let client = cells.get(3)?.to_string();
            let partitions = cells.get(4)?.parse().ok()?;
            Some((client, partitions))
        })
        .collect()
}

fn produce(topic: &str, from: usize, to: usize) {
    let lines: String = (from..to).map(|i| format!("m{i}\n")).collect();
    kview_ok(
        broker(),
        &["produce", "-q", "-t", topic],
        Some(lines.as_bytes()),
    );
}

#[test]
fn kview_members_and_a_java_member_share_a_group_and_survivors_take_over_a_killed_one() {
    share_and_take_over(Protocol::Consumer);
}

#[test]
fn the_same_in_a_classic_protocol_group() {
    share_and_take_over(Protocol::Classic);
}

#[test]
fn the_same_in_a_classic_group_of_the_range_assignor() {
    share_and_take_over(Protocol::ClassicRange);
}

fn share_and_take_over(protocol: Protocol) {
    let topic = unique("members");
    let group = unique("members-group");
    let _guard = create_topic(broker(), &topic, 6, 1);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = ["a", "b", "java"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let mut a = kview_member(protocol, &topic, &group, &files[0]);
    let mut b = kview_member(protocol, &topic, &group, &files[1]);
    let java = java_member(protocol, &topic, &group, &files[2]);

    // All three hold partitions before anything is written: each message is read once.
    let seen = wait_until("three members with two partitions each", 90, || {
        let m = members(&group);
        let busy = m.iter().filter(|(_, n)| *n > 0).count();
        if m.len() == 3 && busy == 3 {
            Ok(m)
        } else {
            Err(format!("{m:?}"))
        }
    });
    assert_eq!(
        seen.iter()
            .filter(|(client, _)| client.starts_with("kview"))
            .count(),
        2,
        "kview's members say who they are: {seen:?}"
    );
    // Each kview member says once which protocol it joined with.
    let said = wait_until("kview saying how it joined", 30, || {
        let said = std::fs::read_to_string(files[0].with_extension("err")).unwrap();
        if said.is_empty() { Err(said) } else { Ok(said) }
    });
    let expected = match protocol {
        Protocol::Consumer => "with Kafka 4's consumer protocol (KIP-848)",
        Protocol::Classic => "with the classic protocol (cooperative-sticky)",
        Protocol::ClassicRange => "with the classic protocol (range)",
    };
    assert_eq!(said.matches("kview: joined group").count(), 1, "{said}");
    assert!(said.contains(expected), "{said}");
    produce(&topic, 0, 600);
    let all: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    wait_until("every message read", 60, || {
        let counts = read_counts(&all);
        if (0..600).all(|i| counts.contains_key(&format!("m{i}"))) {
            Ok(())
        } else {
            Err(format!("{} of 600", counts.len()))
        }
    });
    let counts = read_counts(&all);
    assert!(
        counts.values().all(|n| *n == 1),
        "each read once while no one left"
    );
    assert_eq!(counts.len(), 600);
    for f in &all {
        assert!(
            !std::fs::read_to_string(f).unwrap().is_empty(),
            "{f:?} read its share"
        );
    }

    // One kview member dies without a word: the others take its partitions.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    wait_until("the survivors holding all six partitions", 90, || {
        let m = members(&group);
        let held: usize = m.iter().map(|(_, n)| n).sum();
        if m.len() == 2 && held == 6 {
            Ok(())
        } else {
            Err(format!("{m:?}"))
        }
    });
    produce(&topic, 600, 900);
    let survivors = [files[1].as_path(), files[2].as_path()];
    wait_until("every later message read by the survivors", 60, || {
        let counts = read_counts(&survivors);
        let missing = (600..900)
            .filter(|i| !counts.contains_key(&format!("m{i}")))
            .count();
        if missing == 0 {
            Ok(())
        } else {
            Err(format!("{missing} missing"))
        }
    });
    // What the dead member read after its last commit is read again, and nothing else.
    let all = read_counts(&all);
    let doubled = all.values().filter(|n| **n > 1).count();
    assert!(doubled <= 600, "{doubled} read twice");
    assert!(all.values().all(|n| *n <= 2));

    // SIGTERM: the kview member commits and leaves, exit 0.
    Command::new("kill")
        .args(["-TERM", &b.child.id().to_string()])
        .status()
        .unwrap();
    assert!(b.child.wait().unwrap().success());
    wait_until("the Java member alone", 60, || {
        let m = members(&group);
        if m.len() == 1 && m[0].1 == 6 {
            Ok(())
        } else {
            Err(format!("{m:?}"))
        }
    });
    java.terminate();
}

#[test]
fn a_member_that_read_its_count_commits_exactly_that_and_leaves_at_once() {
    let topic = unique("members-count");
    let group = unique("members-count-group");
    let _guard = create_topic(broker(), &topic, 1, 1);
    // Far more than one fetch: the reader is ahead of the writer when it stops.
    let pad = "x".repeat(100);
    let lines: String = (0..200_000).map(|i| format!("m{i} {pad}\n")).collect();
    kview_ok(
        broker(),
        &["produce", "-q", "-t", &topic],
        Some(lines.as_bytes()),
    );
    let mut cmd = Command::new("timeout");
    cmd.arg("60")
        .arg(env!("CARGO_BIN_EXE_kview"))
        .args(["-b", broker(), "consume", "-G", &group, "-t", &topic])
        .args(["-o", "beginning", "-c", "5"])
        .env("XDG_CONFIG_HOME", repo().join("target/test-config-home"));
    let out = run(cmd, None);
    assert!(out.status.success(), "{out:?}");
    let read: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(read, ["m0", "m1", "m2", "m3", "m4"]);
    let lag = kview_json(broker(), &["lag", &group, "--json"]);
    let text = lag.to_string();
    assert!(text.contains("\"committed\":5"), "{text}");
    assert_eq!(members(&group).len(), 0, "it left the group");
}

#[test]
fn a_member_with_e_reads_to_the_end_of_what_it_owns_commits_it_and_leaves() {
    let topic = unique("members-end");
    let group = unique("members-end-group");
    let _guard = create_topic(broker(), &topic, 3, 1);
    produce(&topic, 0, 300);
    let mut cmd = Command::new("timeout");
    cmd.arg("60")
        .arg(env!("CARGO_BIN_EXE_kview"))
        .args(["-b", broker(), "consume", "-G", &group, "-t", &topic])
        .args(["-o", "beginning", "-e"])
        .env("XDG_CONFIG_HOME", repo().join("target/test-config-home"));
    let out = run(cmd, None);
    assert!(out.status.success(), "{out:?}");
    let mut read: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    read.sort();
    let mut all: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    all.sort();
    assert_eq!(read, all);
    let lag = kview_json(broker(), &["lag", &group, "--json"]).to_string();
    assert!(lag.contains("\"lag\":0"), "{lag}");
    assert!(!lag.contains("\"committed\":null"), "{lag}");
    assert_eq!(members(&group).len(), 0, "it left the group");
}

#[test]
fn what_a_member_cannot_do_yet_is_one_line_and_joins_nothing() {
    let group = unique("members-refused");
    for (args, says) in [
        (
            &["-t", "^orders.*"][..],
            "regex subscriptions are not supported yet",
        ),
        (
            &["-t", "anything", "-p", "0"],
            "-p and -G do not go together",
        ),
    ] {
        let mut all = vec!["consume", "-G", &group];
        all.extend_from_slice(args);
        let out = kview(broker(), &all, None);
        assert_eq!(out.status.code(), Some(1));
        let line = stderr_line(&out);
        assert!(line.contains(says), "{line}");
    }
    assert!(members(&group).is_empty());
}

#[test]
fn a_member_whose_output_closes_leaves_the_group_at_once() {
    use std::io::BufRead;
    let topic = unique("members-pipe");
    let group = unique("members-pipe-group");
    let _guard = create_topic(broker(), &topic, 2, 1);
    produce(&topic, 0, 50_000);
    // `kview consume -G … | head -1`: the pipe closes after a line.
    let mut child = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_kview"))
        .args([
            "-b",
            broker(),
            "consume",
            "-G",
            &group,
            "-t",
            &topic,
            "-o",
            "beginning",
        ])
        .env("XDG_CONFIG_HOME", repo().join("target/test-config-home"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('m'), "{first:?}");
    let status = child.wait().unwrap();
    assert_ne!(
        status.code(),
        Some(124),
        "still running a minute after its output closed"
    );
    assert!(members(&group).is_empty(), "it left the group");
}

/// Each member's instance id and partitions, as `kview groups GROUP` describes them (none
/// before the group exists).
fn static_members(group: &str) -> Vec<(String, Vec<i64>)> {
    let out = kview(broker(), &["groups", group, "--json"], None);
    let described: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    let mut members: Vec<(String, Vec<i64>)> = described["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let mut partitions: Vec<i64> = m["assignment"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["partition"].as_i64())
                .collect();
            partitions.sort();
            (
                m["instance_id"].as_str().unwrap_or("").to_owned(),
                partitions,
            )
        })
        .collect();
    members.sort();
    members
}

#[test]
fn a_static_member_that_comes_back_keeps_its_partitions() {
    let topic = unique("members-static");
    let group = unique("members-static-group");
    let _guard = create_topic(broker(), &topic, 4, 1);
    let dir = tempfile::tempdir().unwrap();
    let member = |instance: &str, out: &str| {
        let child = kview_command()
            .args(["-b", broker(), "consume", "-G", &group, "-t", &topic])
            .args(["-o", "beginning", "--commit-interval", "1s"])
            .args(["--instance-id", instance])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join(out)).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Background { child }
    };
    let a = member("a", "a1");
    let _b = member("b", "b");
    let before = wait_until("two static members with two partitions each", 60, || {
        let m = static_members(&group);
        if m.len() == 2 && m.iter().all(|(_, p)| p.len() == 2) {
            Ok(m)
        } else {
            Err(format!("{m:?}"))
        }
    });
    // SIGTERM: a static member commits and goes away for a while; its partitions wait for it
    // (until the session times out) instead of moving to the other member.
    a.terminate();
    assert_eq!(static_members(&group), before, "held for the static member");
    let _a_again = member("a", "a2");
    let after = wait_until("the static member back with partitions", 60, || {
        let m = static_members(&group);
        let back = m.iter().any(|(id, p)| id == "a" && p.len() == 2);
        if back { Ok(m) } else { Err(format!("{m:?}")) }
    });
    assert_eq!(after, before, "the same partitions as before");
}
