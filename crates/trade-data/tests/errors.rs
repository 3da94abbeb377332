//! Broken and unusual inputs: every problem located and named, never a
//! panic.

mod common;

use common::{TempDir, temp_spec};
use proptest::prelude::*;
use trade_core::InstrumentId;
use trade_data::{
    BarFileSpec, ColumnSel, DataError, Interval, Policy, ProblemKind, check_file, load_bars,
};

const GOOD: &str = "date,open,high,low,close,volume\n\
    2024-01-02,10,11,9,10.5,100\n\
    2024-01-03,10.5,11.5,10,11,200\n\
    2024-01-04,11,12,10.5,11.5,300\n";

/// [`GOOD`] with each date rewritten and the header's first column renamed.
fn with_dates(header: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for (i, line) in GOOD.lines().enumerate() {
        let (first, rest) = line.split_once(',').unwrap();
        let first = if i == 0 { header.to_string() } else { f(first) };
        out.push_str(&format!("{first},{rest}\n"));
    }
    out
}

fn load_text(name: &str, text: &str) -> Result<trade_data::LoadedBars, DataError> {
    let dir = TempDir::new("err");
    load_bars(&temp_spec(&dir.file(name, text)), InstrumentId(0))
}

fn error_text(name: &str, text: &str) -> String {
    load_text(name, text)
        .map(|l| format!("unexpectedly loaded {} bars", l.bars.len()))
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn broken_files_table() {
    // (case, file text, expected fragment of the error after the path)
    let cases: &[(&str, &str, &str)] = &[
        ("empty file", "", ": the file is empty"),
        ("only blank lines", "\n\n  \n", ": the file is empty"),
        (
            "header only",
            "date,open,high,low,close,volume\n",
            ": no data rows after the header",
        ),
        (
            "truncated last line",
            "date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,11",
            ":3: expected 6 fields like the header, found 3",
        ),
        (
            "duplicate timestamp",
            "date,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1\n2024-01-03,1,1,1,1\n",
            ":4: duplicate timestamp 2024-01-03 (same as line/row 3)",
        ),
        (
            "unsorted",
            "date,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-04,1,1,1,1\n2024-01-03,1,1,1,1\n2024-01-05,1,1,1,1\n",
            ":4: row out of order: the file is ascending up to line/row 3",
        ),
        (
            "unsorted newest first",
            "date,open,high,low,close\n2024-01-05,1,1,1,1\n2024-01-04,1,1,1,1\n2024-01-08,1,1,1,1\n",
            ":4: row out of order: the file is descending",
        ),
        (
            "bad number",
            "Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n2024-01-03,1,abc,1,1\n",
            ":3: column \"High\": expected a decimal number, found \"abc\"",
        ),
        (
            "NaN",
            "date,open,high,low,close\n2024-01-02,1,NaN,1,1\n",
            ":2: column \"high\": expected a decimal number, found \"NaN\"",
        ),
        (
            "inf",
            "date,open,high,low,close\n2024-01-02,1,1,1,inf\n",
            ":2: column \"close\": expected a decimal number, found \"inf\"",
        ),
        (
            "empty price",
            "date,open,high,low,close\n2024-01-02,1,,1,1\n",
            ":2: column \"high\": empty value",
        ),
        (
            "zero price",
            "date,open,high,low,close\n2024-01-02,0,1,0,1\n",
            ":2: price must be positive, found \"0.00\"",
        ),
        (
            "negative price",
            "date,open,high,low,close\n2024-01-02,-1,1,-1,1\n",
            ":2: price must be positive, found \"-1.00\"",
        ),
        (
            "high below low",
            "date,open,high,low,close\n2024-01-02,1,1,2,1\n",
            ":2: inconsistent OHLC: high is below open, close or low",
        ),
        (
            "negative volume",
            "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,-5\n",
            ":2: column \"volume\": expected a non-negative whole number, found \"-5\"",
        ),
        (
            "bad date",
            "date,open,high,low,close\n2024-02-30,1,1,1,1\n",
            ":2: column \"date\": expected a date or date-time",
        ),
        (
            "mixed shapes",
            "date,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-03 10:00,1,1,1,1\n",
            ":3: column \"date\": expected a date without time, like line 2",
        ),
        (
            "closed day",
            "date,open,high,low,close\n2024-03-28,1,1,1,1\n2024-03-29,1,1,1,1\n",
            ":3: 2024-03-29 is not a trading session (exchange closed: Good Friday)",
        ),
        (
            "weekend",
            "date,open,high,low,close\n2024-01-06,1,1,1,1\n",
            ":2: 2024-01-06 is not a trading session (exchange closed)",
        ),
        (
            "no timestamp column",
            "when,open,high,low,close\nx,1,1,1,1\n",
            ":1: no timestamp column found (set columns.timestamp); available columns: \"when\", \"open\"",
        ),
        (
            "several symbols",
            "ticker,date,open,high,low,close\nAAPL,2024-01-02,1,1,1,1\nMSFT,2024-01-02,1,1,1,1\n",
            ":3: column \"ticker\": the file holds several symbols (AAPL, MSFT); set `symbol` to choose one",
        ),
        (
            "one intraday bar",
            "datetime,open,high,low,close\n2024-01-02 10:00,1,1,1,1\n",
            ": cannot detect the bar interval",
        ),
        (
            "invalid utf-8 in a field",
            "date,open,high,low,close\n2024-01-02,\u{fffd}1,1,1,1\n",
            ":2: column \"open\": expected a decimal number",
        ),
    ];
    for (name, text, want) in cases {
        let got = error_text("f.csv", text);
        assert!(
            got.contains(&format!("f.csv{want}")),
            "case {name}:\n  got:  {got}\n  want: f.csv{want}"
        );
    }
}

#[test]
fn missing_file_names_the_path() {
    let path = std::env::temp_dir().join("trade-data-no-such-dir/nothing-here.csv");
    let e = load_bars(&BarFileSpec::new(&path), InstrumentId(0)).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot read:", path.display())),
        "{e}"
    );
    let r = check_file(&BarFileSpec::new(&path));
    assert!(
        !r.is_ok() && r.render(5).contains("nothing-here.csv: cannot read"),
        "{}",
        r.render(5)
    );
}

