//! Quote validation: every quote that enters a [`ChainSnapshot`] passed
//! these checks; every one that did not is counted under a named
//! [`Issue`], with the first few examples located by file and line.
//!
//! Two kinds of issue exist. Most make the quote unusable as a fill price
//! (crossed, no offer, expired, outside the no-arbitrage bounds) and drop
//! it. Bad analytics (a NaN or implausible implied volatility, non-finite
//! Greeks) only drop those fields: the prices are still real, but a wrong
//! Greek must never reach a risk check silently.
//!
//! [`ChainSnapshot`]: super::ChainSnapshot

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{ExerciseStyle, OptionRight, Price};

use super::quote::{ContractKey, OptionQuote, QuoteGreeks, QuoteSource};
use super::snapshot::days_between;

/// A named reason a quote was dropped or one of its fields cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issue {
    /// A row the parser could not read (only counted when the spec says
    /// `on_bad_row = "skip"`; otherwise it is an error).
    Malformed,
    /// No usable underlying price for the row's date.
    NoUnderlyingPrice,
    /// Strike zero or negative.
    BadStrike,
    /// The bid field is empty or not a number.
    MissingBid,
    /// The ask field is empty or not a number.
    MissingAsk,
    /// A negative bid or ask.
    NegativePrice,
    /// Ask of zero: nobody offers the contract, there is no market.
    ZeroAsk,
    /// Bid of zero, when the rules say to drop one-sided markets.
    ZeroBid,
    /// Bid above ask.
    Crossed,
    /// Expiry before the quote date.
    Expired,
    /// Ask below the option's lower no-arbitrage bound (its intrinsic
    /// value for American options).
    BelowIntrinsic,
    /// Ask above the upper no-arbitrage bound (the spot for a call, the
    /// strike for a put).
    AboveBound,
    /// A second quote for a contract already quoted at that instant.
    Duplicate,
    /// Implied volatility NaN, infinite or negative: IV and Greeks cleared.
    BadIv,
    /// Implied volatility outside the plausible range of the rules: IV and
    /// Greeks cleared.
    ImplausibleIv,
    /// A Greek NaN or infinite: Greeks cleared.
    BadGreeks,
}

impl Issue {
    /// Every issue, in report order.
    pub const ALL: [Issue; 16] = [
        Issue::Malformed,
        Issue::NoUnderlyingPrice,
        Issue::BadStrike,
        Issue::MissingBid,
        Issue::MissingAsk,
        Issue::NegativePrice,
        Issue::ZeroAsk,
        Issue::ZeroBid,
        Issue::Crossed,
        Issue::Expired,
        Issue::BelowIntrinsic,
        Issue::AboveBound,
        Issue::Duplicate,
        Issue::BadIv,
        Issue::ImplausibleIv,
        Issue::BadGreeks,
    ];

