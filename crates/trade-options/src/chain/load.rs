//! Reading real end-of-day chain files into validated [`ChainSnapshot`]s,
//! one per quote date and underlying, following a [`ChainFileSpec`].
//!
//! Any byte sequence is safe to feed in: the reader never panics, and a
//! file it cannot use yields a [`ChainError`] naming file, line and column.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use trade_core::fixed::SCALE;
use trade_core::{ExerciseStyle, OptionRight, Price, Symbol, Timestamp};

use super::error::ChainError;
use super::quote::{ContractKey, QuoteGreeks, QuoteSource};
use super::snapshot::ChainSnapshot;
use super::spec::{
    ChainFileSpec, ColumnRef, PerUnit, Resolved, RowPolicy, ThetaUnit, UnderlyingPrice, parse_date,
    symbol_of,
};
use super::validate::{Issue, RawQuote, ValidationReport, validate_quotes};

/// The snapshots of one file and what validation did to its rows.
#[derive(Debug, Clone)]
pub struct LoadedChains {
    /// One snapshot per (quote date, underlying), by date then symbol.
    pub snapshots: Vec<ChainSnapshot>,
    /// Rows read, kept, dropped by reason, with located examples.
    pub report: ValidationReport,
}

/// Loads a chain file whose underlying price comes from the file or the
/// spec.
///
/// # Errors
/// [`ChainError`] when the file cannot be read or does not match the spec
/// (missing column, unparseable field under `on_bad_row = "error"`), or
/// when the spec asks for `underlying_price = "external"`.
pub fn load_chain_file(path: &Path, spec: &ChainFileSpec) -> Result<LoadedChains, ChainError> {
    let bytes = read(path)?;
    read_chain_csv(&bytes, &path.display().to_string(), spec, None)
}

/// Loads a chain file whose underlying price is supplied per quote date
/// by `prices` (a close series from bars), for `underlying_price =
/// "external"`. Dates without a price count as
/// [`Issue::NoUnderlyingPrice`].
///
/// # Errors
/// As [`load_chain_file`].
pub fn load_chain_file_with_prices(
    path: &Path,
    spec: &ChainFileSpec,
    prices: &dyn Fn(Date) -> Option<Price>,
) -> Result<LoadedChains, ChainError> {
    let bytes = read(path)?;
    read_chain_csv(&bytes, &path.display().to_string(), spec, Some(prices))
}

