//! Operating a cluster from kview, against the real brokers: ACLs on the secured broker (Kafka's
//! StandardAuthorizer; alice a super user, bob an ordinary one), in commands and on the
//! dashboard's screen, SCRAM users, quotas, records, disks and configs on the single broker —
//! each checked beside Kafka's own tools where they see it too (replicas and leaders:
//! tests/replicas.rs).

mod common;

use std::process::Output;
use std::time::Duration;

use common::tmux::Tmux;
use common::*;

/// kview as the user of a properties file (`-F`).
fn kview_as(props: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut all = vec!["-F", props, "--timeout", "10"];
    all.extend_from_slice(args);
    kview_env(&all, &[], stdin)
}

#[test]
fn an_operator_grants_bob_a_consumers_rights_and_a_refusal_then_says_which_acl_is_missing() {
    let s = secure();
    let (alice, bob) = (s.properties_alice.as_str(), s.properties_bob.as_str());
    let topic = unique("acl-orders");
    let group = unique("acl-billing");
    succeeded(&kview_as(alice, &["create-topic", &topic], None));
    succeeded(&kview_as(
        alice,
        &["produce", "-q", "-t", &topic],
        Some(b"one\ntwo\n"),
    ));

    // Before any grant, bob is told what he may not do, whatever he tries.
    for (args, said) in [
        (
            vec!["create-topic", "bob-own-topic"],
            "kview: bob may not Create topic bob-own-topic (TOPIC_AUTHORIZATION_FAILED)".to_owned(),
        ),
        (
            vec!["lag", group.as_str()],
            format!("kview: bob may not Describe group {group} (GROUP_AUTHORIZATION_FAILED)"),
        ),
    ] {
        let out = kview_as(bob, &args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr_line(&out), said);
    }
    let refused = kview_as(bob, &["consume", "-t", &topic, "-e"], None);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr_line(&refused),
        format!("kview: bob may not Describe topic {topic} (TOPIC_AUTHORIZATION_FAILED)")
    );

    let granted = succeeded(&kview_as(
        alice,
        &[
            "acls",
            "add",
            "--principal",
            "bob",
            "--consumer",
            "--topic",
            &topic,
            "--group",
            &group,
        ],
        None,
    ));
    assert_eq!(granted.lines().count(), 3, "{granted}");
    // The topic's ACLs name who may read it; Kafka's own tool lists the same grants.
    let on_topic = eventually(
        "bob's ACLs listed",
        || kview_as(alice, &["acls", "--topic", &topic, "--json"], None),
        |t| t.contains("User:bob"),
    );
    let json: serde_json::Value = serde_json::from_str(&on_topic).unwrap();
    let ops: Vec<&str> = json["acls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["principal"] == "User:bob")
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["Read", "Describe"]);
    let peer = kafka_tool(
        "org.apache.kafka.tools.AclCommand",
        &[
            "--bootstrap-server",
            &s.sasl_ssl,
            "--command-config",
            alice,
            "--list",
            "--topic",
            &topic,
        ],
    );
    let peer = String::from_utf8_lossy(&peer.stdout);
    assert!(
        peer.contains("principal=User:bob") && peer.contains("operation=READ"),
        "{peer}"
    );

    // Bob reads as a member of his group.
    let read = eventually(
        "bob reading",
        || kview_as(bob, &["consume", "-G", &group, "-t", &topic, "-e"], None),
        |t| !t.is_empty(),
    );
    assert_eq!(read.lines().collect::<Vec<_>>(), ["one", "two"]);
    // Another group is not his.
    let other = kview_as(
        bob,
        &["consume", "-G", "not-bobs", "-t", &topic, "-e"],
        None,
    );
    assert_eq!(
        stderr_line(&other),
        "kview: bob may not Describe group not-bobs (GROUP_AUTHORIZATION_FAILED)"
    );

    let removed = succeeded(&kview_as(
        alice,
        &[
            "acls",
            "remove",
            "--principal",
            "bob",
            "--consumer",
            "--topic",
            &topic,
            "--group",
            &group,
        ],
        None,
    ));
    assert_eq!(removed.matches("removed: User:bob").count(), 3, "{removed}");
    let refusal = |args: &[&str]| {
        wait_until("bob refused again", 30, || {
            let out = kview_as(bob, args, None);
            match out.status.code() {
                Some(1) => Ok(stderr_line(&out)),
                _ => Err(stderr_line(&out)),
            }
        })
    };
    assert_eq!(
        refusal(&["consume", "-t", &topic, "-e"]),
        format!("kview: bob may not Describe topic {topic} (TOPIC_AUTHORIZATION_FAILED)")
    );
    assert_eq!(
        refusal(&["consume", "-G", &group, "-t", &topic, "-e"]),
        format!("kview: bob may not Describe group {group} (GROUP_AUTHORIZATION_FAILED)")
    );
    succeeded(&kview_as(alice, &["delete-topic", "-y", &topic], None));
}

