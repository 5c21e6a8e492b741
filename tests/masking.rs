//! A profile's masking rules against the real broker: every way kview shows or writes records
//! (consume raw, JSON and kcat formats, the browser's list and detail, the topic search, a
//! saved file) is searched for the clear values.

mod common;

use std::process::Output;

use common::tmux::Tmux;
use common::*;

const CARD: &str = "4111111111111111";
const SSN: &str = "123-45-6789";
const PIN: &str = "97531";
const TOKEN: &str = "SECRET-8642";

/// A config file whose profile masks cards and SSNs (lifted by --no-mask), PINs (enforced)
/// and tokens anywhere (keys, values, headers).
fn masking_profile() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!(
            r#"[clusters.local]
brokers = "{}"

[[clusters.local.mask]]
topics = "payments-.*"
json_paths = ["$.card", "$.customer.ssn"]

[[clusters.local.mask]]
topics = "payments-.*"
json_paths = ["$.pin"]
regex = "SECRET-\\d+"
enforce = true
"#,
            broker()
        ),
    )
    .unwrap();
    file
}

fn payments_topic() -> (String, TempTopic) {
    let topic = unique("payments");
    let guard = create_topic(broker(), &topic, 1, 1);
    let record = serde_json::json!({
        "key": format!("order-{TOKEN}"),
        "value": serde_json::json!({
            "card": CARD, "pin": PIN, "note": format!("token {TOKEN}"),
            "customer": {"name": "Ann Lee", "ssn": SSN},
        }).to_string(),
        "headers": [{"name": "auth", "value": TOKEN}],
    });
    kview_ok(
        broker(),
        &["produce", "-q", "-t", &topic, "--format", "json"],
        Some(record.to_string().as_bytes()),
    );
    (topic, guard)
}

fn with_profile(config: &str, args: &[&str]) -> Output {
    let mut cmd = kview_command();
    cmd.args(["--config", config, "--cluster", "local"])
        .args(args);
    run(cmd, None)
}

fn assert_masked(what: &str, text: &str) {
    for clear in [CARD, SSN, PIN, TOKEN] {
        assert!(!text.contains(clear), "{what} shows {clear}:\n{text}");
    }
    assert!(text.contains("•••"), "{what} says what it hid:\n{text}");
}

#[test]
fn masked_fields_never_leave_kview_in_clear_from_consume() {
    let (topic, _guard) = payments_topic();
    let config = masking_profile();
    let config = config.path().to_str().unwrap();
    for format in [
        &["--format", "raw"][..],
        &["--format", "json"],
        &["-f", "%k|%s|%h\n"],
    ] {
        let mut args = vec!["consume", "-t", &topic, "-e"];
        args.extend_from_slice(format);
        let out = with_profile(config, &args);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_masked(&format!("consume {format:?}"), &text);
        assert!(
            text.contains("Ann Lee"),
            "what no rule names shows:\n{text}"
        );
    }
    // The same topic without the profile: the values are there (so the test could fail).
    let clear =
        String::from_utf8(kview_ok(broker(), &["consume", "-t", &topic, "-e"], None)).unwrap();
    assert!(clear.contains(CARD) && clear.contains(PIN), "{clear}");

    // --no-mask lifts what the profile does not enforce, and says so.
    let out = with_profile(config, &["--no-mask", "consume", "-t", &topic, "-e"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(CARD) && text.contains(SSN), "{text}");
    assert!(!text.contains(PIN) && !text.contains(TOKEN), "{text}");
    let warning = stderr_line(&out);
    assert!(
        warning.contains("--no-mask: 1 masking rule lifted; 1 the profile enforces still holds"),
        "{warning}"
    );
}

#[test]
fn a_bad_rule_is_one_line_naming_the_profile_and_the_rule() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "[clusters.local]\nbrokers = \"127.0.0.1:9092\"\n\n[[clusters.local.mask]]\ntopics = \"x\"\njson_paths = [\"card\"]\n",
    )
    .unwrap();
    let out = with_profile(file.path().to_str().unwrap(), &["topics"]);
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(
        line.contains("local") && line.contains("mask rule 1: json path \"card\""),
        "{line}"
    );
}

#[test]
fn the_browser_its_detail_search_and_saved_file_show_masked_values() {
    let (topic, _guard) = payments_topic();
    let config = masking_profile();
    let config = config.path().to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_kview");
    let tmux = Tmux::start(
        &format!("{bin} --config {config} --cluster local; sleep 60"),
        120,
        40,
    );
    tmux.wait_for("connected", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text(&format!("topic {topic}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the topic view", |s| s.contains("Enter: messages"));
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("the record and its detail", |s| {
        s.contains("Ann Lee") && s.contains("header auth")
    });
    assert_masked("the browser", &screen);

    // A search for the clear card finds nothing; one for what is shown finds the record.
    tmux.keys(&["S"]);
    tmux.type_text(CARD);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the search's end", |s| s.contains("no match for"));
    assert!(!screen.contains("searched 1 match"), "{screen}");
    tmux.keys(&["S"]);
    tmux.type_text("Ann Lee");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the search's end", |s| s.contains("searched 1 match"));
    assert_masked("the search", &screen);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.jsonl");
    tmux.keys(&["w", "C-u"]);
    tmux.type_text(path.to_str().unwrap());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the file written", |s| s.contains("wrote 1 records"));
    assert_masked("the saved file", &std::fs::read_to_string(&path).unwrap());
}