fn read(path: &Path) -> Result<Vec<u8>, ChainError> {
    std::fs::read(path).map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Column indices resolved against one header.
#[derive(Debug, Default)]
struct Cols {
    underlying_symbol: Option<usize>,
    root: Option<usize>,
    quote_date: Option<usize>,
    expiry: usize,
    strike: usize,
    right: usize,
    style: Option<usize>,
    bid: usize,
    ask: usize,
    last: Option<usize>,
    volume: Option<usize>,
    open_interest: Option<usize>,
    iv: Option<usize>,
    greeks: Option<[usize; 5]>,
    underlying_a: Option<usize>,
    underlying_b: Option<usize>,
}

/// Rows of one (date, underlying) group before validation.
#[derive(Debug, Default)]
struct Group {
    raw: Vec<RawQuote>,
    underlying: Option<Price>,
}

/// Reads chain rows from CSV bytes. `file` names the source in errors and
/// examples; `prices` supplies the underlying for `"external"` specs.
///
/// # Errors
/// As [`load_chain_file`].
pub fn read_chain_csv(
    bytes: &[u8],
    file: &str,
    spec: &ChainFileSpec,
    prices: Option<&dyn Fn(Date) -> Option<Price>>,
) -> Result<LoadedChains, ChainError> {
    let plan = spec.resolve()?;
    if matches!(plan.underlying_price, UnderlyingPrice::External) && prices.is_none() {
        return Err(ChainError::Spec(
            "underlying_price = \"external\" needs prices from the caller (load_chain_file_with_prices)".into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ChainError::Empty { file: file.into() });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(plan.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| malformed(file, 1, e.to_string()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let cols = resolve_columns(&plan, &header, file)?;
    let mut report = ValidationReport::default();
    let max_ex = plan.validation.examples_per_issue;
    let mut groups: BTreeMap<(Date, Symbol), Group> = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line_before = rdr.position().line();
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line_before, csv::Position::line);
                // The tokenizer cannot resume reliably after an error.
                return Err(malformed(file, line, e.to_string()));
            }
        }
        let line = record
            .position()
            .map_or(line_before, |p| record_line(bytes, p));
        report.rows += 1;
        let row = Row {
            rec: &record,
            header: &header,
            file,
            line,
        };
        match parse_row(&row, &plan, &cols) {
            Ok(Parsed::Filtered) => report.filtered += 1,
            Ok(Parsed::Quote {
                date,
                underlying,
                price,
                raw,
            }) => {
                let g = groups.entry((date, underlying)).or_default();
                if g.underlying.is_none() {
                    g.underlying = price;
                }
                g.raw.push(*raw);
            }
            Err(e) => match plan.on_bad_row {
                RowPolicy::Error => return Err(e),
                RowPolicy::Skip => report.record(
                    Issue::Malformed,
                    || format!("{file}:{line}"),
                    || e.to_string(),
                    max_ex,
                ),
            },
        }
    }
    if report.rows == 0 {
        return Err(ChainError::NoRows { file: file.into() });
    }
    let ny = TimeZone::get("America/New_York").map_err(|e| ChainError::Spec(e.to_string()))?;
    let mut snapshots = Vec::with_capacity(groups.len());
    for ((date, underlying), g) in groups {
        let spot = match &plan.underlying_price {
            UnderlyingPrice::Fixed(p) => Some(*p),
            UnderlyingPrice::External => prices.and_then(|f| f(date)),
            UnderlyingPrice::Parity => implied_by_parity(date, &g.raw),
            UnderlyingPrice::Column(_) | UnderlyingPrice::Mid { .. } => g.underlying,
        }
        .filter(|p| *p > Price::ZERO);
        let Some(spot) = spot else {
            for r in &g.raw {
                report.record(
                    Issue::NoUnderlyingPrice,
                    || format!("{file}:{}", r.line),
                    || format!("no underlying price for {underlying} on {date}"),
                    max_ex,
                );
            }
            continue;
        };
        let ts = quote_instant(date, &plan, &ny).ok_or_else(|| {
            ChainError::Spec(format!("quote time of {date} is not representable"))
        })?;
        let quotes = validate_quotes(
            date,
            spot,
            g.raw,
            QuoteSource::Real,
            &plan.validation,
            file,
            &mut report,
        );
        // Validation removed duplicates and kept only positive spots, so
        // building the snapshot cannot fail; the error path stays honest.
        let snap = ChainSnapshot::new(underlying, date, ts, spot, quotes)
            .map_err(|e| ChainError::Spec(e.to_string()))?;
        snapshots.push(snap);
    }
    Ok(LoadedChains { snapshots, report })
}

/// The 1-based line a record starts on. With CRLF endings the csv reader
/// reports the position of the `\n` that ends the previous line; skip
/// line ends so the number names the row itself.
fn record_line(bytes: &[u8], pos: &csv::Position) -> u64 {
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    let newlines = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|&&b| b == b'\n')
        .count();
    pos.line() + newlines as u64
}

fn malformed(file: &str, line: u64, message: String) -> ChainError {
    ChainError::Malformed {
        file: file.into(),
        line,
        message,
    }
}

