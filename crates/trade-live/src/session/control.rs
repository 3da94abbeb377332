//! Operators' controls, carried out between events and journaled (kind
//! `control`: who, why, what was asked and what it did, or why not).

use super::*;
use crate::control::{Control, ControlCommand, ControlError};

pub(super) use crate::config::CHANGEABLE_LIMITS;

/// The reason prefix of an instrument paused by an operator's close.
pub(super) const OPERATOR_CLOSE: &str = "closed by operator";

impl Session {
    /// Carries out one control, journals it and answers.
    pub(super) async fn on_control(&mut self, c: Control) {
        let Control {
            command,
            actor,
            reason,
            reply,
        } = c;
        self.tick_alerts();
        let result = self.apply_control(&command, &actor, &reason).await;
        self.counters.controls += 1;
        let local_id = match &command {
            ControlCommand::Cancel { local_id } => Some(LocalOrderId(*local_id)),
            _ => None,
        };
        let payload = json!({
            "action": command.action(),
            "command": format!("{command:?}"),
            "actor": actor,
            "reason": reason,
            "outcome": match &result {
                Ok(v) => json!({"ok": v}),
                Err(e) => json!({"refused": e.to_string()}),
            },
        });
        if let Err(e) = self.journal.record_control(now(), local_id, &payload) {
            self.journal_failed("record_control", &e);
        }
        match &result {
            Ok(_) => {
                tracing::info!(action = command.action(), actor = %actor, reason = %reason, "operator control")
            }
            Err(e) => {
                tracing::warn!(action = command.action(), actor = %actor, error = %e, "operator control refused")
            }
        }
        self.publish();
        let _ = reply.send(result);
    }

    fn strategy_index(&self, id: &str) -> Result<usize, ControlError> {
        self.slots.iter().position(|s| s.id.0 == id).ok_or_else(|| {
            let known: Vec<&str> = self.slots.iter().map(|s| s.id.0.as_str()).collect();
            ControlError::NotFound(format!(
                "no strategy {id:?}; this session runs {}",
                known.join(", ")
            ))
        })
    }

    fn instrument_of(&self, symbol: &str) -> Result<InstrumentId, ControlError> {
        self.by_symbol.get(symbol).copied().ok_or_else(|| {
            ControlError::NotFound(format!("{symbol} is not traded by this session"))
        })
    }

    /// Whether orders can leave now (an operator's close or flatten needs it).
    fn can_send(&self) -> Result<(), ControlError> {
        if let Some(h) = &self.halted {
            return Err(ControlError::Unavailable(format!("orders are halted: {h}")));
        }
        if self.stopping {
            return Err(ControlError::Unavailable("the session is stopping".into()));
        }
        if self.connection != Connection::Up {
            return Err(ControlError::Unavailable(format!(
                "the broker connection is {:?}: nothing can be sent; close it in TWS",
                self.connection
            )));
        }
        Ok(())
    }

    /// The time orders an operator asks for are stamped with: the feed's
    /// clock (the last instant), so they sort with the strategies' orders.
    fn control_ts(&self) -> Timestamp {
        self.last_instant.unwrap_or_else(now)
    }

