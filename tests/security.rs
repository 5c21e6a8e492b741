//! kview against the secured broker (scripts/kafka-local secure): every mechanism and protocol
//! round-trips messages with a real peer on the same listener (kcat for PLAIN, OAUTHBEARER and
//! mTLS; Kafka's own console tools for SCRAM), and every way of getting it wrong ends in one
//! line, a non-zero exit, within the timeout, with no secret anywhere in what kview printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

/// A file in a fresh temporary folder; the folder lives as long as the returned guard.
fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The librdkafka properties (which kcat reads with -F and kview takes as they are) for SASL
/// PLAIN over TLS.
fn plain_over_tls(s: &Secure) -> String {
    format!(
        "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\n\
         sasl.username={}\nsasl.password={}\nssl.ca.location={}\n",
        s.sasl_ssl, s.user, s.password, s.ca
    )
}

/// Java client properties for SCRAM over TLS, as Kafka's tools take them.
fn scram_over_tls(s: &Secure, mechanism: &str, password: &str) -> String {
    format!(
        "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanism={mechanism}\n\
         sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
         username=\"{}\" password=\"{password}\";\n\
         ssl.truststore.type=PEM\nssl.truststore.location={}\n",
        s.sasl_ssl, s.user, s.ca
    )
}

fn mtls(s: &Secure) -> String {
    format!(
        "bootstrap.servers={}\nsecurity.protocol=SSL\nssl.ca.location={}\n\
         ssl.certificate.location={}\nssl.key.location={}\n",
        s.ssl, s.ca, s.client_cert, s.client_key
    )
}

/// kview with `-F FILE` and a timeout; the second value is what a run with every log on
/// (`RUST_LOG=trace` on stderr, and `--log-file`) printed, to search for secrets.
fn kview_f(props: &Path, args: &[&str], stdin: Option<&[u8]>) -> (Output, String) {
    let mut all = vec!["-F", path_str(props), "--timeout", "5"];
    all.extend_from_slice(args);
    let out = kview_env(&all, &[], stdin);
    (out, String::new())
}

