//! Replicas and leaders on the three-broker cluster, against the real brokers and beside
//! Kafka's own tools: the quorum, a topic moved to three replicas under a throttle, a move
//! cancelled, and leaders elected back onto their preferred replicas after a broker restarts.
//! One test: it stops a broker, which no other test of this binary may see.

mod common;

use common::*;

/// A config the topic sets itself (not a default), as `describe --json` shows it.
fn config_of(topic: &str, key: &str) -> Option<String> {
    let json = kview_json(cluster(), &["describe", topic, "--json"]);
    json["configs"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == key && c["is_default"] == false)
        .and_then(|c| c["value"].as_str().map(str::to_owned))
        .filter(|v| !v.is_empty())
}

/// Partitions of `topic` not led by their preferred replica, and whether all have 3 in sync.
fn leadership(topic: &str) -> (usize, bool) {
    let json = kview_json(cluster(), &["describe", topic, "--json"]);
    let partitions = json["partitions"].as_array().unwrap();
    let off = partitions
        .iter()
        .filter(|p| p["leader"] != p["replicas"][0])
        .count();
    let synced = partitions
        .iter()
        .all(|p| p["isr"].as_array().unwrap().len() == 3);
    (off, synced)
}

#[test]
fn a_topic_goes_to_three_replicas_and_leaders_go_back_to_their_preferred_replicas() {
    // The quorum first, while every node runs: kview and Kafka's tool name the same leader.
    // A quorum under load may elect anew between two looks: asked until both agree.
    let quorum = wait_until("kview and Kafka's tool naming one leader", 60, || {
        let quorum = kview_json(cluster(), &["quorum", "--json"]);
        let peer = kafka_tool(
            "org.apache.kafka.tools.MetadataQuorumCommand",
            &["--bootstrap-server", cluster(), "describe", "--status"],
        );
        let peer = String::from_utf8_lossy(&peer.stdout).into_owned();
        let leader = peer
            .lines()
            .find_map(|l| l.strip_prefix("LeaderId:"))
            .and_then(|l| l.trim().parse::<i64>().ok());
        if leader.is_some() && quorum["quorum"]["leader"].as_i64() == leader {
            Ok(quorum)
        } else {
            Err(format!("{quorum} / {peer}"))
        }
    });
    let voters = quorum["quorum"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["voter"] == true)
        .count();
    assert_eq!(voters, 3, "{quorum}");
    assert!(quorum["features"].to_string().contains("metadata.version"));

    let topic = unique("rf");
    let _guard = create_topic(cluster(), &topic, 6, 1);
    let plan = succeeded(&kview(
        cluster(),
        &["reassign", &topic, "--replication-factor", "3"],
        None,
    ));
    assert!(plan.contains("run again with --execute"), "{plan}");
    assert_eq!(
        kview_json(cluster(), &["describe", &topic, "--json"])["replication_factor"],
        1
    );
    let started = succeeded(&kview(
        cluster(),
        &[
            "reassign",
            &topic,
            "--replication-factor",
            "3",
            "--throttle",
            "50MiB",
            "--execute",
        ],
        None,
    ));
    assert!(started.contains("throttled to 50 MiB/s"), "{started}");
    // The throttle is Kafka's own: the topic names the replicas it holds back.
    let throttled = config_of(&topic, "follower.replication.throttled.replicas");
    assert!(
        throttled.as_deref().is_some_and(|v| v.contains(':')),
        "{throttled:?}"
    );
    wait_until(
        "three replicas in sync everywhere",
        90,
        || match leadership(&topic) {
            (_, true) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let moving = eventually(
        "the move finished",
        || kview(cluster(), &["reassignments", "--json"], None),
        |t| !t.contains(&topic),
    );
    assert!(!moving.contains(&topic));
    let lifted = succeeded(&kview(
        cluster(),
        &["reassignments", "--clear-throttle", &topic],
        None,
    ));
    assert!(lifted.contains("throttle lifted from"), "{lifted}");
    wait_until("the throttle gone from the topic", 30, || {
        match config_of(&topic, "follower.replication.throttled.replicas") {
            None => Ok(()),
            Some(v) => Err(v),
        }
    });

    // A move held back by a tiny throttle is still under way when it is cancelled: the
    // partition keeps the replica it had.
    let slow = unique("rf-cancel");
    let _slow_guard = create_topic(cluster(), &slow, 1, 1);
    let value = "x".repeat(10_000);
    let lines: String = (0..300).map(|_| format!("{value}\n")).collect();
    kview_ok(
        cluster(),
        &["produce", "-q", "-t", &slow],
        Some(lines.as_bytes()),
    );
    let before =
        kview_json(cluster(), &["describe", &slow, "--json"])["partitions"][0]["replicas"].clone();
    succeeded(&kview(
        cluster(),
        &[
            "reassign",
            &slow,
            "--replication-factor",
            "3",
            "--throttle",
            "1KiB",
            "--execute",
        ],
        None,
    ));
    eventually(
        "the slow move listed",
        || kview(cluster(), &["reassignments", "--json"], None),
        |t| t.contains(&slow),
    );
    let cancelled = succeeded(&kview(
        cluster(),
        &["reassignments", "--cancel", &slow],
        None,
    ));
    assert!(
        cancelled.contains("cancelled the reassignment of 1 partition"),
        "{cancelled}"
    );
    eventually(
        "the move gone",
        || kview(cluster(), &["reassignments", "--json"], None),
        |t| !t.contains(&slow),
    );
    let after =
        kview_json(cluster(), &["describe", &slow, "--json"])["partitions"][0]["replicas"].clone();
    assert_eq!(after, before, "the partition keeps its replica");
    succeeded(&kview(
        cluster(),
        &["reassignments", "--clear-throttle", &slow],
        None,
    ));

    // A broker stops: its partitions' leadership moves; back, it is not preferred again
    // until an election.
    stop_cluster_node(2);
    wait_until("leaders moved off broker 2", 90, || {
        match leadership(&topic) {
            (n, _) if n > 0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    start_cluster_node(2);
    wait_until("broker 2 back in sync", 120, || match leadership(&topic) {
        (n, true) if n > 0 => Ok(()),
        other => Err(format!("{other:?}")),
    });
    let (before, _) = leadership(&topic);
    let elected = kview_json(cluster(), &["elect-leaders", &topic, "--json"]);
    assert_eq!(elected["off_preferred_before"], before as i64, "{elected}");
    assert_eq!(
        elected["elected"].as_array().unwrap().len(),
        before,
        "{elected}"
    );
    assert_eq!(elected["off_preferred_after"], 0, "{elected}");
    assert_eq!(leadership(&topic).0, 0);
}
