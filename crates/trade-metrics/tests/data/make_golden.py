#!/usr/bin/env python3
"""Golden values for the trade-metrics crate, computed independently of it.

Return metrics come from empyrical (the library quantstats and pyfolio build
on); drawdown durations/episodes, trade statistics, exposure and turnover,
which empyrical does not compute, come from the plain pandas/Python code
below, written from the definitions in the crate docs (not from the Rust
code, and never from the crate's output).

Generated with:
    Python 3.11.7, empyrical-reloaded 0.7.1, pandas 3.1.1, numpy 2.4.6,
    scipy 1.17.1 (bottleneck not installed, so empyrical uses numpy's nan*).

Exact commands, from the workspace root:
    python3 -m venv /tmp/empvenv
    /tmp/empvenv/bin/pip install empyrical-reloaded==0.7.1 pandas==3.1.1 numpy==2.4.6 scipy==1.17.1
    /tmp/empvenv/bin/python crates/trade-metrics/tests/data/make_golden.py
which reads the CSV excerpts beside this script and writes
empyrical_golden.json beside it. The excerpts themselves were made with
    /tmp/empvenv/bin/python crates/trade-metrics/tests/data/make_golden.py --extract ../shared/data
(copying the date and close strings verbatim from the shared data folder;
see README.md for provenance and licences).

Encoding: non-finite numbers cannot be JSON, so a NaN *input* is written as
null, and an expected value that empyrical reports as NaN or +-inf (an
undefined metric) is written as null, which the crate reports as None.
"""

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SPY_CSV = "spy_close_2010_2019.csv"
QQQ_CSV = "qqq_adjclose_2010_2019.csv"
START, END = "2010-01-04", "2019-12-31"


def extract(shared: Path) -> None:
    """Copy the minimal date/close excerpts, strings verbatim."""
    jobs = [
        (shared / "daily_etf/yfinance_with_actions/SPY_D_pandas-ta_1993-2021.csv", "date", "close", SPY_CSV),
        (shared / "daily_etf/yahoo_adjclose_xjcarter_2022/QQQ.csv", "Date", "Adj Close", QQQ_CSV),
    ]
    for src, dcol, ccol, dst in jobs:
        with open(src, newline="") as f:
            rows = [(r[dcol][:10], r[ccol]) for r in csv.DictReader(f) if START <= r[dcol][:10] <= END]
        with open(HERE / dst, "w", newline="") as f:
            f.write("date,close\n")
            for d, c in rows:
                f.write(f"{d},{c}\n")
        print(f"wrote {dst}: {len(rows)} rows", file=sys.stderr)


def read_closes(name):
    with open(HERE / name, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["date"] for r in rows], np.array([float(r["close"]) for r in rows])


