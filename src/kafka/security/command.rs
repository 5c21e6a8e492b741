//! Secrets printed by a command (`password_command`, `oauth_token_command`): a password
//! manager, a vault CLI. The command runs through `sh -c`; its output is the secret and is
//! never shown, nor is its error output (it may echo what it was given).

use std::process::Stdio;
use std::time::Duration;

use secrecy::SecretString;

/// How long a secret command may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `command` and returns its standard output, trimmed; `what` names it in errors.
pub async fn run(command: &str, what: &str) -> Result<SecretString, String> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run the {what}: {}",
                crate::kafka::conn::io_reason(&e)
            )
        })?;
    let output = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            return Err(format!(
                "the {what} failed: {}",
                crate::kafka::conn::io_reason(&e)
            ));
        }
        Err(_) => {
            return Err(format!(
                "the {what} did not finish within {}s",
                TIMEOUT.as_secs()
            ));
        }
    };
    if !output.status.success() {
        return Err(format!("the {what} failed ({})", output.status));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| format!("the {what} printed something that is not text"))?;
    let secret = text.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        return Err(format!("the {what} printed nothing"));
    }
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn output_is_the_secret_and_failures_do_not_show_it() {
        let s = run("printf 's3cret\\n'", "password_command").await.unwrap();
        assert_eq!(s.expose_secret(), "s3cret");
        let e = run(
            "echo s3cret-in-output; echo oops >&2; exit 3",
            "password_command",
        )
        .await
        .unwrap_err();
        assert!(e.contains("password_command failed"), "{e}");
        assert!(!e.contains("s3cret") && !e.contains("oops"), "{e}");
        assert!(
            run("true", "password_command")
                .await
                .unwrap_err()
                .contains("printed nothing")
        );
    }
}
