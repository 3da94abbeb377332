//! The alert manager: pure state, time passed in, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record (fills, daily summary).
    Info,
    /// Look soon (stale data, a refused order).
    Warning,
    /// Act now (disconnect, kill switch, journal failure).
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Raised and not resolved.
    Active,
    /// Resolved (it may come back under the same key).
    Resolved,
}

/// One alert the manager tracks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedAlert {
    /// Stable id (for acknowledging and snoozing).
    pub id: u64,
    /// De-duplication key (`stale:SPY`, `connection`, ...).
    pub key: String,
    /// Kind (`connection`, `stale_data`, `risk_limit`, `kill_switch`,
    /// `order_rejected`, `fill`, `exit_rule`, `daily_summary`, `other`).
    pub kind: String,
    /// Highest severity reached while active.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// The latest details.
    pub detail: String,
    /// First raised (Unix seconds).
    pub first_seen: f64,
    /// Last raised (Unix seconds).
    pub last_seen: f64,
    /// How many times it was raised while active.
    pub count: u64,
    /// Active or resolved.
    pub state: AlertState,
    /// Who acknowledged it.
    pub acked_by: Option<String>,
    /// Silent until then (Unix seconds).
    pub snoozed_until: Option<f64>,
    /// Severity last notified while active (`None`: not yet, or snoozed).
    notified: Option<Severity>,
}

/// What to tell people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    /// Newly raised (or back after resolving, or a snooze ended).
    Raised,
    /// Active and got worse.
    Escalated,
    /// Resolved.
    Resolved,
}

/// One message for the notifiers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// What happened to the alert.
    pub event: NotificationKind,
    /// The alert as it is now.
    pub alert: ManagedAlert,
}

/// Raises, de-duplicates, resolves, acknowledges and snoozes alerts.
#[derive(Debug, Default)]
pub struct AlertManager {
    alerts: BTreeMap<String, ManagedAlert>,
    next_id: u64,
}