def num(x):
    """A finite float, or None for an undefined (NaN/inf) result."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def call(f, *args, **kwargs):
    """empyrical on degenerate input (e.g. empty) may raise; that is 'undefined'."""
    try:
        return num(f(*args, **kwargs))
    except (ValueError, IndexError, ZeroDivisionError):
        return None


def drawdown_episodes(returns):
    """Independent drawdown-episode computation with pandas.

    Wealth positions 0..n (0 = starting capital 1, k = after k returns,
    NaN returns count as 0 like empyrical.cum_returns). A maximal run of
    consecutive positions strictly below the running maximum is one episode;
    its peak is the position just before the run, its recovery the position
    just after it (None if the run reaches the end), its duration
    recovery - peak (or n - peak), its trough the first lowest position.
    """
    r = pd.Series(np.asarray(returns, dtype=float))
    r = r.where(np.isfinite(r), 0.0)
    n = len(r)
    wealth = pd.concat([pd.Series([1.0]), (1.0 + r).cumprod()], ignore_index=True)
    runmax = wealth.cummax()
    under = wealth < runmax
    run_id = (under != under.shift(fill_value=False)).cumsum()
    episodes = []
    for _, grp in wealth[under].groupby(run_id[under]):
        first, last = int(grp.index[0]), int(grp.index[-1])
        peak = first - 1
        peak_value = runmax[first]
        recovery = last + 1 if last + 1 <= n else None
        trough = int(grp.idxmin())
        episodes.append(
            {
                "depth": float((wealth[trough] - peak_value) / peak_value),
                "peak": peak,
                "trough": trough,
                "recovery": recovery,
                "duration": (recovery if recovery is not None else n) - peak,
            }
        )
    deepest = min(episodes, key=lambda e: e["depth"]) if episodes else None  # first if tied
    longest = max(episodes, key=lambda e: e["duration"]) if episodes else None  # first if tied
    return deepest, longest, (longest["duration"] if longest else 0)


def aggregate(returns, dates):
    s = pd.Series(np.asarray(returns, dtype=float), index=pd.DatetimeIndex(dates))
    monthly = ep.aggregate_returns(s, "monthly")
    yearly = ep.aggregate_returns(s, "yearly")
    return (
        [[int(y), int(m), num(v)] for (y, m), v in monthly.items()],
        [[int(y), num(v)] for y, v in yearly.items()],
    )


def return_case(name, returns, ppy=252.0, rf_annual=0.0, benchmark=None, dates=None, csv_source=None):
    r = np.asarray(returns, dtype=float)
    # The crate's documented conversion of the annual risk-free rate.
    rf = 0.0 if rf_annual == 0.0 else (1.0 + rf_annual) ** (1.0 / ppy) - 1.0
    finite = r[np.isfinite(r)]
    exp = {
        "n_periods": len(r),
        "n_missing": int(len(r) - len(finite)),
        "total_return": call(ep.cum_returns_final, r, starting_value=0) if len(finite) else None,
        "cagr": call(ep.cagr, r, annualization=ppy) if len(finite) else None,
        "annual_volatility": call(ep.annual_volatility, r, annualization=ppy),
        "sharpe": call(ep.sharpe_ratio, r, risk_free=rf, annualization=ppy),
        "sortino": call(ep.sortino_ratio, r, required_return=0.0, annualization=ppy),
        "downside_risk": call(ep.downside_risk, r, required_return=0.0, annualization=ppy),
        "max_drawdown": call(ep.max_drawdown, r) if len(finite) else None,
        "calmar": call(ep.calmar_ratio, r, annualization=ppy),
        "best_period": num(finite.max()) if len(finite) else None,
        "worst_period": num(finite.min()) if len(finite) else None,
        "drawdown_series": [num(x) for x in ep.stats.drawdown_series(r)] if len(r) else [],
    }
    if len(finite):
        deepest, longest, dur = drawdown_episodes(r)
        assert deepest is None or abs(deepest["depth"] - exp["max_drawdown"]) <= 1e-12, name
        exp.update(max_drawdown_duration=dur, deepest_drawdown=deepest, longest_drawdown=longest)
    else:
        exp.update(max_drawdown_duration=None, deepest_drawdown=None, longest_drawdown=None)
    if benchmark is not None:
        b = np.asarray(benchmark, dtype=float)
        alpha, beta = ep.alpha_beta(r, b, risk_free=rf, annualization=ppy)
        active = r - b
        exp.update(
            alpha=num(alpha),
            beta=num(beta),
            tracking_error=call(ep.annual_volatility, active, annualization=ppy),
            information_ratio=num(ep.excess_sharpe(r, b) * math.sqrt(ppy)),
        )
    if dates is not None:
        exp["monthly"], exp["yearly"] = aggregate(r, dates)
    case = {
        "name": name,
        "periods_per_year": ppy,
        "risk_free_annual": rf_annual,
        "risk_free_per_period": rf,
    }
    if csv_source is None:
        case["returns"] = [num(x) for x in r]
        case["benchmark"] = None if benchmark is None else [num(x) for x in benchmark]
        case["dates"] = dates
    else:
        case.update(csv_source)
        case["returns_head"] = [num(x) for x in r[:5]]
    case["expected"] = exp
    return case


def trade_case(name, pnls):
    p = [x for x in pnls if math.isfinite(x)]
    wins = [x for x in p if x > 0]
    losses = [x for x in p if x < 0]
    n = len(p)
    mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
    gp, gl = float(sum(wins)), float(sum(losses))
    avg_win, avg_loss = mean(wins), mean(losses)
    exp = {
        "n_trades": n,
        "n_wins": len(wins),
        "n_losses": len(losses),
        "n_breakeven": n - len(wins) - len(losses),
        "n_invalid": len(pnls) - n,
        "hit_rate": len(wins) / n if n else None,
        "gross_profit": gp,
        "gross_loss": gl,
        "net_profit": float(sum(p)),
        "profit_factor": gp / abs(gl) if losses else None,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "avg_trade": mean(p),
        "payoff_ratio": avg_win / abs(avg_loss) if wins and losses else None,
        "largest_win": max(wins) if wins else None,
        "largest_loss": min(losses) if losses else None,
        # expectancy from a different route than avg_trade: sum(P(outcome) * mean(outcome))
        "expectancy": (len(wins) / n * (avg_win or 0.0) + len(losses) / n * (avg_loss or 0.0)) if n else None,
    }
    return {"name": name, "pnls": [num(x) for x in pnls], "expected": exp}


def exposure_case(name, gross, equity):
    g = pd.Series(gross, dtype=float)
    e = pd.Series(equity, dtype=float)
    ok = np.isfinite(g) & np.isfinite(e) & (e > 0)
    g, e = g[ok], e[ok]
    exp = {
        "n_periods": int(ok.sum()),
        "time_in_market": num((g != 0).mean()) if len(g) else None,
        "avg_gross_exposure": num((g.abs() / e).mean()) if len(g) else None,
    }
    return {"name": name, "gross_exposure": [num(x) for x in gross], "equity": [num(x) for x in equity], "expected": exp}


def turnover_case(name, notional, equity, ppy=252.0):
    e = pd.Series(equity, dtype=float)
    avg = e[np.isfinite(e)].mean()
    total = notional / avg
    years = len(equity) / ppy
    exp = {"avg_equity": num(avg), "total": num(total), "annual": num(total / years)}
    return {
        "name": name,
        "total_traded_notional": notional,
        "equity": [num(x) for x in equity],
        "periods_per_year": ppy,
        "expected": exp,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extract", type=Path, metavar="SHARED_DATA_DIR", help="re-create the CSV excerpts and exit")
    args = ap.parse_args()
    if args.extract:
        extract(args.extract)
        return

    dates, spy = read_closes(SPY_CSV)
    qdates, qqq = read_closes(QQQ_CSV)
    assert dates == qdates, "SPY and QQQ excerpts must share trading dates"
    spy_r = ep.simple_returns(spy)
    qqq_r = ep.simple_returns(qqq)
    src = {"closes_csv": SPY_CSV, "benchmark_closes_csv": QQQ_CSV}
    nan = float("nan")

    return_cases = [
        return_case("spy_2010_2019_vs_qqq", spy_r, benchmark=qqq_r, dates=dates[1:], csv_source=src),
        return_case("spy_2010_2019_vs_qqq_rf3pct", spy_r, rf_annual=0.03, benchmark=qqq_r, csv_source=src),
        return_case(
            "small_rf2pct",
            [0.01, -0.02, 0.015, 0.003, -0.007, 0.02, -0.01, 0.004, 0.0, -0.012, 0.018, 0.006],
            rf_annual=0.02,
            benchmark=[0.008, -0.015, 0.01, 0.002, -0.01, 0.015, -0.004, 0.003, 0.001, -0.01, 0.012, 0.004],
        ),
        return_case(
            "monthly_ppy12_rf4pct",
            [0.02, -0.01, 0.03, -0.04, 0.05, 0.01, -0.02, 0.0, 0.015, -0.005, 0.025, 0.01, 0.03, -0.06],
            ppy=12.0,
            rf_annual=0.04,
            benchmark=[0.015, -0.02, 0.02, -0.03, 0.04, 0.0, -0.01, 0.01, 0.01, 0.0, 0.02, 0.005, 0.02, -0.05],
        ),
        return_case("no_losses", [0.01, 0.02, 0.0, 0.005, 0.003]),
        return_case("constant", [0.001] * 10, benchmark=[0.0005] * 10),
        return_case(
            "with_nan_unsorted_dates",
            [0.01, nan, -0.02, 0.03, nan, -0.01, 0.005],
            benchmark=[0.008, 0.01, nan, 0.02, nan, -0.012, 0.004],
            dates=["2021-01-28", "2021-01-29", "2021-02-01", "2021-02-02", "2022-03-01", "2021-02-03", "2022-03-02"],
        ),
        return_case("never_recovers", [0.05, -0.1, 0.02, 0.03, -0.02, 0.01]),
        return_case(
            "multi_episode",
            [0.1, -0.05, -0.05, 0.12, -0.1, 0.02, 0.01, 0.2, -0.3, 0.05, 0.1],
            dates=[d.strftime("%Y-%m-%d") for d in pd.bdate_range("2021-01-26", periods=11)],
        ),
        return_case("total_loss", [0.1, -1.0, 0.05]),
        return_case("single", [0.05]),
        return_case("empty", []),
    ]

    monthly_spy = ep.aggregate_returns(pd.Series(spy_r, index=pd.DatetimeIndex(dates[1:])), "monthly")
    trade_cases = [
        trade_case("hand_made", [120.5, -80.25, 0.0, 310.0, -45.0, -150.75, 0.0, 95.5, 60.0, -20.0, nan]),
        trade_case("spy_monthly_10k", [10_000.0 * float(x) for x in monthly_spy.values]),
        trade_case("no_losses", [10.0, 20.0, 0.0]),
        trade_case("only_losses", [-5.0, -15.0]),
        trade_case("empty", []),
    ]
    exposure_cases = [
        exposure_case(
            "hand_made",
            [0, 5000, 10000, 10000, 0, 0, 12000, 0],
            [10000, 10100, 9900, 10200, 10300, 10300, 10150, 10400],
        ),
        exposure_case(
            "skips_invalid",
            [0, -5000, nan, 8000, 3000, 0],
            [10000, 10100, 10000, 0, 9800, nan],
        ),
    ]
    turnover_cases = [
        turnover_case("hand_made", 57_000.0, [10000, 10100, 9900, 10200, 10300, 10300, 10150, 10400]),
        turnover_case("spy_like_weekly", 1_250_000.0, [100_000 * (1 + 0.001 * i) for i in range(104)], ppy=52.0),
    ]

    out = {
        "generator": {
            "script": "make_golden.py",
            "empyrical_reloaded": ep.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "return_cases": return_cases,
        "trade_cases": trade_cases,
        "exposure_cases": exposure_cases,
        "turnover_cases": turnover_cases,
    }
    with open(HERE / "empyrical_golden.json", "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
