//! The order manager: calendar and pause checks, the risk gate, the
//! journal before every send, cancels and closing orders.

use super::*;

impl Session {
    /// Why new orders on `id` cannot go out now, if they cannot.
    pub(super) fn blocked_reason(&self, id: InstrumentId) -> Option<String> {
        if let Some(h) = &self.halted {
            return Some(format!("orders halted: {h}"));
        }
        if self.stopping {
            return Some("the session is stopping".into());
        }
        match self.connection {
            Connection::Up => {}
            Connection::Connecting => return Some("not connected to the broker yet".into()),
            Connection::Reconciling => {
                return Some("reconciling with the broker after a (re)connect".into());
            }
            Connection::Down => return Some("broker connection down".into()),
            Connection::Stopped => return Some("the session stopped".into()),
        }
        self.paused
            .get(&id)
            .map(|r| format!("{} paused: {r}", self.instruments[id.index()].symbol))
    }

    pub(super) async fn submit_pending(&mut self, s: usize, ts: Timestamp, in_session: bool) {
        for id in std::mem::take(&mut self.cancels) {
            let local = LocalOrderId(id.0 as i64);
            if self.orders.get(&local).is_some_and(|o| o.owner == Some(s)) {
                self.send_cancel(local).await;
            }
        }
        for intent in std::mem::take(&mut self.intents) {
            self.counters.orders_proposed += 1;
            let strategy = self.slots[s].id.0.clone();
            let decision = json!({ "intent": &intent, "in_session": in_session });
            if let Some(reason) = self
                .blocked_reason(intent.instrument)
                .or_else(|| self.operator_hold(s, &intent))
            {
                self.record_decision(ts, &strategy, &decision);
                self.refuse(s, intent, ts, RiskRule::InvalidOrder, "paused", reason);
                continue;
            }
            let verdict = {
                let view = GateView {
                    portfolio: &self.portfolio,
                    instruments: &self.instruments,
                    pending: &self.pending,
                    in_session,
                    kill_switch: self.risk.kill_switch().is_some(),
                    blocked: self.risk.blocked(),
                    ts,
                };
                check(&self.limits, intent, &view)
            };
            match verdict {
                Verdict::Approved(a) => {
                    self.counters.orders_approved += 1;
                    if a.resized().is_some() {
                        self.counters.orders_resized += 1;
                    }
                    let mut verdict = json!({"verdict": "approved", "strategy": strategy});
                    if let Some((from, rule, why)) = a.resized() {
                        let (rule, why, from) = (*rule, why.clone(), *from);
                        let id = a.intent().instrument;
                        self.risk_event(
                            ts,
                            rule,
                            "resized",
                            Some(id),
                            Some(s as u32),
                            format!("{why} (asked {from})"),
                        );
                        verdict = json!({"verdict": "resized", "rule": rule.as_str(), "reason": why, "asked": from.get(), "strategy": strategy});
                    }
                    self.place(Some(s), a.into_intent(), ts, Some(decision), verdict)
                        .await;
                }
                Verdict::Refused(r) => {
                    self.record_decision(ts, &strategy, &decision);
                    self.refuse(s, r.intent, ts, r.rule, "refused", r.reason);
                }
            }
        }
    }

    /// Records a refusal: risk event, journal verdict, and a rejected order
    /// that reaches its strategy at the next instant.
    pub(super) fn refuse(
        &mut self,
        s: usize,
        intent: OrderIntent,
        ts: Timestamp,
        rule: RiskRule,
        action: &'static str,
        reason: String,
    ) {
        let key = if action == "paused" {
            "paused"
        } else {
            rule.as_str()
        };
        *self
            .counters
            .orders_rejected
            .entry(key.to_string())
            .or_default() += 1;
        if action != "paused" {
            let sym = self.instruments[intent.instrument.index()]
                .symbol
                .to_string();
            self.raise_alert(
                &format!("order_rejected:{key}"),
                "order_rejected",
                trade_alerts::Severity::Warning,
                &format!("Order refused by {key}"),
                &format!("{} {sym}: {reason}", self.slots[s].id),
            );
        }
        let payload = json!({
            "verdict": action,
            "rule": rule.as_str(),
            "reason": &reason,
            "strategy": &self.slots[s].id.0,
            "intent": &intent,
        });
        if let Err(e) = self.journal.record_risk_verdict(ts, None, &payload) {
            self.journal_failed("record_risk_verdict", &e);
        }
        self.risk_event(
            ts,
            rule,
            "refused",
            Some(intent.instrument),
            Some(s as u32),
            reason.clone(),
        );
        let id = ClientOrderId(self.next_refused);
        self.next_refused += 1;
        let order = Order {
            id,
            broker_id: None,
            strategy: self.slots[s].id.clone(),
            intent,
            created: ts,
            status: OrderStatus::Rejected,
            filled: Qty::ZERO,
            triggered: false,
            closed: Some(ts),
            reason: Some(format!("{}: {reason}", rule.as_str())),
        };
        self.refused.push((s, order));
    }

    pub(super) fn journal_failed(&mut self, what: &str, e: &JournalError) {
        let msg = format!("journal {what} failed: {e}");
        tracing::error!("{msg}; new orders halted");
        self.raise_alert(
            "journal",
            "journal",
            trade_alerts::Severity::Critical,
            "Journal write failed: new orders halted",
            &msg,
        );
        if self.halted.is_none() {
            self.halted = Some(msg.clone());
        }
        self.alert(AlertKind::Journal, None, msg);
    }