#[test]
fn without_an_authorizer_acls_say_so_in_one_line() {
    let out = kview(broker(), &["acls"], None);
    let text = succeeded(&out);
    assert_eq!(
        text,
        "this cluster has no authorizer: every client may do everything (ACLs are not checked)\n"
    );
    let json = kview_json(broker(), &["acls", "--json"]);
    assert_eq!(json["authorizer"], false);
}

#[test]
fn a_user_set_by_kview_logs_in_over_scram_with_kafkas_console_consumer() {
    let s = secure();
    let alice = s.properties_alice.as_str();
    let user = unique("carol").replace('-', "_");
    let topic = unique("scram-topic");
    let group = unique("scram-group");
    succeeded(&kview_as(alice, &["create-topic", &topic], None));
    succeeded(&kview_as(
        alice,
        &["produce", "-q", "-t", &topic],
        Some(b"for-carol\n"),
    ));
    // The password comes on stdin, never in argv.
    let password = "pw-on-stdin-only";
    let set = succeeded(&kview_as(
        alice,
        &[
            "users",
            "set",
            &user,
            "--mechanism",
            "SCRAM-SHA-512",
            "--iterations",
            "4096",
        ],
        Some(format!("{password}\n").as_bytes()),
    ));
    assert_eq!(set, format!("user {user}: SCRAM-SHA-512 set\n"));
    let users = eventually(
        "the new user listed",
        || kview_as(alice, &["users", "--json"], None),
        |t| t.contains(&user),
    );
    let users: serde_json::Value = serde_json::from_str(&users).unwrap();
    let mine = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == user.as_str())
        .expect("the new user is listed");
    assert_eq!(
        mine["credentials"],
        serde_json::json!([["SCRAM-SHA-512", 4096]])
    );
    succeeded(&kview_as(
        alice,
        &[
            "acls",
            "add",
            "--principal",
            &user,
            "--consumer",
            "--topic",
            &topic,
            "--group",
            &group,
        ],
        None,
    ));

    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("carol.properties");
    std::fs::write(
        &props,
        format!(
            "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
             username=\"{user}\" password=\"{password}\";\n\
             ssl.truststore.type=PEM\nssl.truststore.location={}\n",
            s.ca
        ),
    )
    .unwrap();
    // Kafka's own consumer logs in as the user (the broker takes its credentials and ACLs
    // from the controller a moment after kview's requests: tried again until then).
    let read = eventually(
        "Kafka's console consumer reading as the new user",
        || {
            let mut cmd = std::process::Command::new(repo().join("scripts/kafka-local"));
            cmd.args([
                "run-class",
                "org.apache.kafka.tools.consumer.ConsoleConsumer",
            ]);
            cmd.args(console_args(&s.sasl_ssl, &props, &topic, &group));
            run(cmd, None)
        },
        |t| !t.trim().is_empty(),
    );
    assert_eq!(read.trim(), "for-carol");

    // Removed, the user cannot log in any more.
    succeeded(&kview_as(alice, &["users", "remove", &user], None));

    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n\
             sasl.username={user}\nsasl.password={password}\nssl.ca.location={}\n",
            s.sasl_ssl, s.ca
        ),
    )
    .unwrap();
    let refused = wait_until("the removed user refused", 30, || {
        let out = kview_as(props.to_str().unwrap(), &["topics"], None);
        match out.status.code() {
            Some(0) => Err("logged in".to_owned()),
            _ => Ok(stderr_line(&out)),
        }
    });
    assert!(refused.contains("authentication failed"), "{refused}");
    eventually(
        "the user gone from the list",
        || kview_as(alice, &["users", "--json"], None),
        |t| !t.contains(&user),
    );
    succeeded(&kview_as(
        alice,
        &[
            "acls",
            "remove",
            "--principal",
            &user,
            "--consumer",
            "--topic",
            &topic,
            "--group",
            &group,
        ],
        None,
    ));
    succeeded(&kview_as(alice, &["delete-topic", "-y", &topic], None));
}

