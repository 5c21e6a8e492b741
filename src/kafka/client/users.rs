//! SCRAM users (DescribeUserScramCredentials, AlterUserScramCredentials) and client quotas
//! (DescribeClientQuotas, AlterClientQuotas), through kafka-protocol. A password is salted
//! here as Kafka's own tool salts it, so only the salted form leaves the machine.

use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::{
    ScramCredentialDeletion, ScramCredentialUpsertion,
};
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterUserScramCredentialsRequest, DescribeClientQuotasRequest,
    DescribeUserScramCredentialsRequest, alter_client_quotas_request as alter,
    describe_client_quotas_request::ComponentData,
};
use kafka_protocol::protocol::StrBytes;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};

/// The SCRAM mechanisms Kafka stores credentials for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ScramMechanism {
    #[serde(rename = "SCRAM-SHA-256")]
    Sha256,
    #[serde(rename = "SCRAM-SHA-512")]
    Sha512,
}

impl ScramMechanism {
    pub const ALL: [ScramMechanism; 2] = [ScramMechanism::Sha256, ScramMechanism::Sha512];

    fn code(self) -> i8 {
        match self {
            ScramMechanism::Sha256 => 1,
            ScramMechanism::Sha512 => 2,
        }
    }

    fn from_code(code: i8) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// RFC 5802's SaltedPassword: PBKDF2 with this mechanism's HMAC, as long as its hash.
    fn salted(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => {
                let mut out = vec![0; 32];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
                out
            }
            ScramMechanism::Sha512 => {
                let mut out = vec![0; 64];
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, &mut out);
                out
            }
        }
    }
}

/// A user with SCRAM credentials: each mechanism and its iterations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScramUser {
    pub name: String,
    pub credentials: Vec<(ScramMechanism, i32)>,
}

/// Whose quotas: a user, a client id, or both together; `Some(None)` names the default
/// entity. In JSON, `{"user": "bob"}`, `{"client-id": null}` (the default client id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuotaEntity {
    pub user: Option<Option<String>>,
    pub client_id: Option<Option<String>>,
}

impl Serialize for QuotaEntity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let parts = self.components();
        let mut map = s.serialize_map(Some(parts.len()))?;
        for (kind, name) in parts {
            map.serialize_entry(kind, &name)?;
        }
        map.end()
    }
}

impl QuotaEntity {
    /// `user bob`, `client-id app-1`, `the default user`.
    pub fn describe(&self) -> String {
        let part = |kind: &str, name: &Option<Option<String>>| match name {
            Some(Some(n)) => Some(format!("{kind} {n}")),
            Some(None) => Some(format!("the default {kind}")),
            None => None,
        };
        [part("user", &self.user), part("client-id", &self.client_id)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" with ")
    }

    fn components(&self) -> Vec<(&'static str, Option<&str>)> {
        let mut out = Vec::new();
        if let Some(u) = &self.user {
            out.push(("user", u.as_deref()));
        }
        if let Some(c) = &self.client_id {
            out.push(("client-id", c.as_deref()));
        }
        out
    }
}

/// An entity's quotas: `producer_byte_rate`, `consumer_byte_rate`, `request_percentage`, ...
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quotas {
    pub entity: QuotaEntity,
    pub values: Vec<(String, f64)>,
}

impl KafkaClient {
    /// Every user with SCRAM credentials, by name.
    pub async fn scram_users(&self) -> Result<Vec<ScramUser>> {
        let request = DescribeUserScramCredentialsRequest::default().with_users(None);
        let response = self.call_any(&request, None).await?;
        KafkaError::check(
            response.error_code,
            response.error_message.as_deref(),
            || "list SCRAM users".into(),
        )
        .map_err(|e| self.denied(e, "Describe"))?;
        let mut users: Vec<ScramUser> = response
            .results
            .iter()
            .filter(|r| r.error_code == 0)
            .map(|r| ScramUser {
                name: r.user.to_string(),
                credentials: r
                    .credential_infos
                    .iter()
                    .filter_map(|c| Some((ScramMechanism::from_code(c.mechanism)?, c.iterations)))
                    .collect(),
            })
            .collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(users)
    }

