//! Feed events and the per-instant loop: bars, marks, the kill switches,
//! the strategies' callbacks (the backtest's order of steps).

use super::*;

impl Session {
    pub(super) async fn on_feed(&mut self, ev: FeedEvent) {
        match ev {
            FeedEvent::Bar(bar) => self.on_bar(bar),
            FeedEvent::Instant(ts) => self.on_instant(ts).await,
            FeedEvent::Stale {
                instrument,
                silent_for,
            } => {
                let Some(sym) = self.symbol(instrument) else {
                    self.alert(
                        AlertKind::Unknown,
                        None,
                        format!("stale notice for unknown instrument id {}", instrument.0),
                    );
                    return;
                };
                let reason = format!("feed stale: nothing for {}s", silent_for.as_secs());
                self.raise_alert(
                    &format!("stale:{sym}"),
                    "stale_data",
                    trade_alerts::Severity::Warning,
                    &format!("{sym} market data stale"),
                    &format!("{reason}; new orders on it are paused"),
                );
                self.alert(
                    AlertKind::StaleFeed,
                    Some(sym.clone()),
                    format!("{sym}: {reason}; new orders on it are paused"),
                );
                self.paused.insert(instrument, reason);
                self.publish();
            }
            FeedEvent::Fresh(instrument) => {
                if self
                    .paused
                    .get(&instrument)
                    .is_some_and(|r| r.starts_with("feed stale"))
                {
                    self.paused.remove(&instrument);
                    let sym = self.symbol(instrument).unwrap_or_default();
                    self.resolve_alert(&format!("stale:{sym}"));
                    self.alert(
                        AlertKind::StaleFeed,
                        Some(sym.clone()),
                        format!("{sym}: data flows again; trading resumed"),
                    );
                    self.publish();
                }
            }
            FeedEvent::Down(why) => {
                self.alert(AlertKind::Connection, None, format!("feed down: {why:?}"));
            }
            FeedEvent::Up | FeedEvent::Quote(_) | FeedEvent::End => {}
        }
    }

    pub(super) fn symbol(&self, id: InstrumentId) -> Option<String> {
        self.instruments
            .get(id.index())
            .map(|i| i.symbol.to_string())
    }

    pub(super) fn on_bar(&mut self, bar: Bar) {
        let i = bar.instrument.index();
        if i >= self.instruments.len() {
            self.alert(
                AlertKind::Unknown,
                None,
                format!("bar of unknown instrument id {} dropped", bar.instrument.0),
            );
            return;
        }
        self.last_bar_wall[i] = Some(now());
        let bad = bar.close.raw() <= 0 || bar.low.raw() <= 0;
        let stale = self.series[i].last().is_some_and(|b| b.ts >= bar.ts)
            || self.group.iter().any(|b| b.instrument == bar.instrument);
        if bad || stale {
            let sym = self.instruments[i].symbol.to_string();
            self.alert(
                AlertKind::Unknown,
                Some(sym.clone()),
                format!(
                    "{sym}: bar at {} dropped ({})",
                    bar.ts,
                    if bad {
                        "non-positive price"
                    } else {
                        "not after the previous bar"
                    }
                ),
            );
            return;
        }
        self.group.push(bar);
    }

    /// Starts the exchange session of `ts` if it is a new one (the daily
    /// loss limit's starting equity). Called before the fills of an instant
    /// are applied, as the backtest does.
    pub(super) fn begin_at(&mut self, ts: Timestamp) -> trade_engine::market_hours::SessionAt {
        let at = self.hours.locate(&mut self.cursor, ts);
        if self.session_index != Some(at.index) {
            if self.session_index.is_some() && self.last_instant.is_some() {
                // The previous trading day is over: its summary.
                let equity = self.portfolio.equity();
                let day = self.last_instant.map(|t| t.to_string()).unwrap_or_default();
                let day = day.get(..10).unwrap_or(&day).to_string();
                self.notify_event(
                    &format!("daily_summary:{day}"),
                    "daily_summary",
                    trade_alerts::Severity::Info,
                    &format!(
                        "Day {day}: P&L {}",
                        (equity - self.day_start_equity).round_cents()
                    ),
                    &format!(
                        "equity {}, cash {}, {} fills so far, {} orders refused so far",
                        equity.round_cents(),
                        self.portfolio.cash().round_cents(),
                        self.counters.fills,
                        self.counters.orders_rejected.values().sum::<u64>()
                    ),
                );
            }
            self.session_index = Some(at.index);
            self.day_start_equity = self.portfolio.equity();
        }
        self.risk.begin_instant(at.index, &self.portfolio);
        at
    }

    pub(super) async fn on_instant(&mut self, ts: Timestamp) {
        self.tick_alerts();
        self.instant_started = Some(std::time::Instant::now());
        self.run_instant(ts).await;
        self.instant_started = None;
    }

