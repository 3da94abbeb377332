#!/usr/bin/env python3
# Writes xnys_sessions_1990_2035.csv: the golden NYSE sessions that
# crates/trade-calendar/tests/golden.rs checks our rule-based calendar against.
#
# Source: exchange_calendars 4.13.2 (pandas 3.1.1, Python 3.11.7), calendar "XNYS".
# It is independent of our Rust code: a separate, rule-and-table based
# implementation maintained by the exchange_calendars project.
#
# Regenerate (from the repository root):
#   python3 -m venv /tmp/xcal-venv
#   /tmp/xcal-venv/bin/pip install exchange_calendars==4.13.2
#   /tmp/xcal-venv/bin/python crates/trade-calendar/tests/data/make_xnys_golden.py
#
# Columns: date (New York trading date), open_utc, close_utc (RFC 3339, UTC).
import csv
import pathlib

import exchange_calendars

START = "1990-01-02"
END = "2035-12-31"
OUT = pathlib.Path(__file__).with_name("xnys_sessions_1990_2035.csv")


def rfc3339(ts):
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    cal = exchange_calendars.get_calendar("XNYS", start=START, end=END)
    sched = cal.schedule.loc[START:END]
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "open_utc", "close_utc"])
        for date, row in sched.iterrows():
            w.writerow([date.strftime("%Y-%m-%d"), rfc3339(row["open"]), rfc3339(row["close"])])
    print(f"wrote {len(sched)} sessions to {OUT} (exchange_calendars {exchange_calendars.__version__})")


if __name__ == "__main__":
    main()