    /// The snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Issue::Malformed => "malformed",
            Issue::NoUnderlyingPrice => "no_underlying_price",
            Issue::BadStrike => "bad_strike",
            Issue::MissingBid => "missing_bid",
            Issue::MissingAsk => "missing_ask",
            Issue::NegativePrice => "negative_price",
            Issue::ZeroAsk => "zero_ask",
            Issue::ZeroBid => "zero_bid",
            Issue::Crossed => "crossed",
            Issue::Expired => "expired",
            Issue::BelowIntrinsic => "below_intrinsic",
            Issue::AboveBound => "above_bound",
            Issue::Duplicate => "duplicate",
            Issue::BadIv => "bad_iv",
            Issue::ImplausibleIv => "implausible_iv",
            Issue::BadGreeks => "bad_greeks",
        }
    }

    /// Whether the quote is dropped (`true`) or only a field cleared.
    pub fn drops_quote(self) -> bool {
        !matches!(self, Issue::BadIv | Issue::ImplausibleIv | Issue::BadGreeks)
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The thresholds of validation. Every field has a default; unknown keys
/// are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationRules {
    /// Drop quotes with a zero bid. Off by default: a zero bid is a real,
    /// one-sided market (a seller would receive nothing), common for far
    /// out-of-the-money strikes.
    pub skip_zero_bid: bool,
    /// Lowest plausible implied volatility; below it the vendor's IV and
    /// Greeks are cleared (Yahoo reports 1e-5 for stale quotes).
    pub min_iv: f64,
    /// Highest plausible implied volatility.
    pub max_iv: f64,
    /// Check asks against the no-arbitrage bounds computed from the
    /// underlying price. Turn off for options that are priced off a future
    /// rather than the quoted spot (VIX options: a VIX put trades far below
    /// its "intrinsic value" against the spot index).
    pub price_bounds: bool,
    /// Highest rate assumed when the lower bound of a European put is
    /// computed (`K e^{-rT} - S`): a higher rate gives a lower bound, so
    /// the check stays loose when the real rate is unknown.
    pub max_rate: f64,
    /// Highest dividend yield assumed for a European call's lower bound
    /// (`S e^{-qT} - K`).
    pub max_dividend_yield: f64,
    /// Absolute slack of the bound checks.
    pub bound_tolerance: Price,
    /// Slack of the bound checks as a fraction of the underlying price:
    /// end-of-day files stamp the underlying and the options at slightly
    /// different moments.
    pub bound_tolerance_frac: f64,
    /// How many examples to keep per issue.
    pub examples_per_issue: usize,
}

impl Default for ValidationRules {
    fn default() -> Self {
        ValidationRules {
            skip_zero_bid: false,
            min_iv: 0.005,
            max_iv: 5.0,
            price_bounds: true,
            max_rate: 0.10,
            max_dividend_yield: 0.10,
            bound_tolerance: Price::from_cents(1),
            bound_tolerance_frac: 0.001,
            examples_per_issue: 3,
        }
    }
}

impl ValidationRules {
    /// Checks the rules themselves.
    ///
    /// # Errors
    /// A message naming the field and the expected range.
    pub fn check(&self) -> Result<(), String> {
        let ok = |c: bool, msg: &str| if c { Ok(()) } else { Err(msg.to_string()) };
        ok(
            self.min_iv.is_finite() && self.min_iv >= 0.0,
            "validation.min_iv must be a number >= 0",
        )?;
        ok(
            self.max_iv.is_finite() && self.max_iv > self.min_iv,
            "validation.max_iv must be a number above min_iv",
        )?;
        ok(
            self.max_rate.is_finite() && (0.0..=1.0).contains(&self.max_rate),
            "validation.max_rate must be within 0..=1",
        )?;
        ok(
            self.max_dividend_yield.is_finite() && (0.0..=1.0).contains(&self.max_dividend_yield),
            "validation.max_dividend_yield must be within 0..=1",
        )?;
        ok(
            self.bound_tolerance >= Price::ZERO,
            "validation.bound_tolerance must be >= 0",
        )?;
        ok(
            self.bound_tolerance_frac.is_finite()
                && (0.0..0.5).contains(&self.bound_tolerance_frac),
            "validation.bound_tolerance_frac must be within 0..0.5",
        )
    }
}

/// One located example of an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueExample {
    /// The issue.
    pub issue: Issue,
    /// `file:line` (or a description of the source for generated data).
    pub location: String,
    /// What was found.
    pub detail: String,
}

impl fmt::Display for IssueExample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.issue, self.detail)
    }
}

/// Counts of what validation kept, dropped and cleared.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationReport {
    /// Data rows read.
    pub rows: u64,
    /// Rows outside the spec's filters (another root or underlying); not
    /// an issue, just not ours.
    pub filtered: u64,
    /// Quotes kept.
    pub kept: u64,
    counts: BTreeMap<Issue, u64>,
    examples: Vec<IssueExample>,
}