    /// Creates or replaces a user's credentials of one mechanism.
    pub async fn set_scram_user(
        &self,
        name: &str,
        mechanism: ScramMechanism,
        iterations: u32,
        password: &SecretString,
    ) -> Result<()> {
        self.check_writable("change SCRAM users")?;
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt)
            .map_err(|e| KafkaError::Client(format!("no random salt: {e}")))?;
        let salted = mechanism.salted(password.expose_secret().as_bytes(), &salt, iterations);
        let request = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
            ScramCredentialUpsertion::default()
                .with_name(text(name))
                .with_mechanism(mechanism.code())
                .with_iterations(iterations as i32)
                .with_salt(Bytes::copy_from_slice(&salt))
                .with_salted_password(Bytes::from(salted)),
        ]);
        self.alter_users(request, || {
            format!("set {} of user {name}", mechanism.name())
        })
        .await
    }

    /// Removes a user's credentials of these mechanisms.
    pub async fn remove_scram_user(&self, name: &str, mechanisms: &[ScramMechanism]) -> Result<()> {
        self.check_writable("change SCRAM users")?;
        let request = AlterUserScramCredentialsRequest::default().with_deletions(
            mechanisms
                .iter()
                .map(|m| {
                    ScramCredentialDeletion::default()
                        .with_name(text(name))
                        .with_mechanism(m.code())
                })
                .collect(),
        );
        self.alter_users(request, || format!("remove user {name}"))
            .await
    }

    async fn alter_users(
        &self,
        request: AlterUserScramCredentialsRequest,
        context: impl Fn() -> String,
    ) -> Result<()> {
        let response = self.call_any(&request, None).await?;
        for r in &response.results {
            KafkaError::check(r.error_code, r.error_message.as_deref(), &context)
                .map_err(|e| self.denied(e, "Alter"))?;
        }
        Ok(())
    }

    /// Every quota set, of users, client ids and both together.
    pub async fn client_quotas(&self) -> Result<Vec<Quotas>> {
        // Of each kind, the named entities (match type 2) and the default one (1); not
        // strict, so user-and-client-id pairs come too.
        let requests = [("user", 2), ("user", 1), ("client-id", 2), ("client-id", 1)].map(
            |(kind, match_type)| {
                DescribeClientQuotasRequest::default()
                    .with_components(vec![
                        ComponentData::default()
                            .with_entity_type(text(kind))
                            .with_match_type(match_type)
                            .with_match(None),
                    ])
                    .with_strict(false)
            },
        );
        let mut out: Vec<Quotas> = Vec::new();
        for request in requests {
            let response = self.call_any(&request, None).await?;
            KafkaError::check(
                response.error_code,
                response.error_message.as_deref(),
                || "list client quotas".into(),
            )
            .map_err(|e| self.denied(e, "DescribeConfigs"))?;
            for entry in response.entries.unwrap_or_default() {
                let mut entity = QuotaEntity {
                    user: None,
                    client_id: None,
                };
                for e in &entry.entity {
                    let name = e.entity_name.as_ref().map(|n| n.to_string());
                    match e.entity_type.as_str() {
                        "user" => entity.user = Some(name),
                        "client-id" => entity.client_id = Some(name),
                        _ => {}
                    }
                }
                if out.iter().any(|q| q.entity == entity) {
                    continue;
                }
                let mut values: Vec<(String, f64)> = entry
                    .values
                    .iter()
                    .map(|v| (v.key.to_string(), v.value))
                    .collect();
                values.sort_by(|a, b| a.0.cmp(&b.0));
                out.push(Quotas { entity, values });
            }
        }
        out.sort_by(|a, b| a.entity.cmp(&b.entity));
        Ok(out)
    }

    /// Sets (`Some`) or removes (`None`) quotas of one entity.
    pub async fn alter_client_quotas(
        &self,
        entity: &QuotaEntity,
        changes: &[(String, Option<f64>)],
    ) -> Result<()> {
        self.check_writable("change client quotas")?;
        let entry = alter::EntryData::default()
            .with_entity(
                entity
                    .components()
                    .into_iter()
                    .map(|(kind, name)| {
                        alter::EntityData::default()
                            .with_entity_type(text(kind))
                            .with_entity_name(name.map(text))
                    })
                    .collect(),
            )
            .with_ops(
                changes
                    .iter()
                    .map(|(key, value)| {
                        alter::OpData::default()
                            .with_key(text(key))
                            .with_value(value.unwrap_or(0.0))
                            .with_remove(value.is_none())
                    })
                    .collect(),
            );
        let request = AlterClientQuotasRequest::default().with_entries(vec![entry]);
        let response = self.call_any(&request, None).await?;
        for r in &response.entries {
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("set quotas of {}", entity.describe())
            })
            .map_err(|e| self.denied(e, "AlterConfigs"))?;
        }
        Ok(())
    }
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salted_passwords_prove_rfc_7677s_exchange() {
        // RFC 7677's SCRAM-SHA-256 example: from the salted password, the client's proof
        // must come out as the RFC's.
        use base64::Engine;
        use pbkdf2::hmac::{Hmac, Mac};
        use sha2::Digest;
        let b64 = base64::engine::general_purpose::STANDARD;
        let hmac = |key: &[u8], data: &[u8]| {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        };
        let salt = b64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let salted = ScramMechanism::Sha256.salted(b"pencil", &salt, 4096);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = sha2::Sha256::digest(&client_key);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let signature = hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(
            b64.encode(proof),
            "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(ScramMechanism::Sha512.salted(b"pencil", &salt, 1).len(), 64);
    }

    #[test]
    fn quota_entities_read_as_people_say_them() {
        let both = QuotaEntity {
            user: Some(Some("bob".into())),
            client_id: Some(None),
        };
        assert_eq!(both.describe(), "user bob with the default client-id");
    }
}