    async fn run_instant(&mut self, ts: Timestamp) {
        if self.last_instant.is_some_and(|l| ts <= l) {
            self.alert(
                AlertKind::Unknown,
                None,
                format!("instant {ts} is not after the previous one; ignored"),
            );
            self.group.clear();
            return;
        }
        let mut group = std::mem::take(&mut self.group);
        group.retain(|b| b.ts == ts);
        group.sort_by_key(|b| b.instrument);
        if !self.started {
            self.started = true;
            for s in 0..self.slots.len() {
                self.with_strategy(s, ts, |st, ctx| st.on_start(ctx));
                self.submit_pending(s, ts, false).await;
            }
        }
        let at = self.begin_at(ts);
        self.book_trades();
        let mut touched = Vec::with_capacity(group.len());
        for bar in &group {
            let i = bar.instrument.index();
            self.portfolio.mark(bar.instrument, bar.close);
            self.series[i].push(*bar);
            self.seen[i] = self.series[i].len();
            touched.push(bar.instrument);
        }
        self.out.bars += group.len() as u64;
        // Refusals of the previous instant reach their strategies now.
        let refused = std::mem::take(&mut self.refused);
        for (owner, o) in refused {
            self.out.orders.push(o.clone());
            self.closed_since.push((owner, o));
        }
        self.check_kill_switch(ts, &touched).await;
        self.rebuild_working();
        let fills = std::mem::take(&mut self.fills_since);
        let closed = std::mem::take(&mut self.closed_since);
        for s in 0..self.slots.len() {
            let subscribed = group
                .iter()
                .any(|b| self.slots[s].instruments.contains(&b.instrument));
            let has_events =
                fills.iter().any(|(o, _)| *o == s) || closed.iter().any(|(o, _)| *o == s);
            if !subscribed && !has_events {
                continue;
            }
            self.run_strategy(s, ts, &fills, &closed, &group, subscribed);
            if !self.cancels.is_empty() || !self.intents.is_empty() {
                self.submit_pending(s, ts, at.in_session).await;
                self.rebuild_working();
            }
        }
        if self.spec.risk.flat_at_close && (at.is_close || self.next_is_close(ts, at.index)) {
            self.flatten(ts, RiskRule::FlatAtClose, "flat_at_close", true)
                .await;
        }
        let p = &self.portfolio;
        self.out.equity.push(EquityRow {
            ts,
            cash: p.cash(),
            gross_exposure: p.gross_exposure(),
            net_exposure: p.net_exposure(),
        });
        self.track_equity(ts);
        self.last_instant = Some(ts);
        self.last_in_session = at.in_session;
        self.instants += 1;
        self.publish();
    }

    /// The equity curve (thinned by doubling the stride when full) and the
    /// peak and drawdown.
    fn track_equity(&mut self, ts: Timestamp) {
        let equity = self.portfolio.equity();
        if equity > self.peak_equity {
            self.peak_equity = equity;
        }
        let peak = self.peak_equity.to_f64();
        if peak > 0.0 {
            let dd = 1.0 - equity.to_f64() / peak;
            self.max_drawdown = self.max_drawdown.max(dd);
        }
        if self.instants.is_multiple_of(self.equity_stride) {
            if self.equity_curve.len() >= crate::status::EQUITY_POINTS {
                let kept: Vec<(i64, f64)> = self.equity_curve.iter().step_by(2).copied().collect();
                self.equity_curve = kept;
                self.equity_stride *= 2;
            }
            self.equity_curve
                .push((ts.nanos().div_euclid(1_000_000_000), equity.to_f64()));
        }
    }

    /// Books fill rows into round trips (their commission is known by now).
    pub(super) fn book_trades(&mut self) {
        for (row, before) in std::mem::take(&mut self.unbooked) {
            let r = self.out.fills[row];
            let m = self.instruments[r.fill.instrument.index()].multiplier;
            self.trades.on_fill(&r, before, m, &mut self.out.trades);
        }
    }

    pub(super) fn rebuild_working(&mut self) {
        self.working.clear();
        self.working
            .extend(self.orders.values().map(|o| o.order.clone()));
    }