impl ValidationReport {
    /// Records one occurrence; the example is kept if fewer than
    /// `max_examples` of that issue are kept already.
    pub fn record(
        &mut self,
        issue: Issue,
        location: impl FnOnce() -> String,
        detail: impl FnOnce() -> String,
        max_examples: usize,
    ) {
        let n = self.counts.entry(issue).or_insert(0);
        *n += 1;
        if *n <= max_examples as u64 {
            self.examples.push(IssueExample {
                issue,
                location: location(),
                detail: detail(),
            });
        }
    }

    /// How many times `issue` occurred.
    pub fn count(&self, issue: Issue) -> u64 {
        self.counts.get(&issue).copied().unwrap_or(0)
    }

    /// The issues that occurred, with their counts, in report order.
    pub fn counts(&self) -> impl Iterator<Item = (Issue, u64)> + '_ {
        self.counts.iter().map(|(&i, &n)| (i, n))
    }

    /// Quotes dropped, all reasons together.
    pub fn dropped(&self) -> u64 {
        self.counts()
            .filter(|(i, _)| i.drops_quote())
            .map(|(_, n)| n)
            .sum()
    }

    /// The kept examples, in the order they were found.
    pub fn examples(&self) -> &[IssueExample] {
        &self.examples
    }

    /// Adds another report's counts (examples are appended up to the same
    /// per-issue limit).
    pub fn merge(&mut self, other: &ValidationReport, max_examples: usize) {
        self.rows += other.rows;
        self.filtered += other.filtered;
        self.kept += other.kept;
        for e in &other.examples {
            let have = self.examples.iter().filter(|x| x.issue == e.issue).count();
            if have < max_examples {
                self.examples.push(e.clone());
            }
        }
        for (i, n) in other.counts() {
            *self.counts.entry(i).or_insert(0) += n;
        }
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows, {} kept, {} dropped, {} filtered",
            self.rows,
            self.kept,
            self.dropped(),
            self.filtered
        )?;
        for (i, n) in self.counts() {
            write!(f, "; {i} {n}")?;
        }
        for e in &self.examples {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// A quote as read from a file, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawQuote {
    /// The contract.
    pub key: ContractKey,
    /// Bid, if the field held a number.
    pub bid: Option<Price>,
    /// Ask, if the field held a number.
    pub ask: Option<Price>,
    /// Last trade.
    pub last: Option<Price>,
    /// Volume.
    pub volume: Option<u64>,
    /// Open interest.
    pub open_interest: Option<u64>,
    /// Vendor implied volatility.
    pub iv: Option<f64>,
    /// Vendor Greeks, already in [`QuoteGreeks`] units.
    pub greeks: Option<QuoteGreeks>,
    /// Exercise style (decides the lower price bound).
    pub style: ExerciseStyle,
    /// 1-based line of the row in its file.
    pub line: u64,
}

/// Validates the raw quotes of one underlying at one instant and returns
/// the survivors, sorted by contract.
///
/// `date` is the quote date, `underlying` the underlying price at the
/// quotes' instant, `file` names the source in examples (`file:line`).
pub fn validate_quotes(
    date: Date,
    underlying: Price,
    mut raw: Vec<RawQuote>,
    source: QuoteSource,
    rules: &ValidationRules,
    file: &str,
    report: &mut ValidationReport,
) -> Vec<OptionQuote> {
    let max_ex = rules.examples_per_issue;
    // Sorting by (key, line) puts duplicates next to each other with the
    // first occurrence in the file first: that one is kept.
    raw.sort_by(|a, b| a.key.cmp(&b.key).then(a.line.cmp(&b.line)));
    let mut out: Vec<OptionQuote> = Vec::with_capacity(raw.len());
    let mut last_key: Option<(ContractKey, u64)> = None;
    let s = underlying.to_f64();
    for r in raw {
        let loc = || format!("{file}:{}", r.line);
        if let Some((k, line)) = last_key
            && k == r.key
        {
            report.record(
                Issue::Duplicate,
                loc,
                || format!("{} quoted again (first on line {line})", r.key),
                max_ex,
            );
            continue;
        }
        last_key = Some((r.key, r.line));
        match check_prices(&r, date, s, rules) {
            Err((issue, detail)) => report.record(issue, loc, || detail, max_ex),
            Ok((bid, ask)) => {
                let (iv, greeks) = check_analytics(&r, rules, report, file, max_ex);
                report.kept += 1;
                out.push(OptionQuote {
                    key: r.key,
                    bid,
                    ask,
                    last: r.last.filter(|p| *p >= Price::ZERO),
                    volume: r.volume,
                    open_interest: r.open_interest,
                    iv,
                    greeks,
                    source,
                });
            }
        }
    }
    out
}

