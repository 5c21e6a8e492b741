//! Faults and bad input (RELIABILITY.md lists each case with its test): a reader that follows
//! a leader to another broker, a hung broker, a port that is not Kafka, and input that must be
//! refused with one line and nothing lost.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

/// Tests that stop a broker of the cluster take turns: each needs all three up at its start.
static CLUSTER_FAULTS: Mutex<()> = Mutex::new(());

fn cluster_fault_turn() -> std::sync::MutexGuard<'static, ()> {
    CLUSTER_FAULTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates a topic of replication factor 3 once all three brokers are registered again (a
/// broker restarted by the test before may still be joining).
fn create_replicated_topic(c: &str, topic: &str) -> TempTopic {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = kview(c, &["create-topic", topic, "-p", "1", "-r", "3"], None);
        if out.status.success() {
            return TempTopic {
                brokers: c.to_owned(),
                name: topic.to_owned(),
            };
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("INVALID_REPLICATION_FACTOR") && Instant::now() < deadline,
            "create-topic failed: {err}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// kview in the background with its stdout (and stdin, when `stdin`) piped.
fn spawn_kview(args: &[&str], stdin: bool) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kview"))
        .args(args)
        .env("XDG_CONFIG_HOME", repo().join("target/test-config-home"))
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child's stdout lines as they come, each turned into a `T` by a thread of their own.
fn collect_lines<T: Send + 'static>(
    child: &mut Child,
    parse: fn(String) -> T,
) -> (Arc<Mutex<Vec<T>>>, JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().unwrap();
    let sink = lines.clone();
    let thread = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(parse(line));
        }
    });
    (lines, thread)
}

/// Waits up to `within` for the child to end: its status and what it wrote to stderr, or
/// `None` (and the child killed) when it did not end in time.
fn wait_exit(child: &mut Child, within: Duration) -> Option<(ExitStatus, String)> {
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    Some((status, err))
}

/// Stops the broker leading partition 0 of `topic`: its id, a guard that starts it again, and
/// the other brokers' bootstrap list.
fn stop_leader(c: &str, topic: &str) -> (u8, Restart, String) {
    let describe = kview_json(c, &["describe", topic, "--json"]);
    let leader = describe["partitions"][0]["leader"].as_i64().unwrap() as u8;
    stop_cluster_node(leader);
    let survivors: Vec<&str> = c
        .split(',')
        .enumerate()
        .filter(|(i, _)| *i as u8 + 1 != leader)
        .map(|(_, b)| b)
        .collect();
    (leader, Restart(leader), survivors.join(","))
}

/// Restarts a stopped broker of the cluster when the test ends, passed or failed.
struct Restart(u8);

impl Drop for Restart {
    fn drop(&mut self) {
        start_cluster_node(self.0);
    }
}

