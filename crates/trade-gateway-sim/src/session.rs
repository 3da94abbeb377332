//! One task pair per client connection: the reader performs the handshake,
//! enforces message pacing and hands each request to the shared state; the
//! writer drains the session's queue to the socket (honouring injected
//! delays) and closes it on request.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, watch};

use crate::Shared;
use crate::codec::{self, Dialect, FrameError};
use crate::messages::{self as msg, out};
use crate::state::{SessionCmd, SessionEntry};
use crate::timefmt;

/// Lowest server version the simulator speaks (protobuf for everything).
pub const MIN_SERVER_VERSION: i32 = 213;

/// Serves one client until it disconnects or the gateway drops it.
pub(crate) async fn run(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let (mut rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let (closed_tx, mut closed_rx) = watch::channel(false);
    let sid = {
        let mut st = shared.lock();
        let sid = st.next_session;
        st.next_session += 1;
        st.sessions.insert(
            sid,
            SessionEntry {
                client_id: None,
                tx: tx.clone(),
                mkt: Default::default(),
                rt_bars: Default::default(),
                hist: Default::default(),
                positions_sub: false,
                account_updates: false,
                hist_log: VecDeque::new(),
            },
        );
        sid
    };
    tracing::info!(session = sid, %peer, "client connected");
    let writer = tokio::spawn(write_loop(wr, rx, closed_tx));
    let outcome = tokio::select! {
        r = read_loop(&shared, sid, &mut rd, &tx) => r,
        _ = closed_rx.changed() => Ok(()),
    };
    match &outcome {
        Ok(()) => tracing::info!(session = sid, "session ended"),
        Err(e) => tracing::warn!(session = sid, error = %e, "session dropped"),
    }
    shared.lock().sessions.remove(&sid);
    let _ = tx.send(SessionCmd::Close);
    let _ = writer.await;
}

/// Writes queued frames, coalescing whatever is ready into one write.
async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<SessionCmd>,
    closed: watch::Sender<bool>,
) {
    let mut buf = Vec::with_capacity(16 * 1024);
    'outer: while let Some(cmd) = rx.recv().await {
        let mut next = Some(cmd);
        while let Some(cmd) = next.take() {
            match cmd {
                SessionCmd::Frame { bytes, deliver_at } => {
                    if let Some(at) = deliver_at {
                        if !buf.is_empty() && wr.write_all(&buf).await.is_err() {
                            break 'outer;
                        }
                        buf.clear();
                        tokio::time::sleep_until(at.into()).await;
                    }
                    buf.extend_from_slice(&bytes);
                }
                SessionCmd::Close => {
                    let _ = wr.write_all(&buf).await;
                    break 'outer;
                }
            }
            if buf.len() < 256 * 1024 {
                next = rx.try_recv().ok();
            }
        }
        if !buf.is_empty() {
            if wr.write_all(&buf).await.is_err() {
                break;
            }
            buf.clear();
        }
    }
    let _ = wr.shutdown().await;
    let _ = closed.send(true);
}

/// Why a session ended abnormally.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(
        "client accepts server versions {min}..={max}; the simulator speaks {MIN_SERVER_VERSION}.. only"
    )]
    Version { min: i32, max: i32 },
    #[error("first request was message {0}, expected startApi (71)")]
    NoStartApi(i32),
    #[error("too many pacing violations ({0})")]
    Pacing(u32),
}

async fn read_loop(
    shared: &Arc<Shared>,
    sid: u64,
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    tx: &mpsc::UnboundedSender<SessionCmd>,
) -> Result<(), SessionError> {
    let Some(hello) = codec::read_hello(rd).await? else {
        return Ok(());
    };
    let (configured, pacing) = {
        let st = shared.lock();
        (st.cfg.server_version, st.cfg.pacing)
    };
    if hello.max_version < MIN_SERVER_VERSION {
        return Err(SessionError::Version {
            min: hello.min_version,
            max: hello.max_version,
        });
    }
    let version = configured.min(hello.max_version);
    let conn_time = timefmt::tws_datetime(shared.lock().now);
    let _ = tx.send(SessionCmd::Frame {
        bytes: codec::handshake_reply(version, &conn_time),
        deliver_at: None,
    });
    tracing::debug!(session = sid, version, options = %hello.options, "handshake");

    let mut started = false;
    let mut window: VecDeque<Instant> = VecDeque::new();
    let mut violations = 0u32;
    loop {
        let Some(frame) = codec::read_frame(rd).await? else {
            return Ok(());
        };
        let (id, dialect, payload) = codec::split_message(&frame)?;
        if !started {
            if id != out::START_API {
                return Err(SessionError::NoStartApi(id));
            }
            let client_id = match dialect {
                Dialect::Proto => prost::Message::decode(payload)
                    .map(|r: msg::StartApiRequest| r.client_id.unwrap_or(0))
                    .unwrap_or(0),
                Dialect::Text => parse_text_start_api(payload),
            };
            if !shared.lock().start_api(sid, client_id) {
                return Ok(());
            }
            started = true;
            continue;
        }
        if pacing.max_per_sec > 0 {
            let now = Instant::now();
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                window.pop_front();
            }
            if window.len() as u32 >= pacing.max_per_sec {
                violations += 1;
                let mut st = shared.lock();
                let client = st.sessions.get(&sid).and_then(|s| s.client_id);
                st.inbound.push((client, id));
                st.send_error(
                    sid,
                    -1,
                    100,
                    &format!(
                        "Max rate of messages per second has been exceeded:max={} rec={} (1)",
                        pacing.max_per_sec,
                        window.len() + 1
                    ),
                );
                if pacing.disconnect_after > 0 && violations >= pacing.disconnect_after {
                    st.close_session(sid);
                    return Err(SessionError::Pacing(violations));
                }
                continue;
            }
            window.push_back(now);
        }
        let mut st = shared.lock();
        match dialect {
            Dialect::Proto => st.handle(sid, id, payload),
            Dialect::Text => {
                let client = st.sessions.get(&sid).and_then(|s| s.client_id);
                st.inbound.push((client, id));
                st.send_error(sid, -1, 320, &format!("Error reading request: text-framed message {id} is not accepted at this server version"));
            }
        }
    }
}

/// `71|2|clientId|optCapab|` in the text dialect.
fn parse_text_start_api(payload: &[u8]) -> i32 {
    let text = String::from_utf8_lossy(payload);
    text.split('\0')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
