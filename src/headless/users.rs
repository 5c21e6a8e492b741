//! `kview users` (SCRAM credentials) and `kview quotas` (client quotas).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};
use secrecy::SecretString;

use super::table::write_table;
use crate::cli::{QuotaEntityArgs, QuotasAction, ScramMechanismArg, UsersAction};
use crate::human::{config_raw, config_value};
use crate::kafka::KafkaClient;
use crate::kafka::client::{QuotaEntity, Quotas, ScramMechanism};

impl From<ScramMechanismArg> for ScramMechanism {
    fn from(m: ScramMechanismArg) -> Self {
        match m {
            ScramMechanismArg::ScramSha256 => ScramMechanism::Sha256,
            ScramMechanismArg::ScramSha512 => ScramMechanism::Sha512,
        }
    }
}

pub async fn users(
    client: &KafkaClient,
    action: Option<&UsersAction>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    match action {
        None => {
            let users = client.scram_users().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&users)?)?;
            } else if users.is_empty() {
                writeln!(out, "no SCRAM users")?;
            } else {
                let rows = users
                    .iter()
                    .map(|u| {
                        let creds: Vec<String> = u
                            .credentials
                            .iter()
                            .map(|(m, i)| format!("{} ({i} iterations)", m.name()))
                            .collect();
                        vec![u.name.clone(), creds.join(", ")]
                    })
                    .collect();
                write_table(out, &["USER", "MECHANISMS"], rows)?;
            }
            Ok(())
        }
        Some(UsersAction::Set {
            name,
            mechanism,
            iterations,
        }) => {
            // Kafka refuses fewer than 4096 iterations.
            if !(4096..=16384).contains(iterations) {
                bail!("--iterations must be between 4096 and 16384 (Kafka's limits)");
            }
            let password = read_password(name)?;
            let mechanism = ScramMechanism::from(*mechanism);
            client
                .set_scram_user(name, mechanism, *iterations as u32, &password)
                .await?;
            writeln!(out, "user {name}: {} set", mechanism.name())?;
            Ok(())
        }
        Some(UsersAction::Remove { name, mechanism }) => {
            let mechanisms: Vec<ScramMechanism> = match mechanism {
                Some(m) => vec![(*m).into()],
                None => {
                    let users = client.scram_users().await?;
                    let Some(user) = users.iter().find(|u| u.name == *name) else {
                        bail!("no SCRAM user {name}");
                    };
                    user.credentials.iter().map(|(m, _)| *m).collect()
                }
            };
            client.remove_scram_user(name, &mechanisms).await?;
            writeln!(out, "user {name}: removed")?;
            Ok(())
        }
    }
}

/// The password: the first line of stdin when it is not a terminal, else typed twice at a
/// prompt that shows nothing.
fn read_password(name: &str) -> Result<SecretString> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("no password on stdin (its first line is the password)");
        }
        return Ok(SecretString::from(password));
    }
    let first = prompt_hidden(&format!("Password for {name}: "))?;
    let second = prompt_hidden("Again: ")?;
    if first != second {
        bail!("the passwords differ; nothing changed");
    }
    if first.is_empty() {
        bail!("an empty password; nothing changed");
    }
    Ok(SecretString::from(first))
}

/// Reads a line with the terminal's echo off (raw mode, restored however it ends).
fn prompt_hidden(prompt: &str) -> Result<String> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let typed = (|| -> Result<Option<String>> {
        let mut typed = String::new();
        loop {
            if let Event::Key(key) = read()?
                && key.kind != KeyEventKind::Release
            {
                match key.code {
                    KeyCode::Enter => return Ok(Some(typed)),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(None);
                    }
                    KeyCode::Backspace => {
                        typed.pop();
                    }
                    KeyCode::Char(c) => typed.push(c),
                    _ => {}
                }
            }
        }
    })();
    crossterm::terminal::disable_raw_mode()?;
    eprintln!();
    match typed? {
        Some(t) => Ok(t),
        None => bail!("interrupted; nothing changed"),
    }
}

