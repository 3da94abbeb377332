//! The shipped daily files: yfinance (pandas-ta), Yahoo classic (xjcarter)
//! and the mplfinance file with two real OHLC glitches.

mod common;

use common::{spec, ts};
use jiff::civil::date;
use trade_core::{InstrumentId, Price};
use trade_data::{
    ActionKind, CacheStatus, Interval, Policy, ProblemKind, RowOrder, Severity, check_file,
    load_bars,
};

fn price(s: &str) -> Price {
    s.parse().unwrap()
}

#[test]
fn pandas_ta_spy_is_complete_and_stamped_at_the_close() {
    let l = load_bars(&spec("daily/pandas_ta/SPY.csv"), InstrumentId(3)).unwrap();
    assert_eq!(
        l.sha256,
        "f8e55dd5cbe8f56147bbc76898d7191b74725fd91800a6e7683a97243b0664ed"
    );
    assert_eq!((l.rows, l.bars.len()), (7192, 7192));
    assert_eq!(
        (l.interval, l.order),
        (Interval::Daily, RowOrder::Ascending)
    );
    assert!(l.bars.iter().all(|b| b.instrument == InstrumentId(3)));
    assert!(l.bars.windows(2).all(|w| w[0].ts < w[1].ts));
    // 16:00 New York: EST in January, EDT in August.
    assert_eq!(ts(l.first), "1993-01-29T21:00:00Z");
    assert_eq!(ts(l.last), "2021-08-19T20:00:00Z");
    assert_eq!(l.bars[0].open, price("25.818120120768864"));
    assert_eq!(l.bars[0].volume, 1_003_200);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.cache, CacheStatus::Off);

    // The day after Thanksgiving closes at 13:00 New York (18:00 UTC).
    let early = l
        .bars
        .iter()
        .find(|b| ts(b.ts).starts_with("2019-11-29"))
        .expect("2019-11-29 bar");
    assert_eq!(ts(early.ts), "2019-11-29T18:00:00Z");

    // Every NYSE session from first to last bar is there, nothing else.
    assert_eq!(l.gaps.sessions, 7192, "{}", l.gaps);
    assert!(l.gaps.is_clean(), "{}", l.gaps);

    // Dividends from the `dividends` column; `stock splits` is always 0.
    assert_eq!(l.actions.len(), 115);
    assert!(
        l.actions
            .iter()
            .all(|a| matches!(a.kind, ActionKind::Dividend(_)))
    );
    assert_eq!(l.actions[0].ex_date, date(1993, 3, 19));
    assert_eq!(l.actions[0].kind, ActionKind::Dividend(price("0.213")));
}

#[test]
fn yahoo_xjcarter_cross_section() {
    // (symbol, rows, sha256, first date)
    let cases = [
        (
            "SPY",
            5759,
            "20df69e26a33a15826c07ab0c3f4fb2e26029d7e06a4c8e217cdb2a4b73ec221",
            "2000-01-03",
        ),
        (
            "QQQ",
            5759,
            "3683f48fe8c51b7b018c0d09aff9ecce46796b8363c00685b12870c49bf33c26",
            "2000-01-03",
        ),
        (
            "IWM",
            5658,
            "5277b0a5765ffbd8a26e25a94fdf0c404a2ae491e244f58580fa2a783f092927",
            "2000-05-26",
        ),
        (
            "DIA",
            5759,
            "8075994f9e50064b740f41c229c4194f1bea38f7b2241f95937a15950f381322",
            "2000-01-03",
        ),
    ];
    for (sym, rows, sha, first) in cases {
        let l = load_bars(
            &spec(&format!("daily/yahoo_xjcarter_2022/{sym}.csv")),
            InstrumentId(0),
        )
        .unwrap_or_else(|e| panic!("case {sym}: {e}"));
        assert_eq!(l.sha256, sha, "case {sym}");
        assert_eq!(l.bars.len(), rows, "case {sym}");
        assert!(ts(l.first).starts_with(first), "case {sym}: {}", l.first);
        assert_eq!(ts(l.last), "2022-11-18T21:00:00Z", "case {sym}");
        assert!(l.gaps.is_clean(), "case {sym}: {}", l.gaps);
        assert!(l.warnings.is_empty(), "case {sym}: {:?}", l.warnings);
    }
    // Volume written as a float.
    let spy = load_bars(&spec("daily/yahoo_xjcarter_2022/SPY.csv"), InstrumentId(0)).unwrap();
    assert_eq!(spy.bars[0].volume, 8_164_300);
    // 9/11: the exchange was closed 2001-09-11..14; not reported missing.
    assert!(!spy.gaps.missing_sessions.contains(&date(2001, 9, 12)));
}