fn resolve_columns(plan: &Resolved, header: &[String], file: &str) -> Result<Cols, ChainError> {
    let find = |role: &'static str, c: &Option<ColumnRef>| -> Result<Option<usize>, ChainError> {
        let Some(c) = c else { return Ok(None) };
        match header.iter().position(|h| h == &c.name) {
            Some(i) => Ok(Some(i)),
            None if !c.required => Ok(None),
            None => Err(ChainError::MissingColumn {
                file: file.into(),
                role,
                wanted: c.name.clone(),
                available: header.to_vec(),
            }),
        }
    };
    let need = |role: &'static str, c: &Option<ColumnRef>| -> Result<usize, ChainError> {
        find(role, c)?.ok_or_else(|| ChainError::MissingColumn {
            file: file.into(),
            role,
            wanted: c.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            available: header.to_vec(),
        })
    };
    let named = |role: &'static str, name: &str| -> Result<usize, ChainError> {
        need(
            role,
            &Some(ColumnRef {
                name: name.to_string(),
                required: true,
            }),
        )
    };
    let p = &plan.columns;
    if plan.underlying.is_none() {
        // The preset's symbol column is optional; without `underlying` in
        // the spec it is the only name the rows can have.
        need("underlying_symbol", &p.underlying_symbol)?;
    }
    let greeks = [
        find("delta", &p.delta)?,
        find("gamma", &p.gamma)?,
        find("vega", &p.vega)?,
        find("theta", &p.theta)?,
        find("rho", &p.rho)?,
    ];
    let (underlying_a, underlying_b) = match &plan.underlying_price {
        UnderlyingPrice::Column(c) => (Some(named("underlying_price", c)?), None),
        UnderlyingPrice::Mid { bid, ask } => (
            Some(named("underlying_bid", bid)?),
            Some(named("underlying_ask", ask)?),
        ),
        _ => (None, None),
    };
    Ok(Cols {
        underlying_symbol: find("underlying_symbol", &p.underlying_symbol)?,
        root: find("root", &p.root)?,
        quote_date: find("quote_date", &p.quote_date)?,
        expiry: need("expiry", &p.expiry)?,
        strike: need("strike", &p.strike)?,
        right: need("right", &p.right)?,
        style: find("style", &p.style)?,
        bid: need("bid", &p.bid)?,
        ask: need("ask", &p.ask)?,
        last: find("last", &p.last)?,
        volume: find("volume", &p.volume)?,
        open_interest: find("open_interest", &p.open_interest)?,
        iv: find("iv", &p.iv)?,
        // All five or none: a partial set would leave zeros that look
        // like real Greeks.
        greeks: match greeks {
            [Some(a), Some(b), Some(c), Some(d), Some(e)] => Some([a, b, c, d, e]),
            _ => None,
        },
        underlying_a,
        underlying_b,
    })
}

/// One record with what is needed to name its fields in errors.
struct Row<'a> {
    rec: &'a csv::ByteRecord,
    header: &'a [String],
    file: &'a str,
    line: u64,
}

