"""Independent Black-Scholes-Merton values for tests/ibapi_client.rs.

Closed form (Hull, Options Futures and Other Derivatives, ch. 17, continuous
dividend yield) with only the standard library. Run: python3 bsm_golden.py
"""
from math import erf, exp, log, sqrt

def N(x):
    return 0.5 * (1.0 + erf(x / sqrt(2.0)))

S, K, r, q, vol = 560.0, 560.0, 0.045, 0.013, 0.18
# 2025-03-18 09:30 ET -> 2025-03-21 16:00 ET = 3 days 6.5 hours, ACT/365.
T = (3 * 86400 + 6.5 * 3600) / (365 * 86400)
d1 = (log(S / K) + (r - q + 0.5 * vol * vol) * T) / (vol * sqrt(T))
d2 = d1 - vol * sqrt(T)
call = S * exp(-q * T) * N(d1) - K * exp(-r * T) * N(d2)
delta = exp(-q * T) * N(d1)
print(f"T={T!r} call={call!r} delta={delta!r}")
