//! Shared helpers for the integration tests: start a simulator on
//! 127.0.0.1:0 with a manual clock, bounded waits, and a raw protocol
//! client for byte-level tests.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trade_gateway_sim::{ClockMode, GatewaySim, SimConfig, SimHandle};

/// Default config with a manual clock (time moves only on `advance`).
pub fn manual_config() -> SimConfig {
    SimConfig {
        clock: ClockMode::Manual,
        ..SimConfig::default()
    }
}

pub async fn start(cfg: SimConfig) -> SimHandle {
    let sim = GatewaySim::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    sim.start(cfg).expect("start simulator")
}

/// Awaits `f` for at most `secs` seconds, failing the test with `what`.
pub async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {secs}s waiting for {what}"),
    }
}

/// A client speaking the wire protocol directly (no client library), for
/// framing, pacing and malformed-input tests.
pub struct RawClient {
    pub stream: TcpStream,
    pub server_version: i32,
}

impl RawClient {
    /// Handshake (`API\0` + `v213..226`) and startApi; returns after the
    /// handshake reply.
    pub async fn connect(port: u16, client_id: i32) -> RawClient {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut hello = b"API\0".to_vec();
        let range = b"v213..226";
        hello.extend_from_slice(&(range.len() as u32).to_be_bytes());
        hello.extend_from_slice(range);
        stream.write_all(&hello).await.expect("hello");
        let reply = read_frame(&mut stream).await.expect("handshake reply");
        let text = String::from_utf8_lossy(&reply).to_string();
        let server_version: i32 = text
            .split('\0')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("server version");
        let mut c = RawClient {
            stream,
            server_version,
        };
        let start = trade_gateway_sim::messages::StartApiRequest {
            client_id: Some(client_id),
            optional_capabilities: None,
        };
        c.send(71, &start).await;
        c
    }

    pub async fn send<M: Message>(&mut self, id: i32, m: &M) {
        let frame = trade_gateway_sim::codec::proto_frame(id, &m.encode_to_vec());
        self.stream.write_all(&frame).await.expect("send");
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send raw");
    }

    /// Next (message id without offset, payload); None at EOF.
    pub async fn recv(&mut self) -> Option<(i32, Vec<u8>)> {
        let frame = read_frame(&mut self.stream).await?;
        let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        Some((id - 200, frame[4..].to_vec()))
    }

    /// Reads until the server closes the socket; true when it did.
    pub async fn recv_until_eof(&mut self) -> bool {
        while self.recv().await.is_some() {}
        true
    }

    /// Reads until a frame with message id `id` arrives.
    pub async fn recv_until(&mut self, id: i32) -> Vec<u8> {
        loop {
            match self.recv().await {
                Some((got, payload)) if got == id => return payload,
                Some(_) => continue,
                None => panic!("connection closed before message {id}"),
            }
        }
    }
}

pub async fn read_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).await.ok()?;
    Some(body)
}
