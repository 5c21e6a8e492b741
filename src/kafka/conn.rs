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
use super::security::{Security, sasl, tls::describe_tls_error};

/// How kview connects: who it says it is, how it protects the connection, how long it waits,
/// and whether it may write.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    pub client_id: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Largest response frame accepted; guards memory against a corrupt size prefix.
    pub max_frame_bytes: usize,
    pub security: Security,
    /// Refuse every request that writes (see `KafkaClient::check_writable`).
    pub read_only: bool,
}

impl Default for ConnSettings {
    fn default() -> Self {
        Self {
            client_id: format!("kview-{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_frame_bytes: 256 * 1024 * 1024,
            security: Security::default(),
            read_only: false,
        }
    }
}

/// The host part of `host:port` (`[::1]:9092` gives `::1`).
pub fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The byte stream under a connection: TCP, or TLS over TCP.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

pub struct BrokerConn {
    addr: String,
    stream: BufReader<Box<dyn Transport>>,
    tls: bool,
    versions: HashMap<i16, VersionRange>,
    next_correlation_id: i32,
    client_id: StrBytes,
    request_timeout: Duration,
    max_frame_bytes: usize,
    out: BytesMut,
    /// Responses are read into this and split off: once the records of the last one are
    /// dropped, the next reuses its memory instead of faulting in fresh pages.
    incoming: BytesMut,
}

impl std::fmt::Debug for BrokerConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConn")
            .field("addr", &self.addr)
            .finish()
    }
}

impl BrokerConn {
    /// Opens a connection — TCP, then TLS when configured — negotiates API versions, and
    /// authenticates with SASL when configured.
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
        let stream: Box<dyn Transport> = match &settings.security.tls {
            Some(tls) => Box::new(tls_handshake(addr, tcp, tls, settings.connect_timeout).await?),
            None => Box::new(tcp),
        };
        let mut conn = BrokerConn {
            addr: addr.to_owned(),
            // Small answers come whole in one read; a large one is read past the buffer
            // straight into its frame. A large cluster's dashboard holds dozens of these.
            stream: BufReader::with_capacity(16 * 1024, stream),
            tls: settings.security.tls.is_some(),
            versions: HashMap::new(),
            next_correlation_id: 1,
            client_id: StrBytes::from_string(settings.client_id.clone()),
            // Until the broker has answered once, the connect timeout is the one that applies.
            request_timeout: settings.connect_timeout,
            max_frame_bytes: settings.max_frame_bytes,
            out: BytesMut::with_capacity(4096),
            incoming: BytesMut::new(),
        };
        conn.negotiate().await.map_err(|e| match e {
            KafkaError::Timeout { after, .. } => KafkaError::NoKafkaAnswer {
                addr: addr.to_owned(),
                after,
            },
            e => e,
        })?;
        if let Some(identity) = &settings.security.sasl {
            sasl::authenticate(&mut conn, identity).await?;
        }
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

    /// Writes a request without waiting for its answer and returns its correlation id. The
    /// producer keeps several requests in flight this way and reads the answers with
    /// [`receive`](Self::receive), in the order sent (a broker answers a connection in order).
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> Result<i32> {
        let deadline = self.request_timeout;
        match tokio::time::timeout(deadline, self.write_request(request, version)).await {
            Ok(result) => result,
            Err(_) => Err(KafkaError::Timeout {
                what: format!("sending {} to {}", api_name(R::KEY), self.addr),
                after: deadline,
            }),
        }
    }

    /// Reads the answer to the request `send` gave `correlation_id`; the broker may take
    /// `broker_wait` on top of the request timeout.
    pub async fn receive<R: Request>(
        &mut self,
        correlation_id: i32,
        version: i16,
        broker_wait: Duration,
    ) -> Result<R::Response> {
        let deadline = self.request_timeout + broker_wait;
        match tokio::time::timeout(deadline, self.read_response::<R>(correlation_id, version)).await
        {
            Ok(result) => result,
            Err(_) => Err(KafkaError::Timeout {
                what: format!("{} from {}", api_name(R::KEY), self.addr),
                after: deadline,
            }),
        }
    }

