//! The real `kview` binary in a real terminal (tmux) against the real broker: open a topic, read
//! a message's value off the screen, produce through the form, quit leaving the terminal sane.

mod common;

use std::time::Duration;

use common::tmux::Tmux;
use common::*;

#[test]
fn browse_a_message_produce_through_the_form_and_quit_cleanly() {
    let b = broker();
    let topic = unique("e2e");
    let _topic = create_topic(b, &topic, 2, 1);
    let marker = format!("value-{}", unique("seen"));
    kview_ok(
        b,
        &[
            "produce", "-q", "-t", &topic, "-p", "0", "-k", "first", &marker,
        ],
        None,
    );
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-p", "1", "-k", "evil"],
        Some(b"\x1b[31mred\x1b[0m\x1b]0;title\x07\n"),
    );

    // A group with a commit, for the groups view.
    let group = unique("e2e-group");
    kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-offset",
            "0",
            "--execute",
        ],
        None,
    );

    let bin = env!("CARGO_BIN_EXE_kview");
    let command = format!("{bin} -b {b}; echo KVIEW_EXIT=$?; stty -a; echo STTY_DONE; sleep 60");
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("the connection", |s| {
        s.contains("● connected") && s.contains("Busiest topics")
    });

    // :topics, filter to our topic, open it.
    tmux.keys(&[":"]);
    tmux.type_text("topics");
    tmux.keys(&["Enter", "/"]);
    tmux.type_text(&topic);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filtered topic list", |s| {
        s.contains("Topics (1)") && s.contains(&topic)
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic's partitions", |s| {
        s.contains("Partitions (Enter: messages)")
    });

    // Partition 0's messages: the value is read off the detail pane.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the message detail", |s| s.contains("key: first"));
    assert!(screen.contains(&marker), "{screen}");

    // Partition 1 holds escape sequences: they show escaped, and the screen is not repainted red.
    // Back to the partitions first: a key sent on the heels of Esc would read as Alt+key.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the topic's partitions again", |s| {
        s.contains("Partitions (Enter: messages)")
    });
    tmux.keys(&["j", "Enter"]);
    let screen = tmux.wait_for("the escaped message", |s| s.contains("key: evil"));
    assert!(
        screen.contains(r"\x1b[31mred\x1b[0m\x1b]0;title\x07"),
        "{screen}"
    );
    assert_ne!(
        tmux.display("#{pane_title}"),
        "title",
        "an OSC sequence reached the terminal"
    );

    // Produce through the form.
    let produced = format!("from-the-form-{}", unique("v"));
    tmux.keys(&["p"]);
    tmux.wait_for("the produce form", |s| s.contains("Ctrl+S sends"));
    tmux.keys(&["Tab", "Tab"]);
    tmux.type_text("formkey");
    tmux.keys(&["Tab"]);
    tmux.type_text(&produced);
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("the produce result", |s| s.contains("written to"));
    assert!(screen.contains(&format!("written to {topic}/")), "{screen}");

    // The groups view lists the group with its lag; its detail shows the partitions.
    tmux.keys(&["Escape"]);
    // A key right after Esc would read as Alt+key: the form must have closed first.
    tmux.wait_for("the browser behind the form", |s| s.contains("┌ Messages"));
    tmux.keys(&[":"]);
    tmux.type_text("groups");
    tmux.keys(&["Enter", "/"]);
    tmux.type_text(&group);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the group in the groups view", |s| {
        s.contains("Consumer groups (1)") && s.contains(&group[..16])
    });
    tmux.keys(&["Enter"]);
    // The group committed offset 0 everywhere, so its lag is every message in the topic (the
    // view catches up with the form's message within a poll).
    let messages = kview_json(b, &["describe", &topic, "--json"])["messages"].clone();
    let lag = format!("lag {messages}");
    tmux.wait_for("the group's partitions and lag", |s| {
        s.contains("COMMITTED") && s.contains(&lag)
    });

    // Quit: the terminal comes back sane (main screen, cooked mode, echo on).
    tmux.keys(&["q"]);
    // The shell prints the exit code, then stty's settings: wait for both, not the first line.
    let screen = tmux.wait_for("kview to exit", |s| {
        s.contains("KVIEW_EXIT=") && s.contains("STTY_DONE")
    });
    assert!(screen.contains("KVIEW_EXIT=0"), "{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert_eq!(tmux.display("#{cursor_flag}"), "1");
    assert!(
        screen.contains(" icanon") && !screen.contains("-icanon"),
        "raw mode left on:\n{screen}"
    );
    assert!(
        screen.contains(" echo ") && !screen.contains("-echo "),
        "echo left off:\n{screen}"
    );

    let lines = kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    );
    let found = String::from_utf8(lines).unwrap().lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["key"] == "formkey" && v["value"] == produced.as_str()
    });
    assert!(
        found,
        "the message produced through the form is in the topic"
    );
}