#[test]
fn adjusted_close_choices() {
    // Taking `Adj Close` as the close column only: that alone makes the
    // OHLC inconsistent on most days, which the strict default refuses.
    let mut s = spec("daily/yahoo_xjcarter_2022/SPY.csv");
    s.columns.close = trade_data::ColumnSel::Name("Adj Close".into());
    let e = load_bars(&s, InstrumentId(0)).unwrap_err().to_string();
    assert!(e.contains(":2: inconsistent OHLC"), "{e}");
    s.on_bad_ohlc = Policy::Warn;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert_eq!(l.bars[0].close, price("96.55506"));

    // Scaling every price by Adj Close / Close gives consistent total-return bars.
    let mut s = spec("daily/yahoo_xjcarter_2022/SPY.csv");
    s.scale_to_adj_close = true;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    let b = l.bars[0];
    assert_eq!(b.close, price("96.55506"));
    // 148.25 * 96.55506 / 145.4375, rounded to 10^-8.
    assert_eq!(b.open, price("98.42226142"));
    assert!(l.bars.iter().all(|b| b.check().is_ok()));
}

#[test]
fn mplfinance_glitches_are_reported_with_their_lines() {
    let s = spec("daily/mplfinance/SPY_2008_2017.csv");
    let r = check_file(&s);
    let errors: Vec<_> = r.errors().collect();
    assert_eq!(errors.len(), 2, "{}", r.render(10));
    for (p, line) in errors.iter().zip([1808, 1825]) {
        assert_eq!(p.line(), Some(line));
        assert!(
            matches!(
                p.kind,
                ProblemKind::BadOhlc {
                    problem: trade_core::BarProblem::LowTooHigh,
                    ..
                }
            ),
            "{p}"
        );
        assert!(
            p.to_string().contains(&format!(
                "SPY_2008_2017.csv:{line}: inconsistent OHLC: low is above"
            )),
            "{p}"
        );
    }
    assert_eq!(r.rows, 2519);
    let text = r.render(10);
    assert!(
        text.contains("FAILED") && text.contains(":1808:") && text.contains(":1825:"),
        "{text}"
    );

    // Fail-fast loading stops at the first one.
    let e = load_bars(&s, InstrumentId(0)).unwrap_err();
    assert_eq!(e.problem().and_then(|p| p.line()), Some(1808), "{e}");

    // Policies.
    let mut warn = s.clone();
    warn.on_bad_ohlc = Policy::Warn;
    let l = load_bars(&warn, InstrumentId(0)).unwrap();
    assert_eq!(l.bars.len(), 2519);
    assert_eq!(l.warnings.len(), 2);
    assert!(
        l.warnings
            .iter()
            .all(|w| w.severity == Severity::Warning && !w.dropped)
    );

    let mut drop = s;
    drop.on_bad_ohlc = Policy::Drop;
    let l = load_bars(&drop, InstrumentId(0)).unwrap();
    assert_eq!(l.bars.len(), 2517);
    assert!(l.warnings.iter().all(|w| w.dropped));
    assert_eq!(
        l.gaps.missing_sessions,
        vec![date(2015, 3, 5), date(2015, 3, 30)]
    );
}

#[test]
fn column_order_and_names_are_mapped() {
    // The same SPY rows written in the alitalbi order `Date,Close,High,Low,Open,Volume`
    // with US dates must give the same bars.
    let original = load_bars(&spec("daily/yahoo_xjcarter_2022/SPY.csv"), InstrumentId(0)).unwrap();
    let text = std::fs::read_to_string(common::data("daily/yahoo_xjcarter_2022/SPY.csv")).unwrap();
    let mut out = String::from("Date,Close,High,Low,Open,Volume\n");
    for line in text.lines().skip(1).take(300) {
        let f: Vec<&str> = line.split(',').collect();
        let (y, m, d) = (&f[0][..4], &f[0][5..7], &f[0][8..10]);
        let us_date = format!(
            "{}/{}/{y}",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        );
        out.push_str(&format!(
            "{us_date},{},{},{},{},{}\n",
            f[4], f[2], f[3], f[1], f[6]
        ));
    }
    let dir = common::TempDir::new("order");
    let l = load_bars(
        &common::temp_spec(&dir.file("alitalbi.csv", out)),
        InstrumentId(0),
    )
    .unwrap();
    assert_eq!(l.bars[..], original.bars[..300]);
}
