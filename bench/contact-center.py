"""A contact-center business's event stream for bench/pipeline-bench.ts (--data contact-center).

Written apart from sources/generator on purpose, so the default job's speed is measured on a load it
was not tuned on: half the events are contacts (where the generator has about one in a hundred),
with texts, dispositions and reasons from a contact center's day, and the rest purchases and usage.

    /usr/bin/python3 bench/contact-center.py CUSTOMERS DAYS SEED > events.ndjson

About 1.43 events a customer a day, spread evenly over the days (so 50,000 customers x 14 days is
a million events). Every customer is known (no anonymous callers); a contact's wait is exponential
(mean 40 s), 7% are abandoned, its handling exponential (mean 5 min), 85% of the handled ones are
resolved. Seven in nine contacts carry a text, three of the seven texts angry; one reason in eleven
is a cancellation. The same arguments give the same bytes.
"""
import json
import random
import sys

T0 = 1767225600000  # 2026-01-01T00:00:00Z
DAY = 86400000
QUEUES = ["billing", "tech_support", "sales", "retention", "general", "claims", "orders", "vip"]
CHANNELS = ["voice", "voice", "chat", "email"]
REASONS = ["BILL_DISPUTE", "TECH_OUTAGE", "SALES_INFO", "RET_CANCEL", "GEN_INFO", "ORDER_STATUS", "PAY_ISSUE", "PASSWORD", "DELIVERY", "UPGRADE", "COMPLAINT"]
TEXTS = [
    "I want to cancel my subscription, this is terrible service",
    "Interested in upgrading to the premium plan for my team",
    "My internet has been down for two days, very frustrated",
    "Can you explain this charge on my bill?",
    "Thanks, the agent was helpful and fixed it quickly",
    "Looking to buy three more licenses next month",
    "Your app keeps crashing and nobody helps me",
    None,
    None,
]


def contact(i, ts, customer, rng):
    wait_ms = int(rng.expovariate(1 / 40) * 1000)
    abandoned = rng.random() < 0.07
    answered = None if abandoned else ts + wait_ms
    ended = (answered or ts + wait_ms) + (0 if abandoned else int(rng.expovariate(1 / 300) * 1000))
    if abandoned:
        disposition = "abandoned"
    elif rng.random() < 0.85:
        disposition = "resolved"
    else:
        disposition = rng.choice(["unresolved", "transferred", "callback"])
    event = {
        "type": "contact", "event_id": f"CC{i}", "ts": ts, "customer_id": customer, "contact_id": f"K{i}",
        "channel": rng.choice(CHANNELS), "queue": rng.choice(QUEUES), "reason": rng.choice(REASONS), "agent_id": None if abandoned else f"A{rng.randrange(400)}",
        "queued_at": ts, "answered_at": answered, "ended_at": ended,
        "hold_seconds": 0 if abandoned else rng.randrange(60), "acw_seconds": 0 if abandoned else rng.randrange(90), "disposition": disposition,
    }
    text = rng.choice(TEXTS)
    if text is not None:
        event["text"] = text
    return event


def main():
    customers, days, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    total = round(customers * days * 1.43)
    out = sys.stdout
    for i in range(total):
        # In time order, up to a minute out of order.
        ts = T0 + i * days * DAY // total + rng.randrange(60000)
        customer = f"K{rng.randrange(customers):06d}"
        kind = rng.random()
        if kind < 0.5:
            event = contact(i, ts, customer, rng)
        elif kind < 0.8:
            event = {"type": "transaction", "event_id": f"CC{i}", "ts": ts, "customer_id": customer,
                     "amount": round(rng.lognormvariate(3.4, 0.8), 2), "channel": rng.choice(["web", "store", "app"])}
        else:
            event = {"type": "usage", "event_id": f"CC{i}", "ts": ts, "customer_id": customer,
                     "metric": rng.choice(["minutes", "data_mb", "logins"]), "quantity": round(rng.expovariate(0.1), 1)}
        out.write(json.dumps(event, separators=(",", ":")) + "\n")


main()
