//! Request handlers: one function per TWS API request the simulator
//! answers, each decoding the protobuf request and queuing the responses
//! TWS would send (or the error TWS would send).

use prost::Message;

use crate::account::ALL_TAGS;
use crate::instruments::{Kind, ResolveError};
use crate::messages::{self as msg, inc, out};
use crate::orders::{Leg, OrderKind, Side, SimOrder, Status, Target};
use crate::state::{BarSub, HistSub, MktSub, SimState, WhatToShow, dec};
use crate::timefmt;

/// A request the gateway answers with an error frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReqError {
    pub id: i32,
    pub code: i32,
    pub text: String,
}

impl ReqError {
    fn new(id: i32, code: i32, text: impl Into<String>) -> Self {
        ReqError {
            id,
            code,
            text: text.into(),
        }
    }
}

/// Decodes a request payload; a payload that is not valid protobuf for the
/// message is answered like TWS answers unreadable requests (320).
fn decode<M: Message + Default>(payload: &[u8], name: &str) -> Result<M, ReqError> {
    M::decode(payload)
        .map_err(|e| ReqError::new(-1, 320, format!("Error reading request: {name}: {e}")))
}

fn resolve_error(id: i32, e: ResolveError) -> ReqError {
    ReqError::new(id, 200, e.to_string())
}

/// `"N unit"` bar size in seconds.
fn bar_seconds(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let n: i64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.to_ascii_lowercase();
    let secs = match unit.trim_end_matches('s') {
        "sec" => n,
        "min" => n * 60,
        "hour" => n * 3600,
        "day" if n == 1 => 86_400,
        _ => return None,
    };
    const VALID: [i64; 19] = [
        1, 5, 10, 15, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 14_400,
        28_800,
    ];
    (VALID.contains(&secs) || secs == 86_400).then_some(secs)
}

/// `"N S|D|W|M|Y"` duration in seconds (the simulated market never closes,
/// so a day is 86 400 s).
fn duration_seconds(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let n: i64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.to_ascii_uppercase();
    if n <= 0 {
        return None;
    }
    let per = match unit.as_str() {
        "S" => 1,
        "D" => 86_400,
        "W" => 7 * 86_400,
        "M" => 30 * 86_400,
        "Y" => 365 * 86_400,
        _ => return None,
    };
    Some(n * per)
}

impl SimState {
    /// Handles one request frame from an API session.
    pub fn handle(&mut self, sid: u64, msg_id: i32, payload: &[u8]) {
        let client = self.sessions.get(&sid).and_then(|s| s.client_id);
        self.inbound.push((client, msg_id));
        if msg_id == out::PLACE_ORDER {
            self.order_arrivals.push(std::time::Instant::now());
        }
        if let Err(e) = self.dispatch(sid, msg_id, payload) {
            tracing::debug!(session = sid, msg_id, code = e.code, text = %e.text, "request answered with error");
            self.send_error(sid, e.id, e.code, &e.text);
        }
    }