impl Row<'_> {
    fn column(&self, i: usize) -> String {
        self.header
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    }

    fn err(&self, i: usize, expected: &str, found: &str) -> ChainError {
        ChainError::Field {
            file: self.file.into(),
            line: self.line,
            column: self.column(i),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// The field's text, trimmed.
    fn text(&self, i: usize) -> Result<&str, ChainError> {
        let raw = self.rec.get(i).ok_or_else(|| {
            malformed(
                self.file,
                self.line,
                format!(
                    "{} fields, the header has {} (no column {:?})",
                    self.rec.len(),
                    self.header.len(),
                    self.column(i)
                ),
            )
        })?;
        std::str::from_utf8(raw)
            .map(str::trim)
            .map_err(|_| self.err(i, "UTF-8 text", &String::from_utf8_lossy(raw)))
    }

    /// A price; `None` for an empty or not-a-number marker.
    fn opt_price(&self, i: usize) -> Result<Option<Price>, ChainError> {
        let t = self.text(i)?;
        if is_blank(t) {
            return Ok(None);
        }
        t.parse::<Price>()
            .map(Some)
            .map_err(|_| self.err(i, "a decimal number such as 12.35", t))
    }

    /// A whole non-negative count (volume, open interest); `4.0` is 4.
    fn opt_count(&self, i: usize) -> Result<Option<u64>, ChainError> {
        let t = self.text(i)?;
        if is_blank(t) {
            return Ok(None);
        }
        let bad = || self.err(i, "a whole number >= 0", t);
        let raw = trade_core::fixed::parse_raw(t).map_err(|_| bad())?;
        if raw < 0 || raw % SCALE != 0 {
            return Err(bad());
        }
        Ok(Some((raw / SCALE) as u64))
    }

    /// A float analytic; `NaN`/`inf` are kept for validation to count.
    fn opt_f64(&self, i: usize) -> Result<Option<f64>, ChainError> {
        let t = self.text(i)?;
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<f64>()
            .map(Some)
            .map_err(|_| self.err(i, "a number", t))
    }
}

/// Empty fields and the usual "no value" markers.
fn is_blank(t: &str) -> bool {
    t.is_empty()
        || t.eq_ignore_ascii_case("nan")
        || t.eq_ignore_ascii_case("null")
        || t.eq_ignore_ascii_case("na")
        || t.eq_ignore_ascii_case("n/a")
}

enum Parsed {
    Filtered,
    Quote {
        date: Date,
        underlying: Symbol,
        price: Option<Price>,
        raw: Box<RawQuote>,
    },
}

fn parse_row(row: &Row<'_>, plan: &Resolved, cols: &Cols) -> Result<Parsed, ChainError> {
    if row.rec.len() != row.header.len() {
        return Err(malformed(
            row.file,
            row.line,
            format!(
                "{} fields, the header has {}",
                row.rec.len(),
                row.header.len()
            ),
        ));
    }
    let column_symbol = match cols.underlying_symbol {
        Some(i) => Some(row.text(i)?),
        None => None,
    };
    if let (Some(want), Some(have)) = (&plan.underlying_filter, column_symbol)
        && !have
            .trim_start_matches('^')
            .eq_ignore_ascii_case(want.trim_start_matches('^'))
    {
        return Ok(Parsed::Filtered);
    }
    if let (Some(roots), Some(i)) = (&plan.roots, cols.root) {
        let root = row.text(i)?;
        if !roots.iter().any(|r| r.trim().eq_ignore_ascii_case(root)) {
            return Ok(Parsed::Filtered);
        }
    }
    let underlying = match (&plan.underlying, column_symbol, cols.underlying_symbol) {
        (Some(u), _, _) => u.clone(),
        (None, Some(t), Some(i)) => {
            symbol_of(t).ok_or_else(|| row.err(i, "an underlying symbol such as SPY", t))?
        }
        // resolve() guarantees one of the two.
        _ => return Err(ChainError::Spec("no underlying symbol".into())),
    };
    let date = match (plan.quote_date, cols.quote_date) {
        (Some(d), _) => d,
        (None, Some(i)) => {
            let t = row.text(i)?;
            parse_date(&plan.date_format, t)
                .ok_or_else(|| row.err(i, "a quote date (see date_format)", t))?
        }
        (None, None) => return Err(ChainError::Spec("no quote date".into())),
    };
    let t = row.text(cols.expiry)?;
    let expiry = parse_date(&plan.expiry_format, t)
        .ok_or_else(|| row.err(cols.expiry, "an expiry date (see expiry_format)", t))?;
    let t = row.text(cols.strike)?;
    let strike = t
        .parse::<Price>()
        .ok()
        .and_then(|p| {
            let d = i64::from(plan.strike_divisor);
            (p.raw() % d == 0).then(|| Price::from_raw(p.raw() / d))
        })
        .ok_or_else(|| row.err(cols.strike, "a strike price such as 450 or 452.5", t))?;
    let t = row.text(cols.right)?;
    let right = if plan
        .rights
        .call
        .iter()
        .any(|c| c.trim().eq_ignore_ascii_case(t))
    {
        OptionRight::Call
    } else if plan
        .rights
        .put
        .iter()
        .any(|c| c.trim().eq_ignore_ascii_case(t))
    {
        OptionRight::Put
    } else {
        return Err(row.err(
            cols.right,
            &format!(
                "a call code {:?} or a put code {:?}",
                plan.rights.call, plan.rights.put
            ),
            t,
        ));
    };
    let style = match cols.style {
        None => plan.style,
        Some(i) => {
            let t = row.text(i)?;
            match t.to_ascii_uppercase().as_str() {
                "A" | "AMERICAN" => ExerciseStyle::American,
                "E" | "EUROPEAN" => ExerciseStyle::European,
                "" => plan.style,
                _ => return Err(row.err(i, "an exercise style A or E", t)),
            }
        }
    };
    let opt = |c: Option<usize>, f: &dyn Fn(usize) -> Result<Option<f64>, ChainError>| match c {
        Some(i) => f(i),
        None => Ok(None),
    };
    let greeks = match cols.greeks {
        None => None,
        Some([d, g, v, th, r]) => {
            let vals = [
                row.opt_f64(d)?,
                row.opt_f64(g)?,
                row.opt_f64(v)?,
                row.opt_f64(th)?,
                row.opt_f64(r)?,
            ];
            match vals {
                [Some(delta), Some(gamma), Some(vega), Some(theta), Some(rho)] => {
                    let per = |u: PerUnit| match u {
                        PerUnit::PerOne => 1.0,
                        PerUnit::PerPoint => 100.0,
                    };
                    let gu = plan.greek_units;
                    Some(QuoteGreeks {
                        delta,
                        gamma,
                        vega: vega * per(gu.vega),
                        theta: theta
                            * match gu.theta {
                                ThetaUnit::PerYear => 1.0,
                                ThetaUnit::PerDay => 365.0,
                            },
                        rho: rho * per(gu.rho),
                    })
                }
                _ => None,
            }
        }
    };
    let mut iv = opt(cols.iv, &|i| row.opt_f64(i))?;
    // Vendors write 0 for "not computed" (the Cboe calcs of deep
    // in-the-money rows): that is no IV, and then the Greeks beside it
    // are placeholders too.
    let mut greeks = greeks;
    if iv == Some(0.0) {
        iv = None;
        if greeks.is_some_and(|g| g.delta == 0.0 && g.gamma == 0.0 && g.vega == 0.0) {
            greeks = None;
        }
    }
    let price = match (cols.underlying_a, cols.underlying_b) {
        (Some(a), None) => row.opt_price(a)?,
        (Some(a), Some(b)) => match (row.opt_price(a)?, row.opt_price(b)?) {
            (Some(x), Some(y)) if x > Price::ZERO && y >= x => Some(Price::from_raw(
                ((i128::from(x.raw()) + i128::from(y.raw())) / 2) as i64,
            )),
            _ => None,
        },
        _ => None,
    };
    let raw = RawQuote {
        key: ContractKey::new(expiry, strike, right),
        bid: row.opt_price(cols.bid)?,
        ask: row.opt_price(cols.ask)?,
        last: match cols.last {
            Some(i) => row.opt_price(i)?.filter(|p| *p > Price::ZERO),
            None => None,
        },
        volume: match cols.volume {
            Some(i) => row.opt_count(i)?,
            None => None,
        },
        open_interest: match cols.open_interest {
            Some(i) => row.opt_count(i)?,
            None => None,
        },
        iv,
        greeks,
        style,
        line: row.line,
    };
    Ok(Parsed::Quote {
        date,
        underlying,
        price,
        raw: Box::new(raw),
    })
}

/// The snapshot instant of a quote date.
fn quote_instant(date: Date, plan: &Resolved, ny: &TimeZone) -> Option<Timestamp> {
    use super::spec::QuoteTime;
    let (h, m) = match plan.quote_time {
        QuoteTime::Close => {
            if let Ok(Some(s)) = trade_calendar::Nyse.session(date) {
                return Some(s.close);
            }
            (16, 0)
        }
        QuoteTime::At { hour, minute } => (hour, minute),
    };
    let zoned = date.at(h, m, 0, 0).to_zoned(ny.clone()).ok()?;
    Timestamp::from_jiff(zoned.timestamp())
}

/// The underlying implied by put-call parity (see
/// [`UnderlyingPrice::Parity`]): nearest expiry at least one day out (the
/// same-day expiry if nothing else is quoted), strike where the two-sided
/// call and put mids are closest.
fn implied_by_parity(date: Date, raw: &[RawQuote]) -> Option<Price> {
    use super::snapshot::days_between;
    let two_sided = |r: &&RawQuote| match (r.bid, r.ask) {
        (Some(b), Some(a)) => b > Price::ZERO && a >= b,
        _ => false,
    };
    let expiry = raw
        .iter()
        .filter(two_sided)
        .map(|r| r.key.expiry)
        .filter(|&e| days_between(date, e) >= 1)
        .min()
        .or_else(|| {
            raw.iter()
                .filter(two_sided)
                .map(|r| r.key.expiry)
                .filter(|&e| days_between(date, e) >= 0)
                .min()
        })?;
    let mut calls: BTreeMap<Price, i128> = BTreeMap::new();
    let mut puts: BTreeMap<Price, i128> = BTreeMap::new();
    for r in raw
        .iter()
        .filter(two_sided)
        .filter(|r| r.key.expiry == expiry)
    {
        let (Some(b), Some(a)) = (r.bid, r.ask) else {
            continue;
        };
        let mid2 = i128::from(b.raw()) + i128::from(a.raw()); // 2 x mid
        match r.key.right {
            OptionRight::Call => calls.entry(r.key.strike).or_insert(mid2),
            OptionRight::Put => puts.entry(r.key.strike).or_insert(mid2),
        };
    }
    let (k, c2, p2) = calls
        .iter()
        .filter_map(|(k, c)| puts.get(k).map(|p| (*k, *c, *p)))
        .min_by_key(|&(k, c, p)| ((c - p).abs(), k))?;
    let s = i128::from(k.raw()) + (c2 - p2) / 2;
    i64::try_from(s).ok().map(Price::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn spec() -> ChainFileSpec {
        toml::from_str(
            r#"
            underlying = "SPY"
            underlying_price = { column = "spot" }
            [columns]
            quote_date = "date"
            expiry = "exp"
            strike = "strike"
            right = "cp"
            bid = "bid"
            ask = "ask"
            iv = "iv"
            "#,
        )
        .unwrap()
    }

    const HEADER: &str = "date,exp,strike,cp,bid,ask,iv,spot\n";

    #[test]
    fn groups_by_date_and_validates() {
        let csv = format!(
            "{HEADER}2024-01-02,2024-02-16,470,C,5.00,5.10,0.15,470.5\n\
             2024-01-02,2024-02-16,470,P,4.50,4.60,0.16,470.5\n\
             2024-01-03,2024-02-16,470,C,4.00,3.90,0.15,468\n\
             2024-01-03,2024-02-16,465,P,3.00,3.10,NaN,468\n"
        );
        let out = read_chain_csv(csv.as_bytes(), "mem.csv", &spec(), None).unwrap();
        assert_eq!(out.snapshots.len(), 2);
        assert_eq!(out.snapshots[0].len(), 2);
        assert_eq!(
            out.snapshots[0].underlying_price(),
            "470.5".parse().unwrap()
        );
        assert_eq!(out.snapshots[1].len(), 1);
        assert_eq!(out.report.count(Issue::Crossed), 1);
        assert_eq!(out.report.count(Issue::BadIv), 1);
        assert_eq!(out.report.rows, 4);
        let crossed = out
            .report
            .examples()
            .iter()
            .find(|e| e.issue == Issue::Crossed)
            .unwrap();
        assert_eq!(crossed.location, "mem.csv:4");
        // 2024-01-02 is a full session: the snapshot is stamped at 16:00 New York.
        assert_eq!(out.snapshots[0].ts().to_string(), "2024-01-02T21:00:00Z");
    }

    #[test]
    fn errors_name_file_line_column_and_expectation() {
        let csv = format!("{HEADER}2024-01-02,2024-02-16,abc,C,5.00,5.10,0.15,470.5\n");
        let err = read_chain_csv(csv.as_bytes(), "mem.csv", &spec(), None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("mem.csv:2: column \"strike\": expected a strike price"),
            "{msg}"
        );
        assert!(msg.contains("\"abc\""), "{msg}");

        let csv = format!("{HEADER}2024-01-02,2024-02-16,470,X,5.00,5.10,0.15,470.5\n");
        let msg = read_chain_csv(csv.as_bytes(), "mem.csv", &spec(), None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("column \"cp\"") && msg.contains("call code"),
            "{msg}"
        );

        let csv = format!("{HEADER}2024-01-02,2024-02-16,470,C\n");
        let msg = read_chain_csv(csv.as_bytes(), "mem.csv", &spec(), None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("mem.csv:2: 4 fields, the header has 8"),
            "{msg}"
        );

        let msg = read_chain_csv(b"date,exp,spot\n", "mem.csv", &spec(), None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no column \"strike\" for strike"), "{msg}");

        let msg = read_chain_csv(b"", "mem.csv", &spec(), None)
            .unwrap_err()
            .to_string();
        let cboe = ChainFileSpec::preset(crate::chain::Preset::CboeEod);
        let msg2 = read_chain_csv(
            b"quote_date,expiration,strike,option_type,bid_eod,ask_eod,underlying_bid_eod,underlying_ask_eod\n",
            "nosym.csv",
            &cboe,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg2.contains("no column \"underlying_symbol\" for underlying_symbol"),
            "{msg2}"
        );
        assert!(msg.contains("empty file"), "{msg}");
    }

    #[test]
    fn skip_policy_counts_malformed_rows() {
        let mut s = spec();
        s.on_bad_row = Some(RowPolicy::Skip);
        let csv = format!(
            "{HEADER}2024-01-02,2024-02-16,abc,C,5.00,5.10,0.15,470.5\n\
             2024-01-02,2024-02-16,470,C,5.00,5.10,0.15,470.5\n"
        );
        let out = read_chain_csv(csv.as_bytes(), "m", &s, None).unwrap();
        assert_eq!(out.report.count(Issue::Malformed), 1);
        assert_eq!(out.snapshots[0].len(), 1);
    }

    #[test]
    fn parity_recovers_the_underlying() {
        // Mids: call 3.065, put 2.965 at 646 (real SPY quotes of 2025-08-26
        // for 2025-08-29): S = 646 + 0.10.
        let mk = |strike: &str, right, bid: &str, ask: &str| RawQuote {
            key: ContractKey::new(date(2025, 8, 29), strike.parse().unwrap(), right),
            bid: Some(bid.parse().unwrap()),
            ask: Some(ask.parse().unwrap()),
            last: None,
            volume: None,
            open_interest: None,
            iv: None,
            greeks: None,
            style: ExerciseStyle::American,
            line: 0,
        };
        let raw = vec![
            mk("646", OptionRight::Call, "3.05", "3.08"),
            mk("646", OptionRight::Put, "2.95", "2.98"),
            mk("640", OptionRight::Call, "7.50", "7.60"),
            mk("640", OptionRight::Put, "1.20", "1.22"),
        ];
        assert_eq!(
            implied_by_parity(date(2025, 8, 26), &raw),
            Some("646.10".parse().unwrap())
        );
    }
}
