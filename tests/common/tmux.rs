//! The real kview in a real terminal: a tmux session of a given size, its screen read back as
//! text, keys sent as a person would type them.

use std::process::Command;
use std::time::{Duration, Instant};

use super::unique;

pub struct Tmux {
    pub session: String,
}

impl Tmux {
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        Self::start_with_env(command, width, height, &[])
    }

    pub fn start_with_env(command: &str, width: u16, height: u16, env: &[(&str, &str)]) -> Tmux {
        let session = unique("kview-e2e");
        // A tmux server whose last session just ended exits; a new session asked of it in that
        // moment fails, and the next one starts a fresh server.
        for attempt in 1..=3 {
            let out = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    &width.to_string(),
                    "-y",
                    &height.to_string(),
                ])
                .args(
                    env.iter()
                        .flat_map(|(k, v)| ["-e".to_owned(), format!("{k}={v}")]),
                )
                .arg(command)
                .env("TERM", "xterm-256color")
                .output()
                .expect("tmux runs (scripts/test installs it)");
            if out.status.success() {
                return Tmux { session };
            }
            assert!(
                attempt < 3,
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        unreachable!("the loop returns or fails")
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn display(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.session, format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Resizes the terminal, as a person dragging its window's corner (kview gets SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args(["resize-window", "-t", &self.session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "tmux resize-window");
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.session, key])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn type_text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(100));
    }

    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for_secs(what, 30, ok)
    }

    pub fn wait_for_secs(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}