#[test]
fn wrong_column_name_lists_available_columns() {
    let dir = TempDir::new("col");
    let mut s = temp_spec(&dir.file(
        "y.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n",
    ));
    s.columns.close = ColumnSel::Name("Adj Clse".into());
    let e = load_bars(&s, InstrumentId(0)).unwrap_err().to_string();
    assert!(
        e.ends_with(r#"y.csv:1: close column "Adj Clse" not found; available columns: "Date", "Open", "High", "Low", "Close", "Adj Close", "Volume""#),
        "{e}"
    );
    s.columns.close = ColumnSel::Index(9);
    let e = load_bars(&s, InstrumentId(0)).unwrap_err().to_string();
    assert!(e.contains("close column \"#9\" not found"), "{e}");
}

#[test]
fn check_file_collects_every_problem() {
    let text = "date,open,high,low,close,volume\n\
        2024-01-02,1,1,1,1,1\n\
        2024-01-03,1,x,1,1,1\n\
        2024-01-03,1,1,1,1,1\n\
        2024-01-06,1,1,1,1,1\n\
        2024-01-08,1,1,2,1,-1\n\
        2024-01-09,1,1,1\n\
        2024-01-10,1,2,1,1.5,1\n";
    let dir = TempDir::new("all");
    let r = check_file(&temp_spec(&dir.file("many.csv", text)));
    let mut lines: Vec<u64> = r.errors().filter_map(|p| p.line()).collect();
    lines.sort_unstable();
    // x (3), -1 volume (6), short line (7), duplicate (4: 2024-01-03 of line 3 was
    // not parsed, so line 4 is the first 2024-01-03 - no duplicate), Saturday (5).
    assert_eq!(lines, vec![3, 5, 6, 7], "{}", r.render(20));
    assert_eq!(r.rows, 7);
    assert!(r.render(20).contains("errors (4)"), "{}", r.render(20));
}

#[test]
fn policies_for_closed_days_and_bad_prices() {
    let text = "date,open,high,low,close,volume\n2024-03-28,1,1,1,1,0\n2024-03-29,1,1,1,1,0\n2024-04-01,1,1,2,1,0\n2024-04-02,1,1,1,1,0\n";
    let dir = TempDir::new("pol");
    let path = dir.file("p.csv", text);
    // (case, on_non_session, on_bad_ohlc, bars kept, warnings)
    let cases = [
        ("warn both", Policy::Warn, Policy::Warn, 4, 2),
        ("drop both", Policy::Drop, Policy::Drop, 2, 2),
        ("warn closed, drop bad", Policy::Warn, Policy::Drop, 3, 2),
    ];
    for (name, ns, bad, kept, warnings) in cases {
        let mut s = temp_spec(&path);
        s.on_non_session = ns;
        s.on_bad_ohlc = bad;
        let l = load_bars(&s, InstrumentId(0)).unwrap_or_else(|e| panic!("case {name}: {e}"));
        assert_eq!(l.bars.len(), kept, "case {name}");
        assert_eq!(l.warnings.len(), warnings, "case {name}: {:?}", l.warnings);
        if ns == Policy::Warn {
            // The kept closed-day bar is stamped 16:00 New York and listed.
            assert!(
                l.bars
                    .iter()
                    .any(|b| b.ts.to_string() == "2024-03-29T20:00:00Z"),
                "case {name}"
            );
            assert_eq!(
                l.gaps.non_session_dates,
                vec![jiff::civil::date(2024, 3, 29)],
                "case {name}"
            );
        }
    }
}

#[test]
fn unusual_but_valid_shapes() {
    let dir = TempDir::new("shapes");
    let reference = load_bars(&temp_spec(&dir.file("ref.csv", GOOD)), InstrumentId(0))
        .unwrap()
        .bars;
    // (case, text, spec tweak)
    type Tweak = fn(&mut BarFileSpec);
    let cases: Vec<(&str, String, Tweak)> = vec![
        ("crlf", GOOD.replace('\n', "\r\n"), |_| {}),
        ("bom", format!("\u{feff}{GOOD}"), |_| {}),
        ("no trailing newline", GOOD.trim_end().to_string(), |_| {}),
        (
            "blank lines",
            GOOD.replace("\n2024-01-03", "\n\n2024-01-03"),
            |_| {},
        ),
        (
            "quoted fields",
            GOOD.replace("10.5,11.5", "\"10.5\",\"11.5\"")
                .replace("date", "\"date\""),
            |_| {},
        ),
        ("semicolons", GOOD.replace(',', ";"), |s| s.delimiter = ';'),
        ("spaces around", GOOD.replace(',', " , "), |_| {}),
        (
            "headerless",
            GOOD.lines().skip(1).map(|l| format!("{l}\n")).collect(),
            |s| s.header = false,
        ),
        (
            "newest first",
            {
                let mut l: Vec<&str> = GOOD.lines().collect();
                l[1..].reverse();
                l.join("\n")
            },
            |_| {},
        ),
        (
            "us dates",
            with_dates("date", |d| format!("{}/{}/{}", &d[6..7], &d[9..], &d[..4])),
            |_| {},
        ),
        (
            "pattern",
            with_dates("date", |d| format!("{}.{}.{}", &d[8..], &d[5..7], &d[..4])),
            |s| {
                s.timestamp_format = trade_data::TimestampFormat::Pattern("%d.%m.%Y".into());
            },
        ),
        (
            "midnight datetimes",
            with_dates("date", |d| format!("{d} 00:00:00")),
            |_| {},
        ),
        (
            "date and time columns",
            with_dates("Date,Time", |d| format!("{d},00:00")),
            |_| {},
        ),
        ("float volume", GOOD.replace(",100\n", ",100.0\n"), |_| {}),
    ];
    for (name, text, tweak) in cases {
        let mut s = temp_spec(&dir.file(&format!("{}.csv", name.replace(' ', "_")), &text));
        tweak(&mut s);
        match load_bars(&s, InstrumentId(0)) {
            Ok(l) => assert_eq!(l.bars, reference, "case {name}:\n{text}"),
            Err(e) => panic!("case {name}: {e}\n{text}"),
        }
    }
}

#[test]
fn symbol_filter_and_epoch_intraday() {
    let dir = TempDir::new("sym");
    let text = "ticker,date,open,high,low,close\nAAPL,2024-01-02,1,1,1,1\nMSFT,2024-01-02,2,2,2,2\naapl,2024-01-03,3,3,3,3\n";
    let mut s = temp_spec(&dir.file("q.csv", text));
    s.symbol = Some("AAPL".into());
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert_eq!((l.rows, l.bars.len()), (2, 2));
    let mut s = temp_spec(&dir.file("n.csv", GOOD));
    s.symbol = Some("AAPL".into());
    assert!(
        load_bars(&s, InstrumentId(0))
            .unwrap_err()
            .to_string()
            .contains("no symbol/ticker column")
    );

    // TradingView style: epoch seconds (UTC), 5-minute bars labelled by start.
    let text = "time,open,high,low,close,Volume\n1704205800,1,1,1,1,\n1704206100,1,1,1,1,\n1704206400,1,1,1,1,\n";
    let mut s = temp_spec(&dir.file("tv.csv", text));
    s.columns.volume = ColumnSel::Off;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert_eq!(l.interval, Interval::Seconds(300));
    assert_eq!(l.first.to_string(), "2024-01-02T14:35:00Z"); // 09:30 New York + 5 min
    assert!(l.warnings.iter().any(|w| w.kind == ProblemKind::NoVolume));
    assert_eq!(
        l.gaps.per_session.first().map(|s| (s.expected, s.present)),
        Some((78, 3))
    );
}

fn arb_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,12}",
        "-?[0-9]{0,6}\\.[0-9]{0,12}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?",
        "[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}",
        "\\PC{0,12}",
        Just("NaN".to_string()),
        Just("1e400".to_string()),
        Just("\"".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400), header in any::<bool>()) {
        let dir = TempDir::new("pbytes");
        let mut s = temp_spec(&dir.file("b.csv", &bytes));
        s.header = header;
        let _ = load_bars(&s, InstrumentId(0));
        let _ = check_file(&s).render(3);
    }

    #[test]
    fn loader_never_panics_on_rows(
        header in prop_oneof![Just("date,open,high,low,close,volume".to_string()), Just("datetime,close,high,low,open".to_string()), "[a-z,]{0,30}"],
        rows in proptest::collection::vec(proptest::collection::vec(arb_field(), 0..8), 0..12),
        all_hours in any::<bool>(),
    ) {
        let mut text = header;
        for r in rows {
            text.push('\n');
            text.push_str(&r.join(","));
        }
        let dir = TempDir::new("prows");
        let mut s = temp_spec(&dir.file("r.csv", &text));
        s.on_bad_ohlc = Policy::Warn;
        if all_hours {
            s.hours = trade_data::TradingHours::All;
            s.on_non_session = Policy::Drop;
        }
        let _ = load_bars(&s, InstrumentId(0));
        let _ = check_file(&s);
    }

    /// The fused fast path and the csv-crate path (forced by quoting) give
    /// the same bars for the same values.
    #[test]
    fn fast_and_general_paths_agree(rows in proptest::collection::vec((0u32..600, 1u64..99_999, 0u32..100_000, 0u64..10_000_000), 1..40)) {
        let mut plain = String::from("datetime,open,high,low,close,volume,vwap\n");
        let mut quoted = String::from("\"datetime\",open,high,low,close,volume,vwap\n");
        for (i, (minute_step, cents, frac, vol)) in rows.iter().enumerate() {
            let m = 9 * 60 + 30 + (i as u32 * 600 + minute_step) % 390;
            let t = format!("2024-01-{:02} {:02}:{:02}:00", 2 + i / 12, m / 60, m % 60);
            let p = format!("{}.{:02}", cents / 100, cents % 100);
            let hi = format!("{}.{:05}", cents / 100 + 1, frac);
            plain.push_str(&format!("{t},{p},{hi},{p},{p},{vol},1.5\n"));
            quoted.push_str(&format!("\"{t}\",{p},\"{hi}\",{p},{p},{vol},1.5\n"));
        }
        let dir = TempDir::new("paths");
        let mut a = temp_spec(&dir.file("a.csv", &plain));
        let mut b = temp_spec(&dir.file("b.csv", &quoted));
        for s in [&mut a, &mut b] {
            s.interval = trade_data::IntervalSpec::Fixed(Interval::Seconds(60));
        }
        let ra = check_file(&a);
        let rb = check_file(&b);
        prop_assert_eq!(ra.rows, rb.rows);
        prop_assert_eq!(ra.bars, rb.bars);
        let la = load_bars(&a, InstrumentId(0));
        let lb = load_bars(&b, InstrumentId(0));
        match (la, lb) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x.bars, y.bars),
            (Err(x), Err(y)) => {
                let (x, y) = (x.to_string(), y.to_string());
                prop_assert_eq!(x.split_once(": ").map(|p| p.1.to_string()), y.split_once(": ").map(|p| p.1.to_string()));
            }
            (x, y) => prop_assert!(false, "{:?} vs {:?}", x.map(|l| l.bars.len()), y.map(|l| l.bars.len())),
        }
    }
}