    async fn apply_control(
        &mut self,
        command: &ControlCommand,
        actor: &str,
        reason: &str,
    ) -> Result<serde_json::Value, ControlError> {
        let by = if reason.is_empty() {
            format!("by {actor}")
        } else {
            format!("by {actor}: {reason}")
        };
        match command {
            ControlCommand::Pause { strategy: None } => {
                self.paused_all = Some(by);
                Ok(json!({"paused": "all"}))
            }
            ControlCommand::Pause { strategy: Some(id) } => {
                let s = self.strategy_index(id)?;
                self.paused_strategies.insert(s, by);
                Ok(json!({"paused": id}))
            }
            ControlCommand::Resume {
                strategy: None,
                symbol: None,
            } => {
                if self.paused_all.take().is_none() {
                    return Err(ControlError::Conflict("trading is not paused".into()));
                }
                Ok(json!({"resumed": "all"}))
            }
            ControlCommand::Resume {
                strategy: Some(id),
                symbol: None,
            } => {
                let s = self.strategy_index(id)?;
                if self.paused_strategies.remove(&s).is_none() {
                    return Err(ControlError::Conflict(format!("{id} is not paused")));
                }
                Ok(json!({"resumed": id}))
            }
            ControlCommand::Resume {
                strategy: None,
                symbol: Some(sym),
            } => {
                let id = self.instrument_of(sym)?;
                match self.paused.get(&id) {
                    Some(r) if r.starts_with(OPERATOR_CLOSE) => {
                        self.paused.remove(&id);
                        Ok(json!({"resumed": sym}))
                    }
                    Some(r) => Err(ControlError::Conflict(format!(
                        "{sym} is paused by the session ({r}); it resumes by itself"
                    ))),
                    None => Err(ControlError::Conflict(format!("{sym} is not paused"))),
                }
            }
            ControlCommand::Resume { .. } => Err(ControlError::Invalid(
                "resume one strategy or one symbol, not both".into(),
            )),
            ControlCommand::Cancel { local_id } => {
                let id = LocalOrderId(*local_id);
                let Some(o) = self.orders.get(&id) else {
                    return Err(match self.journal.order(id) {
                        Ok(Some(jo)) => ControlError::Conflict(format!(
                            "order {id} is already {}",
                            jo.state.as_str()
                        )),
                        _ => ControlError::NotFound(format!("no order {id}")),
                    });
                };
                if o.state == OrderState::PendingSubmit || o.state == OrderState::Sent {
                    return Err(ControlError::Conflict(format!(
                        "order {id} is {}: the broker has not confirmed it yet; try again in a moment",
                        o.state.as_str()
                    )));
                }
                if self.connection != Connection::Up {
                    return Err(ControlError::Unavailable(format!(
                        "the broker connection is {:?}; cancel it in TWS",
                        self.connection
                    )));
                }
                self.send_cancel(id).await;
                Ok(json!({"cancel_sent": id.0}))
            }
            ControlCommand::ClosePosition {
                symbol,
                expected_qty,
            } => {
                let id = self.instrument_of(symbol)?;
                let qty = self.portfolio.position(id).qty;
                if qty == 0 {
                    return Err(ControlError::Conflict(format!("{symbol} is already flat")));
                }
                if qty != *expected_qty {
                    return Err(ControlError::Conflict(format!(
                        "the {symbol} position is {qty} now, not the {expected_qty} you confirmed; look again"
                    )));
                }
                self.can_send()?;
                let cancelled = self.cancel_working_on(Some(id)).await;
                let sent = self.close_instrument(id, "operator_close").await;
                self.paused.insert(id, format!("{OPERATOR_CLOSE} ({by})"));
                Ok(
                    json!({"symbol": symbol, "closing": -qty, "orders": sent, "cancelled": cancelled}),
                )
            }
            ControlCommand::Flatten => {
                self.can_send()?;
                self.operator_kill = Some(by.clone());
                let cancelled = self.cancel_working_on(None).await;
                let mut sent = Vec::new();
                for i in 0..self.instruments.len() {
                    sent.extend(
                        self.close_instrument(InstrumentId(i as u32), "operator_flatten")
                            .await,
                    );
                }
                let msg = format!(
                    "kill switch by operator ({by}): everything closed, new entries refused"
                );
                self.raise_alert(
                    "kill_switch",
                    "kill_switch",
                    trade_alerts::Severity::Critical,
                    "Kill switch tripped by an operator",
                    &msg,
                );
                self.alert(AlertKind::KillSwitch, None, msg);
                Ok(json!({"orders": sent, "cancelled": cancelled}))
            }
            ControlCommand::SetLimit { name, value } => self.set_limit(name, *value),
            ControlCommand::AckAlert { id } => {
                self.alert_manager
                    .acknowledge(*id, actor)
                    .map_err(ControlError::NotFound)?;
                Ok(json!({"acknowledged": id}))
            }
            ControlCommand::SnoozeAlert { id, minutes } => {
                if !(1..=1440).contains(minutes) {
                    return Err(ControlError::Invalid("minutes: expected 1 to 1440".into()));
                }
                let t = now().nanos() as f64 / 1e9;
                let until = t + f64::from(*minutes) * 60.0;
                self.alert_manager
                    .snooze(*id, until, t)
                    .map_err(ControlError::NotFound)?;
                Ok(json!({"snoozed": id, "until_unix": until}))
            }
        }
    }

    /// Sends cancels for the working orders on `only` (or all); returns
    /// their ids.
    async fn cancel_working_on(&mut self, only: Option<InstrumentId>) -> Vec<i64> {
        let ids: Vec<LocalOrderId> = self
            .orders
            .iter()
            .filter(|(_, o)| only.is_none_or(|i| o.order.intent.instrument == i))
            .filter(|(_, o)| o.state == OrderState::Working || o.broker_order_id.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            self.send_cancel(*id).await;
        }
        ids.iter().map(|i| i.0).collect()
    }