fn kview_f_logged(props: &Path, args: &[&str]) -> (Output, String) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut all = vec!["--log-file", log.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let (out, _) = kview_f(props, &all, None);
    let traced = kview_env(
        &[&["-F", path_str(props), "--timeout", "5"], args].concat(),
        &[("RUST_LOG", "trace")],
        None,
    );
    let logged = format!(
        "{}{}{}",
        std::fs::read_to_string(log.path()).unwrap_or_default(),
        String::from_utf8_lossy(&traced.stdout),
        String::from_utf8_lossy(&traced.stderr)
    );
    (out, logged)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "kview failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines of the value column, in order.
fn values(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[test]
fn scram_sha_256_and_512_over_tls_round_trip_with_kafkas_console_tools() {
    let s = secure();
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let dir = tempfile::tempdir().unwrap();
        let props = write_file(
            &dir,
            "client.properties",
            &scram_over_tls(s, mechanism, &s.password),
        );
        let topic = unique("scram");
        ok(&kview_f(&props, &["create-topic", &topic], None).0);
        ok(&kview_f(
            &props,
            &["produce", "-q", "-t", &topic],
            Some(b"from-kview-1\nfrom-kview-2\n"),
        )
        .0);
        // Kafka's own console producer and consumer with the very same file.
        let produced = kafka_tool_stdin(
            "org.apache.kafka.tools.ConsoleProducer",
            &[
                "--bootstrap-server",
                &s.sasl_ssl,
                "--topic",
                &topic,
                "--producer.config",
                path_str(&props),
            ],
            b"from-java\n",
        );
        assert!(
            produced.status.success(),
            "{}",
            String::from_utf8_lossy(&produced.stderr)
        );
        let consumed = kafka_tool(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            &[
                "--bootstrap-server",
                &s.sasl_ssl,
                "--topic",
                &topic,
                "--from-beginning",
                "--max-messages",
                "3",
                "--timeout-ms",
                "20000",
                "--consumer.config",
                path_str(&props),
            ],
        );
        assert_eq!(
            values(&String::from_utf8_lossy(&consumed.stdout)),
            ["from-kview-1", "from-kview-2", "from-java"],
            "{mechanism}: Kafka's consumer reads what kview wrote"
        );
        let read = ok(&kview_f(&props, &["consume", "-t", &topic, "-e"], None).0);
        assert_eq!(
            values(&read),
            ["from-kview-1", "from-kview-2", "from-java"],
            "{mechanism}"
        );
        ok(&kview_f(&props, &["delete-topic", &topic, "--yes"], None).0);
    }
}

/// A Kafka tool with standard input (the console producer).
fn kafka_tool_stdin(class: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = std::process::Command::new(repo().join("scripts/kafka-local"));
    cmd.arg("run-class").arg(class).args(args);
    run(cmd, Some(stdin))
}

/// kcat with a librdkafka properties file.
fn kcat_f(props: &Path, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut cmd = std::process::Command::new("kcat");
    cmd.arg("-F").arg(props).args(args);
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "kcat {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn plain_oauthbearer_and_mtls_round_trip_with_kcat_on_the_same_listener() {
    let s = secure();
    let cases = [
        ("plain-tls", plain_over_tls(s)),
        (
            "plain-plaintext",
            format!(
                "bootstrap.servers={}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n\
                 sasl.username={}\nsasl.password={}\n",
                s.sasl_plaintext, s.user, s.password
            ),
        ),
        (
            // Kafka's unsecured JWT validator; librdkafka and kview both make the token.
            "oauthbearer",
            format!(
                "bootstrap.servers={}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=OAUTHBEARER\n\
                 enable.sasl.oauthbearer.unsecure.jwt=true\nsasl.oauthbearer.config=principal={}\n",
                s.sasl_plaintext, s.user
            ),
        ),
        ("mtls", mtls(s)),
    ];
    for (name, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        let props = write_file(&dir, "rdkafka.properties", &text);
        let topic = unique(name);
        ok(&kview_f(&props, &["create-topic", &topic], None).0);
        kcat_f(&props, &["-P", "-t", &topic], Some(b"from-kcat\n"));
        ok(&kview_f(&props, &["produce", "-q", "-t", &topic, "from-kview"], None).0);
        let by_kcat = kcat_f(&props, &["-C", "-t", &topic, "-e", "-q"], None);
        assert_eq!(
            values(&String::from_utf8_lossy(&by_kcat)),
            ["from-kcat", "from-kview"],
            "{name}: kcat reads what kview wrote"
        );
        let by_kview = ok(&kview_f(&props, &["consume", "-t", &topic, "-e"], None).0);
        assert_eq!(values(&by_kview), ["from-kcat", "from-kview"], "{name}");
        ok(&kview_f(&props, &["delete-topic", &topic, "--yes"], None).0);
    }
}

/// What must never show: the broker's password and any wrong one a test typed.
fn assert_no_secret(out: &Output, logged: &str, secrets: &[&str]) {
    let printed = format!(
        "{}{}{logged}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in secrets {
        assert!(
            !printed.contains(secret),
            "a secret was printed:\n{printed}"
        );
    }
}

#[test]
fn every_wrong_setting_is_one_clear_line_without_a_secret() {
    let s = secure();
    let wrong = "Wr0ng-Passw0rd-Typed";
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "wrong password",
            scram_over_tls(s, "SCRAM-SHA-512", wrong),
            format!(
                "authentication failed for alice at {} (SCRAM-SHA-512)",
                s.sasl_ssl
            ),
        ),
        (
            "unknown user",
            plain_over_tls(s).replace("sasl.username=alice", "sasl.username=mallory"),
            format!(
                "authentication failed for mallory at {} (PLAIN)",
                s.sasl_ssl
            ),
        ),
        (
            "wrong CA",
            mtls(s).replace(
                &format!("ssl.ca.location={}", s.ca),
                &format!("ssl.ca.location={}", s.other_ca),
            ),
            format!(
                "TLS with {} failed: the broker's certificate is not trusted",
                s.ssl
            ),
        ),
        (
            "hostname mismatch",
            mtls(s).replace(&s.ssl, &s.ssl_mismatch),
            format!(
                "TLS with {} failed: the broker's certificate is not valid for 127.0.0.2 (hostname mismatch)",
                s.ssl_mismatch
            ),
        ),
        (
            "missing client certificate",
            format!(
                "bootstrap.servers={}\nsecurity.protocol=SSL\nssl.ca.location={}\n",
                s.ssl, s.ca
            ),
            "it may require a client certificate".to_owned(),
        ),
        (
            "plaintext to a TLS port",
            format!(
                "bootstrap.servers={}\nsecurity.protocol=PLAINTEXT\n",
                s.sasl_ssl
            ),
            format!("{} does not speak Kafka (it answered like TLS)", s.sasl_ssl),
        ),
        (
            "TLS to a plaintext port",
            format!(
                "bootstrap.servers={}\nsecurity.protocol=SSL\nssl.ca.location={}\n",
                broker(),
                s.ca
            ),
            format!(
                "TLS with {} failed: the broker closed the connection during the handshake",
                broker()
            ),
        ),
    ];
    for (case, text, expected) in cases {
        let props = write_file(&dir, "case.properties", &text);
        let started = Instant::now();
        let (out, logged) = kview_f_logged(&props, &["topics"]);
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "{case}: no hang past the timeout"
        );
        assert!(!out.status.success(), "{case}: non-zero exit");
        let line = stderr_line(&out);
        assert!(
            line.contains(&expected),
            "{case}: {line:?} should say {expected:?}"
        );
        assert_no_secret(&out, &logged, &[&s.password, wrong]);
    }
}