#[test]
fn hourly_bars_end_at_the_close() {
    // Yahoo-style hourly bars labelled 09:30 .. 15:30; the last one is cut at 16:00.
    let mut text = String::from("datetime,open,high,low,close,volume\n");
    for day in ["2024-07-02", "2024-07-03"] {
        for h in 0..7 {
            let (hh, mm) = (9 + (30 + 60 * h) / 60, (30 + 60 * h) % 60);
            if day == "2024-07-03" && hh >= 13 {
                break; // early close at 13:00
            }
            text.push_str(&format!("{day} {hh:02}:{mm:02}:00,1,1,1,1,1\n"));
        }
    }
    let dir = TempDir::new("hourly");
    let l = load_bars(&temp_spec(&dir.file("h.csv", &text)), InstrumentId(0)).unwrap();
    assert_eq!(l.interval, Interval::Seconds(3600));
    let stamps: Vec<String> = l.bars.iter().map(|b| b.ts.to_string()).collect();
    assert_eq!(stamps[6], "2024-07-02T20:00:00Z"); // 15:30 bar ends at 16:00 New York
    assert_eq!(
        stamps.last().map(String::as_str),
        Some("2024-07-03T17:00:00Z")
    ); // 12:30 bar, early close
    let counts: Vec<(u32, u32)> = l
        .gaps
        .per_session
        .iter()
        .map(|s| (s.expected, s.present))
        .collect();
    assert_eq!(counts, vec![(7, 7), (4, 4)], "{}", l.gaps);
    assert!(l.gaps.is_clean(), "{}", l.gaps);
}
