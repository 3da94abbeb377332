# Where the synthetic surface's default vix_scale, skew, curvature and
# min_factor come from:
# a grid search over the out-of-the-money mids of the real SPY chain of
# 2025-08-26 (data/options/SPY_yfinance_chain_2025-08-26.csv; 20-70 days,
# within 15% of the spot, bid > 0.05), with the generator's surface formula
# (trade_options::synth::VolSurface), spot 645.75 (put-call parity), VIX 14.62
# (data/vix/VIX_History_cboe.csv), r = 4.3%, q = 1.2%, long-run vol 0.18,
# kappa 4. Error = mean squared (model - mid) / spread. Stdlib only:
#   python3 crates/trade-options/tests/data/synth_calibration.py
# Output of the run that set the defaults (the best grid point):
#   573 quotes
#   best (error, vix_scale, skew, curvature, min_factor): (47.89158532488967, 0.79, -2.6, 0.0, 0.8)
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
def err(scale,skew,curv,mf=0.5,lr=0.18,kap=4.0):
    atm30=scale*VIX/100; th=lr*lr; ex=(atm30**2-th)/decay(kap,30/365); tot=0
    for cp,K,T,mid,spr in rows:
        atm=math.sqrt(max(th+ex*decay(kap,T),0)); F=S*math.exp((r-q)*T)
        x=max(-1,min(1,math.log(K/F)/math.sqrt(T))); fac=max(mf,1+skew*x+curv*x*x)
        tot+=((bsm(cp,S,K,T,r,q,atm*fac)-mid)/max(spr,0.01))**2
    return tot/len(rows)
# Curvature is limited as the generator's config check demands (<= min(1, -skew/2)).
best=min(((err(s,k,c,m),s,k,c,m) for s in [0.76,0.77,0.78,0.79,0.8,0.82] for k in [-3.2,-3.0,-2.8,-2.6,-2.4,-2.2,-1.8,-1.4] for c in [0.0,0.25,0.5,1.0] for m in [0.5,0.6,0.7,0.75,0.8,0.85,0.9] if c <= min(1.0,-k/2)))
print('best (error, vix_scale, skew, curvature, min_factor):',best)