impl AlertManager {
    /// An empty manager.
    pub fn new() -> Self {
        AlertManager {
            alerts: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Raises (or repeats) the alert `key`. Returns the notification to
    /// send, if any: a new alert, one back after resolving, or one whose
    /// severity rose; repeats only update the count and details.
    pub fn raise(
        &mut self,
        key: &str,
        kind: &str,
        severity: Severity,
        title: &str,
        detail: &str,
        now: f64,
    ) -> Option<Notification> {
        let next_id = &mut self.next_id;
        let a = self.alerts.entry(key.to_string()).or_insert_with(|| {
            let id = (*next_id).max(1);
            *next_id = id + 1;
            ManagedAlert {
                id,
                key: key.to_string(),
                kind: kind.to_string(),
                severity,
                title: title.to_string(),
                detail: detail.to_string(),
                first_seen: now,
                last_seen: now,
                count: 0,
                state: AlertState::Active,
                acked_by: None,
                snoozed_until: None,
                notified: None,
            }
        });
        if a.state == AlertState::Resolved {
            a.state = AlertState::Active;
            a.severity = severity;
            a.first_seen = now;
            a.count = 0;
            a.acked_by = None;
            a.notified = None;
        }
        a.count += 1;
        a.last_seen = now;
        a.title = title.to_string();
        a.detail = detail.to_string();
        a.kind = kind.to_string();
        a.severity = a.severity.max(severity);
        if a.snoozed_until.is_some_and(|u| now < u) {
            return None;
        }
        let event = match a.notified {
            None => NotificationKind::Raised,
            Some(s) if a.severity > s => NotificationKind::Escalated,
            Some(_) => return None,
        };
        a.notified = Some(a.severity);
        Some(Notification {
            event,
            alert: a.clone(),
        })
    }

    /// Resolves `key`. Returns a notification when the alert was active
    /// and people had been told about it.
    pub fn resolve(&mut self, key: &str, now: f64) -> Option<Notification> {
        let a = self.alerts.get_mut(key)?;
        if a.state == AlertState::Resolved {
            return None;
        }
        a.state = AlertState::Resolved;
        a.last_seen = now;
        a.snoozed_until = None;
        let told = a.notified.take().is_some();
        told.then(|| Notification {
            event: NotificationKind::Resolved,
            alert: a.clone(),
        })
    }

    /// A one-off (a fill, a daily summary): notified once, never active.
    pub fn event(
        &mut self,
        key: &str,
        kind: &str,
        severity: Severity,
        title: &str,
        detail: &str,
        now: f64,
    ) -> Notification {
        let id = self.next_id.max(1);
        self.next_id = id + 1;
        Notification {
            event: NotificationKind::Raised,
            alert: ManagedAlert {
                id,
                key: key.to_string(),
                kind: kind.to_string(),
                severity,
                title: title.to_string(),
                detail: detail.to_string(),
                first_seen: now,
                last_seen: now,
                count: 1,
                state: AlertState::Resolved,
                acked_by: None,
                snoozed_until: None,
                notified: None,
            },
        }
    }

    /// Marks the alert seen by `who`.
    ///
    /// # Errors
    /// No alert has this id.
    pub fn acknowledge(&mut self, id: u64, who: &str) -> Result<&ManagedAlert, String> {
        let a = self.by_id(id)?;
        a.acked_by = Some(who.to_string());
        Ok(a)
    }

    /// Silences the alert until `until` (Unix seconds).
    ///
    /// # Errors
    /// No alert has this id, or `until` is not in the future.
    pub fn snooze(&mut self, id: u64, until: f64, now: f64) -> Result<&ManagedAlert, String> {
        if until <= now {
            return Err("a snooze must end in the future".into());
        }
        let a = self.by_id(id)?;
        a.snoozed_until = Some(until);
        a.notified = None;
        Ok(a)
    }

    /// Ends snoozes that are over; an alert still active is notified again.
    pub fn tick(&mut self, now: f64) -> Vec<Notification> {
        let mut out = Vec::new();
        for a in self.alerts.values_mut() {
            if a.snoozed_until.is_some_and(|u| now >= u) {
                a.snoozed_until = None;
                if a.state == AlertState::Active && a.notified.is_none() {
                    a.notified = Some(a.severity);
                    out.push(Notification {
                        event: NotificationKind::Raised,
                        alert: a.clone(),
                    });
                }
            }
        }
        out
    }

    fn by_id(&mut self, id: u64) -> Result<&mut ManagedAlert, String> {
        self.alerts
            .values_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| format!("no alert {id}"))
    }

    /// Active alerts, most severe first, then oldest first.
    pub fn active(&self) -> Vec<ManagedAlert> {
        let mut v: Vec<ManagedAlert> = self
            .alerts
            .values()
            .filter(|a| a.state == AlertState::Active)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.first_seen.total_cmp(&b.first_seen))
        });
        v
    }

    /// Every alert known, active or resolved, by id.
    pub fn all(&self) -> Vec<ManagedAlert> {
        let mut v: Vec<ManagedAlert> = self.alerts.values().cloned().collect();
        v.sort_by_key(|a| a.id);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn repeats_are_quiet_escalations_and_returns_are_not() {
        let mut m = AlertManager::new();
        let n = m
            .raise(
                "stale:SPY",
                "stale_data",
                Severity::Warning,
                "SPY stale",
                "30 s",
                0.0,
            )
            .unwrap();
        assert_eq!(n.event, NotificationKind::Raised);
        assert!(
            m.raise(
                "stale:SPY",
                "stale_data",
                Severity::Warning,
                "SPY stale",
                "60 s",
                1.0
            )
            .is_none()
        );
        assert_eq!(m.active()[0].count, 2);
        assert_eq!(m.active()[0].detail, "60 s");
        let e = m
            .raise(
                "stale:SPY",
                "stale_data",
                Severity::Critical,
                "SPY stale",
                "5 m",
                2.0,
            )
            .unwrap();
        assert_eq!(e.event, NotificationKind::Escalated);
        assert_eq!(
            m.resolve("stale:SPY", 3.0).unwrap().event,
            NotificationKind::Resolved
        );
        assert!(m.resolve("stale:SPY", 4.0).is_none(), "resolved twice");
        let back = m
            .raise(
                "stale:SPY",
                "stale_data",
                Severity::Warning,
                "SPY stale",
                "again",
                5.0,
            )
            .unwrap();
        assert_eq!(back.event, NotificationKind::Raised);
        assert_eq!(back.alert.id, n.alert.id, "the same alert, by key");
        assert_eq!(back.alert.severity, Severity::Warning);
    }

    #[test]
    fn a_snooze_silences_until_it_ends_then_reminds_if_still_active() {
        let mut m = AlertManager::new();
        let id = m
            .raise(
                "connection",
                "connection",
                Severity::Critical,
                "down",
                "",
                0.0,
            )
            .unwrap()
            .alert
            .id;
        m.snooze(id, 100.0, 1.0).unwrap();
        assert!(
            m.raise(
                "connection",
                "connection",
                Severity::Critical,
                "down",
                "",
                50.0
            )
            .is_none()
        );
        assert!(m.tick(99.0).is_empty());
        let again = m.tick(100.0);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].event, NotificationKind::Raised);
        assert!(m.snooze(id, 0.5, 1.0).is_err());
        assert!(m.acknowledge(999, "ops").is_err());
        assert_eq!(
            m.acknowledge(id, "ops").unwrap().acked_by.as_deref(),
            Some("ops")
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Raise(u8, u8),
        Resolve(u8),
        Snooze(u8, u8),
        Tick,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..4, 0u8..3).prop_map(|(k, s)| Op::Raise(k, s)),
            (0u8..4).prop_map(Op::Resolve),
            (0u8..4, 1u8..5).prop_map(|(k, d)| Op::Snooze(k, d)),
            Just(Op::Tick),
        ]
    }

    proptest! {
        /// Whatever happens: no second notification for an unresolved key
        /// at a severity already notified, none while snoozed, and the
        /// active set is exactly the keys raised and not resolved since.
        #[test]
        fn never_notifies_twice_and_active_is_exact(ops in proptest::collection::vec(op(), 1..80)) {
            let sev = [Severity::Info, Severity::Warning, Severity::Critical];
            let mut m = AlertManager::new();
            let mut told: BTreeMap<String, Severity> = BTreeMap::new();
            let mut active = std::collections::BTreeSet::new();
            let mut snoozed: BTreeMap<String, f64> = BTreeMap::new();
            for (t, op) in ops.into_iter().enumerate() {
                let now = t as f64;
                match op {
                    Op::Raise(k, s) => {
                        let key = format!("k{k}");
                        active.insert(key.clone());
                        if let Some(n) = m.raise(&key, "other", sev[s as usize], "t", "d", now) {
                            prop_assert!(snoozed.get(&key).is_none_or(|u| now >= *u), "notified while snoozed");
                            if let Some(prev) = told.get(&key) {
                                prop_assert!(n.alert.severity > *prev, "notified twice at {:?}", prev);
                            }
                            told.insert(key, n.alert.severity);
                        }
                    }
                    Op::Resolve(k) => {
                        let key = format!("k{k}");
                        active.remove(&key);
                        told.remove(&key);
                        snoozed.remove(&key);
                        m.resolve(&key, now);
                    }
                    Op::Snooze(k, d) => {
                        let key = format!("k{k}");
                        let id = m.all().iter().find(|a| a.key == key).map(|a| a.id);
                        if let Some(id) = id {
                            m.snooze(id, now + f64::from(d), now).unwrap();
                            snoozed.insert(key.clone(), now + f64::from(d));
                            told.remove(&key);
                        }
                    }
                    Op::Tick => {
                        for n in m.tick(now) {
                            prop_assert!(!told.contains_key(&n.alert.key), "reminded twice");
                            snoozed.remove(&n.alert.key);
                            told.insert(n.alert.key.clone(), n.alert.severity);
                        }
                    }
                }
                let got: std::collections::BTreeSet<String> = m.active().into_iter().map(|a| a.key).collect();
                prop_assert_eq!(&got, &active);
            }
        }
    }
}