    pub(super) fn record_decision(
        &mut self,
        ts: Timestamp,
        strategy: &str,
        decision: &serde_json::Value,
    ) {
        if let Err(e) = self.journal.record_decision(ts, strategy, decision) {
            self.journal_failed("record_decision", &e);
        }
    }

    /// The order manager: journal the intent, send it, then write the
    /// decision and the gate's verdict (tied to the order) to the audit
    /// trail. Only the intent must be durable before the send; the audit
    /// lines follow at once, so the send waits for one fsync, not three.
    pub(super) async fn place(
        &mut self,
        owner: Option<usize>,
        intent: OrderIntent,
        ts: Timestamp,
        decision: Option<serde_json::Value>,
        verdict: serde_json::Value,
    ) {
        let i = intent.instrument.index();
        let strategy = match owner {
            Some(s) => self.slots[s].id.clone(),
            None => StrategyId("session".into()),
        };
        let new = NewIntent {
            ts,
            strategy: strategy.0.clone(),
            instrument: self.instruments[i].symbol.to_string(),
            side: intent.side,
            qty: intent.qty,
            limit_price: intent.order_type.limit(),
            order: serde_json::to_value(&intent).unwrap_or_default(),
        };
        let local = match self.journal.record_intent(&new) {
            Ok(id) => id,
            Err(e) => {
                self.journal_failed("record_intent", &e);
                if let Some(d) = &decision {
                    self.record_decision(ts, &strategy.0, d);
                }
                if let Some(s) = owner {
                    self.refuse(
                        s,
                        intent,
                        ts,
                        RiskRule::InvalidOrder,
                        "refused",
                        "journal unavailable: not sent".into(),
                    );
                }
                return;
            }
        };
        let audit_strategy = strategy.0.clone();
        let order = Order {
            id: ClientOrderId(local.0 as u64),
            broker_id: None,
            strategy,
            intent,
            created: ts,
            status: OrderStatus::Working,
            filled: Qty::ZERO,
            triggered: false,
            closed: None,
            reason: None,
        };
        let d = order.intent.qty.signed() * order.intent.side.sign();
        self.pending[i] += d;
        let deadline = match (order.intent.order_type, self.config.limit_timeout) {
            (OrderType::Limit { .. }, Some(t)) => {
                Some(Instant::now() + t.div_f64(self.clock_speed))
            }
            _ => None,
        };
        self.orders.insert(
            local,
            LiveOrder {
                order: order.clone(),
                owner,
                state: OrderState::PendingSubmit,
                broker_order_id: None,
                perm_id: None,
                deadline,
                replace_on_cancel: false,
            },
        );
        if self.dry_run {
            // Dry run: journaled like any order, then closed as never sent.
            self.close_order(local, OrderState::Abandoned, ts, "dry-run: not sent");
        } else {
            let instrument = self.instruments[i].clone();
            let cmd = BrokerCommand::Place(Box::new(OutboundOrder {
                local_id: local,
                order,
                instrument,
                legs: Vec::new(),
            }));
            if self.broker.commands.send(cmd).await.is_err() {
                self.close_order(
                    local,
                    OrderState::Abandoned,
                    ts,
                    "send failed: broker adapter gone",
                );
            } else if let Some(t0) = self.instant_started {
                self.bar_to_submit.observe(t0.elapsed());
            }
        }
        if let Some(d) = &decision {
            self.record_decision(ts, &audit_strategy, d);
        }
        if let Err(e) = self.journal.record_risk_verdict(ts, Some(local), &verdict) {
            self.journal_failed("record_risk_verdict", &e);
        }
    }

    pub(super) async fn send_cancel(&mut self, local: LocalOrderId) {
        let Some(o) = self.orders.get(&local) else {
            return;
        };
        let cmd = BrokerCommand::Cancel {
            local_id: local,
            broker_order_id: o.broker_order_id,
        };
        if self.dry_run || self.broker.commands.send(cmd).await.is_err() {
            tracing::warn!(order = %local, "cancel not sent (dry run or adapter gone)");
        }
    }

    /// Moves an order to a final state (journal + ledger + its strategy).
    pub(super) fn close_order(
        &mut self,
        local: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) {
        match self.journal.record_status(local, state, ts, detail) {
            Ok(StateChange::Applied | StateChange::Stale) => {}
            Err(e) => self.journal_failed("record_status", &e),
        }
        self.finish_order(local, state, ts, detail);
    }

    /// The in-memory side of a final state (the journal already has it).
    pub(super) fn finish_order(
        &mut self,
        local: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) {
        let Some(mut lo) = self.orders.remove(&local) else {
            return;
        };
        let o = &mut lo.order;
        let i = o.intent.instrument.index();
        self.pending[i] -= o.remaining().signed() * o.intent.side.sign();
        o.status = match state {
            OrderState::Filled => OrderStatus::Filled,
            OrderState::Rejected => OrderStatus::Rejected,
            _ => OrderStatus::Cancelled,
        };
        o.closed = Some(ts);
        if o.status != OrderStatus::Filled {
            o.reason = Some(detail.to_string());
        }
        self.out.orders.push(o.clone());
        if let Some(s) = lo.owner
            && o.status != OrderStatus::Filled
        {
            self.closed_since.push((s, o.clone()));
        }
        if lo.replace_on_cancel && state == OrderState::Cancelled && !o.remaining().is_zero() {
            let intent = OrderIntent {
                order_type: OrderType::Market,
                qty: o.remaining(),
                tag: "limit_timeout_marketable".into(),
                ..o.intent.clone()
            };
            if let Some(s) = lo.owner {
                self.replacements.push((s, intent));
            }
        }
        self.rebuild_working();
    }
}
