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
    member_of(protocol, &[topic], group, out, &[])
}

/// A member reading with `-f '%t %s\n'`, each line `topic value`.
fn subscriber(protocol: Protocol, subscription: &[&str], group: &str, out: &Path) -> Background {
    member_of(protocol, subscription, group, out, &["-f", "%t %s\\n"])
}

fn member_of(
    protocol: Protocol,
    subscription: &[&str],
    group: &str,
    out: &Path,
    more: &[&str],
) -> Background {
    let mut command = kview_command();
    command.args(["-b", broker(), "consume", "-G", group]);
    for topic in subscription {
        command.args(["-t", topic]);
    }
    command
        .args(["-o", "beginning", "--commit-interval", "1s"])
        .args(more);
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
fn what_a_member_cannot_do_is_one_line_and_joins_nothing() {
    let group = unique("members-refused");
    for (args, says) in [
        (
            &["-G", &group, "-t", "anything", "-p", "0"][..],
            "-p and -G do not go together",
        ),
        (
            &[
                "-G",
                &group,
                "-t",
                "^orders(",
                "--group-protocol",
                "classic",
            ],
            "-t ^orders(: not a regex",
        ),
        (
            &["-G", &group, "-t", "^orders.*", "-t", "payments"],
            "a regex subscription takes one -t",
        ),
        (
            &["-t", "orders", "-t", "payments"],
            "several topics are read with -G GROUP",
        ),
        (&["-t", "^orders.*"], "is read with -G GROUP"),
    ] {
        let mut all = vec!["consume"];
        all.extend_from_slice(args);
        let out = kview(broker(), &all, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let line = stderr_line(&out);
        assert!(line.contains(says), "{line}");
    }
    assert!(members(&group).is_empty());
}

/// `n` values `{label}{i}` into `topic`.
fn produce_labelled(topic: &str, label: &str, n: usize) {
    let lines: String = (0..n).map(|i| format!("{label}{i}\n")).collect();
    kview_ok(
        broker(),
        &["produce", "-q", "-t", topic],
        Some(lines.as_bytes()),
    );
}

/// Waits until the files hold `expected` lines in all, then checks that each was read once.
fn read_exactly(files: &[&Path], expected: &[String]) {
    wait_until("every record read", 90, || {
        let counts = read_counts(files);
        let missing = expected.iter().filter(|l| !counts.contains_key(*l)).count();
        if missing == 0 {
            Ok(())
        } else {
            Err(format!("{missing} of {} missing", expected.len()))
        }
    });
    let counts = read_counts(files);
    let unexpected: Vec<_> = counts
        .iter()
        .filter(|(line, n)| **n != 1 || !expected.contains(line))
        .collect();
    assert!(
        unexpected.is_empty(),
        "read twice or not asked for: {unexpected:?}"
    );
}

/// The topics `group` has committed offsets in, as Kafka's own tool lists them.
fn committed_topics(group: &str) -> std::collections::BTreeSet<String> {
    let out = kafka_tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &[
            "--bootstrap-server",
            broker(),
            "--describe",
            "--group",
            group,
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(group))
        .filter_map(|l| {
            // GROUP TOPIC PARTITION CURRENT-OFFSET ...
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.get(3)?.parse::<i64>().ok()?;
            Some(cells[1].to_owned())
        })
        .collect()
}

#[test]
fn a_regex_member_reads_every_matching_topic_and_one_created_later() {
    regex_subscription(Protocol::Consumer);
}

#[test]
fn the_same_with_the_classic_protocol_resolving_the_regex_itself() {
    regex_subscription(Protocol::Classic);
}

fn regex_subscription(protocol: Protocol) {
    let prefix = unique("subs");
    let (a, b, c) = (
        format!("{prefix}.a"),
        format!("{prefix}.b"),
        format!("{prefix}.c"),
    );
    // Matched by a search, but not as a whole name: Kafka's consumers match whole names.
    let near = format!("x{prefix}.a");
    let group = unique("subs-group");
    let _guards = [
        create_topic(broker(), &a, 3, 1),
        create_topic(broker(), &b, 2, 1),
        create_topic(broker(), &near, 1, 1),
    ];
    produce_labelled(&a, "a", 100);
    produce_labelled(&b, "b", 50);
    produce_labelled(&near, "x", 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let regex = format!("^{prefix}\\..*");
    let member = subscriber(protocol, &[&regex], &group, &out);

    let mut expected: Vec<String> = (0..100).map(|i| format!("{a} a{i}")).collect();
    expected.extend((0..50).map(|i| format!("{b} b{i}")));
    read_exactly(&[&out], &expected);

    // A topic created while the member runs is taken in (the coordinator, or the member
    // itself in a classic group, looks again) and read from its beginning.
    let _later = create_topic(broker(), &c, 2, 1);
    produce_labelled(&c, "c", 40);
    expected.extend((0..40).map(|i| format!("{c} c{i}")));
    read_exactly(&[&out], &expected);

    member.terminate();
    let committed = committed_topics(&group);
    let wanted: std::collections::BTreeSet<String> = [a, b, c].into_iter().collect();
    assert_eq!(
        committed, wanted,
        "offsets committed in every matching topic"
    );
}

#[test]
fn two_members_share_the_partitions_of_two_topics_and_read_each_record_once() {
    let (orders, payments) = (unique("multi-orders"), unique("multi-payments"));
    let group = unique("multi-group");
    let _guards = [
        create_topic(broker(), &orders, 3, 1),
        create_topic(broker(), &payments, 3, 1),
    ];
    let dir = tempfile::tempdir().unwrap();
    let files = [dir.path().join("one"), dir.path().join("two")];
    let topics = [orders.as_str(), payments.as_str()];
    let one = subscriber(Protocol::Consumer, &topics, &group, &files[0]);
    let two = subscriber(Protocol::Classic, &topics, &group, &files[1]);
    // Classic and consumer members share a group on a Kafka 4 broker (KIP-848's upgrade path).
    wait_until("two members holding all six partitions", 90, || {
        let m = members(&group);
        let held: usize = m.iter().map(|(_, n)| n).sum();
        if m.len() == 2 && held == 6 && m.iter().all(|(_, n)| *n > 0) {
            Ok(())
        } else {
            Err(format!("{m:?}"))
        }
    });
    produce_labelled(&orders, "o", 300);
    produce_labelled(&payments, "p", 300);
    let mut expected: Vec<String> = (0..300).map(|i| format!("{orders} o{i}")).collect();
    expected.extend((0..300).map(|i| format!("{payments} p{i}")));
    read_exactly(&[&files[0], &files[1]], &expected);
    for f in &files {
        let read = std::fs::read_to_string(f).unwrap();
        assert!(!read.is_empty(), "{f:?} read its share");
    }
    one.terminate();
    two.terminate();
    let wanted: std::collections::BTreeSet<String> = [orders, payments].into_iter().collect();
    assert_eq!(committed_topics(&group), wanted);
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