    /// Market orders that bring the instrument's position to zero: each
    /// strategy closes its own share (so its bookkeeping sees the fill),
    /// the rest (adopted or external) goes out as the session's.
    async fn close_instrument(&mut self, id: InstrumentId, tag: &'static str) -> Vec<i64> {
        let i = id.index();
        let total = self.portfolio.position(id).qty;
        let mut parts: Vec<(Option<usize>, i64)> = (0..self.slots.len())
            .filter(|s| self.own[*s][i] != 0)
            .map(|s| (Some(s), self.own[s][i]))
            .collect();
        let owned: i64 = parts.iter().map(|(_, q)| q).sum();
        if total - owned != 0 {
            parts.push((None, total - owned));
        }
        let ts = self.control_ts();
        let before: Vec<LocalOrderId> = self.orders.keys().copied().collect();
        for (owner, q) in parts {
            let intent = OrderIntent {
                instrument: id,
                side: if q > 0 { Side::Sell } else { Side::Buy },
                qty: Qty::new(q.unsigned_abs()),
                order_type: OrderType::Market,
                tif: TimeInForce::Gtc,
                tag: tag.into(),
            };
            self.place(
                owner,
                intent,
                ts,
                None,
                json!({"verdict": "operator", "action": tag}),
            )
            .await;
        }
        self.rebuild_working();
        self.orders
            .keys()
            .filter(|k| !before.contains(k))
            .map(|k| k.0)
            .collect()
    }

    fn set_limit(&mut self, name: &str, value: f64) -> Result<serde_json::Value, ControlError> {
        if !CHANGEABLE_LIMITS.contains(&name) {
            return Err(ControlError::NotFound(format!(
                "no changeable limit {name:?}; expected one of {}",
                CHANGEABLE_LIMITS.join(", ")
            )));
        }
        let whole = name == "max_open_positions";
        let Some(&[lo, hi]) = self.config.limit_bounds.get(name) else {
            return Err(ControlError::Conflict(format!(
                "{name} may not be changed at run time: [session.limit_bounds] gives it no bounds"
            )));
        };
        if !(lo..=hi).contains(&value) || (whole && value.fract() != 0.0) {
            return Err(ControlError::Invalid(format!(
                "{name} = {value} is outside the configured bounds [{lo}, {hi}]{}",
                if whole { " or not a whole number" } else { "" }
            )));
        }
        let before = limit_value(&self.limits, name);
        for limits in [&mut self.limits, &mut self.spec.risk] {
            match name {
                "max_position_pct" => limits.max_position_pct = Some(value),
                "max_gross_exposure_pct" => limits.max_gross_exposure_pct = Some(value),
                "max_open_positions" => limits.max_open_positions = Some(value as usize),
                "daily_loss_limit_pct" => limits.daily_loss_limit_pct = Some(value),
                "max_drawdown_pct" => limits.max_drawdown_pct = Some(value),
                _ => limits.instrument_daily_loss_pct = Some(value),
            }
        }
        Ok(json!({"limit": name, "from": before, "to": value}))
    }

    /// Whether an intent of strategy `s` is held back by an operator's
    /// pause: a pause stops entries, not exits.
    pub(super) fn operator_hold(&self, s: usize, intent: &OrderIntent) -> Option<String> {
        let why = self
            .operator_kill
            .as_ref()
            .map(|w| format!("kill switch by operator ({w})"))
            .or_else(|| {
                self.paused_all
                    .as_ref()
                    .map(|w| format!("trading paused {w}"))
            })
            .or_else(|| {
                self.paused_strategies
                    .get(&s)
                    .map(|w| format!("{} paused {w}", self.slots[s].id))
            })?;
        let i = intent.instrument.index();
        let held = self.portfolio.position(intent.instrument).qty + self.pending[i];
        let delta = intent.qty.signed() * intent.side.sign();
        let reduces = held != 0 && delta.signum() == -held.signum() && delta.abs() <= held.abs();
        (!reduces).then_some(why)
    }
}

/// A limit's current value, for the answer and the status.
pub(super) fn limit_value(l: &RiskLimits, name: &str) -> Option<f64> {
    match name {
        "max_position_pct" => l.max_position_pct,
        "max_gross_exposure_pct" => l.max_gross_exposure_pct,
        "max_open_positions" => l.max_open_positions.map(|v| v as f64),
        "daily_loss_limit_pct" => l.daily_loss_limit_pct,
        "max_drawdown_pct" => l.max_drawdown_pct,
        "instrument_daily_loss_pct" => l.instrument_daily_loss_pct,
        _ => None,
    }
}