#[test]
fn consume_follows_the_leader_to_another_broker_and_reads_every_message_once() {
    let c = cluster();
    let _turn = cluster_fault_turn();
    let topic = unique("failover");
    let _topic = create_replicated_topic(c, &topic);
    let first: String = (0..100).map(|i| format!("before-{i}\n")).collect();
    kview_ok(c, &["produce", "-q", "-t", &topic], Some(first.as_bytes()));

    // Following from the beginning until 200 messages have been read.
    let mut consumer = spawn_kview(
        &[
            "-b",
            c,
            "consume",
            "-t",
            &topic,
            "-o",
            "beginning",
            "-c",
            "200",
        ],
        false,
    );
    let (lines, reader) = collect_lines(&mut consumer, |line| line);
    let deadline = Instant::now() + Duration::from_secs(30);
    while lines.lock().unwrap().len() < 100 {
        assert!(Instant::now() < deadline, "the first 100 never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Stop the partition's leader; wait for another to take over, then write 100 more there.
    let (leader, _restart, survivors) = stop_leader(c, &topic);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = kview_json(&survivors, &["describe", &topic, "--json"]);
        let now = d["partitions"][0]["leader"].as_i64().unwrap();
        if now >= 0 && now as u8 != leader {
            break;
        }
        assert!(Instant::now() < deadline, "no new leader: {d}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let second: String = (0..100).map(|i| format!("after-{i}\n")).collect();
    kview_ok(
        &survivors,
        &["produce", "-q", "-t", &topic],
        Some(second.as_bytes()),
    );

    let Some((status, err)) = wait_exit(&mut consumer, Duration::from_secs(60)) else {
        panic!(
            "the reader did not finish; it read {} messages",
            lines.lock().unwrap().len()
        );
    };
    reader.join().unwrap();
    assert!(status.success(), "the reader failed: {err}");
    let read = lines.lock().unwrap().clone();
    let expected: Vec<String> = first
        .lines()
        .chain(second.lines())
        .map(str::to_owned)
        .collect();
    assert_eq!(read, expected, "every message once, in order");
}

#[test]
fn produce_survives_its_leader_stopping_and_what_was_acknowledged_is_there_once_in_order() {
    let c = cluster();
    let _turn = cluster_fault_turn();
    let topic = unique("produce-failover");
    let _topic = create_replicated_topic(c, &topic);
    const LINES: usize = 600_000;
    const STEP: usize = 50_000;

    // The input arrives in steps, and the third waits until the leader has stopped: the
    // producer meets the stopped leader however long stopping it takes (under load it took
    // longer than the whole input, and the producer had finished before it went).
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("produce.log");
    let log_arg = log.to_str().unwrap();
    let mut producer = spawn_kview(
        &[
            "-b",
            c,
            "--log-file",
            log_arg,
            "produce",
            "-t",
            &topic,
            "--json",
        ],
        true,
    );
    let mut stdin = producer.stdin.take().unwrap();
    let (leader_stopped, wait_for_stop) = std::sync::mpsc::channel::<()>();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        for step in 0..LINES / STEP {
            if step == 2 {
                wait_for_stop.recv().unwrap();
            }
            let chunk: String = (step * STEP..(step + 1) * STEP)
                .map(|i| format!("line-{i:07}\n"))
                .collect();
            stdin.write_all(chunk.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(400));
        }
    });
    let (acks, reader) = collect_lines(&mut producer, |line| {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["offset"].as_i64().unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.lock().unwrap().len() < 2 * STEP {
        assert!(
            Instant::now() < deadline,
            "the first acknowledgements never came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, _restart, survivors) = stop_leader(c, &topic);
    let stopped_after = acks.lock().unwrap().len();
    leader_stopped.send(()).unwrap();
    feeder.join().unwrap();

    let Some((status, err)) = wait_exit(&mut producer, Duration::from_secs(120)) else {
        panic!("the producer did not finish");
    };
    reader.join().unwrap();
    assert!(status.success(), "the producer failed: {err}");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log.contains("will be retried"),
        "the producer met the stopped leader and tried again: {log}"
    );
    let acks = acks.lock().unwrap().clone();
    assert!(
        stopped_after < LINES,
        "the leader stopped while the producer was writing ({stopped_after} acknowledged then)"
    );
    assert_eq!(acks.len(), LINES, "every line acknowledged");
    assert_eq!(
        acks,
        (0..LINES as i64).collect::<Vec<_>>(),
        "offsets in input order, none skipped"
    );

    let stored = kview_ok(
        &survivors,
        &["consume", "-t", &topic, "-e", "--format", "raw"],
        None,
    );
    let stored = String::from_utf8(stored).unwrap();
    let expected: Vec<String> = (0..LINES).map(|i| format!("line-{i:07}")).collect();
    let stored: Vec<&str> = stored.lines().collect();
    assert_eq!(stored.len(), LINES, "no duplicates and nothing lost");
    assert!(
        stored.iter().zip(&expected).all(|(a, b)| a == b),
        "stored in input order"
    );
}

#[test]
fn a_broker_that_never_answers_ends_in_one_line_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Accepts and holds connections, says nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let out = kview(&addr, &["--timeout", "2", "topics"], None);
    let took = started.elapsed();
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let line = stderr_line(&out);
    assert!(line.contains("timed out after 2s"), "{line}");
    assert!(
        line.contains(&format!("no Kafka answer from {addr}"))
            && line.ends_with("is this a Kafka listener?"),
        "says what the silence may mean: {line}"
    );
}

#[test]
fn a_port_that_is_not_kafka_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Answers every request like a web server.
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let out = kview(&addr, &["--timeout", "3", "topics"], None);
    assert!(!out.status.success());
    assert_eq!(
        stderr_line(&out),
        format!("kview: {addr} does not speak Kafka (it answered like HTTP)")
    );
}

#[test]
fn broker_lists_are_checked_merged_and_never_silently_ignored() {
    let b = broker();
    for bad in [
        "localhost",
        ":9092",
        "127.0.0.1:notaport",
        "127.0.0.1:99999",
    ] {
        let out = kview(bad, &["topics"], None);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert_eq!(
            stderr_line(&out),
            format!("kview: invalid broker address {bad:?}: use host:port, e.g. localhost:9092")
        );
    }
    assert_eq!(
        stderr_line(&kview("", &["topics"], None)),
        "kview: no bootstrap brokers given"
    );
    // Repeated -b flags and entries are merged: the unreachable one is tried, the good one used.
    let out = kview_env(
        &[
            "-b",
            "127.0.0.1:1",
            "-b",
            &format!("{b},{b}"),
            "topics",
            "--json",
        ],
        &[],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn out_of_range_positions_say_what_the_partition_holds_as_people_read_ranges() {
    let b = broker();
    let topic = unique("ranges");
    let _topic = create_topic(b, &topic, 3, 1);
    kview_ok(
        b,
        &[
            "produce", "-q", "-t", &topic, "-p", "0", "a", "b", "c", "d", "e", "f", "g", "h",
        ],
        None,
    );
    let line = stderr_line(&kview(
        b,
        &["consume", "-t", &topic, "-p", "0", "-o", "500"],
        None,
    ));
    assert!(
        line.ends_with("offset 500 is out of range (the partition holds offsets 0–7, next 8)"),
        "{line}"
    );
    let line = stderr_line(&kview(b, &["consume", "-t", &topic, "-p", "7"], None));
    assert!(
        line.ends_with("has no partition 7 (partitions 0–2)"),
        "{line}"
    );
    // The same RFC 3339 times as the dashboard and reset-offsets take.
    let out = kview_ok(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-p",
            "0",
            "-o",
            "2000-01-01T00:00:00Z",
            "-e",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&out).lines().count(), 8);
    let out = kview_ok(
        b,
        &[
            "consume",
            "-t",
            &topic,
            "-p",
            "0",
            "-o",
            "2999-01-01T00:00:00+02:00",
            "-e",
        ],
        None,
    );
    assert!(
        out.is_empty(),
        "a time after the last record starts at the end"
    );
}

#[test]
fn a_reset_beyond_the_end_is_clamped_with_a_line_that_says_so() {
    let b = broker();
    let topic = unique("clamp");
    let group = unique("clamp-group");
    let _topic = create_topic(b, &topic, 1, 1);
    kview_ok(b, &["produce", "-q", "-t", &topic, "a", "b", "c"], None);
    let out = String::from_utf8(kview_ok(
        b,
        &[
            "reset-offsets",
            &group,
            "-t",
            &topic,
            "--to-offset",
            "99999",
            "--execute",
        ],
        None,
    ))
    .unwrap();
    assert!(
        out.contains(&format!(
            "{topic}/0: offset 99999 is past the end; reset to 3 (the next to be written)"
        )),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&kview_ok(b, &["lag", &group, "--json"], None)).unwrap();
    assert_eq!(report["partitions"][0]["committed"], 3);
}

#[test]
fn a_message_at_the_size_limit_is_written_and_one_over_is_refused_with_nothing_lost() {
    let b = broker();
    let topic = unique("size");
    let _topic = create_topic(b, &topic, 1, 1);
    // Kafka's default message.max.bytes is 1,048,588 for the whole batch.
    let fits = vec![b'x'; 1_048_000];
    kview_ok(
        b,
        &["produce", "-q", "-t", &topic, "-p", "0"],
        Some(&[&fits[..], b"\n"].concat()),
    );
    let over = vec![b'y'; 1_048_600];
    let input = [&b"small\n"[..], &over, b"\n"].concat();
    let out = kview(b, &["produce", "-t", &topic, "-p", "0"], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(
        line.contains("1 of 2 messages acknowledged; the other 1 were not")
            && line.contains("MESSAGE_TOO_LARGE"),
        "{line}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{topic}/0@1\n"),
        "what was acknowledged is reported, and only that"
    );
    let read = kview_ok(b, &["consume", "-t", &topic, "-e"], None);
    assert_eq!(
        read.len(),
        fits.len() + 1 + "small\n".len(),
        "the records that fitted, nothing more"
    );
}

#[test]
fn stdin_closed_early_and_a_closed_output_pipe_end_cleanly() {
    let b = broker();
    let topic = unique("pipes");
    let _topic = create_topic(b, &topic, 1, 1);
    let out = kview(b, &["produce", "-t", &topic], Some(b""));
    assert_eq!(
        stderr_line(&out),
        "kview: nothing to write: give values as arguments or lines on stdin"
    );
    let lines: String = (0..20_000).map(|i| format!("line-{i}\n")).collect();
    kview_ok(b, &["produce", "-q", "-t", &topic], Some(lines.as_bytes()));
    // `kview consume | head -1`: the reader goes away; kview ends quietly with success.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' -b {b} consume -t {topic} -e | head -1; echo \"status=${{PIPESTATUS:-$?}}\"",
            env!("CARGO_BIN_EXE_kview")
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("line-0\n"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "no complaint: {:?}",
        out.stderr
    );
}
