//! Shared by the integration tests: a real Kafka on loopback (started through
//! scripts/kafka-local if it is not running), the kview binary, and real peers (kcat, Kafka's
//! own console tools).
#![allow(dead_code)]

pub mod tmux;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A command's stdout, once it succeeded (its output in the message when it did not).
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub const CLUSTER: &str = "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kafka_local(args: &[&str]) {
    let status = Command::new(repo().join("scripts/kafka-local"))
        .args(args)
        .status()
        .expect("scripts/kafka-local runs");
    assert!(status.success(), "scripts/kafka-local {args:?} failed");
}

/// The single local broker, started once per test binary.
pub fn broker() -> &'static str {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| kafka_local(&["start"]));
    "127.0.0.1:9092"
}

/// The three-broker cluster, started once per test binary.
pub fn cluster() -> &'static str {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| kafka_local(&["cluster", "start"]));
    CLUSTER
}

pub fn stop_cluster_node(n: u8) {
    kafka_local(&["node", "stop", &n.to_string()]);
}

pub fn start_cluster_node(n: u8) {
    kafka_local(&["node", "start", &n.to_string()]);
}

/// kview's own client for a bootstrap list (`host:port[,host:port...]`), for tests that write
/// records or count requests through the library.
pub async fn client(brokers: &str) -> kview::kafka::KafkaClient {
    kview::kafka::KafkaClient::connect(
        brokers.split(',').map(str::to_owned).collect(),
        kview::kafka::ConnSettings::default(),
    )
    .await
    .expect("kview's client connects")
}

/// The schema registry (Apicurio, from scripts/schema-registry), started once per test binary
/// that asks for it; returns its Confluent-compatible API's URL.
pub fn registry() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let script = repo().join("scripts/schema-registry");
        let status = Command::new(&script)
            .arg("start")
            .status()
            .expect("scripts/schema-registry runs");
        assert!(status.success(), "scripts/schema-registry start failed");
        let out = Command::new(&script).arg("url").output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
}

/// Confluent's Python serializers (tests/peers/schema_peer.py): `produce FORMAT TOPIC` with
/// JSON lines on stdin, or `consume FORMAT TOPIC N`.
pub fn schema_peer(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    // Bounded, so a stalled peer fails the test rather than hanging the suite.
    let mut cmd = Command::new("timeout");
    cmd.args(["180", "python3"])
        .arg(repo().join("tests/peers/schema_peer.py"))
        .args(args)
        .env("KVIEW_TEST_BROKERS", broker())
        .env("KVIEW_TEST_REGISTRY", registry());
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "schema peer {args:?} failed (scripts/test installs confluent-kafka): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A topic name no other test or earlier run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// The kview binary, kept from the developer's own config file and cluster choice.
pub fn kview_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kview"));
    cmd.env("XDG_CONFIG_HOME", repo().join("target/test-config-home"))
        .env_remove("KVIEW_CLUSTER")
        .env_remove("KVIEW_CONFIG")
        .env_remove("KVIEW_SCHEMA_REGISTRY");
    cmd
}

/// Runs `kview -b BROKERS ARGS...` with optional stdin.
pub fn kview(brokers: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = kview_command();
    cmd.arg("-b").arg(brokers).args(args);
    run(cmd, stdin)
}