fn config_file(dir: &tempfile::TempDir, s: &Secure) -> PathBuf {
    write_file(
        dir,
        "config.toml",
        &format!(
            r#"default = "plain"

[clusters.plain]
brokers = "{plain}"

[clusters.secure]
brokers = ["{sasl_ssl}"]
security_protocol = "SASL_SSL"
ca_file = "{ca}"
sasl_mechanism = "SCRAM-SHA-512"
username = "alice"
password_env = "KVIEW_TEST_SECURE_PASSWORD"

[clusters.secure-ro]
brokers = "{sasl_ssl}"
ca_file = "{ca}"
sasl_mechanism = "SCRAM-SHA-256"
username = "alice"
password_command = "cat '{password_file}'"
read_only = true

[clusters.mtls]
brokers = "{ssl}"
ca_file = "{ca}"
cert_file = "{cert}"
key_file = "{key}"
"#,
            plain = broker(),
            sasl_ssl = s.sasl_ssl,
            ca = s.ca,
            password_file = s.password_file,
            ssl = s.ssl,
            cert = s.client_cert,
            key = s.client_key,
        ),
    )
}

#[test]
fn profiles_connect_and_clusters_lists_them_without_a_secret() {
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, s);
    let env = [("KVIEW_TEST_SECURE_PASSWORD", s.password.as_str())];
    let with = |args: &[&str]| {
        let mut all = vec!["--config", path_str(&config), "--timeout", "5"];
        all.extend_from_slice(args);
        kview_env(&all, &env, None)
    };
    let topic = unique("profile");
    ok(&with(&["--cluster", "secure", "create-topic", &topic]));
    ok(&with(&[
        "--cluster",
        "secure",
        "produce",
        "-q",
        "-t",
        &topic,
        "through-a-profile",
    ]));
    let read = ok(&with(&[
        "--cluster",
        "secure-ro",
        "consume",
        "-t",
        &topic,
        "-e",
    ]));
    assert_eq!(values(&read), ["through-a-profile"]);

    let listing = with(&["clusters", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    let by_name = |n: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{n} listed: {json}"))
            .clone()
    };
    let secure_row = by_name("secure");
    assert_eq!(secure_row["answers"], true, "{secure_row}");
    assert_eq!(secure_row["security"], "TLS · SCRAM-SHA-512 as alice");
    assert_eq!(by_name("secure-ro")["read_only"], true);
    assert_eq!(by_name("mtls")["security"], "TLS · client certificate");
    assert_eq!(by_name("plain")["default"], true);
    assert_no_secret(&listing, "", &[&s.password]);
    let text = with(&["clusters"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("yes (1 broker)"));
    assert_no_secret(&text, "", &[&s.password]);

    // Without the variable, the profile says what is missing.
    let out = kview_env(
        &[
            "--config",
            path_str(&config),
            "--cluster",
            "secure",
            "topics",
        ],
        &[],
        None,
    );
    assert_eq!(
        stderr_line(&out),
        "kview: the password variable KVIEW_TEST_SECURE_PASSWORD is not set"
    );
    ok(&with(&[
        "--cluster",
        "secure",
        "delete-topic",
        &topic,
        "--yes",
    ]));
}

#[test]
fn a_read_only_profile_refuses_every_write_in_one_place() {
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, s);
    let topic = unique("ro");
    let cases: [(&[&str], &str); 6] = [
        (&["produce", "-t", &topic, "v"], "produce"),
        (&["create-topic", &topic], "create a topic"),
        (&["add-partitions", &topic, "-p", "3"], "add partitions"),
        (&["delete-topic", &topic, "--yes"], "delete a topic"),
        (
            &["process", "sensors", "--topic", &topic, "--exit-when-idle"],
            "commit offsets",
        ),
        (
            &["demo", "ml", "train", "--prefix", &topic],
            "publish metrics",
        ),
    ];
    for (args, what) in cases {
        let mut all = vec!["--config", path_str(&config), "--cluster", "secure-ro"];
        all.extend_from_slice(args);
        let out = kview_env(&all, &[], None);
        assert!(!out.status.success(), "{args:?} refused");
        let line = stderr_line(&out);
        assert!(
            line.starts_with("kview: read-only mode: refusing to "),
            "{line}"
        );
        assert!(line.contains(what), "{line}");
    }
    // The command line lifts a profile's read_only explicitly, and only then.
    let out = kview_env(
        &[
            "--config",
            path_str(&config),
            "--cluster",
            "secure-ro",
            "--read-only=false",
            "topics",
        ],
        &[],
        None,
    );
    ok(&out);
}