    pub(super) fn with_strategy(
        &mut self,
        s: usize,
        ts: Timestamp,
        f: impl FnOnce(&mut dyn trade_engine::strategy::Strategy, &mut Context<'_>),
    ) {
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            &self.instruments,
            &self.series,
            &self.seen,
            &self.portfolio,
            &self.own[s],
            &self.working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        f(slot.strategy.as_mut(), &mut ctx);
    }

    pub(super) fn run_strategy(
        &mut self,
        s: usize,
        ts: Timestamp,
        fills: &[(usize, Fill)],
        closed: &[(usize, Order)],
        group: &[Bar],
        subscribed: bool,
    ) {
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            &self.instruments,
            &self.series,
            &self.seen,
            &self.portfolio,
            &self.own[s],
            &self.working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        for (_, f) in fills.iter().filter(|(o, _)| *o == s) {
            slot.strategy.on_fill(&mut ctx, f);
        }
        for (_, o) in closed.iter().filter(|(o, _)| *o == s) {
            slot.strategy.on_order_closed(&mut ctx, o);
        }
        if subscribed {
            for bar in group {
                if slot.instruments.contains(&bar.instrument) {
                    slot.strategy.on_bar(&mut ctx, bar);
                }
            }
            slot.strategy.on_close(&mut ctx);
        }
    }

    pub(super) async fn check_kill_switch(&mut self, ts: Timestamp, touched: &[InstrumentId]) {
        let mut newly_blocked = Vec::new();
        let tripped = self.risk.after_marks(
            ts,
            &self.portfolio,
            &self.spec.risk,
            touched,
            &mut newly_blocked,
        );
        for (id, msg) in newly_blocked {
            let sym = self.instruments[id.index()].symbol.to_string();
            self.risk_event(
                ts,
                RiskRule::InstrumentDailyLoss,
                "blocked",
                Some(id),
                None,
                format!("{sym}: {msg}"),
            );
        }
        if let Some(k) = tripped {
            self.raise_alert(
                "kill_switch",
                "kill_switch",
                trade_alerts::Severity::Critical,
                &format!("Kill switch tripped: {}", k.rule.as_str()),
                &k.reason,
            );
            self.risk_event(ts, k.rule, "kill_switch", None, None, k.reason.clone());
            self.alert(
                AlertKind::KillSwitch,
                None,
                format!("kill switch ({}): {}", k.rule.as_str(), k.reason),
            );
            self.out.kill_switch = Some(k.clone());
            if self.spec.risk.flatten_on_kill {
                let ids: Vec<LocalOrderId> = self.orders.keys().copied().collect();
                for id in ids {
                    self.send_cancel(id).await;
                }
                self.flatten(ts, k.rule, "kill_switch_flatten", false).await;
            }
        }
    }

    /// Whether the next bar (one bar spacing after `ts`, in the same
    /// session) is the session's closing bar. A real broker has no fill
    /// "at this close", so `flat_at_close` sends its market orders here,
    /// one bar early, and they fill at the closing bar's open, inside the
    /// session (with daily bars every bar closes a session: it then
    /// flattens at the close, filling at the next open).
    fn next_is_close(&self, ts: Timestamp, index: usize) -> bool {
        let Some(last) = self.last_instant else {
            return false;
        };
        let gap = ts.nanos().saturating_sub(last.nanos());
        gap > 0
            && self
                .hours
                .is_close_at(index, Timestamp::from_nanos(ts.nanos().saturating_add(gap)))
    }

    /// Closes every strategy's positions with market orders (they fill at
    /// the next bar). With `net_of_working`, a strategy's working orders on
    /// the instrument count as already closing it, so flattening twice
    /// (one bar before the close, then at it) never sends the same order
    /// twice; the kill switch cancels working orders first and does not.
    pub(super) async fn flatten(
        &mut self,
        ts: Timestamp,
        rule: RiskRule,
        tag: &'static str,
        net_of_working: bool,
    ) {
        if self.connection != Connection::Up || self.halted.is_some() {
            // Nothing can go out; say so loudly instead of queueing orders
            // for a broker that is not there.
            let why = self
                .halted
                .clone()
                .unwrap_or_else(|| format!("broker {:?}", self.connection));
            self.alert(
                AlertKind::KillSwitch,
                None,
                format!(
                    "{} wants to flatten, but orders cannot go out ({why}): flatten by hand",
                    rule.as_str()
                ),
            );
            return;
        }
        for s in 0..self.slots.len() {
            for i in 0..self.instruments.len() {
                let working: i64 = if net_of_working {
                    self.orders
                        .values()
                        .filter(|o| o.owner == Some(s) && o.order.intent.instrument.index() == i)
                        .map(|o| o.order.remaining().signed() * o.order.intent.side.sign())
                        .sum()
                } else {
                    0
                };
                let q = self.own[s][i] + working;
                if q == 0 {
                    continue;
                }
                let intent = OrderIntent {
                    instrument: InstrumentId(i as u32),
                    side: if q > 0 { Side::Sell } else { Side::Buy },
                    qty: Qty::new(q.unsigned_abs()),
                    order_type: OrderType::Market,
                    tif: TimeInForce::Gtc,
                    tag: tag.into(),
                };
                let msg = format!(
                    "closing {q} {} of {}",
                    self.instruments[i].symbol, self.slots[s].id
                );
                self.risk_event(
                    ts,
                    rule,
                    "flatten",
                    Some(InstrumentId(i as u32)),
                    Some(s as u32),
                    msg,
                );
                self.place(
                    Some(s),
                    intent,
                    ts,
                    None,
                    json!({"rule": rule.as_str(), "action": "flatten"}),
                )
                .await;
            }
        }
    }

    pub(super) fn risk_event(
        &mut self,
        ts: Timestamp,
        rule: RiskRule,
        action: &'static str,
        instrument: Option<InstrumentId>,
        strategy: Option<u32>,
        message: String,
    ) {
        *self
            .counters
            .rule_firings
            .entry(rule.as_str().to_string())
            .or_default() += 1;
        self.out.risk_events.push(RiskEvent {
            ts,
            rule,
            action,
            instrument,
            strategy,
            message,
        });
    }
}