    /// Lets go of request and response buffers above `keep` bytes. Lanes that ask a large
    /// cluster something every few seconds (every partition's offsets, say) would otherwise
    /// each hold their largest answer in between: 6 MB over 14 connections at 39,000
    /// partitions. Readers keep theirs: a consume reuses its buffer on every fetch.
    pub fn shrink_buffers(&mut self, keep: usize) {
        if self.out.capacity() > keep {
            self.out = BytesMut::with_capacity(4096);
        }
        if self.incoming.capacity() > keep {
            self.incoming = BytesMut::new();
        }
    }

    async fn round_trip<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response> {
        let correlation_id = self.write_request(request, version).await?;
        self.read_response::<R>(correlation_id, version).await
    }

    async fn write_request<R: Request>(&mut self, request: &R, version: i16) -> Result<i32> {
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
        Ok(correlation_id)
    }

    async fn read_response<R: Request>(
        &mut self,
        correlation_id: i32,
        version: i16,
    ) -> Result<R::Response> {
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
            return Err(match looks_like(size.to_be_bytes()) {
                Some(what) => KafkaError::NotKafka {
                    addr: self.addr.clone(),
                    answered: what,
                },
                None => self.protocol(format!("response frame of {size} bytes")),
            });
        }
        // Read into spare capacity: a fetch response is megabytes, and zeroing it first was a
        // tenth of a consume's time. `reserve` takes the old allocation back when nothing
        // points into it any more (a fifth of a consume went to page faults without it).
        let size = size as usize;
        self.incoming.clear();
        self.incoming.reserve(size);
        let frame = &mut self.incoming;
        while frame.len() < size {
            let missing = size - frame.len();
            let mut rest = (&mut *frame).limit(missing);
            match self.stream.read_buf(&mut rest).await {
                Ok(0) => {
                    let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
                    return Err(self.lost(&eof));
                }
                Ok(_) => {}
                Err(e) => return Err(self.lost(&e)),
            }
        }
        Ok(self.incoming.split_to(size).freeze())
    }

    fn lost(&self, e: &std::io::Error) -> KafkaError {
        if self.tls
            && let Some(reason) = describe_tls_error(e, host_of(&self.addr))
        {
            return KafkaError::Tls {
                addr: self.addr.clone(),
                reason,
            };
        }
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

async fn tls_handshake(
    addr: &str,
    tcp: TcpStream,
    tls: &super::security::TlsSettings,
    within: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let host = host_of(addr);
    let name =
        rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| KafkaError::Tls {
            addr: addr.to_owned(),
            reason: format!("{host:?} is not a host name TLS can check"),
        })?;
    let connector = tokio_rustls::TlsConnector::from(tls.config());
    match tokio::time::timeout(within, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(KafkaError::Tls {
            addr: addr.to_owned(),
            reason: describe_tls_error(&e, host).unwrap_or_else(|| match e.kind() {
                // A plaintext listener closes on a ClientHello it cannot read.
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                    "the broker closed the connection during the handshake (a plaintext port? check security_protocol)".into()
                }
                _ => io_reason(&e),
            }),
        }),
        Err(_) => Err(KafkaError::Timeout {
            what: format!("the TLS handshake with {addr}"),
            after: within,
        }),
    }
}

/// What answered, when a response's first bytes are not a plausible Kafka frame size.
fn looks_like(prefix: [u8; 4]) -> Option<&'static str> {
    match prefix {
        [b'H', b'T', b'T', b'P'] => Some("HTTP"),
        // A TLS record: handshake (22) or alert (21), protocol version 3.x.
        [0x15 | 0x16, 0x03, _, _] => Some("TLS"),
        [b'S', b'S', b'H', b'-'] => Some("SSH"),
        _ => None,
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
        Ok(ApiKey::SaslHandshake) => "SaslHandshake",
        Ok(ApiKey::SaslAuthenticate) => "SaslAuthenticate",
        Ok(ApiKey::Produce) => "Produce",
        Ok(ApiKey::InitProducerId) => "InitProducerId",
        _ => "a Kafka API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_out_of_addresses() {
        assert_eq!(host_of("127.0.0.1:9092"), "127.0.0.1");
        assert_eq!(host_of("broker-1.example.com:9093"), "broker-1.example.com");
        assert_eq!(host_of("[::1]:9092"), "::1");
    }

    #[test]
    fn tells_what_answered_instead_of_kafka() {
        assert_eq!(looks_like(*b"HTTP"), Some("HTTP"));
        assert_eq!(looks_like([0x15, 0x03, 0x03, 0x00]), Some("TLS"));
        assert_eq!(looks_like([0x00, 0x00, 0x01, 0x00]), None);
    }
}