pub async fn quotas(
    client: &KafkaClient,
    action: Option<&QuotasAction>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    match action {
        None => {
            let quotas = client.client_quotas().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&quotas)?)?;
            } else if quotas.is_empty() {
                writeln!(out, "no client quotas")?;
            } else {
                let rows = quotas.iter().map(quota_row).collect();
                write_table(out, &["ENTITY", "QUOTAS"], rows)?;
            }
            Ok(())
        }
        Some(QuotasAction::Set { entity, set, unset }) => {
            let entity = quota_entity(entity);
            let mut changes: Vec<(String, Option<f64>)> = Vec::new();
            for pair in set {
                let Some((key, value)) = pair.split_once('=') else {
                    bail!("{pair:?} is not KEY=VALUE");
                };
                changes.push((key.trim().to_owned(), Some(quota_raw(key.trim(), value)?)));
            }
            changes.extend(unset.iter().map(|k| (k.trim().to_owned(), None)));
            if changes.is_empty() {
                bail!("nothing to change: give KEY=VALUE or --unset KEY");
            }
            client.alter_client_quotas(&entity, &changes).await?;
            for (key, value) in &changes {
                match value {
                    Some(v) => writeln!(
                        out,
                        "{}: {key} = {}",
                        entity.describe(),
                        quota_shown(key, *v)
                    )?,
                    None => writeln!(out, "{}: {key} removed", entity.describe())?,
                }
            }
            Ok(())
        }
    }
}

fn quota_entity(args: &QuotaEntityArgs) -> QuotaEntity {
    // `default` names the default entity of its kind, as Kafka's tool writes `--entity-default`.
    let named = |n: &Option<String>| n.as_ref().map(|n| (n != "default").then(|| n.clone()));
    QuotaEntity {
        user: named(&args.user),
        client_id: named(&args.client_id),
    }
}

fn quota_row(q: &Quotas) -> Vec<String> {
    let values: Vec<String> = q
        .values
        .iter()
        .map(|(k, v)| format!("{k}={}", quota_shown(k, *v)))
        .collect();
    vec![q.entity.describe(), values.join(" ")]
}

/// Byte rates in binary units a second ("10 MiB/s"), percentages with "%".
fn quota_shown(key: &str, value: f64) -> String {
    if key.ends_with("_byte_rate") && value.fract() == 0.0 {
        format!(
            "{}/s",
            config_value("rate.bytes", &(value as i64).to_string())
        )
    } else if key == "request_percentage" {
        format!("{value}%")
    } else {
        format!("{value}")
    }
}

/// A typed quota value: byte rates take units ("10MiB", "10 MiB/s"), the rest a number.
fn quota_raw(key: &str, typed: &str) -> Result<f64> {
    let typed = typed.trim();
    if key.ends_with("_byte_rate") {
        let raw = config_raw("rate.bytes", typed.trim_end_matches("/s"))
            .map_err(|e| anyhow::anyhow!("{key}: {}", e.replace("rate.bytes", "a byte rate")))?;
        return Ok(raw.parse::<f64>()?);
    }
    let plain = typed.trim_end_matches('%');
    plain
        .parse::<f64>()
        .map_err(|_| anyhow::anyhow!("{key}: {typed:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_values_go_in_and_out_in_units() {
        assert_eq!(
            quota_raw("producer_byte_rate", "10MiB").unwrap(),
            10_485_760.0
        );
        assert_eq!(quota_raw("consumer_byte_rate", "1 KiB/s").unwrap(), 1024.0);
        assert_eq!(quota_shown("producer_byte_rate", 10_485_760.0), "10 MiB/s");
        assert_eq!(quota_raw("request_percentage", "50%").unwrap(), 50.0);
        assert_eq!(quota_shown("request_percentage", 50.0), "50%");
        assert!(quota_raw("producer_byte_rate", "fast").is_err());
    }
}