#[test]
fn a_bad_config_names_file_line_key_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        &dir,
        "config.toml",
        "[clusters.a]\nbrokers = \"127.0.0.1:9092\"\npasword_env = \"X\"\n",
    );
    let out = kview_env(&["--config", path_str(&config), "topics"], &[], None);
    assert_eq!(
        stderr_line(&out),
        format!(
            "kview: {}:3: unknown key `pasword_env` (did you mean `password_env`?)",
            config.display()
        )
    );
    let secret_value = write_file(
        &dir,
        "secret.toml",
        "[clusters.a]\nbrokers = \"127.0.0.1:9092\"\nusername = [\"TopSecretValue\"]\n",
    );
    let out = kview_env(&["--config", path_str(&secret_value), "topics"], &[], None);
    let line = stderr_line(&out);
    assert!(line.contains("secret.toml:3: username:"), "{line}");
    assert!(!line.contains("TopSecretValue"), "{line}");
}

#[test]
fn unsupported_properties_are_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let props = write_file(
        &dir,
        "client.properties",
        &format!("bootstrap.servers={}\nacks=all\nlinger.ms=5\n", broker()),
    );
    let (out, _) = kview_f(&props, &["topics"], None);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning:")
            && err.contains("ignoring keys kview does not use: acks, linger.ms"),
        "{err}"
    );
}