#[test]
fn the_ml_demo_trains_from_the_dashboard_to_90_percent_with_the_log_narrating() {
    let b = broker();
    let bin = env!("CARGO_BIN_EXE_kview");
    let prefix = format!("{}.", unique("ml-e2e"));
    let _cleanup =
        ["ml.train", "ml.test", "ml.metrics"].map(|t| delete_later(b, &format!("{prefix}{t}")));
    let tmux = Tmux::start(
        &format!("{bin} -b {b} --demo-prefix {prefix}; sleep 60"),
        140,
        40,
    );
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("ml");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the ML view", |s| s.contains("producer"));
    tmux.keys(&["s", "L"]);
    // The newest run's logistic regression, shown in the confusion panel, climbs past 0.9.
    // Three epochs at 200 samples/s take about 22 s.
    let screen = tmux.wait_for_secs("accuracy of at least 0.9", 120, |s| {
        s.contains("producer done")
            && s.lines().any(|l| {
                l.split("accuracy ")
                    .nth(1)
                    .and_then(|v| v.get(..5))
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some_and(|a| a >= 0.9)
            })
    });
    assert!(screen.contains("Accuracy on held-out samples"));
    assert!(
        screen.contains("accuracy 0."),
        "the log panel narrates: {screen}"
    );
    let shown: f64 = screen
        .lines()
        .find_map(|l| {
            l.split("│accuracy ")
                .nth(1)
                .and_then(|v| v.get(..5))
                .and_then(|v| v.parse().ok())
        })
        .expect("the confusion panel's accuracy");

    // kview consume shows the same figure on ml.metrics.
    let metrics = String::from_utf8(kview_ok(
        b,
        &["consume", "-t", &format!("{prefix}ml.metrics"), "-e"],
        None,
    ))
    .unwrap();
    assert!(
        metrics.lines().any(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            v["model"] == "logreg"
                && (v["accuracy"].as_f64().unwrap_or(-1.0) - shown).abs() < 0.0005
        }),
        "ml.metrics holds the accuracy shown ({shown})"
    );
    tmux.keys(&["x", "q"]);
}

