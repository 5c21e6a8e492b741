//! One connection to one broker for the admin plane and fetches, speaking kafka-protocol.
//!
//! A connection negotiates API versions once (ApiVersions) and then sends one request at a time;
//! callers share it through the pool in `client.rs`. Every step has a deadline, so a silent
//! broker turns into a timeout error instead of a hang.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{
    Decodable, HeaderVersion, Request, StrBytes, VersionRange, encode_request_header_into_buffer,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::error::{KafkaError, Result};

/// How kview connects: who it says it is and how long it waits.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    pub client_id: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Largest response frame accepted; guards memory against a corrupt size prefix.
    pub max_frame_bytes: usize,
}

impl Default for ConnSettings {
    fn default() -> Self {
        Self {
            client_id: format!("kview-{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_frame_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The byte stream under a connection; TLS plugs in here later.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

pub struct BrokerConn {
    addr: String,
    stream: BufReader<Box<dyn Transport>>,
    versions: HashMap<i16, VersionRange>,
    next_correlation_id: i32,
    client_id: StrBytes,
    request_timeout: Duration,
    max_frame_bytes: usize,
    out: BytesMut,
}

impl std::fmt::Debug for BrokerConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConn")
            .field("addr", &self.addr)
            .finish()
    }
}

impl BrokerConn {
    /// Opens a TCP connection and negotiates API versions.
    pub async fn connect(addr: &str, settings: &ConnSettings) -> Result<Self> {
        let tcp =
            match tokio::time::timeout(settings.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Err(KafkaError::Unreachable {
                        addr: addr.to_owned(),
                        reason: io_reason(&e),
                    });
                }
                Err(_) => {
                    return Err(KafkaError::Unreachable {
                        addr: addr.to_owned(),
                        reason: format!(
                            "no answer within {}s",
                            settings.connect_timeout.as_secs_f32()
                        ),
                    });
                }
            };
        let _ = tcp.set_nodelay(true);
        let mut conn = BrokerConn {
            addr: addr.to_owned(),
            stream: BufReader::with_capacity(64 * 1024, Box::new(tcp) as Box<dyn Transport>),
            versions: HashMap::new(),
            next_correlation_id: 1,
            client_id: StrBytes::from_string(settings.client_id.clone()),
            // Until the broker has answered once, the connect timeout is the one that applies.
            request_timeout: settings.connect_timeout,
            max_frame_bytes: settings.max_frame_bytes,
            out: BytesMut::with_capacity(4096),
        };
        conn.negotiate().await?;
        conn.request_timeout = settings.request_timeout;
        Ok(conn)
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    async fn negotiate(&mut self) -> Result<()> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("kview"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response: ApiVersionsResponse = self.send_versioned(&request, 3, None).await?;
        // A broker older than v3 answers UNSUPPORTED_VERSION in a v0 body listing its ranges.
        if response.error_code == 35 {
            response = self.send_versioned(&request, 0, None).await?;
        }
        KafkaError::check(response.error_code, None, || {
            format!("API version negotiation with {}", self.addr)
        })?;
        self.versions = response
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.api_key,
                    VersionRange {
                        min: k.min_version,
                        max: k.max_version,
                    },
                )
            })
            .collect();
        Ok(())
    }

    /// The highest version both sides speak, at most `cap`.
    pub fn version_for<R: Request>(&self, cap: Option<i16>) -> Result<i16> {
        let ours = R::VERSIONS;
        let ours = VersionRange {
            min: ours.min,
            max: cap.map_or(ours.max, |c| c.min(ours.max)),
        };
        let name = api_name(R::KEY);
        let Some(theirs) = self.versions.get(&R::KEY) else {
            return Err(KafkaError::Unsupported {
                api: name,
                wanted: ours.to_string(),
                offered: "none".into(),
            });
        };
        let both = ours.intersect(theirs);
        if both.is_empty() {
            return Err(KafkaError::Unsupported {
                api: name,
                wanted: ours.to_string(),
                offered: theirs.to_string(),
            });
        }
        Ok(both.max)
    }

    /// Sends a request at a version the caller picked with `version_for`.
    pub async fn send_versioned<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        broker_wait: Option<Duration>,
    ) -> Result<R::Response> {
        let deadline = self.request_timeout + broker_wait.unwrap_or_default();
        let what = api_name(R::KEY);
        match tokio::time::timeout(deadline, self.round_trip(request, version)).await {
            Ok(result) => result,
            Err(_) => Err(KafkaError::Timeout {
                what: format!("{what} from {}", self.addr),
                after: deadline,
            }),
        }
    }

    async fn round_trip<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));

        self.out.clear();
        self.out.put_i32(0); // size, filled in below
        encode_request_header_into_buffer(&mut self.out, &header).map_err(|e| self.protocol(e))?;
        request
            .encode(&mut self.out, version)
            .map_err(|e| self.protocol(e))?;
        let size = (self.out.len() - 4) as i32;
        self.out[..4].copy_from_slice(&size.to_be_bytes());

        let write = async {
            self.stream.get_mut().write_all(&self.out).await?;
            self.stream.get_mut().flush().await
        };
        if let Err(e) = write.await {
            return Err(self.lost(&e));
        }

        let mut frame = self.read_frame().await?;
        let response_header =
            ResponseHeader::decode(&mut frame, R::Response::header_version(version))
                .map_err(|e| self.protocol(e))?;
        if response_header.correlation_id != correlation_id {
            return Err(self.protocol(format!(
                "correlation id {} where {correlation_id} was expected",
                response_header.correlation_id
            )));
        }
        R::Response::decode(&mut frame, version).map_err(|e| self.protocol(e))
    }

    async fn read_frame(&mut self) -> Result<Bytes> {
        let size = match self.stream.read_i32().await {
            Ok(n) => n,
            Err(e) => return Err(self.lost(&e)),
        };
        if size < 0 || size as usize > self.max_frame_bytes {
            return Err(self.protocol(format!("response frame of {size} bytes")));
        }
        let mut frame = BytesMut::zeroed(size as usize);
        if let Err(e) = self.stream.read_exact(&mut frame).await {
            return Err(self.lost(&e));
        }
        Ok(frame.freeze())
    }

    fn lost(&self, e: &std::io::Error) -> KafkaError {
        KafkaError::ConnectionLost {
            addr: self.addr.clone(),
            reason: io_reason(e),
        }
    }

    fn protocol(&self, detail: impl std::fmt::Display) -> KafkaError {
        KafkaError::Protocol {
            addr: self.addr.clone(),
            detail: detail.to_string(),
        }
    }
}

