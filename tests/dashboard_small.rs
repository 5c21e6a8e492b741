//! The real binary in small terminals (tmux at 80×24 and 60×15), as a person over SSH meets it:
//! the help reaches its last key, the produce form's every field takes typing where it can be
//! seen, a cluster kview gave up on says so where the data would be, the screen follows the
//! terminal's size, and the log panel keeps what was said while it was closed.

mod common;

use common::tmux::Tmux;
use common::*;

fn kview_in_tmux(args: &str, width: u16, height: u16) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_kview");
    Tmux::start(&format!("{bin} {args}; sleep 60"), width, height)
}

#[test]
fn the_help_scrolls_to_its_last_key_at_80x24() {
    let b = broker();
    let tmux = kview_in_tmux(&format!("-b {b}"), 80, 24);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&["t"]);
    tmux.wait_for("the topics", |s| s.contains("Topics ("));
    tmux.keys(&["?"]);
    let first = tmux.wait_for("the help", |s| s.contains("Keys (? or Esc closes)"));
    assert!(
        first.contains("more"),
        "the title says there is more:\n{first}"
    );
    // The keys every view has come last; paging down reaches them.
    tmux.keys(&["G"]);
    let last = tmux.wait_for("the last keys", |s| s.contains("log panel"));
    for key in ["command (:topics", "log panel", "back", "quit"] {
        assert!(last.contains(key), "{key} shows after scrolling:\n{last}");
    }
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help closed", |s| !s.contains("Keys (? or Esc closes)"));
}

#[test]
fn every_produce_field_shows_what_is_typed_into_it_at_60x15() {
    let b = broker();
    let topic = unique("small-form");
    let _topic = create_topic(b, &topic, 1, 1);
    let tmux = kview_in_tmux(&format!("-b {b}"), 60, 15);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&["p"]);
    let form = tmux.wait_for("the produce form", |s| s.contains("Ctrl+S sends"));
    for label in ["Topic", "Partition", "Key", "Value", "Headers", "Schema"] {
        assert!(form.contains(label), "{label} at 60x15:\n{form}");
    }
    // Topic, then Tab through every field, typing into each; each typed text shows.
    tmux.type_text(&topic);
    let typed = [
        ("Partition", "0"),
        ("Key", "k-small"),
        ("Value", "v-small"),
        ("Headers", "h=v-header"),
    ];
    for (field, text) in typed {
        tmux.keys(&["Tab"]);
        tmux.type_text(text);
        tmux.wait_for(&format!("{field} showing {text}"), |s| s.contains(text));
    }
    tmux.keys(&["Tab"]);
    tmux.type_text("no-such-subject");
    tmux.wait_for("the schema field's text", |s| s.contains("no-such-subject"));
    // Back to the schema field's start and cleared: what is sent has no schema.
    tmux.keys(&["C-u"]);
    tmux.keys(&["C-s"]);
    let sent = tmux.wait_for("the produce result", |s| s.contains("written to"));
    assert!(sent.contains(&format!("written to {topic}/0")), "{sent}");
    let out = kview_ok(
        b,
        &["consume", "-t", &topic, "-e", "--format", "json"],
        None,
    );
    let record: serde_json::Value =
        serde_json::from_slice(out.split(|c| *c == b'\n').next().unwrap()).unwrap();
    assert_eq!(record["key"], "k-small");
    assert_eq!(record["value"], "v-small");
    assert_eq!(record["headers"][0]["value"], "v-header");
}

#[test]
fn a_wrong_password_says_kview_stopped_retrying_where_the_cluster_would_show() {
    let s = secure();
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("wrong.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n\
             sasl.username={}\nsasl.password=not-the-password\n",
            s.sasl_plaintext, s.user
        ),
    )
    .unwrap();
    let tmux = kview_in_tmux(&format!("-F {}", props.display()), 80, 24);
    let screen = tmux.wait_for("kview giving up on the cluster", |s| {
        s.contains("stopped retrying")
    });
    assert!(
        !screen.contains("waiting for cluster metadata"),
        "never waiting for ever:\n{screen}"
    );
    assert!(screen.contains("authentication failed"), "why:\n{screen}");
    assert!(
        screen.contains("start kview again"),
        "what to do:\n{screen}"
    );
    assert!(!screen.contains("not-the-password"), "no secret on screen");
}

/// The widest line of a screen, in characters (tmux trims each line's trailing blanks).
fn widest(screen: &str) -> usize {
    screen.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn the_screen_follows_the_terminal_as_it_grows_and_shrinks() {
    let b = broker();
    let tmux = kview_in_tmux(&format!("-b {b}"), 80, 24);
    let small = tmux.wait_for("the connection", |s| s.contains("● connected"));
    assert!(widest(&small) <= 80, "80 columns at first:\n{small}");
    // The panels' right borders move out to the new edge, and back in.
    tmux.resize(120, 30);
    let grown = tmux.wait_for("the screen at 120×30", |s| {
        widest(s) == 120 && s.lines().count() >= 30
    });
    assert!(
        grown.contains("● connected"),
        "still the dashboard:\n{grown}"
    );
    tmux.resize(70, 20);
    let shrunk = tmux.wait_for("the screen at 70×20", |s| {
        widest(s) == 70 && s.contains("● connected")
    });
    assert!(
        shrunk.lines().count() <= 20,
        "nothing drawn below the terminal's last line:\n{shrunk}"
    );
}

#[test]
fn the_log_panel_shows_what_was_said_before_it_was_opened() {
    let b = broker();
    let tmux = kview_in_tmux(&format!("-b {b}"), 100, 30);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    // Said once, at the connection, while the panel was closed.
    tmux.keys(&["L"]);
    tmux.wait_for("the connection's log line in the panel", |s| {
        s.contains(" Log ") && s.contains("connected to ")
    });
    // The panel's lines are moved in when the screen is drawn, by no thread waking on a timer
    // (tui-logger's own wakes 100 times a second, idle or not).
    let shell = tmux.display("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the pane's shell lists its children");
    let kview = children.split_whitespace().next().expect("kview runs");
    let threads: Vec<String> = std::fs::read_dir(format!("/proc/{kview}/task"))
        .expect("kview's threads")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(
        !threads.iter().any(|name| name.starts_with("tui-logger")),
        "no log-moving thread: {threads:?}"
    );
}
