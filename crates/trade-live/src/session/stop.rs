//! The clean stop and the published status.

use super::*;

impl Session {
    pub(super) async fn shutdown(mut self) -> SessionOutcome {
        self.stopping = true;
        // Intents handed to the adapter: wait for its answer (written or
        // not) so a clean stop leaves no order whose outcome is unknown.
        let until = Instant::now() + CANCEL_GRACE;
        while self.broker_open
            && self
                .orders
                .values()
                .any(|o| o.state == OrderState::PendingSubmit && !self.dry_run)
        {
            match tokio::time::timeout_at(until, self.broker.events.recv()).await {
                Ok(Some(ev)) => {
                    if let Err(e) = self.on_broker(ev).await {
                        tracing::warn!("while stopping: {e}");
                    }
                }
                Ok(None) => self.broker_open = false,
                Err(_) => break,
            }
        }
        // Orders the broker is known to have (acknowledged, or sent with
        // an order id); an intent never confirmed sent has nothing to cancel.
        let cancellable =
            |o: &LiveOrder| o.state == OrderState::Working || o.broker_order_id.is_some();
        if self.config.cancel_on_exit && !self.orders.is_empty() && self.broker_open {
            let ids: Vec<LocalOrderId> = self
                .orders
                .iter()
                .filter(|(_, o)| cancellable(o))
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                self.send_cancel(id).await;
            }
            let until = Instant::now() + CANCEL_GRACE;
            while self.orders.values().any(cancellable) && self.broker_open {
                match tokio::time::timeout_at(until, self.broker.events.recv()).await {
                    Ok(Some(ev)) => {
                        if let Err(e) = self.on_broker(ev).await {
                            tracing::warn!("while stopping: {e}");
                        }
                    }
                    Ok(None) => self.broker_open = false,
                    Err(_) => break,
                }
            }
        }
        let _ = self.broker.commands.send(BrokerCommand::Shutdown).await;
        let _ = self.feed.commands.send(FeedCommand::Shutdown).await;
        self.book_trades();
        self.connection = Connection::Stopped;
        self.publish();
        let outstanding: Vec<Order> = self.orders.values().map(|o| o.order.clone()).collect();
        let mut result = self.out;
        result.orders.extend(outstanding.iter().cloned());
        result.orders.sort_by_key(|o| o.id);
        result.final_marks = (0..self.instruments.len())
            .map(|i| self.portfolio.mark_of(InstrumentId(i as u32)))
            .collect();
        SessionOutcome {
            result,
            status: self.status_tx.borrow().clone(),
            alerts: self.alerts,
            adopted: self.adopted,
            outstanding,
        }
    }

    // -------------------------------------------------------------- status

    pub(super) fn alert(&mut self, kind: AlertKind, instrument: Option<String>, message: String) {
        tracing::warn!(kind = ?kind, instrument = instrument.as_deref().unwrap_or(""), "{message}");
        self.alerts.push(Alert {
            id: self.next_alert_id,
            ts: now(),
            kind,
            instrument,
            message,
        });
        self.next_alert_id += 1;
    }

    fn portfolio_view(&self) -> crate::status::PortfolioView {
        use crate::status::{ExposureLine, LimitUse, PortfolioView};
        let p = &self.portfolio;
        let equity = p.equity();
        let eq = equity.to_f64();
        let frac = |m: Money| if eq > 0.0 { m.to_f64() / eq } else { 0.0 };
        let by_instrument: Vec<ExposureLine> = (0..self.instruments.len())
            .filter_map(|i| {
                let id = InstrumentId(i as u32);
                let pos = p.position(id);
                (pos.qty != 0).then(|| {
                    let mv = pos.market_value(p.mark_of(id));
                    ExposureLine {
                        symbol: self.instruments[i].symbol.to_string(),
                        market_value: mv,
                        of_equity: frac(mv),
                    }
                })
            })
            .collect();
        let peak = self.peak_equity.to_f64();
        let drawdown = if peak > 0.0 {
            (1.0 - eq / peak).max(0.0)
        } else {
            0.0
        };
        let day_loss = {
            let start = self.day_start_equity.to_f64();
            if start > 0.0 {
                (1.0 - eq / start).max(0.0)
            } else {
                0.0
            }
        };
        let largest = by_instrument
            .iter()
            .map(|l| l.of_equity.abs())
            .fold(0.0, f64::max);
        let l = &self.limits;
        let mut limits_used = Vec::new();
        let mut push = |name: &'static str, limit: Option<f64>, value: f64| {
            if let Some(limit) = limit.filter(|x| *x > 0.0) {
                limits_used.push(LimitUse {
                    name,
                    limit,
                    value,
                    used: value / limit,
                });
            }
        };
        push("max_position_pct", l.max_position_pct, largest);
        push(
            "max_gross_exposure_pct",
            l.max_gross_exposure_pct,
            frac(p.gross_exposure()),
        );
        push(
            "max_open_positions",
            l.max_open_positions.map(|n| n as f64),
            p.open_positions() as f64,
        );
        push("daily_loss_limit_pct", l.daily_loss_limit_pct, day_loss);
        push("max_drawdown_pct", l.max_drawdown_pct, drawdown);
        PortfolioView {
            gross_exposure: p.gross_exposure(),
            net_exposure: p.net_exposure(),
            by_instrument,
            limits_used,
            peak_equity: self.peak_equity,
            drawdown,
            max_drawdown: self.max_drawdown,
            equity_curve: self.equity_curve.clone(),
        }
    }

    fn unix_now() -> f64 {
        now().nanos() as f64 / 1e9
    }

    /// Raises (or repeats) the alert `key` and notifies if the manager
    /// says so.
    pub(super) fn raise_alert(
        &mut self,
        key: &str,
        kind: &str,
        severity: trade_alerts::Severity,
        title: &str,
        detail: &str,
    ) {
        if let Some(n) =
            self.alert_manager
                .raise(key, kind, severity, title, detail, Self::unix_now())
            && let Some(d) = &self.notifier
        {
            d.notify(&n);
        }
    }

    /// Resolves the alert `key` (notifying if people were told about it).
    pub(super) fn resolve_alert(&mut self, key: &str) {
        if let Some(n) = self.alert_manager.resolve(key, Self::unix_now())
            && let Some(d) = &self.notifier
        {
            d.notify(&n);
        }
    }

    /// A one-off notification (a fill, a daily summary).
    pub(super) fn notify_event(
        &mut self,
        key: &str,
        kind: &str,
        severity: trade_alerts::Severity,
        title: &str,
        detail: &str,
    ) {
        let n = self
            .alert_manager
            .event(key, kind, severity, title, detail, Self::unix_now());
        if let Some(d) = &self.notifier {
            d.notify(&n);
        }
    }

    /// Ends snoozes that are over (reminding of alerts still active).
    pub(super) fn tick_alerts(&mut self) {
        for n in self.alert_manager.tick(Self::unix_now()) {
            if let Some(d) = &self.notifier {
                d.notify(&n);
            }
        }
    }

    pub(super) fn publish(&self) {
        let p = &self.portfolio;
        let positions = (0..self.instruments.len())
            .filter_map(|i| {
                let id = InstrumentId(i as u32);
                let pos = p.position(id);
                (pos.qty != 0).then(|| PositionStatus {
                    symbol: self.instruments[i].symbol.to_string(),
                    qty: pos.qty,
                    mark: p.mark_of(id),
                    market_value: pos.market_value(p.mark_of(id)),
                    avg_price: pos.avg_price(),
                    unrealized: pos.unrealized(p.mark_of(id)),
                })
            })
            .collect();
        let working_orders = self
            .orders
            .iter()
            .map(|(id, o)| OrderStatusLine {
                local_id: *id,
                strategy: o.order.strategy.0.clone(),
                symbol: self.instruments[o.order.intent.instrument.index()]
                    .symbol
                    .to_string(),
                side: o.order.intent.side.as_str(),
                qty: o.order.intent.qty.get(),
                filled: o.order.filled.get(),
                order_type: o.order.intent.order_type.name(),
                state: o.state,
            })
            .collect();
        let paused = self
            .paused
            .iter()
            .map(|(id, r)| PausedInstrument {
                symbol: self.instruments[id.index()].symbol.to_string(),
                reason: r.clone(),
            })
            .collect();
        let skip = self.alerts.len().saturating_sub(MAX_ALERTS);
        let status = SessionStatus {
            mode: self.mode,
            dry_run: self.dry_run,
            connection: self.connection,
            account_type: self.account_type,
            cash: p.cash(),
            equity: p.equity(),
            day_pnl: p.equity() - self.day_start_equity,
            positions,
            working_orders,
            last_bar_time: self.last_instant,
            instants: self.instants,
            paused,
            paused_all: self.paused_all.clone(),
            paused_strategies: self
                .paused_strategies
                .iter()
                .map(|(s, r)| PausedStrategy {
                    strategy: self.slots[*s].id.0.clone(),
                    reason: r.clone(),
                })
                .collect(),
            limits: control::CHANGEABLE_LIMITS
                .iter()
                .map(|name| LimitStatus {
                    name,
                    value: control::limit_value(&self.limits, name),
                    bounds: self.config.limit_bounds.get(*name).copied(),
                })
                .collect(),
            halted: self.halted.clone(),
            kill_switch: self
                .out
                .kill_switch
                .as_ref()
                .map(|k| format!("{}: {}", k.rule.as_str(), k.reason))
                .or_else(|| {
                    self.operator_kill
                        .as_ref()
                        .map(|w| format!("operator: {w}"))
                }),
            alerts: self.alerts[skip..].to_vec(),
            active_alerts: self.alert_manager.active(),
            counters: self.counters.clone(),
            journal_write_seconds: self
                .journal_writes
                .lock()
                .map(|h| h.clone())
                .unwrap_or_default(),
            bar_to_submit_seconds: self.bar_to_submit.clone(),
            feeds: self
                .instruments
                .iter()
                .enumerate()
                .map(|(i, ins)| crate::status::FeedStatus {
                    symbol: ins.symbol.to_string(),
                    last_bar_unix: self.last_bar_wall[i].map(|t| t.nanos() as f64 / 1e9),
                    stale: self
                        .paused
                        .get(&InstrumentId(i as u32))
                        .is_some_and(|r| r.starts_with("feed stale")),
                })
                .collect(),
            portfolio: self.portfolio_view(),
        };
        self.status_tx.send_replace(status);
    }
}
