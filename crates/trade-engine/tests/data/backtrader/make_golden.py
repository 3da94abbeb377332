#!/usr/bin/env python3
"""Golden fills of the `ma_crossover` strategy, computed with backtrader.

Generated with:  Python 3.11.7, backtrader 1.9.78.123
Command (from the repository root):

    pip install backtrader==1.9.78.123
    python3 crates/trade-engine/tests/data/backtrader/make_golden.py

Reads `spy_2010_2012.csv` (next to this script) and writes `golden.json`
(next to this script). `tests/golden_backtrader.rs` replays the same bars
through `trade_engine::run_backtest` and requires the same fills, cash,
position, equity and round trips. See README.md for the conventions.

Only backtrader and the standard library are used; nothing is ported from
the Rust engine. The script is deterministic: running it twice gives a
byte-identical `golden.json`.
"""

import csv
import json
import math
import os
import platform
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal

import backtrader as bt

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "spy_2010_2012.csv")
OUT = os.path.join(HERE, "golden.json")

FAST, SLOW, QTY = 20, 50, 100
CASH = 100_000.0


def cents(text):
    """A CSV price rounded to the cent, half up (the engine rounds fill
    prices to the instrument's $0.01 tick, to the nearest tick)."""
    return Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(x):
    """A float amount as a cent string; refuses values that are not a whole
    number of cents up to float noise (so the rounding hides nothing)."""
    r = round(x, 2)
    assert abs(x - r) < 1e-6, f"{x!r} is not a whole number of cents"
    return f"{r:.2f}"


# ---------------------------------------------------------------------------
# Commission: IB fixed, per ORDER.
# ---------------------------------------------------------------------------


class IBFixed(bt.CommInfoBase):
    """IB fixed pricing for US stocks, per order:
    max(min_per_order, per_share * shares), capped at max_pct of the
    order's value |shares * price|.

    backtrader charges a reversing order (e.g. sell 200 while long 100) in
    two calls, one for the closing leg and one for the opening leg; applied
    to each leg, the $1.00 minimum would be charged twice. The broker below
    therefore tells this object the executing order's total size
    (`order_units`), and each leg is charged its pro-rata share of the
    per-order commission (1.00 * 100/200 + 1.00 * 100/200 = 1.00).
    """

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("per_share", 0.005),
        ("min_per_order", 1.00),
        ("max_pct", 0.01),
    )

    order_units = None

    def order_commission(self, units, price):
        c = max(self.p.min_per_order, self.p.per_share * units)
        return min(c, self.p.max_pct * units * price)

    def _getcommission(self, size, price, pseudoexec):
        leg = abs(size)
        if leg == 0:
            return 0.0
        units = self.order_units or leg
        return self.order_commission(units, price) * leg / units


class ZeroCommission(bt.CommInfoBase):
    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("commission", 0.0))


class PerOrderBroker(bt.brokers.BackBroker):
    """BackBroker that lets the commission scheme see the whole order."""

    def _execute(self, order, *args, **kwargs):
        comminfo = self.getcommissioninfo(order.data)
        comminfo.order_units = abs(order.executed.remsize)
        try:
            return super()._execute(order, *args, **kwargs)
        finally:
            comminfo.order_units = None


# ---------------------------------------------------------------------------
# Strategy: SMA(fast) / SMA(slow) crossover of closes.
# ---------------------------------------------------------------------------


class MaCross(bt.Strategy):
    params = (("fast", FAST), ("slow", SLOW), ("qty", QTY), ("long_short", False))

    def __init__(self):
        self.fast = bt.ind.SMA(self.data.close, period=self.p.fast)
        self.slow = bt.ind.SMA(self.data.close, period=self.p.slow)
        # backtrader's own cross detector, used only as a cross-check of
        # the explicit rule in next().
        self.xover = bt.ind.CrossOver(self.fast, self.slow)
        self.fills = []
        self.trades = []
        self.signals = []
        self.min_rel_gap = math.inf

    def next(self):
        f0, s0 = self.fast[0], self.slow[0]
        self.min_rel_gap = min(self.min_rel_gap, abs(f0 - s0) / abs(s0))
        # Both averages must be defined today and on the previous bar: the
        # regime of the first bar with both averages is not a cross.
        if len(self) <= self.p.slow:
            return
        f1, s1 = self.fast[-1], self.slow[-1]
        assert not (math.isnan(f1) or math.isnan(s1))
        up = f0 > s0 and f1 <= s1
        down = f0 < s0 and f1 >= s1
        assert up == (self.xover[0] > 0) and down == (self.xover[0] < 0), (
            f"explicit cross rule disagrees with bt.ind.CrossOver on "
            f"{self.data.datetime.date(0)}"
        )
        if not (up or down):
            return
        date = self.data.datetime.date(0).isoformat()
        self.signals.append({"date": date, "cross": "up" if up else "down"})
        if up:
            target = self.p.qty
        else:
            target = -self.p.qty if self.p.long_short else 0
        self.order_target_size(target=target)

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            return
        assert order.status == order.Completed, f"order {order.ref} ended {order.getstatusname()}"
        ex = order.executed
        self.fills.append(
            {
                "decided": bt.num2date(order.created.dt).date().isoformat(),
                "date": bt.num2date(ex.dt).date().isoformat(),
                "side": "buy" if order.isbuy() else "sell",
                "qty": int(abs(ex.size)),
                "price": money(ex.price),
                "commission": money(ex.comm),
            }
        )

    def notify_trade(self, trade):
        if trade.isclosed:
            self.trades.append(
                {
                    "entry": bt.num2date(trade.dtopen).date().isoformat(),
                    "exit": bt.num2date(trade.dtclose).date().isoformat(),
                    "direction": "long" if trade.long else "short",
                    "pnl": money(trade.pnl),
                    "pnl_net": money(trade.pnlcomm),
                    "commission": money(trade.commission),
                }
            )