#[test]
fn the_sensor_demo_flags_an_injected_spike_and_its_counts_match_the_database() {
    let b = broker();
    // The dashboard's demo topics and group under a prefix of this test's own: the user's
    // `sensors` topic is left alone.
    let prefix = format!("{}.", unique("sensors-e2e"));
    let _cleanup = [
        delete_later(b, &format!("{prefix}sensors")),
        delete_later(b, &format!("{prefix}sensors.alerts")),
    ];
    let data = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start_with_env(
        &format!("{bin} -b {b} --demo-prefix {prefix}; sleep 60"),
        140,
        40,
        &[("XDG_DATA_HOME", data.path().to_str().unwrap())],
    );
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("sensors");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the sensors view", |s| s.contains("simulator idle"));
    tmux.keys(&["s"]);
    tmux.wait_for("readings in the table", |s| {
        s.contains("temp-000") && s.contains("hum-001")
    });
    // The detector learns each sensor's level from its first 20 readings: wait until every
    // sensor has had more than that processed (the conservation line counts them).
    tmux.wait_for("the detector warmed up", |s| {
        let processed = s
            .split("processed ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.replace(',', "").parse::<u64>().ok());
        let sensors = s
            .lines()
            .filter(|l| {
                l.contains("temp-")
                    || l.contains("hum-")
                    || l.contains("press-")
                    || l.contains("vib-")
            })
            .count()
            .max(1) as u64;
        processed.is_some_and(|n| n >= sensors * 30)
    });
    // The selected sensor is the first in the table, hum-001.
    tmux.keys(&["1"]);
    tmux.wait_for_secs("the injected spike flagged", 30, |s| {
        s.lines()
            .any(|l| l.contains("spike") && l.contains("hum-001 at "))
    });

    // Stop: the simulator stops, the processor drains; the conservation line closes.
    tmux.keys(&["x"]);
    let screen = tmux.wait_for_secs("the pipeline to drain", 30, |s| {
        s.contains("all caught up") && s.contains("in flight 0")
    });
    let line = screen.lines().find(|l| l.contains("produced ")).unwrap();
    let numbers: Vec<i64> = line
        .split_whitespace()
        .filter_map(|w| w.replace(',', "").parse().ok())
        .collect();
    // produced P = acknowledged A = processed N + in flight 0 · stored S
    let (produced, acknowledged, processed, stored) =
        (numbers[0], numbers[1], numbers[2], numbers[4]);
    assert!(
        produced > 0
            && produced == acknowledged
            && acknowledged == processed
            && processed == stored,
        "{line}"
    );

    let db = data.path().join("kview").join("kview-sensors.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let in_db: i64 = conn
        .query_row("SELECT COUNT(*) FROM readings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(in_db, stored, "the SQLite file holds what the screen says");
    let spikes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM alerts WHERE kind = 'spike' AND sensor = 'hum-001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(spikes >= 1);
    tmux.keys(&["q"]);
}

#[test]
fn demo_sensors_runs_processors_that_share_the_partitions_and_the_view_shows_them() {
    let b = broker();
    let prefix = format!("{}.", unique("processors-e2e"));
    let _cleanup: Vec<TempTopic> = [
        "sensors",
        "sensors.alerts",
        "ml.train",
        "ml.test",
        "ml.metrics",
    ]
    .iter()
    .map(|t| delete_later(b, &format!("{prefix}{t}")))
    .collect();
    let data = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start_with_env(
        &format!("{bin} -b {b} --demo-prefix {prefix} demo sensors --processors 2; sleep 60"),
        100,
        30,
        &[("XDG_DATA_HOME", data.path().to_str().unwrap())],
    );
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("sensors");
    tmux.keys(&["Enter"]);
    // Both processors are members of the group, each with partitions of its own.
    let screen = tmux.wait_for_secs("two processors sharing the partitions", 60, |s| {
        let busy = |n: u32| {
            s.lines().any(|l| {
                l.contains(&format!("processor {n} ")) && !l.contains(" none ") && l.contains(',')
            })
        };
        busy(1) && busy(2)
    });
    assert!(screen.contains("2 processors"), "{screen}");
    tmux.keys(&["q"]);
}

#[test]
fn ctx_switches_between_the_plain_and_the_secured_broker_and_f_connects_too() {
    let b = broker();
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default = \"plain\"\n\n[clusters.plain]\nbrokers = \"{b}\"\n\n\
             [clusters.secure]\nbrokers = \"{}\"\nca_file = \"{}\"\nsasl_mechanism = \"SCRAM-SHA-512\"\n\
             username = \"{}\"\npassword_file = \"{}\"\n",
            s.sasl_ssl, s.ca, s.user, s.password_file
        ),
    )
    .unwrap();
    // A topic on each broker, so the screen shows which one kview is on.
    let plain_topic = unique("ctx-plain");
    let _plain = create_topic(b, &plain_topic, 1, 1);
    let secure_topic = unique("ctx-secure");
    let secure_args = ["--config", config.to_str().unwrap(), "--cluster", "secure"];
    let made = kview_env(
        &[&secure_args[..], &["create-topic", &secure_topic]].concat(),
        &[],
        None,
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let bin = env!("CARGO_BIN_EXE_kview");
    let command = format!("{bin} --config {}; sleep 60", config.display());
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for("the default profile", |s| {
        s.contains(" plain ") && s.contains("plaintext") && s.contains("● connected")
    });
    tmux.keys(&[":"]);
    tmux.type_text("topics");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the plain broker's topic", |s| s.contains(&plain_topic));

    // :ctx lists both profiles; pick the secured one.
    tmux.keys(&[":"]);
    tmux.type_text("ctx");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the cluster list", |s| {
        s.contains("Clusters (2)") && s.contains("TLS · SCRAM-SHA-512 as alice")
    });
    tmux.keys(&["Down", "Enter"]);
    let screen = tmux.wait_for("the secured cluster", |s| {
        s.contains(" secure ")
            && s.contains("TLS · SCRAM-SHA-512 as alice")
            && s.contains("● connected")
    });
    assert!(
        !screen.contains(&plain_topic),
        "nothing of the old cluster stays:\n{screen}"
    );
    tmux.keys(&[":"]);
    tmux.type_text("topics");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the secured broker's topic", |s| s.contains(&secure_topic));
    assert!(!screen.contains(&plain_topic), "{screen}");

    // And back by name.
    tmux.keys(&[":"]);
    tmux.type_text("ctx plain");
    tmux.keys(&["Enter", ":"]);
    tmux.type_text("topics");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the plain broker again", |s| s.contains(&plain_topic));
    assert!(!screen.contains(&secure_topic), "{screen}");
    drop(tmux);

    // The same secured cluster through a Kafka properties file.
    let props = dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
             username=\"{}\" password=\"{}\";\nssl.truststore.type=PEM\nssl.truststore.location={}\n",
            s.sasl_ssl, s.user, s.password, s.ca
        ),
    )
    .unwrap();
    let command = format!("{bin} -F {}; sleep 60", props.display());
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for("the connection through -F", |s| {
        s.contains("TLS · SCRAM-SHA-256 as alice") && s.contains("● connected")
    });
    tmux.keys(&[":"]);
    tmux.type_text("topics");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the secured broker's topic", |s| s.contains(&secure_topic));
    drop(tmux);
    let _ = kview_env(
        &[&secure_args[..], &["delete-topic", &secure_topic, "--yes"]].concat(),
        &[],
        None,
    );
}

