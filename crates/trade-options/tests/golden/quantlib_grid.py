#!/usr/bin/env python3
"""Golden option prices and Greeks for trade-options, from QuantLib (and
mpmath for exact closed forms), never from the crate itself.

Writes quantlib_grid.csv beside this script. Exact commands, from the
workspace root (Python 3.11.7):

    pip install QuantLib==1.44 mpmath==1.3.0
    python3 crates/trade-options/tests/golden/quantlib_grid.py

The CSV starts with '#' comment lines recording the versions actually used.

Grid (spot or forward 100): strikes 50/80/97/100/125/200 (deep in and out
of the money for both rights), expiries 1, 7, 45, 365 and 730 calendar days,
vols 0.05/0.2/0.8/1.5, calls and puts, and (rate, dividend yield) pairs
(0, 0), (0.05, 0.02), (0.02, 0.06) plus (-0.01, 0) for European options.

Time: evaluation date 2025-01-02, maturity = that date + `days`, all curves
Actual365Fixed, so QuantLib's year fraction is exactly days/365.0 (the same
double the crate computes). Rates are flat, continuously compounded.

Rows (column `model`):
- bsm_ql: QuantLib AnalyticEuropeanEngine on a BlackScholesMertonProcess:
  NPV, delta, gamma, vega (per 1.00 vol), theta (per year, dV/dt), rho
  (per 1.00 of the rate).
- bsm_mp: the Black-Scholes-Merton closed form evaluated with mpmath at 50
  significant digits on the same double inputs (QuantLib's normal CDF is
  0.5*(1+erf), whose relative error grows in the lower tail, up to ~1e-7
  near x = -5.7; these rows are exact to double precision).
- black76_ql: QuantLib BlackCalculator(payoff, F, vol*sqrt(T), discount):
  value, deltaForward, gammaForward, vega(T), theta(F, T) (the forward held
  fixed); rho is left nan (QuantLib's BlackCalculator rho holds the spot,
  not the forward, fixed).
- black76_mp: the Black-76 closed form with mpmath; rho = -T * price.
- american_baw_ql: QuantLib BaroneAdesiWhaleyApproximationEngine, NPV only
  (the engine computes no Greeks when early exercise can be optimal).
- american_crr_ql: QuantLib BinomialVanillaEngine("crr", 5000 steps): NPV and
  the engine's tree delta, gamma and theta. QuantLib's "CRR" tree uses the
  probability 1/2 + drift*dt/(2 dx) of the log-price drift, not the exact
  risk-neutral one; both converge like 1/steps.
- american_qdfp_ql: QuantLib QdFpAmericanEngine with highPrecisionScheme()
  (Andersen-Lake-Offengenheim fixed point; accurate to ~1e-10 here, taken as
  the true American price), Greeks by central differences of that engine:
  spot bump 0.01*S*vol*sqrt(T), vol bump 0.001*vol, rate bump 1e-4, theta
  by rescaling time: the price at maturity T*(1+e) equals the price at T
  with rate, dividend yield and variance scaled by (1+e) (e = 1e-3).
"""

import math
import sys
from pathlib import Path

import mpmath as mp
import QuantLib as ql

HERE = Path(__file__).resolve().parent
OUT = HERE / "quantlib_grid.csv"

UNDERLYING = 100.0
STRIKES = [50.0, 80.0, 97.0, 100.0, 125.0, 200.0]
DAYS = [1, 7, 45, 365, 730]
VOLS = [0.05, 0.2, 0.8, 1.5]
RATES_AMERICAN = [(0.0, 0.0), (0.05, 0.02), (0.02, 0.06)]
RATES_EUROPEAN = RATES_AMERICAN + [(-0.01, 0.0)]
RATES_BLACK76 = [0.0, 0.05]
RIGHTS = [("call", ql.Option.Call), ("put", ql.Option.Put)]
CRR_STEPS = 5000

TODAY = ql.Date(2, 1, 2025)
DC = ql.Actual365Fixed()
ql.Settings.instance().evaluationDate = TODAY
mp.mp.dps = 50

COLUMNS = ["model", "right", "underlying", "strike", "days", "rate", "dividend_yield", "vol",
           "price", "delta", "gamma", "vega", "theta", "rho"]
NAN = float("nan")


def process(spot, rate, div, vol):
    rh = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, rate, DC))
    qh = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, div, DC))
    vh = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), vol, DC))
    return ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(spot)), qh, rh, vh)


def years(days):
    t = DC.yearFraction(TODAY, TODAY + days)
    assert t == days / 365.0, (days, t)
    return t


def bsm_ql(kind, strike, days, rate, div, vol):
    option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, strike), ql.EuropeanExercise(TODAY + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process(UNDERLYING, rate, div, vol)))
    return [option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(), option.rho()]


