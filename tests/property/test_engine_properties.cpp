// Property test of loyalty::engine against a plain reference model: random sequences of orders
// (random lines), returns (partial by quantity, or of everything left) and advance() over a
// program with a per-line rule (points, pending for 3 days), an order-level rule (2 % cashback,
// half_even cents) and a monthly amount cap on the cashback. After every step, the available,
// pending, reversed and earned balances of both wallets must equal the model's.
//
// The model works on integers only (cents, points, microseconds): it shares no code with the
// engine, the ledger or loyalty::allocate. It computes its own rounding (floor, half_even), its
// own largest-remainder split of an order-level award over the lines (for returns), the share of
// a partial return (floor of award x returned / bought, the last unit taking the rest) and its
// own calendar months (UTC, days since the epoch to year and month).
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/engine.hpp"

namespace {

const char* const program_yaml = R"(name: Engine property
version: "1"
time_zone: UTC
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
  - id: cashback
    currency: EUR
    rounding: half_even
schema:
  records:
    line:
      price: decimal(2)
      qty: integer
events:
  order.completed:
    fields:
      lines: list<line>
      total: decimal(2)
    lines: lines
    quantity: qty
    line_value: line.price * line.qty
  order.returned:
    returns: order.completed
rules:
  - id: per_line
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    pending: 3 days
  - id: cashback
    on: order.completed
    award: event.total * 0.02
    into: cashback
    caps:
      - {max: 5.00, per: customer, period: month}
)";

constexpr std::int64_t micros_per_minute = 60'000'000;
constexpr std::int64_t micros_per_day = 86'400'000'000;
constexpr std::int64_t pending_micros = 3 * micros_per_day;  // "3 days" in UTC: 72 hours
constexpr std::int64_t cap_cents = 500;

/// One step of a history, with raw random numbers that the property maps onto valid choices
/// (so that shrinking never makes a step invalid).
struct step {
  int kind = 0;                                              // 0: order, 1: return, 2: advance
  std::int64_t minutes = 0;                                  // time passed before the step
  std::vector<std::pair<std::int64_t, std::int64_t>> lines;  // order: (price in cents, qty)
  std::uint32_t pick_order = 0;
  std::uint32_t pick_line = 0;
  std::uint32_t pick_qty = 0;
  bool whole = false;  // return: everything left of the order
};

void showValue(const step& s, std::ostream& os) {
  static const char* const kinds[] = {"order", "return", "advance"};
  os << kinds[s.kind] << " after " << s.minutes << " min";
  if (s.kind == 0) {
    os << ":";
    for (const auto& [cents, qty] : s.lines) os << " " << cents << "c x" << qty;
  } else if (s.kind == 1) {
    os << (s.whole ? " (whole)" : "") << " order#" << s.pick_order << " line#" << s.pick_line
       << " qty#" << s.pick_qty;
  }
}