    /// The handshake tail after startApi: TWS answers nextValidId,
    /// managedAccounts and the farm notices, then replays the client's
    /// open orders. Returns false (after error 326) when the client id is
    /// already connected.
    pub fn start_api(&mut self, sid: u64, client_id: i32) -> bool {
        if !self.sessions_of(client_id).is_empty() {
            self.send_error(
                sid,
                -1,
                326,
                &format!("Unable to connect as the client id is already in use. Retry with a unique client id. ({client_id})"),
            );
            self.close_session(sid);
            return false;
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.client_id = Some(client_id);
        }
        self.inbound.push((Some(client_id), out::START_API));
        let next = msg::NextValidId {
            order_id: Some(self.next_valid_id),
        };
        self.send(sid, inc::NEXT_VALID_ID, &next);
        let accounts = msg::ManagedAccounts {
            accounts_list: Some(self.account.code.clone()),
        };
        self.send(sid, inc::MANAGED_ACCTS, &accounts);
        for (code, text) in [
            (2104, "Market data farm connection is OK:usfarm"),
            (2106, "HMDS data farm connection is OK:ushmds"),
            (2158, "Sec-def data farm connection is OK:secdefnj"),
        ] {
            self.send_error(sid, -1, code, text);
        }
        // "orderStatus is also fired after reconnecting if the client has
        // any open orders" (official client docs).
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|&i| {
                self.orders[i].client_id == client_id
                    && self.orders[i].transmit
                    && !self.orders[i].status.is_terminal()
            })
            .collect();
        for i in open {
            let oo = self.open_order_msg(&self.orders[i]);
            let os = self.order_status_msg(&self.orders[i]);
            self.send(sid, inc::OPEN_ORDER, &oo);
            self.send(sid, inc::ORDER_STATUS, &os);
        }
        true
    }

    fn dispatch(&mut self, sid: u64, msg_id: i32, payload: &[u8]) -> Result<(), ReqError> {
        match msg_id {
            out::START_API => Err(ReqError::new(
                -1,
                321,
                "Error validating request: startApi already received",
            )),
            out::REQ_IDS => {
                let _: msg::IdsRequest = decode(payload, "reqIds")?;
                let m = msg::NextValidId {
                    order_id: Some(self.next_valid_id),
                };
                self.send(sid, inc::NEXT_VALID_ID, &m);
                Ok(())
            }
            out::REQ_CURRENT_TIME => {
                let _: msg::Empty = decode(payload, "reqCurrentTime")?;
                let m = msg::CurrentTime {
                    current_time: Some(self.now),
                };
                self.send(sid, inc::CURRENT_TIME, &m);
                Ok(())
            }
            out::REQ_CURRENT_TIME_IN_MILLIS => {
                let _: msg::Empty = decode(payload, "reqCurrentTimeInMillis")?;
                let m = msg::CurrentTimeInMillis {
                    current_time_in_millis: Some(self.now * 1000),
                };
                self.send(sid, inc::CURRENT_TIME_IN_MILLIS, &m);
                Ok(())
            }
            out::REQ_MANAGED_ACCTS => {
                let m = msg::ManagedAccounts {
                    accounts_list: Some(self.account.code.clone()),
                };
                self.send(sid, inc::MANAGED_ACCTS, &m);
                Ok(())
            }
            out::REQ_MARKET_DATA_TYPE => {
                let r: msg::MarketDataTypeRequest = decode(payload, "reqMarketDataType")?;
                // Live data is always "subscribed" here, so every type is
                // served live, as TWS does for delayed requests on
                // subscribed instruments.
                match r.market_data_type {
                    Some(1..=4) => Ok(()),
                    other => Err(ReqError::new(
                        -1,
                        321,
                        format!("Error validating request: market data type {other:?}"),
                    )),
                }
            }
            out::REQ_MKT_DATA => self.req_mkt_data(sid, decode(payload, "reqMktData")?),
            out::CANCEL_MKT_DATA => {
                let r: msg::ReqIdOnly = decode(payload, "cancelMktData")?;
                if let (Some(s), Some(id)) = (self.sessions.get_mut(&sid), r.req_id) {
                    s.mkt.remove(&id);
                }
                Ok(())
            }
            out::REQ_REAL_TIME_BARS => {
                self.req_real_time_bars(sid, decode(payload, "reqRealTimeBars")?)
            }
            out::CANCEL_REAL_TIME_BARS => {
                let r: msg::ReqIdOnly = decode(payload, "cancelRealTimeBars")?;
                if let (Some(s), Some(id)) = (self.sessions.get_mut(&sid), r.req_id) {
                    s.rt_bars.remove(&id);
                }
                Ok(())
            }
            out::REQ_HISTORICAL_DATA => {
                self.req_historical(sid, decode(payload, "reqHistoricalData")?)
            }
            out::CANCEL_HISTORICAL_DATA => {
                let r: msg::ReqIdOnly = decode(payload, "cancelHistoricalData")?;
                if let (Some(s), Some(id)) = (self.sessions.get_mut(&sid), r.req_id) {
                    s.hist.remove(&id);
                }
                Ok(())
            }
            out::REQ_CONTRACT_DATA => {
                self.req_contract_data(sid, decode(payload, "reqContractData")?)
            }
            out::CANCEL_CONTRACT_DATA => {
                let _: msg::ReqIdOnly = decode(payload, "cancelContractData")?;
                Ok(())
            }
            out::REQ_SEC_DEF_OPT_PARAMS => {
                self.req_sec_def_opt_params(sid, decode(payload, "reqSecDefOptParams")?)
            }
            out::PLACE_ORDER => self.place_order(sid, decode(payload, "placeOrder")?),
            out::CANCEL_ORDER => {
                let r: msg::CancelOrderRequest = decode(payload, "cancelOrder")?;
                self.cancel_order(sid, r.order_id.unwrap_or(0))
            }
            out::REQ_GLOBAL_CANCEL => {
                let open: Vec<usize> = (0..self.orders.len())
                    .filter(|&i| !self.orders[i].status.is_terminal())
                    .collect();
                for i in open {
                    self.set_status(i, Status::Cancelled, "Cancelled by global cancel");
                }
                Ok(())
            }
            out::REQ_OPEN_ORDERS | out::REQ_AUTO_OPEN_ORDERS => self.req_open_orders(sid, false),
            out::REQ_ALL_OPEN_ORDERS => self.req_open_orders(sid, true),
            out::REQ_COMPLETED_ORDERS => {
                let _: msg::CompletedOrdersRequest = decode(payload, "reqCompletedOrders")?;
                let done: Vec<usize> = (0..self.orders.len())
                    .filter(|&i| self.orders[i].status.is_terminal())
                    .collect();
                for i in done {
                    let o = &self.orders[i];
                    let m = msg::CompletedOrder {
                        contract: Some(o.contract.clone()),
                        order: Some(self.order_proto(o)),
                        order_state: Some(self.order_state_proto(o)),
                    };
                    self.send(sid, inc::COMPLETED_ORDER, &m);
                }
                self.send(sid, inc::COMPLETED_ORDERS_END, &msg::Empty {});
                Ok(())
            }
            out::REQ_EXECUTIONS => self.req_executions(sid, decode(payload, "reqExecutions")?),
            out::REQ_POSITIONS => {
                let _: msg::Empty = decode(payload, "reqPositions")?;
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.positions_sub = true;
                }
                let holdings: Vec<(i32, crate::account::Holding)> = self
                    .account
                    .holdings
                    .iter()
                    .map(|(k, v)| (*k, *v))
                    .collect();
                for (con_id, h) in holdings {
                    let Some(i) = self.registry.by_con_id(con_id) else {
                        continue;
                    };
                    let m = msg::Position {
                        account: Some(self.account.code.clone()),
                        contract: Some(self.registry.contract_proto(i)),
                        position: Some(dec(h.quantity)),
                        avg_cost: Some(h.avg_cost),
                    };
                    self.send(sid, inc::POSITION_DATA, &m);
                }
                self.send(sid, inc::POSITION_END, &msg::Empty {});
                Ok(())
            }
            out::CANCEL_POSITIONS => {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.positions_sub = false;
                }
                Ok(())
            }
            out::REQ_ACCOUNT_SUMMARY => {
                self.req_account_summary(sid, decode(payload, "reqAccountSummary")?)
            }
            out::CANCEL_ACCOUNT_SUMMARY => Ok(()),
            out::REQ_ACCT_DATA => {
                self.req_account_updates(sid, decode(payload, "reqAccountUpdates")?)
            }
            out::REQ_MKT_DEPTH => {
                let r: msg::ReqIdOnly = decode(payload, "reqMktDepth")?;
                Err(ReqError::new(
                    r.req_id.unwrap_or(-1),
                    10092,
                    "Deep market data is not supported by the simulator",
                ))
            }
            known if known <= 110 => Err(ReqError::new(
                -1,
                322,
                format!("Error processing request: message id {known} is not simulated"),
            )),
            unknown => Err(ReqError::new(
                -1,
                320,
                format!("Error reading request: unknown message id {unknown}"),
            )),
        }
    }

    // ------------------------------------------------------------ market data

    fn req_mkt_data(&mut self, sid: u64, r: msg::MarketDataRequest) -> Result<(), ReqError> {
        let req_id = r.req_id.ok_or_else(|| {
            ReqError::new(
                -1,
                321,
                "Error validating request: reqMktData without reqId",
            )
        })?;
        let contract = r.contract.unwrap_or_default();
        let instrument = self
            .registry
            .resolve(&contract)
            .map_err(|e| resolve_error(req_id, e))?;
        let snapshot = r.snapshot.unwrap_or(false) || r.regulatory_snapshot.unwrap_or(false);
        if !snapshot {
            if self
                .sessions
                .get(&sid)
                .is_some_and(|s| s.mkt.contains_key(&req_id))
            {
                return Err(ReqError::new(req_id, 102, "Duplicate ticker id"));
            }
            let lines: usize = self.sessions.values().map(|s| s.mkt.len()).sum();
            if lines >= self.cfg.max_market_data_lines {
                return Err(ReqError::new(
                    req_id,
                    101,
                    format!(
                        "Max number of tickers has been reached (max {})",
                        self.cfg.max_market_data_lines
                    ),
                ));
            }
        }
        let params = msg::TickReqParams {
            req_id: Some(req_id),
            min_tick: Some("0.01".into()),
            bbo_exchange: Some("9c0001".into()),
            snapshot_permissions: Some(3),
        };
        self.send(sid, inc::TICK_REQ_PARAMS, &params);
        self.send(
            sid,
            inc::MARKET_DATA_TYPE,
            &msg::MarketDataType {
                req_id: Some(req_id),
                market_data_type: Some(1),
            },
        );
        // The day so far: volume, high and low since Eastern midnight.
        let day_start = timefmt::eastern_midnight(timefmt::eastern_date(self.now));
        let what = WhatToShow::Trades;
        let day = self.ohlc(
            instrument,
            day_start.max(self.now - self.cfg.history_secs),
            self.now.max(day_start + 1),
            what,
        );
        let q = self.quote(instrument);
        let mut sub = MktSub {
            instrument,
            last: None,
            volume: day.map(|d| d.volume.max(0.0)).unwrap_or(0.0),
            high: day.map(|d| d.high).unwrap_or(q.last).max(q.last),
            low: day.map(|d| d.low).unwrap_or(q.last).min(q.last),
        };
        self.tick_messages(sid, req_id, &mut sub, None);
        // Previous close (tick 9) and today's open (tick 14).
        let prev_close = self
            .ohlc(instrument, day_start - 60, day_start, what)
            .map(|b| b.close);
        let open = day.map(|d| d.open);
        for (tick, px) in [(9, prev_close), (14, open)] {
            if let Some(p) = px {
                let m = msg::TickPrice {
                    req_id: Some(req_id),
                    tick_type: Some(tick),
                    price: Some(p),
                    size: Some("0".into()),
                    attr_mask: Some(0),
                };
                self.send(sid, inc::TICK_PRICE, &m);
            }
        }
        self.generic_ticks(
            sid,
            req_id,
            instrument,
            r.generic_tick_list.as_deref().unwrap_or(""),
        );
        if snapshot {
            self.send(
                sid,
                inc::TICK_SNAPSHOT_END,
                &msg::ReqIdOnly {
                    req_id: Some(req_id),
                },
            );
        } else if let Some(s) = self.sessions.get_mut(&sid) {
            s.mkt.insert(req_id, sub);
        }
        Ok(())
    }

    fn generic_ticks(&mut self, sid: u64, req_id: i32, instrument: usize, list: &str) {
        let ins = self.registry.instruments[instrument].clone();
        let u = self.registry.underlyings[ins.underlying].clone();
        for g in list.split(',').map(str::trim).filter(|g| !g.is_empty()) {
            match (g, &ins.kind) {
                ("100", Kind::Option { right, .. }) => {
                    let v =
                        (crate::market::mix(self.cfg.seed, ins.con_id as u64 + 7, 0) % 5000) as f64;
                    let tick = if *right == trade_options::pricing::OptionRight::Call {
                        29
                    } else {
                        30
                    };
                    self.send(
                        sid,
                        inc::TICK_SIZE,
                        &msg::TickSize {
                            req_id: Some(req_id),
                            tick_type: Some(tick),
                            size: Some(dec(v)),
                        },
                    );
                }
                ("101", Kind::Option { right, .. }) => {
                    let v = (crate::market::mix(self.cfg.seed, ins.con_id as u64 + 11, 0) % 50_000)
                        as f64;
                    let tick = if *right == trade_options::pricing::OptionRight::Call {
                        27
                    } else {
                        28
                    };
                    self.send(
                        sid,
                        inc::TICK_SIZE,
                        &msg::TickSize {
                            req_id: Some(req_id),
                            tick_type: Some(tick),
                            size: Some(dec(v)),
                        },
                    );
                }
                ("104", Kind::Stock) => {
                    if let crate::config::PriceSource::Generated { annual_vol, .. } = u.prices {
                        self.send(
                            sid,
                            inc::TICK_GENERIC,
                            &msg::TickGeneric {
                                req_id: Some(req_id),
                                tick_type: Some(23),
                                value: Some(annual_vol),
                            },
                        );
                    }
                }
                ("106", Kind::Stock) => {
                    if let Some(ch) = &u.options {
                        self.send(
                            sid,
                            inc::TICK_GENERIC,
                            &msg::TickGeneric {
                                req_id: Some(req_id),
                                tick_type: Some(24),
                                value: Some(ch.vol),
                            },
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn req_real_time_bars(
        &mut self,
        sid: u64,
        r: msg::RealTimeBarsRequest,
    ) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        // TWS ignores barSize (always 5-second bars); ibapi sends 0.
        let _ = r.bar_size;
        let what =
            WhatToShow::parse(r.what_to_show.as_deref().unwrap_or("TRADES")).ok_or_else(|| {
                ReqError::new(
                    req_id,
                    321,
                    format!("Error validating request: whatToShow {:?}", r.what_to_show),
                )
            })?;
        let instrument = self
            .registry
            .resolve(&r.contract.unwrap_or_default())
            .map_err(|e| resolve_error(req_id, e))?;
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.rt_bars.insert(req_id, BarSub { instrument, what });
        }
        Ok(())
    }

    fn req_historical(&mut self, sid: u64, r: msg::HistoricalDataRequest) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        let hmds = |text: String| {
            ReqError::new(
                req_id,
                162,
                format!("Historical Market Data Service error message:{text}"),
            )
        };
        let contract = r.contract.unwrap_or_default();
        let instrument = self
            .registry
            .resolve(&contract)
            .map_err(|e| resolve_error(req_id, e))?;
        let bar_setting = r.bar_size_setting.clone().unwrap_or_default();
        let bar_secs = bar_seconds(&bar_setting).ok_or_else(|| {
            ReqError::new(
                req_id,
                321,
                format!("Error validating request: bar size {bar_setting:?} is not simulated"),
            )
        })?;
        let duration = r.duration.clone().unwrap_or_default();
        let span = duration_seconds(&duration).ok_or_else(|| {
            ReqError::new(
                req_id,
                321,
                format!("Error validating request: duration {duration:?}"),
            )
        })?;
        let what_text = r.what_to_show.clone().unwrap_or_else(|| "TRADES".into());
        let what = WhatToShow::parse(&what_text)
            .ok_or_else(|| hmds(format!("whatToShow {what_text} is not simulated")))?;
        let keep = r.keep_up_to_date.unwrap_or(false);
        let end_text = r.end_date_time.clone().unwrap_or_default();
        let end = timefmt::parse_end_datetime(&end_text)
            .map_err(|e| ReqError::new(req_id, 321, format!("Error validating request: {e}")))?;
        if keep && end.is_some() {
            return Err(ReqError::new(
                req_id,
                321,
                "Error validating request: keepUpToDate requires an empty endDateTime",
            ));
        }
        let end = end.unwrap_or(self.now).min(self.now);
        let format_date = r.format_date.unwrap_or(1);
        if self.faults.historical_pacing && bar_secs <= 30 {
            let key = format!("{instrument}|{bar_setting}|{what_text}|{end_text}|{duration}");
            let now = std::time::Instant::now();
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.hist_log.retain(|(t, _, _)| {
                    now.duration_since(*t) < std::time::Duration::from_secs(600)
                });
                let identical = s
                    .hist_log
                    .iter()
                    .any(|(t, k, _)| *k == key && now.duration_since(*t).as_secs() < 15);
                let burst = s
                    .hist_log
                    .iter()
                    .filter(|(t, _, i)| {
                        *i == instrument as i32 && now.duration_since(*t).as_secs() < 2
                    })
                    .count()
                    >= 6;
                let many = s.hist_log.len() >= 60;
                s.hist_log.push_back((now, key, instrument as i32));
                if identical || burst || many {
                    return Err(hmds("Historical data request pacing violation".into()));
                }
            }
        }
        let first = self.paths[self.registry.instruments[instrument].underlying].first_time();
        let start = (end - span).max(first);
        let mut bars = Vec::new();
        let mut t = Self::align(start, bar_secs);
        if t < start {
            t += bar_secs;
        }
        while t < end {
            let bar_end = (t + bar_secs).min(end);
            if let Some(b) = self.ohlc(instrument, t, bar_end, what) {
                bars.push(self.bar_proto(t, bar_secs, format_date, &b));
            }
            t += bar_secs;
        }
        if bars.is_empty() {
            return Err(hmds(format!(
                "HMDS query returned no data: {}@SMART {what_text}",
                contract.symbol.unwrap_or_default()
            )));
        }
        self.send(
            sid,
            inc::HISTORICAL_DATA,
            &msg::HistoricalData {
                req_id: Some(req_id),
                historical_data_bars: bars,
            },
        );
        let end_msg = msg::HistoricalDataEnd {
            req_id: Some(req_id),
            start_date_str: Some(timefmt::tws_datetime(start)),
            end_date_str: Some(timefmt::tws_datetime(end)),
        };
        self.send(sid, inc::HISTORICAL_DATA_END, &end_msg);
        if keep && let Some(s) = self.sessions.get_mut(&sid) {
            s.hist.insert(
                req_id,
                HistSub {
                    instrument,
                    bar_secs,
                    what,
                    format_date,
                },
            );
        }
        Ok(())
    }

    // ------------------------------------------------------------ reference data

    fn req_contract_data(&mut self, sid: u64, r: msg::ContractDataRequest) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        let found = self.registry.matching(&r.contract.unwrap_or_default());
        if found.is_empty() {
            return Err(resolve_error(req_id, ResolveError::NotFound));
        }
        for i in found {
            let m = msg::ContractData {
                req_id: Some(req_id),
                contract: Some(self.registry.contract_proto(i)),
                contract_details: Some(self.registry.details_proto(i)),
            };
            self.send(sid, inc::CONTRACT_DATA, &m);
        }
        self.send(
            sid,
            inc::CONTRACT_DATA_END,
            &msg::ReqIdOnly {
                req_id: Some(req_id),
            },
        );
        Ok(())
    }

    fn req_sec_def_opt_params(
        &mut self,
        sid: u64,
        r: msg::SecDefOptParamsRequest,
    ) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        let con_id = r.underlying_con_id.unwrap_or(0);
        if con_id <= 0 {
            return Err(ReqError::new(
                req_id,
                321,
                "Error validating request.-'bX' : cause - Invalid underlying conId",
            ));
        }
        let symbol = r.underlying_symbol.unwrap_or_default();
        let u = self.registry.underlyings.iter().position(|u| {
            u.con_id == con_id && (symbol.is_empty() || u.symbol.eq_ignore_ascii_case(&symbol))
        });
        if let Some(u) = u
            && let Some(series) = self.registry.chains.get(&u)
        {
            let mut expiries = Vec::new();
            let mut strikes = Vec::new();
            for &i in series {
                if let Kind::Option { expiry, strike, .. } = self.registry.instruments[i].kind {
                    let e = format!(
                        "{:04}{:02}{:02}",
                        expiry.year(),
                        expiry.month(),
                        expiry.day()
                    );
                    if !expiries.contains(&e) {
                        expiries.push(e);
                    }
                    if !strikes.iter().any(|k: &f64| (k - strike).abs() < 1e-9) {
                        strikes.push(strike);
                    }
                }
            }
            strikes.sort_by(f64::total_cmp);
            let spec = &self.registry.underlyings[u];
            let mult = spec
                .options
                .as_ref()
                .map(|c| dec(c.multiplier))
                .unwrap_or_else(|| "100".into());
            let sym = spec.symbol.clone();
            for exchange in ["SMART", "CBOE"] {
                let m = msg::SecDefOptParameter {
                    req_id: Some(req_id),
                    exchange: Some(exchange.into()),
                    underlying_con_id: Some(con_id),
                    trading_class: Some(sym.clone()),
                    multiplier: Some(mult.clone()),
                    expirations: expiries.clone(),
                    strikes: strikes.clone(),
                };
                self.send(sid, inc::SECURITY_DEFINITION_OPTION_PARAMETER, &m);
            }
        }
        self.send(
            sid,
            inc::SECURITY_DEFINITION_OPTION_PARAMETER_END,
            &msg::ReqIdOnly {
                req_id: Some(req_id),
            },
        );
        Ok(())
    }

    // ------------------------------------------------------------ orders

    fn place_order(&mut self, sid: u64, r: msg::PlaceOrderRequest) -> Result<(), ReqError> {
        let client_id = self
            .sessions
            .get(&sid)
            .and_then(|s| s.client_id)
            .unwrap_or(0);
        let order_id = r.order_id.ok_or_else(|| {
            ReqError::new(
                -1,
                321,
                "Error validating request: placeOrder without orderId",
            )
        })?;
        let order = r.order.unwrap_or_default();
        let mut contract = r.contract.unwrap_or_default();
        let reject =
            |text: String| ReqError::new(order_id, 201, format!("Order rejected - reason:{text}"));

        let side = Side::parse(order.action.as_deref().unwrap_or(""))
            .ok_or_else(|| reject(format!("invalid action {:?}", order.action)))?;
        let qty: f64 = order
            .total_quantity
            .as_deref()
            .and_then(|q| q.parse().ok())
            .filter(|q: &f64| q.is_finite() && *q > 0.0)
            .ok_or_else(|| reject(format!("invalid total quantity {:?}", order.total_quantity)))?;
        let lmt = order.lmt_price.filter(|p| p.is_finite() && *p != f64::MAX);
        let aux = order.aux_price.filter(|p| p.is_finite() && *p != f64::MAX);
        let order_type = order
            .order_type
            .clone()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let kind = match (order_type.as_str(), lmt, aux) {
            ("MKT", _, _) => OrderKind::Market,
            ("LMT", Some(l), _) => OrderKind::Limit(l),
            ("STP", _, Some(s)) => OrderKind::Stop(s),
            ("STP LMT", Some(l), Some(s)) => OrderKind::StopLimit { stop: s, limit: l },
            ("LMT" | "STP" | "STP LMT", _, _) => {
                return Err(reject(format!("{order_type} order without its price")));
            }
            (other, _, _) => return Err(reject(format!("order type {other:?} is not simulated"))),
        };

        // Re-sending a live order id modifies it, as in TWS.
        if let Some(idx) = self.order_index(client_id, order_id) {
            if self.orders[idx].status.is_terminal() {
                return Err(ReqError::new(order_id, 103, "Duplicate order id"));
            }
            if qty < self.orders[idx].filled {
                return Err(reject("quantity below the filled quantity".into()));
            }
            let o = &mut self.orders[idx];
            o.quantity = qty;
            o.kind = kind;
            if let Some(r) = &order.order_ref {
                o.order_ref = r.clone();
            }
            self.publish_order(idx, true);
            self.match_orders(Some(idx));
            return Ok(());
        }

        let sec_type = contract
            .sec_type
            .clone()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let target = if sec_type == "BAG" {
            if contract.combo_legs.is_empty() {
                return Err(ReqError::new(
                    order_id,
                    200,
                    "No security definition has been found for the request (BAG without legs)",
                ));
            }
            let mut legs = Vec::new();
            for l in &contract.combo_legs {
                let con_id = l.con_id.unwrap_or(0);
                let instrument = self
                    .registry
                    .by_con_id(con_id)
                    .ok_or_else(|| ReqError::new(order_id, 200, format!("No security definition has been found for the request (leg conId {con_id})")))?;
                let leg_side = Side::parse(l.action.as_deref().unwrap_or(""))
                    .ok_or_else(|| reject(format!("invalid leg action {:?}", l.action)))?;
                let ratio = l
                    .ratio
                    .filter(|r| *r > 0)
                    .ok_or_else(|| reject(format!("invalid leg ratio {:?}", l.ratio)))?;
                legs.push(Leg {
                    instrument,
                    ratio: ratio as f64,
                    side: leg_side,
                });
            }
            if !matches!(kind, OrderKind::Market | OrderKind::Limit(_)) {
                return Err(reject("combo orders must be MKT or LMT".into()));
            }
            contract.currency.get_or_insert_with(|| "USD".into());
            Target::Combo(legs)
        } else {
            let i = self
                .registry
                .resolve(&contract)
                .map_err(|e| resolve_error(order_id, e))?;
            contract = msg::Contract {
                exchange: contract.exchange.clone().or(Some("SMART".into())),
                ..self.registry.contract_proto(i)
            };
            Target::Single(i)
        };

        if order.what_if.unwrap_or(false) {
            return Err(ReqError::new(
                order_id,
                322,
                "Error processing request: what-if orders are not simulated",
            ));
        }

        let perm_id = self.next_perm_id;
        self.next_perm_id += 1;
        self.next_valid_id = self.next_valid_id.max(order_id + 1);
        let mut o = SimOrder {
            order_id,
            client_id,
            perm_id,
            parent_id: order.parent_id.unwrap_or(0),
            account: order
                .account
                .clone()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| self.account.code.clone()),
            side,
            quantity: qty,
            kind,
            tif: order
                .tif
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "DAY".into()),
            order_ref: order.order_ref.clone().unwrap_or_default(),
            all_or_none: order.all_or_none.unwrap_or(false),
            transmit: order.transmit.unwrap_or(false),
            oca_group: order.oca_group.clone().unwrap_or_default(),
            target,
            contract,
            status: Status::PreSubmitted,
            triggered: false,
            filled: 0.0,
            avg_fill_price: 0.0,
            last_fill_price: 0.0,
            commission: 0.0,
            completed_at: None,
            completed_status: String::new(),
        };

        let scripted = self.faults.reject_next_orders.pop_front();
        let margin_problem = self.margin_check(&o);
        if let Some((code, text)) =
            scripted.or(margin_problem.map(|t| (201, format!("Order rejected - reason:{t}"))))
        {
            o.transmit = true;
            o.status = Status::Inactive;
            o.completed_at = Some(self.now);
            o.completed_status = text.clone();
            self.orders.push(o);
            let idx = self.orders.len() - 1;
            // Status first: a client that ends the order stream on the hard
            // error still sees the order go Inactive.
            self.publish_order(idx, true);
            self.send_error(sid, order_id, code, &text);
            return Ok(());
        }

        let transmit = o.transmit;
        let parent_id = o.parent_id;
        self.orders.push(o);
        let idx = self.orders.len() - 1;
        if !transmit {
            // Held in TWS until a transmitting order of its group arrives.
            return Ok(());
        }
        // Transmitting the last order of a bracket transmits the group.
        let mut group = Vec::new();
        if parent_id != 0 {
            group.extend((0..self.orders.len()).filter(|&j| {
                let p = &self.orders[j];
                p.client_id == client_id
                    && !p.transmit
                    && !p.status.is_terminal()
                    && (p.order_id == parent_id || p.parent_id == parent_id)
            }));
            group.sort_by_key(|&j| self.orders[j].order_id);
        }
        group.push(idx);
        for j in group {
            self.activate(j);
            self.match_orders(Some(j));
        }
        Ok(())
    }

    /// Reg T initial-margin check for orders that add exposure; returns
    /// the reject reason.
    fn margin_check(&mut self, o: &SimOrder) -> Option<String> {
        let Target::Single(i) = o.target else {
            return None;
        };
        let ins = self.registry.instruments[i].clone();
        let held = self
            .account
            .holdings
            .get(&ins.con_id)
            .map(|h| h.quantity)
            .unwrap_or(0.0);
        let after = held + o.side.sign() * o.quantity;
        if after.abs() <= held.abs() {
            return None;
        }
        let added = if held.signum() == after.signum() {
            after.abs() - held.abs()
        } else {
            after.abs()
        };
        let q = self.quote(i);
        let px = o
            .kind
            .limit()
            .unwrap_or(if o.side == Side::Buy { q.ask } else { q.bid });
        let per_unit = if !ins.is_option() {
            0.5 * px
        } else if after > 0.0 {
            px
        } else {
            px + 0.2 * self.underlying_last(ins.underlying, self.now)
        };
        let needed = added * ins.multiplier * per_unit;
        let available = self.summary().available_funds;
        (needed > available).then(|| {
            format!(
                "YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [{:.2} USD] MUST EXCEED THE INITIAL MARGIN [{:.2} USD]",
                available, needed
            )
        })
    }

    fn cancel_order(&mut self, sid: u64, order_id: i32) -> Result<(), ReqError> {
        let client_id = self
            .sessions
            .get(&sid)
            .and_then(|s| s.client_id)
            .unwrap_or(0);
        let idx = self
            .order_index(client_id, order_id)
            .filter(|&i| !self.orders[i].status.is_terminal())
            .ok_or_else(|| {
                ReqError::new(
                    order_id,
                    10147,
                    format!("OrderId {order_id} that needs to be cancelled is not found."),
                )
            })?;
        self.set_status(idx, Status::PendingCancel, "");
        self.set_status(idx, Status::Cancelled, "Cancelled by Trader");
        self.send_error(sid, order_id, 202, "Order Canceled - reason:");
        // Children of a cancelled parent go with it.
        let children: Vec<usize> = (0..self.orders.len())
            .filter(|&j| {
                self.orders[j].client_id == client_id
                    && self.orders[j].parent_id == order_id
                    && !self.orders[j].status.is_terminal()
            })
            .collect();
        for j in children {
            self.set_status(j, Status::Cancelled, "Parent cancelled");
        }
        Ok(())
    }

    fn req_open_orders(&mut self, sid: u64, all: bool) -> Result<(), ReqError> {
        let client_id = self
            .sessions
            .get(&sid)
            .and_then(|s| s.client_id)
            .unwrap_or(0);
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|&i| {
                let o = &self.orders[i];
                o.transmit && !o.status.is_terminal() && (all || o.client_id == client_id)
            })
            .collect();
        for i in open {
            let oo = self.open_order_msg(&self.orders[i]);
            let os = self.order_status_msg(&self.orders[i]);
            self.send(sid, inc::OPEN_ORDER, &oo);
            self.send(sid, inc::ORDER_STATUS, &os);
        }
        self.send(sid, inc::OPEN_ORDER_END, &msg::Empty {});
        Ok(())
    }

    fn req_executions(&mut self, sid: u64, r: msg::ExecutionRequest) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        let f = r.execution_filter.unwrap_or_default();
        let since = match f.time.as_deref() {
            Some(t) if !t.is_empty() => timefmt::parse_end_datetime(t).map_err(|e| {
                ReqError::new(req_id, 321, format!("Error validating request: {e}"))
            })?,
            _ => None,
        };
        let matches: Vec<crate::state::ExecRecord> = self
            .executions
            .iter()
            .filter(|e| {
                let ins = &self.registry.instruments[e.instrument];
                f.client_id.is_none_or(|c| c == 0 || c == e.client_id)
                    && f.acct_code
                        .as_deref()
                        .is_none_or(|a| a.is_empty() || a == self.account.code)
                    && since.is_none_or(|s| e.time >= s)
                    && f.symbol
                        .as_deref()
                        .is_none_or(|s| s.is_empty() || s.eq_ignore_ascii_case(&ins.symbol))
                    && f.sec_type
                        .as_deref()
                        .is_none_or(|s| s.is_empty() || s.eq_ignore_ascii_case(ins.sec_type()))
                    && f.side.as_deref().is_none_or(|s| {
                        s.is_empty()
                            || Side::parse(s) == Some(e.side)
                            || s.eq_ignore_ascii_case(e.side.exec_text())
                    })
            })
            .cloned()
            .collect();
        for e in &matches {
            let d = self.exec_details_msg(req_id, e);
            self.send(sid, inc::EXECUTION_DATA, &d);
            self.send(
                sid,
                inc::COMMISSION_AND_FEES_REPORT,
                &SimState::commission_msg(e),
            );
        }
        self.send(
            sid,
            inc::EXECUTION_DATA_END,
            &msg::ReqIdOnly {
                req_id: Some(req_id),
            },
        );
        Ok(())
    }

    // ------------------------------------------------------------ account

    fn req_account_summary(
        &mut self,
        sid: u64,
        r: msg::AccountSummaryRequest,
    ) -> Result<(), ReqError> {
        let req_id = r.req_id.unwrap_or(-1);
        let tags_text = r.tags.unwrap_or_default();
        let tags: Vec<String> = tags_text
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let s = self.summary();
        let wanted: Vec<&str> = if tags.is_empty() {
            ALL_TAGS.to_vec()
        } else {
            tags.iter().map(String::as_str).collect()
        };
        for tag in wanted {
            let Some(value) = s.tag(tag, "INDIVIDUAL") else {
                continue;
            };
            let m = msg::AccountSummary {
                req_id: Some(req_id),
                account: Some(self.account.code.clone()),
                tag: Some(tag.to_owned()),
                value: Some(value),
                currency: Some(if tag == "AccountType" || tag == "Cushion" {
                    String::new()
                } else {
                    "USD".into()
                }),
            };
            self.send(sid, inc::ACCOUNT_SUMMARY, &m);
        }
        self.send(
            sid,
            inc::ACCOUNT_SUMMARY_END,
            &msg::ReqIdOnly {
                req_id: Some(req_id),
            },
        );
        Ok(())
    }

    fn req_account_updates(
        &mut self,
        sid: u64,
        r: msg::AccountDataRequest,
    ) -> Result<(), ReqError> {
        let subscribe = r.subscribe.unwrap_or(false);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.account_updates = subscribe;
        }
        if !subscribe {
            return Ok(());
        }
        let s = self.summary();
        let code = self.account.code.clone();
        for tag in ALL_TAGS {
            let Some(value) = s.tag(tag, "INDIVIDUAL") else {
                continue;
            };
            let m = msg::AccountValue {
                key: Some((*tag).to_owned()),
                value: Some(value),
                currency: Some(if *tag == "AccountType" || *tag == "Cushion" {
                    String::new()
                } else {
                    "USD".into()
                }),
                account_name: Some(code.clone()),
            };
            self.send(sid, inc::ACCT_VALUE, &m);
        }
        for (_, i, v) in self.valued_holdings() {
            let value = v.holding.quantity * v.mark * v.multiplier;
            let m = msg::PortfolioValue {
                contract: Some(self.registry.contract_proto(i)),
                position: Some(dec(v.holding.quantity)),
                market_price: Some(v.mark),
                market_value: Some(value),
                average_cost: Some(v.holding.avg_cost),
                unrealized_pnl: Some(value - v.holding.avg_cost * v.holding.quantity),
                realized_pnl: Some(0.0),
                account_name: Some(code.clone()),
            };
            self.send(sid, inc::PORTFOLIO_VALUE, &m);
        }
        let hhmm = timefmt::tws_datetime(self.now);
        let time_stamp = hhmm.get(9..14).unwrap_or("00:00").to_owned();
        self.send(
            sid,
            inc::ACCT_UPDATE_TIME,
            &msg::AccountUpdateTime {
                time_stamp: Some(time_stamp),
            },
        );
        self.send(
            sid,
            inc::ACCT_DOWNLOAD_END,
            &msg::AccountDataEnd {
                account_name: Some(code),
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_sizes_and_durations() {
        assert_eq!(bar_seconds("1 secs"), Some(1));
        assert_eq!(bar_seconds("5 mins"), Some(300));
        assert_eq!(bar_seconds("1 min"), Some(60));
        assert_eq!(bar_seconds("1 hour"), Some(3600));
        assert_eq!(bar_seconds("8 hours"), Some(28_800));
        assert_eq!(bar_seconds("1 day"), Some(86_400));
        assert_eq!(bar_seconds("7 mins"), None);
        assert_eq!(bar_seconds("1 week"), None);
        assert_eq!(duration_seconds("3600 S"), Some(3600));
        assert_eq!(duration_seconds("2 D"), Some(172_800));
        assert_eq!(duration_seconds("1 Y"), Some(365 * 86_400));
        assert_eq!(duration_seconds("0 D"), None);
        assert_eq!(duration_seconds("1 X"), None);
    }
}
