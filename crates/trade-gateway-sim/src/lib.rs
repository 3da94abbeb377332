//! A TWS API gateway simulator that speaks the real wire protocol: the
//! `API\0` handshake, length-prefixed frames and the protobuf dialect of
//! server versions 213+, with simulated prices, an order book that matches
//! against them, executions, commissions, positions and account values,
//! plus fault injection for tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), trade_gateway_sim::SimError> {
//! use trade_gateway_sim::{GatewaySim, SimConfig};
//! let sim = GatewaySim::bind("127.0.0.1:0").await?;
//! let handle = sim.start(SimConfig::default())?;
//! println!("gateway on port {}", handle.port());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

pub mod account;
pub mod codec;
pub mod config;
mod dispatch;
pub mod faults;
pub mod instruments;
pub mod market;
pub mod messages;
pub mod orders;
mod session;
mod state;
pub mod timefmt;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use account::{Holding, Summary};
pub use config::{
    ClockMode, CommissionSchedule, ConfigError, OptionChainSpec, PacingConfig, PriceSource,
    ReplayBar, SimConfig, UnderlyingSpec,
};
pub use faults::{RestartSpec, Target};
pub use market::Quote;
pub use orders::Status;
pub use session::MIN_SERVER_VERSION;
pub use state::ExecRecord;

use crate::instruments::Kind;
use crate::state::SimState;

/// Why the simulator could not start or bind.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address is not a loopback socket address.
    #[error(
        "address {0:?} is not a loopback socket address (the simulator listens on 127.0.0.1 only)"
    )]
    NotLoopback(String),
    /// Binding failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The configuration is invalid.
    #[error("invalid simulator configuration: {0}")]
    Config(#[from] ConfigError),
    /// `start` was called outside a tokio runtime.
    #[error("GatewaySim::start must run inside a tokio runtime")]
    NoRuntime,
    /// A control call named an unknown symbol.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
}

