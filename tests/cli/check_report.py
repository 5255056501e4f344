"""Checks the JSON reports of `loyalty simulate` and `loyalty diff` (run by ctest).

  check_report.py tiny REPORT.json      the exact figures of data/tiny.jsonl, computed by hand
  check_report.py valid FILE.json...    each file parses as JSON (RFC 8259, strict)
  check_report.py same A.json B.json    two reports are equal but for where the events came from
  check_report.py diff DIFF.json        the exact figures of `loyalty diff` on the tiny programs
"""
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def no_float(s):
        raise ValueError(f"{path}: a JSON number with a fraction or exponent: {s}")

    # Amounts are strings holding exact decimals; a JSON number with a fraction is an error.
    return json.loads(text, parse_float=no_float, parse_constant=no_float)


def expect(what, actual, wanted):
    if actual != wanted:
        sys.exit(f"FAIL: {what}: {actual!r}, expected {wanted!r}")


def tiny(path):
    r = load(path)
    # Jan: C1 registers (+100 points, expiring a month later), orders 40.00 (+40, +2.00
    # cashback); C2 registers (+100), orders 100.00 (+100, +5.00), returns half (-50, -2.50);
    # C1's birthday on the 20th (+50). Feb: C1 redeems 100 (its welcome lot), orders 10.00
    # (+10, +0.50); January's lots expire: C1's order 40 and birthday 50, C2's welcome 100 and
    # what is left of its order, 50: 240 expired.
    expect("events", r["events"], {"read": 9, "processed": 7, "duplicates": 1, "rejected": 1,
                                   "by_type": {"order.completed": 3, "order.returned": 1,
                                               "customer.registered": 2, "loyalty.redeem": 1},
                                   "rejected_samples": [
                                       "tests/cli/data/tiny.jsonl:8: unknown event type "
                                       "'order.shipped'"]})
    expect("customers", r["customers"], 2)
    expect("orders", r["orders"], 3)
    expect("revenue", r["revenue"], "150.00")
    expect("average order value", r["average_order_value"], "50.00")
    expect("purchase frequency", r["purchase_frequency"], "1.50")
    expect("redemptions", (r["redemptions"], r["redemptions_refused"]), (1, 0))
    points, cashback = r["point_types"]
    expect("points", {k: points[k] for k in ("earned", "redeemed", "expired", "reversed",
                                              "outstanding", "outstanding_value", "unit_value",
                                              "redemption_rate", "breakage_rate",
                                              "expected_breakage_value")},
           {"earned": "400", "redeemed": "100", "expired": "240", "reversed": "50",
            "outstanding": "10", "outstanding_value": "0.10", "unit_value": "0.01",
            "redemption_rate": "0.2500", "breakage_rate": "0.7059",
            "expected_breakage_value": "0.07"})
    expect("cashback", {k: cashback[k] for k in ("earned", "reversed", "outstanding",
                                                  "outstanding_value", "unit_value")},
           {"earned": "7.50", "reversed": "2.50", "outstanding": "5.00",
            "outstanding_value": "5.00", "unit_value": "1"})
    expect("liability", (r["liability_value"], r["expected_breakage_value"],
                         r["net_liability_value"]), ("5.10", "0.07", "5.03"))
    jan, feb = r["months"]
    expect("january", (jan["month"], jan["events"], jan["orders"], jan["revenue"],
                       jan["active_customers"], jan["new_customers"], jan["retention_rate"],
                       jan["earned"], jan["expired"], jan["reversed"], jan["outstanding"],
                       jan["liability_value"]),
           ("2026-01", 5, 2, "140.00", 2, 2, None, {"points": "390", "cashback": "7.00"},
            {"points": "0", "cashback": "0.00"}, {"points": "50", "cashback": "2.50"},
            {"points": "340", "cashback": "4.50"}, "7.90"))
    expect("february", (feb["month"], feb["events"], feb["orders"], feb["active_customers"],
                        feb["retained_customers"], feb["retention_rate"], feb["churn_rate"],
                        feb["earned"]["points"], feb["redeemed"]["points"],
                        feb["expired"]["points"], feb["liability_value"]),
           ("2026-02", 2, 1, 1, 1, "0.5000", "0.5000", "10", "100", "240", "5.10"))
    rules = {x["id"]: (x["awards"], x["awarded"], x["reversed"], x["net"], x["cost"])
             for x in r["rules"]}
    expect("rules", rules, {"base": (3, "150", "50", "100", "1.00"),
                            "cash": (3, "7.50", "2.50", "5.00", "5.00"),
                            "welcome": (2, "200", "0", "200", "2.00"),
                            "birthday": (1, "50", "0", "50", "0.50")})


def diff(path):
    d = load(path)
    rules = {x["id"]: x for x in d["rules"]}
    # New: base pays 2 points per euro, welcome is gone, big_order (new) pays 25 on C2's order
    # of 100.00. C1: 80 + 50 (birthday) + 20 = 150 points earned; its redemption of 100 takes
    # the order's 80 and 20 of the birthday lot, whose other 30 expire. C2: 200 + 25 in one lot;
    # the return of half the order reverses 100 + 12 (12.5 rounded down); the other 113 expire.
    expect("base", (rules["base"]["old"]["net"], rules["base"]["new"]["net"],
                    rules["base"]["cost_change"]), ("100", "200", "1.00"))
    expect("welcome", (rules["welcome"]["new"], rules["welcome"]["cost_change"]), (None, "-2.00"))
    expect("big_order", (rules["big_order"]["old"], rules["big_order"]["new"]["net"]),
           (None, "13"))
    totals = {x["what"]: (x["old"], x["new"], x["change"]) for x in d["totals"]}
    expect("points earned", totals["points earned"], ("400", "375", "-25"))
    expect("points reversed", totals["points reversed"], ("50", "112", "62"))
    expect("points expired", totals["points expired"], ("240", "143", "-97"))
    expect("points outstanding", totals["points outstanding"], ("10", "20", "10"))
    expect("liability", totals["liability EUR"], ("5.10", "5.20", "0.10"))
    expect("customers changed", (d["customers_compared"], d["customers_changed"]), (2, 2))
    # Value awarded, net of reversals: C1 4.50 -> 4.00, C2 4.00 -> 3.63.
    expect("most affected", [(x["customer"], x["old"], x["new"], x["change"])
                             for x in d["customers_most_affected"]],
           [("C1", "4.50", "4.00", "-0.50"), ("C2", "4.00", "3.63", "-0.37")])


def main():
    mode, files = sys.argv[1], sys.argv[2:]
    if mode == "tiny":
        tiny(files[0])
    elif mode == "valid":
        for f in files:
            load(f)
    elif mode == "same":
        a, b = load(files[0]), load(files[1])
        a.pop("events_source")
        b.pop("events_source")
        for r in (a, b):
            r["events"].pop("rejected_samples")
        expect(f"{files[0]} against {files[1]}", a, b)
    elif mode == "diff":
        diff(files[0])
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"ok: {mode} {' '.join(files)}")


if __name__ == "__main__":
    main()