/// An io error as a short lower-case phrase ("connection refused").
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".into(),
        ConnectionReset => "connection reset by peer".into(),
        UnexpectedEof => "connection closed by broker".into(),
        TimedOut => "timed out".into(),
        _ => {
            let text = e.to_string();
            // Drop the "(os error N)" suffix: it says nothing to a user.
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text.to_lowercase(),
            }
        }
    }
}

fn api_name(key: i16) -> &'static str {
    match ApiKey::try_from(key) {
        Ok(ApiKey::Fetch) => "Fetch",
        Ok(ApiKey::ListOffsets) => "ListOffsets",
        Ok(ApiKey::Metadata) => "Metadata",
        Ok(ApiKey::OffsetCommit) => "OffsetCommit",
        Ok(ApiKey::OffsetFetch) => "OffsetFetch",
        Ok(ApiKey::FindCoordinator) => "FindCoordinator",
        Ok(ApiKey::ListGroups) => "ListGroups",
        Ok(ApiKey::DescribeGroups) => "DescribeGroups",
        Ok(ApiKey::ApiVersions) => "ApiVersions",
        Ok(ApiKey::DescribeConfigs) => "DescribeConfigs",
        Ok(ApiKey::DescribeLogDirs) => "DescribeLogDirs",
        Ok(ApiKey::CreatePartitions) => "CreatePartitions",
        _ => "a Kafka API",
    }
}