pub(crate) struct Shared {
    state: Mutex<SimState>,
    refuse_until: Mutex<Option<Instant>>,
    wake: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    /// The world lock. A panic while holding it cannot leave the state
    /// half-updated in a way later code relies on, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A bound, not yet running simulator.
#[derive(Debug)]
pub struct GatewaySim {
    listener: TcpListener,
    addr: SocketAddr,
}

impl GatewaySim {
    /// Binds a loopback address (`127.0.0.1:0` picks a free port;
    /// `127.0.0.1:4002` is IB Gateway's paper port).
    pub async fn bind(addr: &str) -> Result<Self, SimError> {
        let parsed: SocketAddr = addr
            .parse()
            .map_err(|_| SimError::NotLoopback(addr.to_owned()))?;
        if !parsed.ip().is_loopback() {
            return Err(SimError::NotLoopback(addr.to_owned()));
        }
        let listener = TcpListener::bind(parsed)
            .await
            .map_err(|source| SimError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        Ok(GatewaySim { listener, addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts accepting clients and (in auto clock mode) the market clock.
    pub fn start(self, config: SimConfig) -> Result<SimHandle, SimError> {
        config.validate()?;
        let rt = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
        let state = SimState::new(config);
        let step_every = state.step_every();
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            refuse_until: Mutex::new(None),
            wake: Notify::new(),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let accept = rt.spawn(accept_loop(
            shared.clone(),
            self.listener,
            self.addr,
            stop_rx.clone(),
        ));
        let clock = step_every.map(|every| rt.spawn(clock_loop(shared.clone(), every, stop_rx)));
        tracing::info!(addr = %self.addr, "gateway simulator listening");
        Ok(SimHandle {
            shared,
            addr: self.addr,
            stop: stop_tx,
            tasks: Mutex::new(vec![Some(accept), clock].into_iter().flatten().collect()),
        })
    }
}

async fn clock_loop(shared: Arc<Shared>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every.max(Duration::from_micros(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => shared.lock().step(),
            _ = stop.changed() => return,
        }
    }
}

async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    addr: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let mut listener = Some(listener);
    loop {
        let refuse = *shared
            .refuse_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(until) = refuse.filter(|u| *u > Instant::now()) {
            // Closing the listening socket makes connects fail with
            // ECONNREFUSED, as with a gateway that is down.
            listener = None;
            tokio::select! {
                _ = tokio::time::sleep_until(until.into()) => {}
                _ = shared.wake.notified() => continue,
                _ = stop.changed() => return,
            }
            continue;
        }
        if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "rebind after refusal failed; retrying");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let Some(l) = listener.as_ref() else { continue };
        tokio::select! {
            accepted = l.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(session::run(shared.clone(), stream, peer));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = shared.wake.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

/// An order as the simulator holds it (for test assertions).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderView {
    /// API order id.
    pub order_id: i32,
    /// Owning client.
    pub client_id: i32,
    /// Permanent id.
    pub perm_id: i64,
    /// Current state.
    pub status: Status,
    /// Quantity ordered.
    pub quantity: f64,
    /// Filled.
    pub filled: f64,
    /// Average fill price.
    pub avg_fill_price: f64,
    /// Order reference.
    pub order_ref: String,
}

/// A consistent copy of the simulated world.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSnapshot {
    /// Simulated time, epoch seconds.
    pub now: i64,
    /// nextValidId the next session (or reqIds) gets.
    pub next_valid_id: i32,
    /// Client ids with an API session.
    pub connected_clients: Vec<i32>,
    /// All orders, in placement order.
    pub orders: Vec<OrderView>,
    /// All executions.
    pub executions: Vec<ExecRecord>,
    /// Holdings by contract id.
    pub positions: Vec<(i32, Holding)>,
    /// Account summary figures.
    pub summary: Summary,
    /// (client id, message id) of every request received.
    pub inbound: Vec<(Option<i32>, i32)>,
}

/// Control of a running simulator: clock, prices, faults, shutdown.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl SimHandle {
    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Advances simulated time by `secs` seconds (works in both clock
    /// modes; in manual mode it is the only way time moves).
    pub fn advance(&self, secs: u32) {
        let mut st = self.shared.lock();
        for _ in 0..secs {
            st.step();
        }
    }

    /// Simulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        self.shared.lock().now
    }

    /// Current top of book of a contract id.
    pub fn quote_con_id(&self, con_id: i32) -> Option<Quote> {
        let mut st = self.shared.lock();
        let i = st.registry.by_con_id(con_id)?;
        Some(st.quote(i))
    }

    /// Current top of book of an underlying.
    pub fn quote(&self, symbol: &str) -> Option<Quote> {
        let mut st = self.shared.lock();
        let u = st.underlying_index(symbol)?;
        let con_id = st.registry.underlyings[u].con_id;
        let i = st.registry.by_con_id(con_id)?;
        Some(st.quote(i))
    }

    /// Contract id of a listed option, if the chain has it.
    pub fn option_con_id(
        &self,
        symbol: &str,
        expiry: jiff::civil::Date,
        strike: f64,
        right: trade_core::OptionRight,
    ) -> Option<i32> {
        let st = self.shared.lock();
        st.registry
            .instruments
            .iter()
            .find(|ins| {
                ins.symbol.eq_ignore_ascii_case(symbol)
                    && matches!(ins.kind, Kind::Option { expiry: e, strike: k, right: r } if e == expiry && (k - strike).abs() < 1e-9 && r == right)
            })
            .map(|ins| ins.con_id)
    }

    /// Moves an underlying's price path to `price` now (the move persists).
    pub fn set_price(&self, symbol: &str, price: f64) -> Result<(), SimError> {
        let mut st = self.shared.lock();
        let u = st
            .underlying_index(symbol)
            .ok_or_else(|| SimError::UnknownSymbol(symbol.to_owned()))?;
        let now = st.now;
        st.paths[u].jump_to(now, price);
        // Orders resting at the new price trade at once.
        st.match_orders(None);
        Ok(())
    }

    /// Closes every client socket (clients see the connection drop).
    pub fn drop_connections(&self) {
        let mut st = self.shared.lock();
        for sid in st.sessions.keys().copied().collect::<Vec<_>>() {
            st.close_session(sid);
        }
    }

    /// Closes the sockets of one client id.
    pub fn drop_client(&self, client_id: i32) {
        let mut st = self.shared.lock();
        for sid in st.sessions_of(client_id) {
            st.close_session(sid);
        }
    }

    /// Connection attempts fail (ECONNREFUSED) for `d`; existing sessions
    /// are untouched.
    pub fn refuse_connections_for(&self, d: Duration) {
        *self
            .shared
            .refuse_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + d);
        self.shared.wake.notify_one();
    }

    /// Simulated gateway restart: every socket closes, connections are
    /// refused for `spec.down_for`, and the next session's nextValidId is
    /// rolled back. Orders and executions survive (they live at IB).
    pub fn restart(&self, spec: RestartSpec) {
        self.shared.lock().restart(spec.roll_back_next_id_by);
        if !spec.down_for.is_zero() {
            self.refuse_connections_for(spec.down_for);
        }
    }

    /// Adds `d` of latency to every frame sent from now on (zero clears).
    pub fn set_response_delay(&self, d: Duration) {
        self.shared.lock().faults.response_delay = d;
    }

    /// Silently drops the next `n` outgoing frames with server message id
    /// `msg_id` (e.g. `messages::inc::CURRENT_TIME`).
    pub fn drop_next_responses(&self, msg_id: i32, n: u32) {
        *self
            .shared
            .lock()
            .faults
            .drop_next
            .entry(msg_id)
            .or_insert(0) += n;
    }

    /// Sends an error/notice frame (`id` -1 for system notices such as
    /// 1100/1101/1102/2103/2104/2105/2106/2157/2158).
    pub fn inject_error(&self, target: Target, id: i32, code: i32, text: &str) {
        let mut st = self.shared.lock();
        for sid in st.targets(target) {
            st.send_error(sid, id, code, text);
        }
    }

    /// The next placed order is rejected: error `code` with `text`, the
    /// order goes Inactive.
    pub fn reject_next_order(&self, code: i32, text: &str) {
        self.shared
            .lock()
            .faults
            .reject_next_orders
            .push_back((code, text.to_owned()));
    }

    /// Turns the historical pacing rules (error 162) on or off.
    pub fn set_historical_pacing(&self, on: bool) {
        self.shared.lock().faults.historical_pacing = on;
    }

    /// How many requests with client message id `msg_id` (e.g. 50 for
    /// reqRealTimeBars) the gateway has received so far; tests use it to
    /// know a request was processed before moving the clock.
    pub fn requests_received(&self, msg_id: i32) -> usize {
        self.shared
            .lock()
            .inbound
            .iter()
            .filter(|(_, id)| *id == msg_id)
            .count()
    }

    /// When each placeOrder request arrived (read and decoded), in order.
    pub fn order_arrivals(&self) -> Vec<std::time::Instant> {
        self.shared.lock().order_arrivals.clone()
    }

    /// Waits until at least `n` requests with id `msg_id` have been handled.
    pub async fn wait_requests(&self, msg_id: i32, n: usize) {
        while self.requests_received(msg_id) < n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// A copy of the simulated world.
    pub fn snapshot(&self) -> SimSnapshot {
        let mut st = self.shared.lock();
        let summary = st.summary();
        let mut connected: Vec<i32> = st.sessions.values().filter_map(|s| s.client_id).collect();
        connected.sort_unstable();
        SimSnapshot {
            now: st.now,
            next_valid_id: st.next_valid_id,
            connected_clients: connected,
            orders: st
                .orders
                .iter()
                .map(|o| OrderView {
                    order_id: o.order_id,
                    client_id: o.client_id,
                    perm_id: o.perm_id,
                    status: o.status,
                    quantity: o.quantity,
                    filled: o.filled,
                    avg_fill_price: o.avg_fill_price,
                    order_ref: o.order_ref.clone(),
                })
                .collect(),
            executions: st.executions.clone(),
            positions: st.account.holdings.iter().map(|(k, v)| (*k, *v)).collect(),
            summary,
            inbound: st.inbound.clone(),
        }
    }

    /// Stops accepting, closes every session and waits for the tasks.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.drop_connections();
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for t in tasks {
            let _ = t.await;
        }
    }
}
