"""Information bound on per-customer shift detection for the generator's customers (issue 4).

Run: /usr/bin/python3 test/operators/shifts/kl-bound.py
For each shift (kind, size, customer activity) the Kullback-Leibler divergence per daily window
between the post- and pre-shift distribution of the shifted measure is computed exactly from the
generator's model (sources/generator/population.ts); Lorden's bound then says no detector with an
in-control average run length ARL0 can have a worst-case expected delay below ~log(ARL0) / KL
(known pre- and post-shift parameters: a real detector, which estimates the baseline, is slower).
"""
import numpy as np

rng = np.random.default_rng(1)
N = 200_000
MEAN_TX, TX_SIGMA, AMOUNT_SIGMA = 2.5, 0.8, 0.8
USAGE = {"data_mb": (1.5, 0.7), "minutes": (1.0, 0.8), "logins": (0.8, 0.0)}  # records/day, log sigma
SERIES_PER_CUSTOMER = 5  # spend_total, spend_count, usage:data_mb, usage:minutes, usage:logins


def kl_poisson(lam, f):
    """KL(Poisson(f lam) || Poisson(lam)) per window."""
    return lam * (f * np.log(f) - f + 1)


def kl_scale(rate, f, sigma):
    """KL per window when each of `rate` lognormal(sigma) values a day is scaled by f (counts unchanged)."""
    return rate * np.log(f) ** 2 / (2 * sigma**2)


def kl_of(kind, f, tx, usage_rates, metrics):
    if kind == "spend_frequency":
        return kl_poisson(tx, f)  # amounts unchanged: the count is sufficient
    if kind == "spend_amount":
        return kl_scale(tx, f, AMOUNT_SIGMA)
    # usage: a per-series detector sees one metric; take the most informative shifted metric
    out = np.zeros_like(tx)
    for m, (_, sigma) in USAGE.items():
        r = usage_rates[m]
        k = kl_poisson(r, f) if sigma == 0 else kl_scale(r, f, sigma)
        out = np.maximum(out, np.where(metrics[m], k, 0))
    return out


tx_mu = np.log(MEAN_TX) - TX_SIGMA**2 / 2
tx = rng.lognormal(tx_mu, TX_SIGMA, N) * 0.98  # refunds (2%) are not spend
usage_rates = {m: rng.gamma(3, mean / 3, N) for m, (mean, _) in USAGE.items()}
u = rng.random(N)
kinds = np.where(u < 0.35, "spend_amount", np.where(u < 0.7, "spend_frequency", "usage"))
all3 = rng.random(N) < 0.4
one = rng.integers(0, 3, N)
metrics = {m: all3 | (one == j) for j, m in enumerate(USAGE)}
start = rng.integers(21, 114, N)  # shift start day, inclusive bounds 21..113
horizon = 120 - start  # shifted days observed
sizes = np.array([-0.8, -0.5, 0.5, 1.0, 2.0])  # the |size| >= 50% sizes
size = rng.choice(sizes, N)

kl = np.zeros(N)
for kind in ("spend_amount", "spend_frequency", "usage"):
    for s in sizes:
        sel = (kinds == kind) & (size == s)
        kl[sel] = kl_of(kind, 1 + s, tx[sel], {m: r[sel] for m, r in usage_rates.items()}, {m: v[sel] for m, v in metrics.items()})

print(f"typical (median) customer: {np.median(tx):.2f} transactions/day; quartiles {np.quantile(tx, [0.25, 0.75]).round(2)}")
print("KL per daily window at the median activity (nats):")
lam = float(np.median(tx))
for s in sizes:
    f = 1 + s
    print(f"  size {s:+.0%}: frequency {float(kl_poisson(lam, f)):.3f}, amount {float(kl_scale(lam, f, AMOUNT_SIGMA)):.3f}")

for label, fa in (("1 per 1,000 customer-days (the issue's budget)", 1.0), ("0.06 per 1,000 (what precision 0.9 needs)", 0.06)):
    arl0 = SERIES_PER_CUSTOMER * 1000 / fa  # per series
    h = np.log(arl0)
    delay = h / kl
    print(f"\nfalse-alarm budget {label}: ARL0 per series {arl0:,.0f} windows, log ARL0 = {h:.1f}")
    print(f"  Lorden delay bound, |size| >= 50%: median {np.median(delay):.1f} windows; quartiles {np.quantile(delay, [0.25, 0.75]).round(1)}")
    print(f"  share with bound <= 2 windows: {np.mean(delay <= 2):.3f}; <= 7: {np.mean(delay <= 7):.3f}")
    print(f"  share whose bound fits in the shifted days observed (recall ceiling): {np.mean(delay <= horizon):.3f}")
    for lo, hi in ((0, 0.5), (0.5, 1), (1, 2), (2, 4), (4, 1e9)):
        sel = (tx >= lo) & (tx < hi)
        print(f"    tx/day {lo}-{hi if hi < 1e9 else 'inf'}: share {sel.mean():.3f}, median bound {np.median(delay[sel]):6.1f}, <=2: {np.mean(delay[sel] <= 2):.3f}, fits horizon: {np.mean(delay[sel] <= horizon[sel]):.3f}")
    for kind in ("spend_amount", "spend_frequency", "usage"):
        for s in sizes:
            sel = (kinds == kind) & (size == s)
            print(f"    {kind:16s} {s:+.0%}: median bound {np.median(delay[sel]):6.1f}, fits horizon {np.mean(delay[sel] <= horizon[sel]):.3f}")
