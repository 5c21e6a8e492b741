//! Data in and out against the real broker, with kcat as the peer: a line written into an open
//! pipe arrives while the pipe stays open, and records kcat wrote (binary, empty, null keys,
//! repeated headers) leave through `consume --format json` and come back through `produce
//! --format json` byte for byte; `kview copy` moves them between the single broker and the
//! three-broker cluster as they were, and a copy stopped with Ctrl-C goes on with nothing lost
//! or doubled; `kview topics` counts messages and asks the brokers only for what it shows.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;

#[test]
fn a_line_written_into_an_open_pipe_arrives_before_the_pipe_closes() {
    let b = broker();
    let topic = unique("linger");
    let _topic = create_topic(b, &topic, 1, 1);
    let mut producer = kview_command()
        .args(["-b", b, "produce", "-t", &topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = producer.stdin.take().unwrap();
    stdin.write_all(b"typed-by-hand\n").unwrap();
    stdin.flush().unwrap();
    // The pipe stays open: kcat must see the line anyway (kview used to wait for 50,000).
    let seen = wait_until("the line in the topic", 20, || {
        let out = kcat(b, &["-C", "-t", &topic, "-e", "-q"], None);
        let text = String::from_utf8_lossy(&out).into_owned();
        if text.contains("typed-by-hand") {
            Ok(text)
        } else {
            Err(text)
        }
    });
    assert_eq!(seen.trim(), "typed-by-hand");
    stdin.write_all(b"second\n").unwrap();
    drop(stdin);
    let out = producer.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        2,
        "each line acknowledged"
    );
}

/// kcat's own view of a topic: every record's timestamp, key and value lengths, bytes and
/// headers, in order (raw bytes: binary stays binary).
fn kcat_bytes(b: &str, topic: &str) -> Vec<u8> {
    kcat(
        b,
        &[
            "-C",
            "-t",
            topic,
            "-e",
            "-q",
            "-f",
            "%p|%T|%K|%k|%S|%s|%h\\x1e",
        ],
        None,
    )
}

/// Records kcat writes into a topic of at least two partitions: binary values (random bytes, a
/// NUL, invalid UTF-8), an empty value, keys null and empty, repeated headers; then null values
/// (-Z).
fn write_varied_records(b: &str, source: &str) {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                // Never the delimiter kcat splits on.
                match (rng >> 24) as u8 {
                    0x1e => 0x1f,
                    x => x,
                }
            })
            .collect()
    };
    let mut input = Vec::new();
    for i in 0..30 {
        match i % 5 {
            0 => input.extend_from_slice(format!("k{i}:").as_bytes()),
            1 => input.extend_from_slice(b":"),
            2 => {}
            _ => input.extend_from_slice(format!("key-{i}:").as_bytes()),
        }
        if i % 7 != 3 {
            input.extend(random(1 + i * 3));
        }
        input.push(0x1e);
    }
    kcat(
        b,
        &[
            "-P",
            "-t",
            source,
            "-K:",
            "-D",
            "\\x1e",
            "-H",
            "h=1",
            "-H",
            "h=2",
            "-H",
            "bin=\\xff",
        ],
        Some(&input),
    );
    kcat(
        b,
        &["-P", "-t", source, "-Z", "-K:", "-D", "\\x1e", "-p", "1"],
        Some(b"null-value:\x1e:\x1e"),
    );
}