#[test]
fn read_only_from_the_environment_as_people_write_it() {
    let b = broker();
    for yes in ["1", "true", "yes"] {
        let out = kview_env(
            &["-b", b, "create-topic", "never-made"],
            &[("KVIEW_READ_ONLY", yes)],
            None,
        );
        assert_eq!(
            stderr_line(&out),
            "kview: read-only mode: refusing to create a topic",
            "{yes}"
        );
    }
    let out = kview_env(&["-b", b, "topics"], &[("KVIEW_READ_ONLY", "0")], None);
    ok(&out);
    let out = kview_env(
        &["-b", b, "topics"],
        &[("KVIEW_READ_ONLY", "perhaps")],
        None,
    );
    assert!(stderr_line(&out).contains("KVIEW_READ_ONLY"));
}

#[test]
fn profiles_with_a_token_file_and_with_verification_off_connect_to_the_real_broker() {
    use base64::Engine;
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    // An unsigned JWT for Kafka's unsecured validator, as an identity provider would hand one out.
    let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let now = chrono::Utc::now().timestamp();
    let token = format!(
        "{}.{}.",
        enc(r#"{"alg":"none"}"#),
        enc(&format!(
            r#"{{"sub":"alice","iat":{now},"exp":{}}}"#,
            now + 3600
        ))
    );
    let token_file = write_file(&dir, "token", &token);
    let config = write_file(
        &dir,
        "config.toml",
        &format!(
            "[clusters.oauth]\nbrokers = \"{}\"\nsecurity_protocol = \"SASL_PLAINTEXT\"\n\
             sasl_mechanism = \"OAUTHBEARER\"\noauth_token_file = \"{}\"\n\n\
             [clusters.lab]\nbrokers = \"{}\"\nca_file = \"{}\"\ncert_file = \"{}\"\n\
             key_file = \"{}\"\ninsecure_skip_verify = true\n",
            s.sasl_plaintext,
            token_file.display(),
            s.ssl,
            s.other_ca,
            s.client_cert,
            s.client_key
        ),
    );
    for cluster in ["oauth", "lab"] {
        let out = kview_env(
            &[
                "--config",
                path_str(&config),
                "--cluster",
                cluster,
                "--timeout",
                "5",
                "topics",
            ],
            &[],
            None,
        );
        ok(&out);
        assert_no_secret(&out, "", &[&token]);
    }
    // The listing says loudly that the lab profile does not verify.
    let listing = kview_env(&["--config", path_str(&config), "clusters"], &[], None);
    let text = ok(&listing);
    assert!(text.contains("TLS (UNVERIFIED)"), "{text}");
    assert!(!text.contains(&token));
}

#[test]
fn a_properties_file_named_on_the_command_line_beats_kview_brokers_in_the_environment() {
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    let props = write_file(&dir, "secure.properties", &mtls(s));
    // The environment points at the plain broker; the file, named now, at the TLS listener.
    let out = kview_env(
        &["-F", path_str(&props), "--timeout", "5", "topics"],
        &[("KVIEW_BROKERS", broker())],
        None,
    );
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.contains("KVIEW_BROKERS")).count(),
        1,
        "one line says which was used: {err}"
    );
    assert!(err.contains("using -F"), "{err}");
}

#[test]
fn the_secured_broker_comes_with_ready_properties_files() {
    secure();
    let out = std::process::Command::new(repo().join("scripts/kafka-local"))
        .args(["secure", "info"])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    for key in ["PROPERTIES_SCRAM", "PROPERTIES_PLAIN", "PROPERTIES_MTLS"] {
        let path = info
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in secure info:\n{info}"));
        let out = kview_env(&["-F", path, "--timeout", "5", "topics"], &[], None);
        ok(&out);
    }
}