/// The price checks; `Ok((bid, ask))` or the first failing issue.
fn check_prices(
    r: &RawQuote,
    date: Date,
    spot: f64,
    rules: &ValidationRules,
) -> Result<(Price, Price), (Issue, String)> {
    if spot <= 0.0 || !spot.is_finite() {
        return Err((Issue::NoUnderlyingPrice, format!("underlying price {spot}")));
    }
    if r.key.strike <= Price::ZERO {
        return Err((Issue::BadStrike, format!("strike {}", r.key.strike)));
    }
    let days = days_between(date, r.key.expiry);
    if days < 0 {
        return Err((
            Issue::Expired,
            format!("{} expired {} days before {date}", r.key, -days),
        ));
    }
    let bid = r.bid.ok_or((Issue::MissingBid, "no bid".to_string()))?;
    let ask = r.ask.ok_or((Issue::MissingAsk, "no ask".to_string()))?;
    if bid < Price::ZERO || ask < Price::ZERO {
        return Err((Issue::NegativePrice, format!("bid {bid} ask {ask}")));
    }
    if ask == Price::ZERO {
        return Err((Issue::ZeroAsk, format!("{} bid {bid} ask 0", r.key)));
    }
    if bid > ask {
        return Err((Issue::Crossed, format!("{} bid {bid} > ask {ask}", r.key)));
    }
    if rules.skip_zero_bid && bid == Price::ZERO {
        return Err((Issue::ZeroBid, format!("{} bid 0 ask {ask}", r.key)));
    }
    if rules.price_bounds {
        let t = f64::from(days) / 365.0;
        let k = r.key.strike.to_f64();
        let (lower, upper) = bounds(r.key.right, r.style, spot, k, t, rules);
        let tol = rules.bound_tolerance.to_f64() + rules.bound_tolerance_frac * spot;
        let a = ask.to_f64();
        if a < lower - tol {
            return Err((
                Issue::BelowIntrinsic,
                format!(
                    "{} ask {ask} below the lower bound {lower:.4} (underlying {spot})",
                    r.key
                ),
            ));
        }
        if a > upper + tol {
            return Err((
                Issue::AboveBound,
                format!(
                    "{} ask {ask} above the upper bound {upper:.4} (underlying {spot})",
                    r.key
                ),
            ));
        }
    }
    Ok((bid, ask))
}

/// Lower and upper no-arbitrage bounds of an option price, loose where the
/// rate and dividend yield are unknown (see [`ValidationRules`]).
fn bounds(
    right: OptionRight,
    style: ExerciseStyle,
    s: f64,
    k: f64,
    t: f64,
    rules: &ValidationRules,
) -> (f64, f64) {
    match (right, style) {
        // Immediate exercise: never worth less than intrinsic.
        (OptionRight::Call, ExerciseStyle::American) => ((s - k).max(0.0), s),
        (OptionRight::Put, ExerciseStyle::American) => ((k - s).max(0.0), k),
        (OptionRight::Call, ExerciseStyle::European) => {
            ((s * (-rules.max_dividend_yield * t).exp() - k).max(0.0), s)
        }
        (OptionRight::Put, ExerciseStyle::European) => {
            ((k * (-rules.max_rate * t).exp() - s).max(0.0), k)
        }
    }
}

