# Where the synthetic surface's default vix_scale, skew and curvature come from:
# a grid search over the out-of-the-money mids of the real SPY chain of
# 2025-08-26 (data/options/SPY_yfinance_chain_2025-08-26.csv; 20-70 days,
# within 15% of the spot, bid > 0.05), with the generator's surface formula
# (trade_options::synth::VolSurface), spot 645.75 (put-call parity), VIX 14.62
# (data/vix/VIX_History_cboe.csv), r = 4.3%, q = 1.2%, long-run vol 0.18,
# kappa 4. Error = mean squared (model - mid) / spread. Stdlib only:
#   python3 crates/trade-options/tests/data/synth_calibration.py
# Output of the run that set the defaults (0.8, -2.2, 1.0 chosen near the
# best point for a smoother wing):
#   573 quotes
#   best (...): (103.88, 0.79, -2.4, 0.5)
#   (0.8, -2.2, 1.0) 116.84
import csv, math, itertools
S=645.75; VIX=14.62; r=0.043; q=0.012
def ncdf(x): return 0.5*math.erfc(-x/math.sqrt(2))
def bsm(cp,S,K,T,r,q,v):
    sd=v*math.sqrt(T); d1=(math.log(S/K)+(r-q)*T)/sd+0.5*sd; d2=d1-sd
    if cp=='c': return S*math.exp(-q*T)*ncdf(d1)-K*math.exp(-r*T)*ncdf(d2)
    return K*math.exp(-r*T)*ncdf(-d2)-S*math.exp(-q*T)*ncdf(-d1)
import datetime
rows=[]
for x in csv.DictReader(open(__import__('os').path.join(__import__('os').path.dirname(__file__), '../../../../data/options/SPY_yfinance_chain_2025-08-26.csv'))):
    e=datetime.date.fromisoformat(x['Expiration_Date']); dte=(e-datetime.date(2025,8,26)).days
    b,a,K=float(x['bid']),float(x['ask']),float(x['strike'])
    if not (20<=dte<=70) or b<=0.05 or a<b: continue
    cp=x['Type']
    if (cp=='c' and K<S) or (cp=='p' and K>S): continue
    if abs(K/S-1)>0.15: continue
    rows.append((cp,K,dte/365,(a+b)/2,a-b))
print(len(rows),'quotes')
def decay(k,t): return 1 if k*t<1e-9 else (1-math.exp(-k*t))/(k*t)
def err(scale,skew,curv,lr=0.18,kap=4.0):
    atm30=scale*VIX/100; th=lr*lr; ex=(atm30**2-th)/decay(kap,30/365); tot=0
    for cp,K,T,mid,spr in rows:
        atm=math.sqrt(max(th+ex*decay(kap,T),0)); F=S*math.exp((r-q)*T)
        x=max(-1,min(1,math.log(K/F)/math.sqrt(T))); fac=max(0.5,1+skew*x+curv*x*x)
        tot+=((bsm(cp,S,K,T,r,q,atm*fac)-mid)/max(spr,0.01))**2
    return tot/len(rows)
best=min(((err(s,k,c),s,k,c) for s in [0.76,0.78,0.79,0.8,0.81,0.82,0.84] for k in [-3.0,-2.6,-2.4,-2.2,-2.0,-1.8,-1.6] for c in [0.5,1.0,1.25,1.5,1.75,2.0,2.5]))
print('best (mean sq error in spreads, scale, skew, curvature):',best)
print('defaults before (0.9,-2,2):',err(0.9,-2.0,2.0))
for p in [(0.79,-2.4,0.5),(0.79,-2.4,0.0),(0.8,-2.2,1.0),(0.8,-2.0,1.5),(0.79,-2.6,0.0),(0.79,-2.3,0.75)]:
    print(p, err(*p))