# ---------------------------------------------------------------------------


def rounded_feed(path):
    """The fixture with OHLC rounded to cents, as a temporary CSV."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    tmp = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="")
    with tmp:
        w = csv.writer(tmp)
        w.writerow(["date", "open", "high", "low", "close", "volume"])
        for r in rows:
            w.writerow(
                [r["Date"]]
                + [str(cents(r[k])) for k in ("Open", "High", "Low", "Close")]
                + [r["Volume"]]
            )
    return tmp.name, rows


def signal_dates(closes):
    """Cross dates computed with plain fsum SMAs of the given closes."""
    out = []
    prev = None
    for i in range(SLOW - 1, len(closes)):
        f = math.fsum(closes[i - FAST + 1 : i + 1]) / FAST
        s = math.fsum(closes[i - SLOW + 1 : i + 1]) / SLOW
        if prev is not None:
            pf, ps = prev
            if f > s and pf <= ps:
                out.append((i, "up"))
            elif f < s and pf >= ps:
                out.append((i, "down"))
        prev = (f, s)
    return out


def run_case(feed_path, name, long_short, commission):
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker = PerOrderBroker()
    cerebro.broker.setcash(CASH)
    cerebro.broker.addcommissioninfo(IBFixed() if commission == "ib_fixed" else ZeroCommission())
    data = bt.feeds.GenericCSVData(
        dataname=feed_path,
        dtformat="%Y-%m-%d",
        datetime=0,
        open=1,
        high=2,
        low=3,
        close=4,
        volume=5,
        openinterest=-1,
    )
    cerebro.adddata(data, name="SPY")
    cerebro.addstrategy(MaCross, long_short=long_short)
    cerebro.addanalyzer(bt.analyzers.TradeAnalyzer, _name="ta")
    (strat,) = cerebro.run()
    broker = cerebro.broker
    ta = strat.analyzers.ta.get_analysis()
    total = ta.get("total", {})
    return {
        "name": name,
        "mode": "long_short" if long_short else "long_only",
        "commission": commission,
        "signals": strat.signals,
        "fills": strat.fills,
        "final_cash": money(broker.getcash()),
        "final_position": int(broker.getposition(data).size),
        "final_value": money(broker.getvalue()),
        "last_close": money(data.close[0]),
        "trades_closed": int(total.get("closed", 0)),
        "trades_open": int(total.get("open", 0)),
        "trades": strat.trades,
        "min_rel_gap_fast_slow": float(f"{strat.min_rel_gap:.3e}"),
    }


def to_json(value, indent=""):
    """JSON with one line per flat record (fill, trade, signal), for diffs."""
    inner = indent + "  "
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        items = [inner + to_json(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value)


def main():
    feed_path, rows = rounded_feed(FIXTURE)
    try:
        raw = [float(r["Close"]) for r in rows]
        rnd = [float(cents(r["Close"])) for r in rows]
        # The Rust test feeds the unrounded closes to its SMAs; the crosses
        # must not depend on the sub-cent float noise of the CSV.
        assert signal_dates(raw) == signal_dates(rnd), "crosses depend on sub-cent noise"
        cases = [
            run_case(feed_path, "ib_fixed_long_only", False, "ib_fixed"),
            run_case(feed_path, "zero_commission_long_only", False, "none"),
            run_case(feed_path, "ib_fixed_long_short", True, "ib_fixed"),
        ]
    finally:
        os.unlink(feed_path)
    for c in cases:
        sig = [(rows[i]["Date"], k) for i, k in signal_dates(rnd)]
        assert sig == [(s["date"], s["cross"]) for s in c["signals"]], c["name"]
    golden = {
        "generator": "crates/trade-engine/tests/data/backtrader/make_golden.py",
        "python": platform.python_version(),
        "backtrader": bt.__version__,
        "fixture": "spy_2010_2012.csv",
        "bars": len(rows),
        "first_date": rows[0]["Date"],
        "last_date": rows[-1]["Date"],
        "initial_cash": money(CASH),
        "fast": FAST,
        "slow": SLOW,
        "qty": QTY,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        f.write(to_json(golden) + "\n")
    for c in cases:
        print(
            f"{c['name']}: {len(c['fills'])} fills, {c['trades_closed']} closed trades, "
            f"cash {c['final_cash']}, position {c['final_position']}, value {c['final_value']}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