#[test]
fn after_a_reset_backwards_the_dashboard_and_kview_lag_both_say_rewind() {
    let b = broker();
    let topic = unique("agree");
    let group = unique("agree-group");
    let _topic = create_topic(b, &topic, 1, 1);
    // A real consumer (kcat) reads twice, a second apart, then its group is reset backwards.
    let consume = || {
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
        )
    };
    kview_ok(b, &["produce", "-q", "-t", &topic, "a", "b", "c"], None);
    consume();
    std::thread::sleep(Duration::from_millis(1_000));
    kview_ok(b, &["produce", "-q", "-t", &topic, "d", "e", "f"], None);
    consume();
    kview_ok(
        b,
        &["reset-offsets", &group, "--to-offset", "1", "--execute"],
        None,
    );
    let report: serde_json::Value =
        serde_json::from_slice(&kview_ok(b, &["lag", &group, "--json"], None)).unwrap();
    assert_eq!(report["partitions"][0]["status"], "REWIND", "{report}");

    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -b {b}; sleep 60"), 160, 40);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("groups");
    tmux.keys(&["Enter", "/"]);
    tmux.type_text(&group);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the group's row with ERR", |s| {
        s.lines().any(|l| l.contains(&group) && l.contains("ERR"))
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the partition's REWIND", |s| {
        s.lines()
            .any(|l| l.contains(&topic) && l.contains("REWIND"))
    });
}