/// kcat's records (see `kcat_bytes`) grouped by partition, each partition's in order.
fn by_partition(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    let mut parts: Vec<Vec<u8>> = bytes
        .split(|c| *c == 0x1e)
        .filter(|r| !r.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    // Stable: the order within a partition stays.
    parts.sort_by_key(|r| r.first().copied());
    parts
}

#[test]
fn kcat_written_binary_records_round_trip_through_json_byte_for_byte() {
    let b = broker();
    let source = unique("json-out");
    let target = unique("json-back");
    let _source = create_topic(b, &source, 3, 1);
    let _target = create_topic(b, &target, 3, 1);
    write_varied_records(b, &source);

    // Out to a file, and back in, keeping partitions and timestamps.
    let file = tempfile::NamedTempFile::new().unwrap();
    let json = kview_ok(
        b,
        &["consume", "-t", &source, "-e", "--format", "json"],
        None,
    );
    std::fs::write(file.path(), &json).unwrap();
    let written = String::from_utf8_lossy(&json).lines().count();
    assert!(
        written >= 30,
        "kcat skips an empty line; the rest are there: {written}"
    );
    let mut cmd = kview_command();
    cmd.args([
        "-b",
        b,
        "produce",
        "-q",
        "-t",
        &target,
        "--format",
        "json",
        "--keep-partitions",
    ])
    .stdin(std::fs::File::open(file.path()).unwrap());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // kcat reads the same bytes from both, partition by partition, in order.
    let theirs = by_partition(kcat_bytes(b, &source));
    let ours = by_partition(kcat_bytes(b, &target));
    assert_eq!(theirs.len(), written);
    assert_eq!(
        ours, theirs,
        "byte for byte: keys, values, headers, timestamps, partitions"
    );

    // Without --keep-partitions, records go by key; with --new-timestamps, stamped now.
    let third = unique("json-new");
    let _third = create_topic(b, &third, 3, 1);
    let mut cmd = kview_command();
    cmd.args([
        "-b",
        b,
        "produce",
        "-q",
        "-t",
        &third,
        "--format",
        "json",
        "--new-timestamps",
    ])
    .stdin(std::fs::File::open(file.path()).unwrap());
    assert!(cmd.output().unwrap().status.success());
    let read = kview_ok(
        b,
        &["consume", "-t", &third, "-e", "--format", "json"],
        None,
    );
    let timestamps: Vec<i64> = String::from_utf8_lossy(&read)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let original: Vec<i64> = String::from_utf8_lossy(&json)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(
        timestamps.iter().min() > original.iter().max(),
        "stamped when written again"
    );
}

#[test]
fn a_bad_json_line_is_named_and_nothing_of_its_batch_is_sent() {
    let b = broker();
    let topic = unique("json-bad");
    let _topic = create_topic(b, &topic, 1, 1);
    let input = b"{\"key\":\"a\",\"value\":\"1\"}\n{\"key_base64\":\"!!\"}\n";
    let out = kview(
        b,
        &["produce", "-t", &topic, "--format", "json"],
        Some(input),
    );
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(
        line.contains("line 2: key_base64 is not base64") && line.contains("nothing was sent"),
        "{line}"
    );
    let read = kcat(b, &["-C", "-t", &topic, "-e", "-q"], None);
    assert!(read.is_empty(), "nothing of the batch");
}

#[test]
fn kcats_format_strings_print_what_kcat_prints() {
    let b = broker();
    let topic = unique("kcat-format");
    let _topic = create_topic(b, &topic, 2, 1);
    kcat(
        b,
        &[
            "-P", "-t", &topic, "-K:", "-H", "h=1", "-H", "h=2", "-p", "1",
        ],
        Some(b"k1:v\xff1\nno-key\n:empty-key\n"),
    );
    kcat(
        b,
        &["-P", "-t", &topic, "-Z", "-K:", "-p", "0"],
        Some(b"null:\n"),
    );
    let format = "%t|%p|%o|%T|%K|%k|%S|%s|%h\\n";
    let mut ours = kview_ok(b, &["consume", "-t", &topic, "-e", "-f", format], None);
    let mut theirs = kcat(b, &["-C", "-t", &topic, "-e", "-q", "-f", format], None);
    // Partitions interleave as each tool reads them: compare line sets.
    let sorted = |bytes: &mut Vec<u8>| {
        let mut lines: Vec<Vec<u8>> = bytes.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&mut ours), sorted(&mut theirs));
    let bad = kview(b, &["consume", "-t", &topic, "-e", "-f", "%q"], None);
    assert_eq!(bad.status.code(), Some(2), "a malformed command line");
}

/// A config file naming the single broker and the three-broker cluster.
fn two_clusters() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!(
            "[clusters.single]\nbrokers = \"{}\"\n\n[clusters.three]\nbrokers = \"{}\"\n",
            broker(),
            cluster()
        ),
    )
    .unwrap();
    file
}

#[test]
fn copy_moves_records_to_another_cluster_as_they_were() {
    let (b, c) = (broker(), cluster());
    let source = unique("copy-src");
    let target = unique("copy-dst");
    let _source = create_topic(b, &source, 3, 1);
    let _target = delete_later(c, &target);
    write_varied_records(b, &source);
    let config = two_clusters();
    let config = config.path().to_str().unwrap();
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("copy.json");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "--config",
            config,
            "--cluster",
            "single",
            "copy",
            &source,
            &target,
            "--to-cluster",
            "three",
            "--state",
            state_file.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let records = by_partition(kcat_bytes(b, &source)).len();
    // The preview writes nothing.
    let preview = run_kview(&args(&[]));
    assert!(
        preview.contains(&format!("{records} offsets in all")),
        "{preview}"
    );
    assert!(
        preview.contains("the target does not exist: --execute creates it with 3 partitions"),
        "{preview}"
    );
    assert!(preview.contains("nothing copied"), "{preview}");
    assert!(
        kview(c, &["describe", &target], None).status.code() != Some(0),
        "no topic made by a preview"
    );

    let done = run_kview(&args(&["--execute"]));
    assert!(
        done.contains(&format!("copied {records} records")),
        "{done}"
    );
    assert_eq!(
        by_partition(kcat_bytes(c, &target)),
        by_partition(kcat_bytes(b, &source)),
        "keys, values, repeated headers, timestamps, partitions and order"
    );
    // Run again: the file says it is done, and nothing is written twice.
    let again = run_kview(&args(&["--execute"]));
    assert!(
        again.starts_with(&format!("already copied: {records} records")),
        "{again}"
    );
    assert_eq!(by_partition(kcat_bytes(c, &target)).len(), records);

    // A range and a filter: partition 1 but its last record, whose key or value holds "key-"
    // (kcat places records without a key at random, so the partition's size varies).
    let on_one = by_partition(kcat_bytes(b, &source))
        .iter()
        .filter(|r| r.starts_with(b"1|"))
        .count();
    let until = on_one - 1;
    let part = run_kview(&args(&[
        "-p",
        "1",
        "--until",
        &until.to_string(),
        "--filter",
        "/^key-/",
        "--execute",
        "--restart",
    ]));
    assert!(
        part.contains(&format!("1          0     {until:<6} {until}")),
        "{part}"
    );
    let wanted: Vec<Vec<u8>> = by_partition(kcat_bytes(b, &source))
        .into_iter()
        .filter(|r| r.starts_with(b"1|"))
        .take(until)
        .filter(|r| {
            let key = r.splitn(5, |c| *c == b'|').nth(3).unwrap_or_default();
            key.starts_with(b"key-")
        })
        .collect();
    assert!(!wanted.is_empty());
    let written: Vec<Vec<u8>> = by_partition(kcat_bytes(c, &target))
        .into_iter()
        .filter(|r| r.starts_with(b"1|"))
        .skip(
            by_partition(kcat_bytes(b, &source))
                .iter()
                .filter(|r| r.starts_with(b"1|"))
                .count(),
        )
        .collect();
    assert_eq!(
        written, wanted,
        "appended after the first copy: only what matched"
    );
}