rc::Gen<step> gen_step() {
  const auto line =
      rc::gen::pair(rc::gen::inRange<std::int64_t>(1, 5'001), rc::gen::inRange<std::int64_t>(1, 5));
  return rc::gen::build<step>(
      rc::gen::set(&step::kind, rc::gen::weightedElement<int>({{5, 0}, {3, 1}, {2, 2}})),
      rc::gen::set(&step::minutes, rc::gen::weightedOneOf<std::int64_t>({
                                       {3, rc::gen::inRange<std::int64_t>(0, 24 * 60)},
                                       {2, rc::gen::inRange<std::int64_t>(0, 8 * 24 * 60)},
                                   })),
      rc::gen::set(&step::lines,
                   rc::gen::mapcat(rc::gen::inRange(1, 5),
                                   [line](int n) {
                                     return rc::gen::container<
                                         std::vector<std::pair<std::int64_t, std::int64_t>>>(
                                         static_cast<std::size_t>(n), line);
                                   })),
      rc::gen::set(&step::pick_order, rc::gen::inRange<std::uint32_t>(0, 1'000)),
      rc::gen::set(&step::pick_line, rc::gen::inRange<std::uint32_t>(0, 1'000)),
      rc::gen::set(&step::pick_qty, rc::gen::inRange<std::uint32_t>(0, 1'000)),
      rc::gen::set(&step::whole, rc::gen::weightedElement<bool>({{1, true}, {3, false}})));
}

// ---- The reference model -------------------------------------------------------------------

/// year * 12 + month (1-12) of a UTC instant, by Hinnant's days-to-civil algorithm.
std::int64_t month_number(std::int64_t micros) {
  std::int64_t z = (micros >= 0 ? micros : micros - (micros_per_day - 1)) / micros_per_day;
  z += 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 12 + m;
}

/// n / d rounded half to even (n >= 0, d > 0).
std::int64_t half_even(std::int64_t n, std::int64_t d) {
  const std::int64_t q = n / d;
  const std::int64_t r = n % d;
  if (2 * r > d || (2 * r == d && q % 2 == 1)) return q + 1;
  return q;
}

/// `units` split over `weights` (all > 0): floors, then one unit each to the largest
/// remainders, ties to the earlier line.
std::vector<std::int64_t> split(std::int64_t units, const std::vector<std::int64_t>& weights) {
  std::int64_t sum = 0;
  for (const std::int64_t w : weights) sum += w;
  std::vector<std::int64_t> parts(weights.size());
  std::vector<std::int64_t> rem(weights.size());
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    parts[i] = units * weights[i] / sum;
    rem[i] = units * weights[i] % sum;
    given += parts[i];
  }
  for (std::int64_t left = units - given; left > 0; --left) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < rem.size(); ++i) {
      if (rem[i] > rem[best]) best = i;
    }
    ++parts[best];
    rem[best] = -1;
  }
  return parts;
}

/// award x part / whole, rounded down; all of it once part reaches whole.
std::int64_t share(std::int64_t award, std::int64_t part, std::int64_t whole) {
  return part >= whole ? award : award * part / whole;
}

struct model {
  struct wallet {
    std::int64_t available = 0;
    std::int64_t pending = 0;
    std::int64_t reversed = 0;
    std::int64_t earned = 0;
  };
  struct lot {
    std::int64_t activates_at = 0;
    std::int64_t remaining = 0;
    bool pending = true;
  };
  struct award {
    int wallet = 0;
    std::vector<std::int64_t> per_line;
    std::size_t lot = 0;  // points: index into lots
  };
  struct order {
    std::vector<std::int64_t> qty;
    std::vector<std::int64_t> returned;
    std::vector<award> awards;
  };
  wallet wallets[2];
  std::vector<lot> lots;
  std::vector<order> orders;
  std::int64_t cap_month = -1;
  std::int64_t cap_used = 0;

  void place(std::int64_t now, const std::vector<std::pair<std::int64_t, std::int64_t>>& lines) {
    order o;
    std::vector<std::int64_t> value;
    std::vector<std::int64_t> points;
    std::int64_t total_points = 0;
    std::int64_t total = 0;
    for (const auto& [cents, qty] : lines) {
      o.qty.push_back(qty);
      o.returned.push_back(0);
      value.push_back(cents * qty);
      points.push_back(cents * qty / 100);  // floor, per line
      total_points += cents * qty / 100;
      total += cents * qty;
    }
    if (total_points > 0) {
      lots.push_back({now + pending_micros, total_points, true});
      wallets[0].pending += total_points;
      wallets[0].earned += total_points;
      o.awards.push_back({0, points, lots.size() - 1});
    }
    // 2 % of the total in cents: total / 50, half to even; then the monthly cap.
    const std::int64_t cashback = half_even(total, 50);
    const std::int64_t month = month_number(now);
    const std::int64_t used = month == cap_month ? cap_used : 0;
    const std::int64_t units = std::min(cashback, std::max<std::int64_t>(cap_cents - used, 0));
    if (units > 0) {
      cap_month = month;
      cap_used = used + units;
      wallets[1].available += units;
      wallets[1].earned += units;
      o.awards.push_back({1, split(units, value), 0});
    }
    orders.push_back(std::move(o));
  }

  void give_back(std::size_t which, const std::vector<std::int64_t>& q) {
    order& o = orders[which];
    for (const award& a : o.awards) {
      std::int64_t units = 0;
      for (std::size_t i = 0; i < q.size(); ++i) {
        units += share(a.per_line[i], o.returned[i] + q[i], o.qty[i]) -
                 share(a.per_line[i], o.returned[i], o.qty[i]);
      }
      if (units == 0) continue;
      wallet& w = wallets[a.wallet];
      w.reversed += units;
      if (a.wallet == 0 && lots[a.lot].pending) {
        w.pending -= units;
      } else {
        w.available -= units;  // nothing is ever spent: the award's own lot has it all
      }
      if (a.wallet == 0) lots[a.lot].remaining -= units;
    }
    for (std::size_t i = 0; i < q.size(); ++i) o.returned[i] += q[i];
  }

  void advance(std::int64_t now) {
    for (lot& l : lots) {
      if (!l.pending || l.activates_at > now) continue;
      l.pending = false;
      wallets[0].pending -= l.remaining;
      wallets[0].available += l.remaining;
    }
  }
};

std::shared_ptr<const loyalty::program> program() {
  static const std::shared_ptr<const loyalty::program> p = [] {
    auto r = loyalty::load_program(program_yaml, "property.yaml");
    if (!r.ok()) throw std::runtime_error(loyalty::render(r.diagnostics));
    return r.program;
  }();
  return p;
}

}  // namespace

TEST_CASE("engine matches a reference model over orders, returns and advance()",
          "[property][engine]") {
  const auto p = program();
  const loyalty::engine eng(p);
  rc::prop("balances after every step", [&] {
    const auto steps = *rc::gen::resize(40, rc::gen::container<std::vector<step>>(gen_step()));
    loyalty::member m = eng.open(loyalty::id128{0, 1});
    model ref;
    loyalty::event order(*p, "order.completed");
    loyalty::event ret(*p, "order.returned");
    loyalty::engine_decision dec;
    const loyalty::process_options options;
    std::vector<loyalty::value> rows;
    std::int64_t now = loyalty::parse_timestamp("2026-01-01T00:00:00Z").value().micros;
    std::uint64_t next_id = 1;
    std::vector<loyalty::id128> order_ids;  // by the model's order index
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const step& s = steps[k];
      now += s.minutes * micros_per_minute;
      const loyalty::timestamp at{now};
      if (s.kind == 0) {
        rows.clear();
        std::int64_t total = 0;
        for (const auto& [cents, qty] : s.lines) {
          rows.push_back(loyalty::value::of_decimal(loyalty::decimal::from_units(cents, 2).value));
          rows.push_back(loyalty::value::of_int(qty));
          total += cents * qty;
        }
        order_ids.push_back(loyalty::id128{1, next_id++});
        order.reset(order_ids.back(), at);
        RC_ASSERT(order.set(
            "event.lines",
            loyalty::value::of_list(rows.data(), static_cast<std::uint32_t>(s.lines.size()), 2)));
        RC_ASSERT(order.set("event.total", loyalty::decimal::from_units(total, 2).value));
        eng.process(m, order, at, options, dec);
        RC_ASSERT(dec.result == loyalty::process_result::ok);
        ref.place(now, s.lines);
      } else if (s.kind == 1) {
        // An order with something left to return, if any.
        std::vector<std::size_t> open;
        for (std::size_t i = 0; i < ref.orders.size(); ++i) {
          const auto& o = ref.orders[i];
          for (std::size_t j = 0; j < o.qty.size(); ++j) {
            if (o.returned[j] < o.qty[j]) {
              open.push_back(i);
              break;
            }
          }
        }
        if (open.empty()) continue;
        const std::size_t which = open[s.pick_order % open.size()];
        const auto& o = ref.orders[which];
        std::vector<std::int64_t> q(o.qty.size(), 0);
        ret.reset(loyalty::id128{2, next_id++}, at);
        ret.set_original(order_ids[which]);
        if (s.whole) {
          for (std::size_t j = 0; j < q.size(); ++j) q[j] = o.qty[j] - o.returned[j];
        } else {
          std::vector<std::size_t> lines;
          for (std::size_t j = 0; j < o.qty.size(); ++j) {
            if (o.returned[j] < o.qty[j]) lines.push_back(j);
          }
          const std::size_t j = lines[s.pick_line % lines.size()];
          q[j] = 1 + static_cast<std::int64_t>(s.pick_qty) % (o.qty[j] - o.returned[j]);
          ret.add_returned_line(static_cast<std::uint32_t>(j), q[j]);
        }
        eng.process(m, ret, at, options, dec);
        RC_ASSERT(dec.result == loyalty::process_result::ok);
        ref.give_back(which, q);
      } else {
        eng.advance(m, at, options, dec);
        RC_ASSERT(dec.result == loyalty::process_result::ok);
        ref.advance(now);
      }
      for (int w = 0; w < 2; ++w) {
        const loyalty::balances b = eng.ledger().balance(m.ledger, static_cast<std::uint16_t>(w));
        const model::wallet& e = ref.wallets[w];
        RC_ASSERT(b.available == e.available);
        RC_ASSERT(b.pending == e.pending);
        RC_ASSERT(b.reversed == e.reversed);
        RC_ASSERT(b.earned == e.earned);
        RC_ASSERT(b.debt == 0);
      }
      RC_ASSERT(eng.ledger().check(m.ledger).empty());
    }
  });
}