#[test]
fn the_browser_shows_schema_registry_records_as_json_and_says_why_when_it_cannot() {
    let b = broker();
    let url = registry();
    let topic = unique("tmux-avro");
    let _guard = create_topic(b, &topic, 1, 1);
    schema_peer(
        &["produce", "avro", &topic],
        Some(b"{\"sensor\": \"s-1\", \"value\": 21.5, \"count\": 3, \"unit\": \"C\", \"kind\": \"TEMP\", \"tags\": [\"a\"]}\n"),
    );
    // A framed value whose schema id the registry does not have.
    let mut unknown = vec![0u8, 0x7f, 0, 0, 9, 2];
    unknown.push(b'\n');
    kview_ok(b, &["produce", "-t", &topic, "-q"], Some(&unknown));

    let bin = env!("CARGO_BIN_EXE_kview");
    let command = format!("{bin} -b {b} --schema-registry {url}; sleep 60");
    let tmux = Tmux::start(&command, 160, 40);
    tmux.wait_for("connected", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {topic}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic view", |s| s.contains("Enter: messages"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("two records", |s| s.contains("2 loaded"));
    tmux.keys(&["g"]);
    let screen = tmux.wait_for("the decoded record", |s| {
        s.contains(&format!("value schema: avro · {topic}-value v1"))
    });
    assert!(
        screen.contains(r#"{"sensor":"s-1","value":21.5"#),
        "{screen}"
    );
    assert!(
        screen.contains(r#""kind": "TEMP","#),
        "pretty JSON in the detail:\n{screen}"
    );
    tmux.keys(&["G"]);
    let screen = tmux.wait_for("the unreadable record", |s| s.contains("value not decoded"));
    assert!(
        screen.contains("is not in the registry"),
        "the reason is said:\n{screen}"
    );
    assert!(screen.contains("⚠"), "the row is marked:\n{screen}");

    // The produce form encodes its JSON with a subject; a field that does not fit is named
    // and nothing is sent.
    let subject = format!("{topic}-value");
    tmux.keys(&["p"]);
    tmux.wait_for("the produce form", |s| s.contains("Ctrl+S sends"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.type_text(r#"{"sensor": "form", "value": "hot", "count": 1, "kind": "TEMP", "tags": []}"#);
    tmux.keys(&["Tab", "Tab"]);
    tmux.type_text(&subject);
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("the refusal", |s| {
        s.contains("field value: expected a double")
    });
    assert!(!screen.contains("written to"), "{screen}");
    tmux.keys(&["BTab", "BTab", "C-u"]);
    tmux.type_text(r#"{"sensor": "form", "value": 2.5, "count": 1, "kind": "TEMP", "tags": []}"#);
    tmux.keys(&["C-s"]);
    tmux.wait_for("the produce result", |s| s.contains("written to"));
    let out = kview_ok(
        b,
        &[
            "--schema-registry",
            url,
            "consume",
            "-t",
            &topic,
            "-o",
            "-1",
            "-e",
            "--format",
            "json",
        ],
        None,
    );
    let record: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(record["value"]["sensor"], "form");
    assert_eq!(record["value_schema"]["format"], "avro");
}

#[test]
fn a_whole_topic_search_finds_an_old_record_the_tail_does_not_show() {
    let b = broker();
    let topic = unique("haystack");
    let _guard = create_topic(b, &topic, 2, 1);
    let needle = unique("needle");
    let mut lines: Vec<String> = (0..3_000).map(|i| format!("hay-{i}")).collect();
    lines.insert(10, needle.clone());
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-p", "1"],
        Some(lines.join("\n").as_bytes()),
    );
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-p", "0", "more hay"],
        None,
    );

    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -b {b}; sleep 60"), 160, 40);
    tmux.wait_for("connected", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {topic}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic view", |s| s.contains("Enter: messages"));
    tmux.keys(&["m"]);
    tmux.wait_for("the tail", |s| {
        s.contains("loaded") && s.contains("hay-2999")
    });
    tmux.keys(&["S"]);
    tmux.type_text(&needle);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the search's end", |s| s.contains("searched 1 match"));
    assert!(
        screen.contains(&needle),
        "the old record is found:\n{screen}"
    );
    assert!(
        screen.contains("3,002 scanned"),
        "every record was scanned:\n{screen}"
    );
}

/// A topic's records as `consume --format json` writes them, without the fields a copy
/// changes (where it is and when it was written).
fn records_as_written(b: &str, topic: &str) -> Vec<serde_json::Value> {
    let out = kview_ok(b, &["consume", "-t", topic, "-e", "--format", "json"], None);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            for field in ["topic", "partition", "offset", "timestamp"] {
                v.as_object_mut().unwrap().remove(field);
            }
            v
        })
        .collect()
}

#[test]
fn marked_records_go_to_another_topic_byte_for_byte_and_to_a_file_as_consume_writes_them() {
    let b = broker();
    let dead = unique("dead-letters");
    let replay = unique("replayed");
    let _dead = create_topic(b, &dead, 1, 1);
    let _replay = create_topic(b, &replay, 1, 1);
    let input: Vec<String> = (0..5)
        .map(|i| {
            let mut record = serde_json::json!({
                "key": format!("order-{i}"),
                "value": format!("failed-{i}"),
                "headers": [{"name": "retry", "value": "1"}, {"name": "retry", "value": null}],
            });
            if i == 1 {
                record["value"] = serde_json::Value::Null;
                record["value_base64"] = "AP8Kgw==".into();
            }
            record.to_string()
        })
        .collect();
    kview_ok(
        b,
        &["produce", "-q", "-t", &dead, "--format", "json"],
        Some(input.join("\n").as_bytes()),
    );

    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(&format!("{bin} -b {b}; sleep 60"), 100, 30);
    tmux.wait_for("connected", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {dead}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic view", |s| s.contains("Enter: messages"));
    tmux.keys(&["m"]);
    tmux.wait_for("the records", |s| s.contains("failed-4"));
    // Space marks offset 0 and moves on; V marks from there to offset 2.
    tmux.keys(&["g", "Space", "j", "V"]);
    tmux.wait_for("three marked", |s| s.contains("3 marked (> send"));
    tmux.keys(&[">"]);
    tmux.wait_for("the send prompt", |s| {
        s.contains("send 3 marked records to topic:")
    });
    tmux.type_text(&replay);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the send's answer", |s| s.contains("sent 3 records"));
    assert!(
        screen.contains(&format!("sent 3 records of 3 to {replay}")),
        "{screen}"
    );

    let sent = records_as_written(b, &replay);
    let read = records_as_written(b, &dead);
    assert_eq!(sent, read[..3], "keys, values and headers as they were");

    // w writes the marked records, in consume's shape.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("marked.jsonl");
    tmux.keys(&["w"]);
    tmux.wait_for("the write prompt", |s| {
        s.contains("write 3 marked records as JSON lines to:")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text(path.to_str().unwrap());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the file written", |s| s.contains("wrote 3 records"));
    let consumed = kview_ok(
        b,
        &["consume", "-t", &dead, "-e", "-c", "3", "--format", "json"],
        None,
    );
    assert_eq!(std::fs::read(&path).unwrap(), consumed);

    // x clears the marks: > sends the selected record alone.
    tmux.keys(&["x"]);
    tmux.wait_for("the marks cleared", |s| s.contains("no longer marked"));
    tmux.keys(&[">"]);
    tmux.wait_for("the send prompt", |s| {
        s.contains("send the selected record to topic:")
    });
    tmux.keys(&["Escape"]);

    // Read-only, nothing is sent.
    let tmux = Tmux::start(&format!("{bin} -b {b} --read-only; sleep 60"), 100, 30);
    tmux.wait_for("connected", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {dead}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic view", |s| s.contains("Enter: messages"));
    tmux.keys(&["m"]);
    tmux.wait_for("the records", |s| s.contains("failed-4"));
    tmux.keys(&["Space", ">"]);
    tmux.wait_for("the refusal", |s| {
        s.contains("read-only mode: changes are disabled")
    });
    assert_eq!(records_as_written(b, &replay).len(), 3);
}