/// Kafka's console consumer's arguments: one record of `topic` in `group`, within 20 s.
fn console_args(bootstrap: &str, props: &std::path::Path, topic: &str, group: &str) -> Vec<String> {
    [
        "--bootstrap-server",
        bootstrap,
        "--consumer.config",
        props.to_str().unwrap(),
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--max-messages",
        "1",
        "--timeout-ms",
        "20000",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn quotas_set_in_units_are_what_kafkas_tool_reads_and_unset_goes() {
    let user = unique("quota-user");
    let set = succeeded(&kview(
        broker(),
        &[
            "quotas",
            "set",
            "--user",
            &user,
            "producer_byte_rate=10MiB",
            "request_percentage=50",
        ],
        None,
    ));
    assert!(
        set.contains(&format!("user {user}: producer_byte_rate = 10 MiB/s")),
        "{set}"
    );
    let listed = eventually(
        "the quotas listed",
        || kview(broker(), &["quotas"], None),
        |t| t.contains(&user),
    );
    assert!(
        listed.contains(&format!("user {user}"))
            && listed.contains("producer_byte_rate=10 MiB/s request_percentage=50%"),
        "{listed}"
    );
    let peer = kafka_tool(
        "kafka.admin.ConfigCommand",
        &[
            "--bootstrap-server",
            broker(),
            "--describe",
            "--entity-type",
            "users",
            "--entity-name",
            &user,
        ],
    );
    let peer = String::from_utf8_lossy(&peer.stdout);
    assert!(peer.contains("producer_byte_rate=1.048576E7"), "{peer}");
    assert!(peer.contains("request_percentage=50.0"), "{peer}");

    succeeded(&kview(
        broker(),
        &[
            "quotas",
            "set",
            "--user",
            &user,
            "--unset",
            "producer_byte_rate",
            "--unset",
            "request_percentage",
        ],
        None,
    ));
    let json = kview_json(broker(), &["quotas", "--json"]);
    assert!(
        !json.to_string().contains(&user),
        "no quota of {user} is left: {json}"
    );
    let bad = kview(
        broker(),
        &["quotas", "set", "--user", &user, "producer_byte_rate=fast"],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr_line(&bad).contains("producer_byte_rate"),
        "{}",
        stderr_line(&bad)
    );
}

#[test]
fn delete_records_shows_what_goes_then_moves_the_low_watermark() {
    let topic = unique("trim");
    let _guard = create_topic(broker(), &topic, 2, 1);
    let lines: String = (0..20).map(|i| format!("r{i}\n")).collect();
    kview_ok(
        broker(),
        &["produce", "-q", "-t", &topic, "-p", "0"],
        Some(lines.as_bytes()),
    );
    let plan = succeeded(&kview(
        broker(),
        &["delete-records", &topic, "-p", "0", "--before", "7"],
        None,
    ));
    assert!(
        plan.contains("run again with --execute to delete 7 records"),
        "{plan}"
    );
    // Only shown: kcat still reads from offset 0.
    let first = kcat(
        broker(),
        &[
            "-C",
            "-t",
            &topic,
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            "1",
            "-e",
            "-q",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&first).trim(), "r0");

    let json = kview_json(
        broker(),
        &[
            "delete-records",
            &topic,
            "-p",
            "0",
            "--before",
            "7",
            "--execute",
            "--json",
        ],
    );
    assert_eq!(json["deleted"][0]["low"], 7, "{json}");
    let first = kcat(
        broker(),
        &[
            "-C",
            "-t",
            &topic,
            "-p",
            "0",
            "-o",
            "beginning",
            "-c",
            "1",
            "-e",
            "-q",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&first).trim(), "r7");
    let past = kview(
        broker(),
        &["delete-records", &topic, "-p", "0", "--before", "99"],
        None,
    );
    assert_eq!(
        stderr_line(&past),
        format!(
            "kview: {topic}/0: offset 99 is past the end (the partition holds offsets 7–19, next 20)"
        )
    );
}

#[test]
fn log_dirs_name_each_directory_with_its_space_and_a_written_partition() {
    let topic = unique("disk");
    let _guard = create_topic(broker(), &topic, 1, 1);
    let value = "x".repeat(10_000);
    let lines: String = (0..100).map(|_| format!("{value}\n")).collect();
    kview_ok(
        broker(),
        &["produce", "-q", "-t", &topic],
        Some(lines.as_bytes()),
    );
    let json = kview_json(broker(), &["log-dirs", "--json"]);
    let dirs = json["log_dirs"].as_array().unwrap();
    assert_eq!(dirs.len(), 1, "{json}");
    let dir = &dirs[0];
    assert!(dir["total_bytes"].as_i64().unwrap() > 0);
    assert!(dir["usable_bytes"].as_i64().unwrap() > 0);
    let mine = dir["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == topic.as_str())
        .expect("the written partition is listed");
    assert!(mine[2].as_i64().unwrap() >= 1_000_000, "{mine}");
}

#[test]
fn a_brokers_dynamic_config_is_set_and_unset_as_kafkas_tool_sees_it() {
    let describe = || {
        let out = kafka_tool(
            "kafka.admin.ConfigCommand",
            &[
                "--bootstrap-server",
                broker(),
                "--describe",
                "--entity-type",
                "brokers",
                "--entity-name",
                "1",
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let set = succeeded(&kview(
        broker(),
        &["set-config", "--broker", "1", "log.cleaner.threads=2"],
        None,
    ));
    assert_eq!(set, "broker 1: log.cleaner.threads = 2\n");
    wait_until("Kafka's tool seeing the config", 30, || {
        let seen = describe();
        if seen.contains("log.cleaner.threads=2") {
            Ok(())
        } else {
            Err(seen)
        }
    });
    succeeded(&kview(
        broker(),
        &[
            "set-config",
            "--broker",
            "1",
            "--unset",
            "log.cleaner.threads",
        ],
        None,
    ));
    wait_until("Kafka's tool seeing it gone", 30, || {
        let seen = describe();
        if seen.contains("log.cleaner.threads=2") {
            Err(seen)
        } else {
            Ok(())
        }
    });
}

#[test]
fn read_only_refuses_every_operating_write_before_sending_it() {
    for args in [
        &[
            "acls",
            "add",
            "--principal",
            "bob",
            "--operation",
            "Read",
            "--topic",
            "t",
        ][..],
        &["users", "set", "bob"],
        &["quotas", "set", "--user", "bob", "producer_byte_rate=1KiB"],
        &["reassign", "t", "--replication-factor", "1", "--execute"],
        &["elect-leaders"],
        &["delete-records", "t", "--before", "1", "--execute"],
        &["set-config", "--broker", "1", "log.cleaner.threads=2"],
    ] {
        let mut all = vec!["--read-only"];
        all.extend_from_slice(args);
        let out = kview(broker(), &all, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr_line(&out).contains("read-only mode: refusing to"),
            "{}",
            stderr_line(&out)
        );
    }
}

#[test]
fn an_acl_refusal_in_the_browser_says_who_may_not_read_what() {
    let s = secure();
    let (alice, bob) = (s.properties_alice.as_str(), s.properties_bob.as_str());
    let topic = unique("tmux-acl");
    let as_alice = |args: &[&str]| {
        let out = kview_env(&[&["-F", alice][..], args].concat(), &[], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    as_alice(&["create-topic", &topic]);
    // Bob may see the topic, not read it.
    let grant = [
        "acls",
        "add",
        "--principal",
        "bob",
        "--operation",
        "Describe",
        "--topic",
        &topic,
    ];
    as_alice(&grant);
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -F {bob}; sleep 60"), 120, 30);
    tmux.wait_for("bob connected", |s| s.contains("● connected"));
    // The broker takes the grant a moment after the controller, and the dashboard learns
    // the topic at its next metadata poll: asked again until the topic view opens.
    wait_until("the topic view of a topic bob may describe", 60, || {
        tmux.keys(&[":"]);
        tmux.type_text(&format!("topic {topic}"));
        tmux.keys(&["Enter"]);
        std::thread::sleep(Duration::from_millis(500));
        let screen = tmux.screen();
        if screen.contains("Partitions") {
            Ok(())
        } else {
            tmux.keys(&["Escape"]);
            Err(screen)
        }
    });
    tmux.keys(&["m"]);
    let said = format!("bob may not Read topic {topic} (TOPIC_AUTHORIZATION_FAILED)");
    tmux.wait_for("the refusal worded as the missing ACL", |s| {
        s.replace('\n', "").contains(&said) || s.contains(&said)
    });
    drop(tmux);
    let revoke = [&["acls", "remove"][..], &grant[2..]].concat();
    as_alice(&revoke);
    as_alice(&["delete-topic", "-y", &topic]);
}
