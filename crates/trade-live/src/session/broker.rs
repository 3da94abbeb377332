//! Broker events: connection state, acknowledgements, executions booked
//! exactly once, commissions, external activity, reconciliation, limit
//! timeouts.

use super::*;

impl Session {
    pub(super) async fn on_broker(&mut self, ev: BrokerEvent) -> Result<(), SessionError> {
        self.handle_broker(ev).await?;
        self.publish();
        if !self.replacements.is_empty() && !self.stopping {
            let ts = self.last_instant.unwrap_or_else(now);
            for (s, intent) in std::mem::take(&mut self.replacements) {
                self.intents.push(intent);
                self.submit_pending(s, ts, self.last_in_session).await;
            }
            self.rebuild_working();
        }
        Ok(())
    }

    pub(super) async fn handle_broker(&mut self, ev: BrokerEvent) -> Result<(), SessionError> {
        match ev {
            BrokerEvent::Connected {
                accounts,
                account_type,
                generation,
            } => {
                self.account_type = Some(account_type);
                if account_type == AccountType::Live && !self.allow_live_account {
                    let account = accounts
                        .first()
                        .map(|a| mask_account(a))
                        .unwrap_or_else(|| "(unnamed)".into());
                    let _ = self.broker.commands.send(BrokerCommand::Shutdown).await;
                    let _ = self.feed.commands.send(FeedCommand::Shutdown).await;
                    self.connection = Connection::Stopped;
                    self.publish();
                    return Err(SessionError::LiveAccountRefused { account });
                }
                if generation > 0 {
                    self.counters.reconnects += 1;
                }
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!(
                        "broker connected (generation {generation}); reconciling before trading"
                    ),
                );
                self.start_reconcile().await;
            }
            BrokerEvent::Restored { data_lost } => {
                self.counters.reconnects += 1;
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!("broker connectivity restored (data lost: {data_lost}); reconciling"),
                );
                self.start_reconcile().await;
            }
            BrokerEvent::Down(why) => {
                self.connection = Connection::Down;
                self.raise_alert(
                    "connection",
                    "connection",
                    trade_alerts::Severity::Critical,
                    "Broker connection down",
                    &format!("{why:?}; no orders go out until it is back and reconciled"),
                );
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!("broker down: {why:?}; new orders paused"),
                );
                self.publish();
            }
            BrokerEvent::Sent {
                local_id,
                broker_order_id,
                ts,
            } => {
                self.counters.orders_submitted += 1;
                if let Err(e) = self.journal.mark_sent(local_id, ts) {
                    self.journal_failed("mark_sent", &e);
                }
                if let Some(o) = self.orders.get_mut(&local_id) {
                    o.broker_order_id = Some(broker_order_id);
                    if o.state.accepts(OrderState::Sent) {
                        o.state = OrderState::Sent;
                    }
                } else {
                    self.unknown_order(local_id, "sent");
                }
            }
            BrokerEvent::SendFailed { local_id, reason } => {
                if self.orders.contains_key(&local_id) {
                    self.close_order(
                        local_id,
                        OrderState::Abandoned,
                        now(),
                        &format!("send failed: {reason}"),
                    );
                } else {
                    self.unknown_order(local_id, "send failure");
                }
            }
            BrokerEvent::Status {
                local_id,
                broker_order_id,
                perm_id,
                state,
                detail,
                ts,
                ..
            } => self.on_status(local_id, broker_order_id, perm_id, state, &detail, ts),
            BrokerEvent::ExternalOrder(bo) => {
                let sym = bo.instrument.clone();
                let id = self.by_symbol.get(&sym).copied();
                let msg = format!(
                    "external order at the broker: {} {} {} ({}), ref {:?}",
                    bo.side.as_str(),
                    bo.qty.get(),
                    sym,
                    bo.status,
                    bo.order_ref
                );
                self.external(id, sym, msg, AlertKind::ExternalOrder);
            }
            BrokerEvent::Execution(exec) => self.on_execution(exec),
            BrokerEvent::Commission(c) => match self.journal.record_commission(&c) {
                Ok(Recorded::New) => self.apply_commission(&c.exec_id, c.commission),
                Ok(Recorded::AlreadyKnown) => {}
                Err(e) => self.journal_failed("record_commission", &e),
            },
            BrokerEvent::Reconciled(snapshot) => self.on_reconciled(snapshot),
            BrokerEvent::Account(values) => {
                tracing::info!(
                    cash = %values.cash,
                    net_liquidation = %values.net_liquidation,
                    "account values"
                );
            }
            BrokerEvent::Notice {
                code,
                request_id,
                message,
            } => {
                tracing::info!(code, request_id, "broker notice: {message}");
                if (100..1000).contains(&code) {
                    self.alert(
                        AlertKind::Broker,
                        None,
                        format!("broker error {code}: {message}"),
                    );
                }
            }
        }
        Ok(())
    }

    pub(super) fn unknown_order(&mut self, id: LocalOrderId, what: &str) {
        self.alert(
            AlertKind::Unknown,
            None,
            format!("{what} for order {id}, which this session does not hold; ignored"),
        );
    }

    pub(super) async fn start_reconcile(&mut self) {
        self.connection = Connection::Reconciling;
        let since = match self.journal.last_execution_time() {
            Ok(t) => t,
            Err(e) => {
                self.journal_failed("last_execution_time", &e);
                None
            }
        };
        if self
            .broker
            .commands
            .send(BrokerCommand::Reconcile { since })
            .await
            .is_err()
        {
            self.connection = Connection::Down;
        }
        self.publish();
    }

    pub(super) fn on_status(
        &mut self,
        local: LocalOrderId,
        broker_order_id: Option<i64>,
        perm_id: Option<i64>,
        state: OrderState,
        detail: &str,
        ts: Timestamp,
    ) {
        if !self.orders.contains_key(&local) {
            // Final orders are gone from memory; the journal still takes the
            // report (it ignores stale ones).
            match self.journal.record_status(local, state, ts, detail) {
                Ok(_) => {}
                Err(JournalError::UnknownOrder(_)) => self.unknown_order(local, "status"),
                Err(e) => self.journal_failed("record_status", &e),
            }
            return;
        }
        let res =
            if state == OrderState::Working && (broker_order_id.is_some() || perm_id.is_some()) {
                self.journal.record_broker_ack(
                    local,
                    BrokerAck {
                        broker_order_id,
                        perm_id,
                    },
                    ts,
                )
            } else {
                self.journal.record_status(local, state, ts, detail)
            };
        if let Err(e) = res {
            self.journal_failed("order status", &e);
        }
        let Some(o) = self.orders.get_mut(&local) else {
            return;
        };
        if broker_order_id.is_some() {
            o.broker_order_id = broker_order_id;
        }
        if perm_id.is_some() {
            o.perm_id = perm_id;
        }
        if !o.state.accepts(state) {
            return;
        }
        match state {
            OrderState::Cancelled | OrderState::Rejected | OrderState::Abandoned => {
                self.finish_order(local, state, ts, detail);
            }
            // Filled closes when its executions add up (they carry the fills).
            OrderState::Filled => {
                if o.order.remaining().is_zero() {
                    self.finish_order(local, state, ts, detail);
                }
            }
            _ => o.state = state,
        }
    }

    pub(super) fn on_execution(&mut self, exec: Execution) {
        if exec.qty.is_zero() || exec.price.raw() <= 0 || exec.exec_id.is_empty() {
            self.alert(
                AlertKind::Unknown,
                Some(exec.instrument.clone()),
                format!(
                    "malformed execution {:?} ({} {} at {}) ignored",
                    exec.exec_id,
                    exec.side.as_str(),
                    exec.qty.get(),
                    exec.price
                ),
            );
            return;
        }
        match self.journal.record_execution(&exec) {
            Ok(Recorded::New) => {}
            Ok(Recorded::AlreadyKnown) => return,
            Err(e) => {
                // Without the journal the exactly-once guarantee is gone;
                // the fill still happened, so book it and stop trading.
                self.journal_failed("record_execution", &e);
                if self.applied.contains_key(&exec.exec_id) {
                    return;
                }
            }
        }
        let local = self.local_of(&exec);
        self.apply_execution(exec, local);
    }

    pub(super) fn local_of(&self, exec: &Execution) -> Option<LocalOrderId> {
        exec.order_ref
            .as_deref()
            .and_then(LocalOrderId::from_order_ref)
            .filter(|id| self.orders.contains_key(id))
            .or_else(|| {
                let perm = exec.perm_id?;
                self.orders
                    .iter()
                    .find(|(_, o)| o.perm_id == Some(perm))
                    .map(|(id, _)| *id)
            })
    }

    /// Applies an execution the journal just took as new.
    pub(super) fn apply_execution(&mut self, exec: Execution, local: Option<LocalOrderId>) {
        let Some(&id) = self.by_symbol.get(&exec.instrument) else {
            self.alert(
                AlertKind::Unknown,
                Some(exec.instrument.clone()),
                format!(
                    "execution {} on {}, which this session does not trade: journaled, not booked",
                    exec.exec_id, exec.instrument
                ),
            );
            return;
        };
        let Some(local) = local else {
            let ours = exec
                .order_ref
                .as_deref()
                .and_then(LocalOrderId::from_order_ref);
            if let Some(l) = ours {
                // Our prefix, but no order of this session: flag, never guess.
                self.alert(
                    AlertKind::Unknown,
                    Some(exec.instrument.clone()),
                    format!(
                        "execution {} names order {l}, which this session does not hold: journaled and flagged, not booked",
                        exec.exec_id
                    ),
                );
                self.paused.insert(
                    id,
                    format!("execution {} for unknown order {l}", exec.exec_id),
                );
                self.publish();
                return;
            }
            let msg = format!(
                "external execution {}: {} {} {} at {}",
                exec.exec_id,
                exec.side.as_str(),
                exec.qty.get(),
                exec.instrument,
                exec.price
            );
            if self.external(
                Some(id),
                exec.instrument.clone(),
                msg,
                AlertKind::ExternalExecution,
            ) {
                self.book_external(id, &exec);
            }
            return;
        };
        let (owner, order_id) = match self.orders.get(&local) {
            Some(o) => (o.owner, o.order.id),
            None => return,
        };
        let fill = Fill {
            order_id,
            instrument: id,
            side: exec.side,
            qty: exec.qty,
            price: exec.price,
            commission: Money::ZERO,
            ts: exec.ts,
        };
        if self.last_instant.is_none_or(|l| exec.ts > l) {
            self.begin_at(exec.ts);
        }
        let i = id.index();
        let d = fill.qty.signed() * fill.side.sign();
        let before = self.portfolio.position(id).qty;
        let realized = self.portfolio.apply_fill(&fill);
        self.pending[i] -= d;
        let row = FillRow {
            fill,
            strategy: owner.map_or(u32::MAX, |s| s as u32),
            realized,
        };
        self.counters.fills += 1;
        let sym = self.instruments[id.index()].symbol.to_string();
        self.notify_event(
            &format!("fill:{}", exec.exec_id),
            "fill",
            trade_alerts::Severity::Info,
            &format!(
                "{} {} {sym} at {}",
                if exec.side == Side::Buy {
                    "Bought"
                } else {
                    "Sold"
                },
                exec.qty.get(),
                exec.price
            ),
            &format!(
                "order {local}, exec {}; position now {}",
                exec.exec_id,
                self.portfolio.position(id).qty
            ),
        );
        let row_index = if let Some(s) = owner {
            self.own[s][i] += d;
            self.fills_since.push((s, fill));
            self.out.fills.push(row);
            self.unbooked.push((self.out.fills.len() - 1, before));
            Some(self.out.fills.len() - 1)
        } else {
            None
        };
        self.applied.insert(exec.exec_id.clone(), row_index);
        if let Some(c) = self.early_commissions.remove(&exec.exec_id) {
            self.apply_commission(&exec.exec_id, c);
        }
        self.position_row(id, exec.ts);
        let done = match self.orders.get_mut(&local) {
            Some(lo) => {
                lo.order.filled = Qty::new(lo.order.filled.get() + exec.qty.get());
                if lo.state.outcome_unknown() {
                    lo.state = OrderState::Working;
                }
                lo.order.remaining().is_zero()
            }
            None => false,
        };
        if done {
            // The journal moves it to Filled on the broker's status (or the
            // reconciliation); the session closes it now.
            self.finish_order(local, OrderState::Filled, exec.ts, "filled");
        } else {
            self.rebuild_working();
        }
        self.publish();
    }

    pub(super) fn position_row(&mut self, id: InstrumentId, ts: Timestamp) {
        let p = self.portfolio.position(id);
        self.out.positions.push(PositionRow {
            ts,
            instrument: id,
            qty: p.qty,
            cost_basis: p.cost_basis,
            realized: p.realized,
        });
    }

    /// Books an execution nobody here placed into the portfolio (owner: none).
    pub(super) fn book_external(&mut self, id: InstrumentId, exec: &Execution) {
        let fill = Fill {
            order_id: ClientOrderId(0),
            instrument: id,
            side: exec.side,
            qty: exec.qty,
            price: exec.price,
            commission: Money::ZERO,
            ts: exec.ts,
        };
        self.portfolio.apply_fill(&fill);
        self.applied.insert(exec.exec_id.clone(), None);
        if let Some(c) = self.early_commissions.remove(&exec.exec_id) {
            self.apply_commission(&exec.exec_id, c);
        }
        self.adopted.push(exec.clone());
        self.position_row(id, exec.ts);
        self.publish();
    }

    /// Applies the external policy; returns whether to adopt.
    pub(super) fn external(
        &mut self,
        id: Option<InstrumentId>,
        sym: String,
        msg: String,
        kind: AlertKind,
    ) -> bool {
        match (self.config.external, id) {
            (ExternalPolicy::Adopt, Some(_)) => {
                let what = if kind == AlertKind::ExternalOrder {
                    "adopt: its executions will be taken into the portfolio"
                } else {
                    "adopted into the portfolio"
                };
                self.alert(kind, Some(sym), format!("{msg}: {what}"));
                true
            }
            (ExternalPolicy::Flag, Some(id)) => {
                self.alert(
                    kind,
                    Some(sym.clone()),
                    format!("{msg}: flagged, trading on {sym} paused"),
                );
                self.paused.insert(id, format!("external activity: {msg}"));
                self.publish();
                false
            }
            (_, None) => {
                self.alert(
                    kind,
                    Some(sym),
                    format!("{msg}: instrument not traded by this session"),
                );
                false
            }
        }
    }

    pub(super) fn apply_commission(&mut self, exec_id: &str, commission: Money) {
        let Some(row) = self.applied.get(exec_id).copied() else {
            // Not booked (yet): charged when its execution is, never if it
            // is flagged. The journal has it either way.
            self.early_commissions
                .insert(exec_id.to_string(), commission);
            return;
        };
        self.portfolio.charge_commission(commission);
        if let Some(r) = row {
            self.out.fills[r].fill.commission += commission;
        }
    }

    pub(super) fn on_reconciled(&mut self, snapshot: BrokerSnapshot) {
        let ts = now();
        let (plan, summary) =
            match trade_journal::reconcile_and_apply(self.journal.as_mut(), &snapshot.view, ts) {
                Ok(r) => r,
                Err(e) => {
                    // Stay out of trading: the next reconnect tries again.
                    self.journal_failed("reconcile", &e);
                    return;
                }
            };
        tracing::info!(
            fills = summary.fills_applied,
            states = summary.states_applied,
            external = plan.external_orders.len(),
            unresolved = plan.unresolved.len(),
            anomalies = plan.anomalies.len(),
            "reconciled"
        );
        // Missed fills: journaled by the plan just now, so booked exactly once.
        for f in &plan.fills {
            let local = f.local_id.filter(|id| self.orders.contains_key(id));
            if f.local_id.is_some() && local.is_none() {
                self.alert(
                    AlertKind::Reconcile,
                    Some(f.exec.instrument.clone()),
                    format!(
                        "missed execution {} of a closed order; journaled, not booked",
                        f.exec.exec_id
                    ),
                );
                continue;
            }
            self.apply_execution(f.exec.clone(), local);
        }
        for st in &plan.states {
            if let Some(o) = self.orders.get_mut(&st.local_id) {
                if st.ack.broker_order_id.is_some() {
                    o.broker_order_id = st.ack.broker_order_id;
                }
                if st.ack.perm_id.is_some() {
                    o.perm_id = st.ack.perm_id;
                }
                if st.state.is_terminal() {
                    if st.state != OrderState::Filled || o.order.remaining().is_zero() {
                        self.finish_order(st.local_id, st.state, ts, "reconciled");
                    }
                } else if o.state.accepts(st.state) {
                    o.state = st.state;
                }
            }
        }
        for bo in &plan.external_orders {
            let id = self.by_symbol.get(&bo.instrument).copied();
            let msg = format!(
                "external order at the broker: {} {} {} ({})",
                bo.side.as_str(),
                bo.qty.get(),
                bo.instrument,
                bo.status
            );
            self.external(id, bo.instrument.clone(), msg, AlertKind::ExternalOrder);
        }
        if !plan.unresolved.is_empty() && self.mode == Mode::Paper {
            // The paper broker lives in this process: its view is complete,
            // and an intent it does not know never reached it.
            for id in &plan.unresolved {
                self.close_order(
                    *id,
                    OrderState::Abandoned,
                    ts,
                    "unknown to the paper broker (a new simulated account): never sent",
                );
            }
            let ids: Vec<String> = plan.unresolved.iter().map(ToString::to_string).collect();
            self.alert(
                AlertKind::Reconcile,
                None,
                format!(
                    "intents from an earlier paper session abandoned: {}",
                    ids.join(", ")
                ),
            );
        } else if !plan.unresolved.is_empty() {
            // An intent never confirmed written (PendingSubmit) that the
            // broker does not list among its open or completed orders nor
            // its executions never reached it: abandoned, so the strategy is
            // not blocked by it forever. One that was written (Sent) may
            // still surface (orders completed before a gateway restart drop
            // out of IB's lists): it stays pending for an operator.
            let (never_sent, sent): (Vec<LocalOrderId>, Vec<LocalOrderId>) =
                plan.unresolved.iter().partition(|id| {
                    self.orders
                        .get(id)
                        .is_some_and(|o| o.state == OrderState::PendingSubmit)
                });
            for id in &never_sent {
                self.close_order(
                    *id,
                    OrderState::Abandoned,
                    ts,
                    "never sent: not in the broker's open or completed orders nor its executions after a full reconciliation",
                );
            }
            if !never_sent.is_empty() {
                let ids: Vec<String> = never_sent.iter().map(ToString::to_string).collect();
                self.alert(
                    AlertKind::Reconcile,
                    None,
                    format!(
                        "intents journaled but never sent (an earlier process stopped first) abandoned: {}",
                        ids.join(", ")
                    ),
                );
            }
            if !sent.is_empty() {
                let ids: Vec<String> = sent.iter().map(ToString::to_string).collect();
                self.alert(
                    AlertKind::Reconcile,
                    None,
                    format!(
                        "orders with unknown outcome stay pending until the broker confirms (never resubmitted): {}",
                        ids.join(", ")
                    ),
                );
            }
        }
        for a in &plan.anomalies {
            self.alert(AlertKind::Reconcile, None, a.clone());
        }
        if let Err(e) = self.journal.record_positions(ts, &snapshot.positions) {
            self.journal_failed("record_positions", &e);
        }
        self.compare_positions(&snapshot, ts);
        self.reconciled_once = true;
        self.connection = Connection::Up;
        self.resolve_alert("connection");
        self.rebuild_working();
        self.publish();
    }

    /// Positions at the broker that the portfolio does not hold: carried in
    /// from an earlier process at the first reconciliation (taken over, by
    /// the only strategy trading the instrument if there is one), external
    /// afterwards (per policy).
    pub(super) fn compare_positions(&mut self, snapshot: &BrokerSnapshot, ts: Timestamp) {
        for line in &snapshot.positions {
            let Some(&id) = self.by_symbol.get(&line.instrument) else {
                if line.qty != 0 {
                    self.alert(
                        AlertKind::PositionMismatch,
                        Some(line.instrument.clone()),
                        format!(
                            "broker holds {} {} outside this session's instruments",
                            line.qty, line.instrument
                        ),
                    );
                }
                continue;
            };
            let diff = line.qty - self.portfolio.position(id).qty;
            if diff == 0 {
                continue;
            }
            let exec = Execution {
                exec_id: format!("position-{}-{}-{}", line.instrument, ts.nanos(), diff),
                order_ref: None,
                perm_id: None,
                ts,
                instrument: line.instrument.clone(),
                side: if diff > 0 { Side::Buy } else { Side::Sell },
                qty: Qty::new(diff.unsigned_abs()),
                price: line.avg_cost,
            };
            if !self.reconciled_once {
                let owners: Vec<usize> = (0..self.slots.len())
                    .filter(|&s| self.slots[s].instruments.contains(&id))
                    .collect();
                self.book_external(id, &exec);
                let owner = if let [s] = owners[..] {
                    self.own[s][id.index()] += diff;
                    format!("strategy {}", self.slots[s].id)
                } else {
                    "no strategy".to_string()
                };
                self.alert(
                    AlertKind::PositionMismatch,
                    Some(line.instrument.clone()),
                    format!(
                        "carried in: {} {} at {} from the broker, owned by {owner}",
                        line.qty, line.instrument, line.avg_cost
                    ),
                );
                continue;
            }
            let msg = format!(
                "broker holds {} {}, the portfolio {}",
                line.qty,
                line.instrument,
                line.qty - diff
            );
            if self.external(
                Some(id),
                line.instrument.clone(),
                msg,
                AlertKind::PositionMismatch,
            ) {
                self.book_external(id, &exec);
            }
        }
    }

    // ------------------------------------------------------------ timeouts

    pub(super) async fn on_timeouts(&mut self) {
        let now_i = Instant::now();
        let due: Vec<LocalOrderId> = self
            .orders
            .iter()
            .filter(|(_, o)| o.deadline.is_some_and(|d| d <= now_i))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(o) = self.orders.get_mut(&id) else {
                continue;
            };
            o.deadline = None;
            o.replace_on_cancel = self.config.limit_policy == LimitPolicy::Marketable;
            let sym = self.instruments[o.order.intent.instrument.index()]
                .symbol
                .to_string();
            let what = match self.config.limit_policy {
                LimitPolicy::Cancel => "cancelling",
                LimitPolicy::Marketable => "cancelling, then a market order for the rest",
            };
            let msg = format!("limit order {id} on {sym} unfilled after its timeout: {what}");
            self.alert(AlertKind::LimitTimeout, Some(sym), msg);
            self.send_cancel(id).await;
        }
    }
}