/// IV and Greeks that survive the checks (cleared ones are counted).
fn check_analytics(
    r: &RawQuote,
    rules: &ValidationRules,
    report: &mut ValidationReport,
    file: &str,
    max_ex: usize,
) -> (Option<f64>, Option<QuoteGreeks>) {
    let loc = || format!("{file}:{}", r.line);
    let mut greeks = r.greeks;
    let iv = match r.iv {
        None => None,
        Some(v) if !v.is_finite() || v < 0.0 => {
            report.record(Issue::BadIv, loc, || format!("{} iv {v}", r.key), max_ex);
            greeks = None;
            None
        }
        Some(v) if v < rules.min_iv || v > rules.max_iv => {
            report.record(
                Issue::ImplausibleIv,
                loc,
                || {
                    format!(
                        "{} iv {v} outside {}..={}",
                        r.key, rules.min_iv, rules.max_iv
                    )
                },
                max_ex,
            );
            greeks = None;
            None
        }
        Some(v) => Some(v),
    };
    if let Some(g) = greeks
        && !g.is_finite()
    {
        report.record(
            Issue::BadGreeks,
            loc,
            || format!("{} greeks {g:?}", r.key),
            max_ex,
        );
        greeks = None;
    }
    (iv, greeks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn raw(
        strike: &str,
        right: OptionRight,
        bid: Option<&str>,
        ask: Option<&str>,
        line: u64,
    ) -> RawQuote {
        RawQuote {
            key: ContractKey::new(date(2024, 2, 16), strike.parse().unwrap(), right),
            bid: bid.map(|b| b.parse().unwrap()),
            ask: ask.map(|a| a.parse().unwrap()),
            last: None,
            volume: None,
            open_interest: None,
            iv: Some(0.2),
            greeks: Some(QuoteGreeks {
                delta: 0.5,
                ..QuoteGreeks::default()
            }),
            style: ExerciseStyle::American,
            line,
        }
    }

    #[test]
    fn each_bad_row_is_dropped_with_its_reason() {
        use OptionRight::{Call, Put};
        let rows = vec![
            (raw("100", Call, Some("1.00"), Some("1.10"), 2), None),
            (
                raw("100", Put, Some("1.20"), Some("1.10"), 3),
                Some(Issue::Crossed),
            ),
            (
                raw("101", Call, Some("0"), Some("0"), 4),
                Some(Issue::ZeroAsk),
            ),
            (
                raw("101", Put, None, Some("1.10"), 5),
                Some(Issue::MissingBid),
            ),
            (
                raw("102", Call, Some("1.00"), None, 6),
                Some(Issue::MissingAsk),
            ),
            (
                raw("102", Put, Some("-1"), Some("1"), 7),
                Some(Issue::NegativePrice),
            ),
            // Spot 100: a 60 call is worth at least 40.
            (
                raw("60", Call, Some("30"), Some("35"), 8),
                Some(Issue::BelowIntrinsic),
            ),
            // A 60 put can never be worth more than 60.
            (
                raw("60", Put, Some("0"), Some("70"), 9),
                Some(Issue::AboveBound),
            ),
            (
                raw("0", Put, Some("0"), Some("1"), 10),
                Some(Issue::BadStrike),
            ),
            (
                raw("100", Call, Some("1.00"), Some("1.10"), 11),
                Some(Issue::Duplicate),
            ),
            (raw("103", Call, Some("0"), Some("0.05"), 12), None),
        ];
        let mut report = ValidationReport::default();
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            rows.iter().map(|(r, _)| r.clone()).collect(),
            QuoteSource::Real,
            &ValidationRules::default(),
            "t.csv",
            &mut report,
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(report.kept, 2);
        for (r, want) in &rows {
            if let Some(issue) = want {
                assert!(
                    report.count(*issue) >= 1,
                    "line {}: {issue} not counted",
                    r.line
                );
            }
        }
        assert_eq!(report.dropped(), 9);
        let dup = report
            .examples()
            .iter()
            .find(|e| e.issue == Issue::Duplicate)
            .unwrap();
        assert_eq!(dup.location, "t.csv:11");
        assert!(dup.detail.contains("line 2"), "{}", dup.detail);
    }

    #[test]
    fn expired_and_zero_bid_policy() {
        let mut r = raw("100", OptionRight::Call, Some("0"), Some("0.05"), 2);
        r.key.expiry = date(2023, 12, 29);
        let mut report = ValidationReport::default();
        let rules = ValidationRules {
            skip_zero_bid: true,
            ..ValidationRules::default()
        };
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            vec![r.clone()],
            QuoteSource::Real,
            &rules,
            "f",
            &mut report,
        );
        assert!(kept.is_empty());
        assert_eq!(report.count(Issue::Expired), 1);
        r.key.expiry = date(2024, 1, 2); // expiring today is still tradeable
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            vec![r],
            QuoteSource::Real,
            &rules,
            "f",
            &mut report,
        );
        assert!(kept.is_empty());
        assert_eq!(report.count(Issue::ZeroBid), 1);
    }

    #[test]
    fn bad_iv_clears_iv_and_greeks_but_keeps_the_quote() {
        let mut nan = raw("100", OptionRight::Call, Some("1"), Some("1.1"), 2);
        nan.iv = Some(f64::NAN);
        let mut tiny = raw("100", OptionRight::Put, Some("1"), Some("1.1"), 3);
        tiny.iv = Some(1e-5);
        let mut inf_greek = raw("101", OptionRight::Put, Some("1"), Some("1.1"), 4);
        inf_greek.greeks = Some(QuoteGreeks {
            vega: f64::INFINITY,
            ..QuoteGreeks::default()
        });
        let mut report = ValidationReport::default();
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            vec![nan, tiny, inf_greek],
            QuoteSource::Real,
            &ValidationRules::default(),
            "f",
            &mut report,
        );
        assert_eq!(kept.len(), 3);
        assert!(kept[0].iv.is_none() && kept[0].greeks.is_none());
        assert!(kept[1].iv.is_none() && kept[1].greeks.is_none());
        assert_eq!(kept[2].iv, Some(0.2));
        assert!(kept[2].greeks.is_none());
        assert_eq!(report.count(Issue::BadIv), 1);
        assert_eq!(report.count(Issue::ImplausibleIv), 1);
        assert_eq!(report.count(Issue::BadGreeks), 1);
        assert_eq!(report.dropped(), 0);
    }

    #[test]
    fn reports_merge_counts_and_keep_the_example_limit() {
        let mut a = ValidationReport::default();
        let mut b = ValidationReport::default();
        for i in 0..3 {
            a.record(Issue::Crossed, || format!("a:{i}"), String::new, 2);
            b.record(Issue::Crossed, || format!("b:{i}"), String::new, 2);
        }
        b.record(Issue::ZeroAsk, || "b:9".into(), String::new, 2);
        b.rows = 4;
        a.merge(&b, 2);
        assert_eq!(a.count(Issue::Crossed), 6);
        assert_eq!(a.count(Issue::ZeroAsk), 1);
        assert_eq!(a.rows, 4);
        let locs: Vec<&str> = a.examples().iter().map(|e| e.location.as_str()).collect();
        assert_eq!(locs, vec!["a:0", "a:1", "b:9"]);
    }

    #[test]
    fn european_put_may_trade_below_spot_intrinsic() {
        // K=200, S=100, one year: K e^{-0.05} - S = 90.2 < 100 = K - S.
        let mut r = raw("200", OptionRight::Put, Some("90"), Some("91"), 2);
        r.key.expiry = date(2025, 1, 2);
        r.style = ExerciseStyle::European;
        let mut report = ValidationReport::default();
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            vec![r.clone()],
            QuoteSource::Real,
            &ValidationRules::default(),
            "f",
            &mut report,
        );
        assert_eq!(kept.len(), 1, "{report}");
        r.style = ExerciseStyle::American;
        let kept = validate_quotes(
            date(2024, 1, 2),
            Price::from_cents(10_000),
            vec![r],
            QuoteSource::Real,
            &ValidationRules::default(),
            "f",
            &mut report,
        );
        assert!(kept.is_empty());
        assert_eq!(report.count(Issue::BelowIntrinsic), 1);
    }
}