pub fn run(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

/// Runs kview and insists on success; returns stdout.
pub fn kview_ok(brokers: &str, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let out = kview(brokers, args, stdin);
    assert!(
        out.status.success(),
        "kview {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn kview_json(brokers: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&kview_ok(brokers, args, None)).expect("valid JSON")
}

/// Debian's kcat, the librdkafka-based peer.
pub fn kcat(brokers: &str, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut cmd = Command::new("kcat");
    cmd.arg("-b").arg(brokers).args(args);
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "kcat {args:?} failed (install it with scripts/test or apt-get install kcat): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A Kafka tool class from the same Maven artifacts as the broker.
pub fn kafka_tool(class: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(repo().join("scripts/kafka-local"));
    cmd.arg("run-class").arg(class).args(args);
    let out = run(cmd, None);
    assert!(
        out.status.success(),
        "{class} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A topic a test created; deleted when the test ends, passed or failed.
pub struct TempTopic {
    pub brokers: String,
    pub name: String,
}

impl Drop for TempTopic {
    fn drop(&mut self) {
        let _ = kview(&self.brokers, &["delete-topic", &self.name, "--yes"], None);
    }
}

/// Deletes a topic that something else created when the test ends.
#[must_use = "the topic is deleted when the guard drops"]
pub fn delete_later(brokers: &str, name: &str) -> TempTopic {
    TempTopic {
        brokers: brokers.to_owned(),
        name: name.to_owned(),
    }
}

#[must_use = "the topic is deleted when the guard drops"]
pub fn create_topic(brokers: &str, name: &str, partitions: u32, replication: u32) -> TempTopic {
    let partitions = partitions.to_string();
    let replication = replication.to_string();
    kview_ok(
        brokers,
        &["create-topic", name, "-p", &partitions, "-r", &replication],
        None,
    );
    TempTopic {
        brokers: brokers.to_owned(),
        name: name.to_owned(),
    }
}

pub fn stderr_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "one line on stderr, got: {text:?}"
    );
    text.trim_end().to_owned()
}

/// The secured broker (TLS and SASL listeners, made by `scripts/kafka-local secure`): where its
/// listeners are, its CA (and a CA that signed nothing of it), a client certificate, and the
/// password of its user alice.
pub struct Secure {
    pub ca: String,
    pub other_ca: String,
    pub client_cert: String,
    pub client_key: String,
    pub user: String,
    pub password: String,
    pub password_file: String,
    pub sasl_ssl: String,
    pub sasl_plaintext: String,
    pub ssl: String,
    pub ssl_mismatch: String,
    /// Ready `-F` files: alice (a super user) over SCRAM, bob (no rights but ACLs') over PLAIN.
    pub properties_alice: String,
    pub properties_bob: String,
}

/// Starts the secured broker once per test binary.
pub fn secure() -> &'static Secure {
    static SECURE: OnceLock<Secure> = OnceLock::new();
    SECURE.get_or_init(|| {
        kafka_local(&["secure", "start"]);
        let out = Command::new(repo().join("scripts/kafka-local"))
            .args(["secure", "info"])
            .output()
            .expect("scripts/kafka-local secure info runs");
        let info: std::collections::HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let get = |k: &str| {
            info.get(k)
                .unwrap_or_else(|| panic!("secure info has {k}"))
                .clone()
        };
        let password_file = get("PASSWORD_FILE");
        let password = std::fs::read_to_string(&password_file)
            .expect("the secured broker's password file")
            .trim()
            .to_owned();
        // alice's SCRAM credentials live in the store the user tests change: set both again
        // from her password file (a run found her SCRAM-SHA-512 credential gone while PLAIN,
        // read from the same file, still worked), as a super user over PLAIN with the password
        // on stdin; then wait for the login the tests use.
        let plain = get("PROPERTIES_PLAIN");
        for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
            let args = [
                "-F",
                &plain,
                "users",
                "set",
                "alice",
                "--mechanism",
                mechanism,
                "--iterations",
                "8192",
            ];
            succeeded(&kview_env(
                &args,
                &[],
                Some(format!("{password}\n").as_bytes()),
            ));
        }
        let properties_alice = get("PROPERTIES_SCRAM");
        wait_until("a SCRAM login to the secured broker", 60, || {
            let out = kview_env(&["-F", &properties_alice, "topics"], &[], None);
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        });
        Secure {
            ca: get("CA"),
            other_ca: get("OTHER_CA"),
            client_cert: get("CLIENT_CERT"),
            client_key: get("CLIENT_KEY"),
            user: get("USER"),
            password,
            password_file,
            sasl_ssl: get("SASL_SSL"),
            sasl_plaintext: get("SASL_PLAINTEXT"),
            ssl: get("SSL"),
            ssl_mismatch: get("SSL_MISMATCH"),
            properties_alice,
            properties_bob: get("PROPERTIES_BOB"),
        }
    })
}

/// Runs `kview ARGS...` (no `-b`) with extra environment variables.
pub fn kview_env(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = kview_command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, stdin)
}

/// A peer running in the background (a Java consumer, kcat -G), stopped when dropped.
pub struct Background {
    pub child: std::process::Child,
}

impl Background {
    /// Asks it to stop as a person would (SIGTERM: a Java consumer leaves its group cleanly).
    pub fn terminate(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Kafka tool class left running (`scripts/kafka-local run-class` execs java, so the process
/// is the JVM itself); its output is dropped.
pub fn kafka_tool_background(class: &str, args: &[&str]) -> Background {
    let child = Command::new(repo().join("scripts/kafka-local"))
        .arg("run-class")
        .arg(class)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("scripts/kafka-local run-class runs");
    Background { child }
}

/// Asks `probe` every 300 ms until it gives an answer, for at most `secs` seconds; the
/// panic names what was awaited and the last thing seen.
pub fn wait_until<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match probe() {
            Ok(found) => return found,
            Err(seen) if std::time::Instant::now() > deadline => {
                panic!("timed out after {secs}s waiting for {what}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(300)),
        }
    }
}

/// `java -cp <Kafka's jars> tests/peers/NAME.java ARGS...`: a small Java program run as a single
/// source file against the same Kafka jars as the broker (a peer no console tool is).
pub fn java_peer(name: &str, args: &[&str]) -> Command {
    let classpath = Command::new(repo().join("scripts/kafka-local"))
        .arg("classpath")
        .output()
        .expect("scripts/kafka-local classpath runs");
    assert!(classpath.status.success(), "Kafka's jars are there");
    let mut cmd = Command::new("java");
    cmd.arg("-cp")
        .arg(String::from_utf8_lossy(&classpath.stdout).trim())
        .arg(repo().join("tests/peers").join(format!("{name}.java")))
        .args(args);
    cmd
}

/// A transactional producer (tests/peers/Txn.java) that runs its steps (`commit:N`, `abort:N`)
/// on `topic` and exits.
pub fn transactional_producer(brokers: &str, topic: &str, steps: &[&str]) {
    let id = unique("txn");
    let mut args = vec![brokers, topic, id.as_str()];
    args.extend_from_slice(steps);
    let out = run(java_peer("Txn", &args), None);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("done"),
        "the transactional producer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A transactional producer that leaves its last transaction (`open:N`) open until dropped;
/// returned once the open records are written.
pub fn open_transaction(brokers: &str, topic: &str, id: &str, steps: &[&str]) -> Background {
    use std::io::BufRead;
    let mut args = vec![brokers, topic, id];
    args.extend_from_slice(steps);
    let mut child = java_peer("Txn", &args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("java runs");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "open", "the producer opened its transaction");
    Background { child }
}

/// What a command writes once it succeeds: the brokers apply what the controller committed a
/// moment later, so a read just after a write is asked again until it sees it.
pub fn eventually(
    what: &str,
    mut attempt: impl FnMut() -> Output,
    sees: impl Fn(&str) -> bool,
) -> String {
    wait_until(what, 30, || {
        let out = attempt();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && sees(&text) {
            Ok(text)
        } else {
            Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
        }
    })
}