/// Runs kview without -b (the config file names the clusters); its stdout, asserting success.
fn run_kview(args: &[String]) -> String {
    let out = kview_command().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kview {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_copy_stopped_with_ctrl_c_goes_on_with_nothing_lost_or_doubled() {
    let (b, c) = (broker(), cluster());
    let source = unique("copy-stop-src");
    let target = unique("copy-stop-dst");
    let _source = create_topic(c, &source, 3, 3);
    let _target = delete_later(b, &target);
    let lines: String = (0..20_000)
        .map(|i| format!("k{}:value-{i}\n", i % 97))
        .collect();
    kcat(
        c,
        &["-P", "-t", &source, "-K:", "-H", "n=1", "-H", "n=2"],
        Some(lines.as_bytes()),
    );
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("copy.json");
    let state_path = state_file.to_str().unwrap();
    let args = [
        "-b",
        c,
        "copy",
        &source,
        &target,
        "--to-brokers",
        b,
        "--state",
        state_path,
        "--execute",
    ];
    // Paced, so it is still copying when the signal comes (2,000 a second: 10 s in all).
    let copy = kview_command()
        .args(args)
        .args(["--rate", "2000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the copy's first acknowledged write", 60, || {
        let text = std::fs::read_to_string(&state_file).map_err(|e| e.to_string())?;
        let state: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        match state["copied"].as_u64() {
            Some(n) if n > 0 => Ok(()),
            other => Err(format!("copied {other:?}")),
        }
    });
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &copy.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = copy.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("stopped: ") && said.contains("run the same command again to go on"),
        "{said}"
    );
    let copied_then = by_partition(kcat_bytes(b, &target)).len();
    assert!(copied_then > 0 && copied_then < 20_000, "{copied_then}");

    // The same command again (unpaced) goes on from where it stopped.
    let rest = kview_command().args(args).output().unwrap();
    let said = String::from_utf8_lossy(&rest.stdout);
    assert!(
        rest.status.success(),
        "{}",
        String::from_utf8_lossy(&rest.stderr)
    );
    assert!(said.contains("resumes a copy stopped at"), "{said}");
    assert!(said.contains("copied 20,000 records"), "{said}");
    assert_eq!(
        by_partition(kcat_bytes(b, &target)),
        by_partition(kcat_bytes(c, &source)),
        "every record once, in order, with its headers and timestamp"
    );
}

/// `kview topics` counts a topic's messages as kcat would read them, and asks only for what it
/// shows: the table costs a metadata request and the watermarks (two requests for the one
/// broker); the JSON, which has each topic's size on disk, one DescribeLogDirs more.
#[tokio::test(flavor = "multi_thread")]
async fn topics_asks_the_brokers_only_for_what_it_shows() {
    let b = broker();
    let topic = unique("listed");
    let _topic = create_topic(b, &topic, 2, 1);
    kview_ok(b, &["produce", "-q", "-t", &topic, "a", "b", "c"], None);
    let client = client(b).await;
    let list = async |json: bool| {
        let mut out = Vec::new();
        let before = client.requests_sent();
        kview::headless::topics::list(&client, false, json, &mut out)
            .await
            .unwrap();
        (
            client.requests_sent() - before,
            String::from_utf8(out).unwrap(),
        )
    };
    // The first listing learns the leaders.
    list(false).await;
    let (sent, table) = list(false).await;
    assert_eq!(sent, 3, "metadata, earliest and latest offsets:\n{table}");
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with(&topic))
        .expect("the topic's row")
        .split_whitespace()
        .collect();
    assert_eq!(row, [topic.as_str(), "2", "1", "3"], "{table}");
    let (sent, json) = list(true).await;
    assert_eq!(sent, 4, "and the log dirs' sizes:\n{json}");
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == topic.as_str())
        .expect("the topic");
    assert_eq!(entry["messages"], 3, "{entry}");
    assert!(
        entry["size_bytes"].as_i64().is_some_and(|s| s > 0),
        "{entry}"
    );
}
