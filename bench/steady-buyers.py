"""Steady customers who buy in ways the project's generator does not model (bench/steady-buyers.ts).

Written apart from sources/generator on purpose, so the shift detector meets data it was not tuned
on. No customer changes: every shift or silence alert on this data is a false one.

    /usr/bin/python3 bench/steady-buyers.py PATTERN CUSTOMERS DAYS SEED [TRUTH [MOVE [CHANGING [MOVING]]]] > events.ndjson

With TRUTH (a path), half the customers (CHANGING, default 0.5) change once, on a day drawn from
the middle of the run (bench/changing-buyers.ts scores what the detector finds), and TRUTH gets a
JSON line for each of them: {"customer_id", "day", "kind"}, the kind one of
  fewer     three purchases in ten of what they bought (rate x0.3)
  more      three times as many purchases (rate x3)
  stop      no purchase any more
  cheaper   amounts x0.3, as many purchases
  dearer    amounts x3, as many purchases
With MOVE as well, 40% (MOVING, default 0.4) of the customers who do not change on their own move
together from the middle day of the run, as a price rise or a region's closed stores would move
them (TRUTH names them, kind "moved-MOVE"; MOVE "-" for none):
  amounts   amounts x1.8
  purchases purchases x1.8
  stop      no purchase any more

Each customer buys at a lognormal rate (median one a day, 0.05 to 12), amounts lognormal (median
about 33, sigma 0.7), in daylight hours. PATTERN changes one thing:
  plain     Poisson days
  overdisp  each day's rate times Gamma(1, 1): variance = mean + mean^2 (busy and quiet days)
  baskets   visits Poisson, each of 1 + Poisson(1.5) transactions 45 s apart (variance 3.1 x mean)
  tz        the customer's day in a time zone from UTC-8 to UTC+9
  monthly   x2.2 on the first four days of each 30, x0.75 on the others
  twodays   all purchases on two weekdays of the customer's own
  pareto    amounts Pareto(1.4) from 8: a few far above the rest
"""
import json
import sys

import numpy as np

PATTERNS = ("plain", "overdisp", "baskets", "tz", "monthly", "twodays", "pareto")
T0 = 1767225600000  # 2026-01-01T00:00:00Z, a Thursday
DAY = 86400000


CHANGES = {"fewer": (0.3, 1.0), "more": (3.0, 1.0), "stop": (0.0, 1.0), "cheaper": (1.0, 0.3), "dearer": (1.0, 3.0)}
MOVES = {"amounts": (1.0, 1.8), "purchases": (1.8, 1.0), "stop": (0.0, 1.0)}
FACTORS = {**CHANGES, **{"moved-" + kind: factors for kind, factors in MOVES.items()}}


def draw_change(days, rng, share):
    """A `share` of the customers: (day, kind) of their one change, on a day in the middle half of the run; else None."""
    if rng.random() >= share:
        return None
    return int(rng.integers(days * 3 // 8, days * 3 // 4)), str(rng.choice(list(CHANGES)))


def customer_events(pattern, c, days, rng, change=None):
    cid = f"S{pattern[:2]}{c:06d}"
    rate = min(max(float(np.exp(rng.normal(0.0, 0.9))), 0.05), 12.0)
    log_median = rng.normal(3.5, 0.8)
    tz_hours = int(rng.integers(-8, 10)) if pattern == "tz" else 0
    shop_days = set(rng.choice(7, size=2, replace=False).tolist()) if pattern == "twodays" else None
    events = []
    for d in range(days):
        weekday = (d + 3) % 7
        # A customer's own change (CHANGES) or the move of a group it belongs to (MOVES).
        rate_factor, amount_factor = FACTORS[change[1]] if change is not None and d >= change[0] else (1.0, 1.0)
        lam = rate * rate_factor
        if pattern == "overdisp":
            lam *= rng.gamma(1.0, 1.0)
        elif pattern == "monthly":
            lam *= 2.2 if d % 30 < 4 else 0.75
        elif pattern == "twodays":
            lam = lam * 3.5 if weekday in shop_days else 0.0
        visits = rng.poisson(lam / 2.5 if pattern == "baskets" else lam)
        for _ in range(visits):
            hour = rng.normal(14, 3.5) - tz_hours
            t = T0 + d * DAY + int(hour * 3600000) + int(rng.integers(0, 3600000))
            items = 1 + rng.poisson(1.5) if pattern == "baskets" else 1
            for i in range(items):
                if pattern == "pareto":
                    amount = amount_factor * 8 * (rng.pareto(1.4) + 1)
                else:
                    amount = amount_factor * np.exp(rng.normal(log_median, 0.7))
                events.append((t + i * 45000, cid, round(float(amount), 2)))
    return events


def main():
    pattern, customers, days, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if pattern not in PATTERNS:
        sys.exit(f"steady-buyers.py: unknown pattern {pattern!r}; one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng(seed)
    truth = open(sys.argv[5], "w") if len(sys.argv) > 5 else None
    move = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != "-" else None
    changing = float(sys.argv[7]) if len(sys.argv) > 7 else 0.5
    moving = float(sys.argv[8]) if len(sys.argv) > 8 else 0.4
    if move is not None and move not in MOVES:
        sys.exit(f"steady-buyers.py: unknown move {move!r}; one of {', '.join(MOVES)}")
    # The group is drawn from a stream of its own, so that data without a move stays as it was.
    group_rng = np.random.default_rng(seed + 1_000_003)
    events = []
    for c in range(customers):
        cid = f"S{pattern[:2]}{c:06d}"
        change = draw_change(days, rng, changing) if truth else None
        moves = move is not None and group_rng.random() < moving and change is None
        if moves:
            change = (days // 2, "moved-" + move)
        events.extend(customer_events(pattern, c, days, rng, change))
        if change is not None:
            truth.write(json.dumps({"customer_id": cid, "day": change[0], "kind": change[1]}) + "\n")
    if truth:
        truth.close()
    events.sort(key=lambda e: e[0])
    out = sys.stdout
    for n, (ts, cid, amount) in enumerate(events):
        out.write(json.dumps({"type": "transaction", "event_id": f"S{pattern[:2]}{n}", "ts": ts, "customer_id": cid, "amount": amount, "channel": "web"}) + "\n")


if __name__ == "__main__":
    main()
