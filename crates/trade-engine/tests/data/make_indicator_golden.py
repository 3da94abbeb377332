#!/usr/bin/env python3
"""Golden values for trade-engine's indicators, computed independently with pandas.

Command (from the repository root):

    python3 crates/trade-engine/tests/data/make_indicator_golden.py

Generated with Python 3.11.7, pandas 3.1.1, numpy 2.4.6 (recorded in the JSON too).
Input: the first 300 rows of data/daily/pandas_ta/SPY.csv (MIT, from
twopirllc/pandas-ta; see data/README.md). Output: indicator_golden.json next to
this script; `null` marks the warm-up rows where the Rust indicator returns None.

Conventions (the Rust doc comments state the same ones):

* SMA(n):  close.rolling(n).mean(); first value on row n-1 (0-based).
* EMA(n):  alpha = 2/(n+1) (ewm span=n, adjust=False), seeded with the SMA of the
           first n closes on row n-1 (TA-Lib EMA / pandas-ta ema(sma=True)).
* ATR(n):  true range tr_t = max(h-l, |h-c_{t-1}|, |l-c_{t-1}|), undefined on row 0;
           seed = mean(tr[1..=n]) on row n (TA-Lib ATR), then Wilder smoothing
           ewm(alpha=1/n, adjust=False).
* ROC(n):  close.pct_change(n, fill_method=None) = close / close.shift(n) - 1
           (a fraction); first value on row n.
* EWMA vol(n, lambda, returns): r = log(close).diff() or close.pct_change();
           RiskMetrics variance var_t = lambda*var_{t-1} + (1-lambda)*r_t^2
           (ewm(alpha=1-lambda, adjust=False) on r^2), zero mean, seeded with
           mean(r[1..=n]^2) on row n; annualised sqrt(var * 252).
"""

import json
import math
import pathlib
import sys

import numpy as np
import pandas as pd

ROWS = 300
HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[3]
CSV = ROOT / "data" / "daily" / "pandas_ta" / "SPY.csv"
OUT = HERE / "indicator_golden.json"


def seeded_ewm(x: pd.Series, first: int, seed: float, alpha: float) -> pd.Series:
    """x.ewm(alpha, adjust=False) started at row `first` with value `seed`."""
    s = x.copy()
    s.iloc[:first] = np.nan
    s.iloc[first] = seed
    return s.ewm(alpha=alpha, adjust=False).mean()


def sma(close, n):
    return close.rolling(n).mean()


def ema(close, n):
    return seeded_ewm(close, n - 1, close.iloc[:n].mean(), 2.0 / (n + 1))


def atr(high, low, close, n):
    prev = close.shift(1)
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(axis=1)
    tr.iloc[0] = np.nan
    return seeded_ewm(tr, n, tr.iloc[1 : n + 1].mean(), 1.0 / n)


def roc(close, n):
    return close.pct_change(n, fill_method=None)


def ewma_vol(close, n, lam, returns):
    r = np.log(close).diff() if returns == "log" else close.pct_change(fill_method=None)
    r2 = r**2
    var = seeded_ewm(r2, n, r2.iloc[1 : n + 1].mean(), 1.0 - lam)
    return np.sqrt(var * 252.0)


def values(series: pd.Series):
    out = []
    for v in series.tolist():
        out.append(None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
    return out


def main():
    df = pd.read_csv(CSV).iloc[:ROWS]
    high, low, close = df["high"], df["low"], df["close"]
    cases = []
    for n in (1, 5, 20, 50, 200):
        cases.append({"indicator": "sma", "period": n, "values": values(sma(close, n))})
    for n in (1, 10, 50):
        cases.append({"indicator": "ema", "period": n, "values": values(ema(close, n))})
    for n in (1, 14, 20):
        cases.append({"indicator": "atr", "period": n, "values": values(atr(high, low, close, n))})
    for n in (1, 21, 126):
        cases.append({"indicator": "roc", "period": n, "values": values(roc(close, n))})
    for n, lam, kind in ((20, 0.94, "log"), (10, 0.9, "simple"), (20, 1.0 - 2.0 / 21.0, "log")):
        cases.append(
            {
                "indicator": "ewma_vol",
                "period": n,
                "lambda": lam,
                "returns": kind,
                "values": values(ewma_vol(close, n, lam, kind)),
            }
        )
    doc = {
        "source": "data/daily/pandas_ta/SPY.csv",
        "rows": ROWS,
        "first_date": str(df["date"].iloc[0]),
        "last_date": str(df["date"].iloc[-1]),
        "generator": "crates/trade-engine/tests/data/make_indicator_golden.py",
        "python": sys.version.split()[0],
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases x {ROWS} rows)")


if __name__ == "__main__":
    main()