def bsm_mp(right, strike, days, rate, div, vol, forward_based=False):
    """Closed form at 50 digits on the exact double inputs."""
    s, k, t, r, q, v = (mp.mpf(x) for x in (UNDERLYING, strike, years(days), rate, div, vol))
    phi = 1 if right == "call" else -1
    dr = mp.exp(-r * t)
    dq = mp.exp(-q * t) if not forward_based else dr
    sq = mp.sqrt(t)
    sdev = v * sq
    if forward_based:
        d1 = mp.log(s / k) / sdev + sdev / 2
    else:
        d1 = (mp.log(s / k) + (r - q) * t) / sdev + sdev / 2
    d2 = d1 - sdev
    n1, n2, pdf = mp.ncdf(phi * d1), mp.ncdf(phi * d2), mp.npdf(d1)
    price = phi * (s * dq * n1 - k * dr * n2)
    delta = phi * dq * n1
    gamma = dq * pdf / (s * sdev)
    vega = s * dq * pdf * sq
    if forward_based:
        theta = -s * dq * pdf * v / (2 * sq) + r * price
        rho = -t * price
    else:
        theta = -s * dq * pdf * v / (2 * sq) + phi * (q * s * dq * n1 - r * k * dr * n2)
        rho = phi * k * t * dr * n2
    return [float(x) for x in (price, delta, gamma, vega, theta, rho)]


def black76_ql(kind, strike, days, rate, vol):
    t = years(days)
    discount = ql.FlatForward(TODAY, rate, DC).discount(TODAY + days)
    calc = ql.BlackCalculator(ql.PlainVanillaPayoff(kind, strike), UNDERLYING, vol * math.sqrt(t), discount)
    return [calc.value(), calc.deltaForward(), calc.gammaForward(), calc.vega(t),
            calc.theta(UNDERLYING, t), NAN]


def american_npv(engine_for, kind, strike, days, rate, div, vol, spot=UNDERLYING):
    option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, strike), ql.AmericanExercise(TODAY, TODAY + days))
    option.setPricingEngine(engine_for(process(spot, rate, div, vol)))
    return option


def qdfp(proc):
    return ql.QdFpAmericanEngine(proc, ql.QdFpAmericanEngine.highPrecisionScheme())


def american_rows(kind, strike, days, rate, div, vol):
    baw = american_npv(ql.BaroneAdesiWhaleyApproximationEngine, kind, strike, days, rate, div, vol).NPV()
    crr_opt = american_npv(lambda p: ql.BinomialVanillaEngine(p, "crr", CRR_STEPS),
                           kind, strike, days, rate, div, vol)
    crr = [crr_opt.NPV(), crr_opt.delta(), crr_opt.gamma(), NAN, crr_opt.theta(), NAN]

    def price(spot=UNDERLYING, r=rate, q=div, v=vol):
        return american_npv(qdfp, kind, strike, days, r, q, v, spot).NPV()

    t = years(days)
    p0 = price()
    hs = 0.01 * UNDERLYING * vol * math.sqrt(t)
    up, down = price(spot=UNDERLYING + hs), price(spot=UNDERLYING - hs)
    delta = (up - down) / (2 * hs)
    gamma = (up - 2 * p0 + down) / (hs * hs)
    hv = 1e-3 * vol
    vega = (price(v=vol + hv) - price(v=vol - hv)) / (2 * hv)
    hr = 1e-4
    rho = (price(r=rate + hr) - price(r=rate - hr)) / (2 * hr)
    e = 1e-3
    longer = price(r=rate * (1 + e), q=div * (1 + e), v=vol * math.sqrt(1 + e))
    shorter = price(r=rate * (1 - e), q=div * (1 - e), v=vol * math.sqrt(1 - e))
    theta = -(longer - shorter) / (2 * e * t)
    return [
        ("american_baw_ql", [baw, NAN, NAN, NAN, NAN, NAN]),
        ("american_crr_ql", crr),
        ("american_qdfp_ql", [p0, delta, gamma, vega, theta, rho]),
    ]


def main():
    rows = []
    for right, kind in RIGHTS:
        for strike in STRIKES:
            for days in DAYS:
                for vol in VOLS:
                    for rate, div in RATES_EUROPEAN:
                        key = [right, UNDERLYING, strike, days, rate, div, vol]
                        rows.append(["bsm_ql"] + key + bsm_ql(kind, strike, days, rate, div, vol))
                        rows.append(["bsm_mp"] + key + bsm_mp(right, strike, days, rate, div, vol))
                    for rate in RATES_BLACK76:
                        key = [right, UNDERLYING, strike, days, rate, 0.0, vol]
                        rows.append(["black76_ql"] + key + black76_ql(kind, strike, days, rate, vol))
                        rows.append(["black76_mp"] + key
                                    + bsm_mp(right, strike, days, rate, 0.0, vol, forward_based=True))
                    for rate, div in RATES_AMERICAN:
                        key = [right, UNDERLYING, strike, days, rate, div, vol]
                        for model, values in american_rows(kind, strike, days, rate, div, vol):
                            rows.append([model] + key + values)
    with OUT.open("w", newline="\n") as f:
        f.write(f"# written by quantlib_grid.py (beside this file): QuantLib {ql.__version__}, "
                f"mpmath {mp.__version__}, Python {sys.version.split()[0]}\n")
        f.write("# time = days/365 (Actual365Fixed), rates continuously compounded, "
                "vega per 1.00 vol, theta per year, rho per 1.00 rate; nan = not recorded\n")
        f.write(",".join(COLUMNS) + "\n")
        for row in rows:
            f.write(",".join(x if isinstance(x, str) else repr(float(x)) if not isinstance(x, int)
                             else str(x) for x in row) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
