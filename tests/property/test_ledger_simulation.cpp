// Deterministic simulation of loyalty::ledger against a deliberately naive reference model.
//
// Random sequences of every operation kind (and ledger::advance) run for several customers at
// once through the host protocol of loyalty/ledger.hpp: load the customer's state from a
// memory_store, decide, commit with expected_version = read_version, and only then apply (to the
// reference model). Faults are injected on purpose: duplicate retries (the same body, and bodies
// with one field changed), decisions whose persist "crashed" (dropped, retried later), decisions
// made against a stale copy of the state, and holds whose deadlines are not in the order they
// were made. After every step the result code, the decision's units and entries, every balance,
// every lot and every hold are compared with the model, and ledger::check() must pass. Every
// era (5,000 steps) and at the end, each customer's journal is replayed from ledger::open() and
// must rebuild the stored state; then a new era starts with a new store and new customers (which
// keeps each customer's state, copied on every load and commit, to a few hundred operations).
//
// Four wallets cover the policies: two without expiry policies (soonest-expiring-first with
// allow_negative, fifo with within_balance), one whose credits expire 10 days after they
// activate rounded to the end of the ISO week, and one that lapses after 20 days of inactivity
// rounded to the end of the day (reset by redeem, capture and record_activity; the first credit
// starts a stopped clock). All in UTC, so the model computes the instants with integer arithmetic.
//
// The model keeps plain vectors and scans them linearly; it implements the semantics documented
// in loyalty/ledger.hpp and docs/ledger.md on its own: it shares no code with the ledger beyond
// the types, decimal amounts and id128::child (the documented ids of ledger-made entries).
//
// Environment: LOYALTY_SIM_SEED=n picks the seed (every failure prints it, the step and the
// customer's last operations), LOYALTY_SIM_OPS=n the number of operations (default 200,000).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/ledger.hpp"
#include "loyalty/time.hpp"

namespace {

using loyalty::balances;
using loyalty::consumption_order;
using loyalty::customer_state;
using loyalty::decimal;
using loyalty::decision;
using loyalty::duration;
using loyalty::entry_kind;
using loyalty::id128;
using loyalty::journal_entry;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::ledger_result;
using loyalty::memory_store;
using loyalty::op_kind;
using loyalty::op_kind_set;
using loyalty::return_policy;
using loyalty::timeout_action;
using loyalty::timestamp;

constexpr std::int64_t minute = duration::micros_per_minute;
constexpr std::int64_t hour = duration::micros_per_hour;
constexpr std::int64_t day = duration::micros_per_day;

constexpr std::uint64_t default_seed = 20240601;
constexpr std::uint64_t default_operations = 200'000;
constexpr std::uint64_t era_steps = 5'000;
constexpr std::size_t customers = 8;

// --- The wallets ---------------------------------------------------------------------------------

constexpr std::uint16_t wallet_count = 4;

/// The expiry policies the simulation covers, and how their instants are rounded (in UTC).
enum class m_expiry : std::uint8_t { never, after, inactivity };
enum class m_round : std::uint8_t { none, day, week };

struct model_policy {
  int scale;
  consumption_order order;
  return_policy returns;
  m_expiry expiry = m_expiry::never;
  std::int64_t period_days = 0;
  m_round round_to = m_round::none;
  bool from_activation = false;  ///< after: the clock starts when a pending earn activates
  op_kind_set reset_on;          ///< inactivity
  bool honor_held = false;       ///< held_at_expiry: honor (default: expire)
};

const std::array<model_policy, wallet_count> model_policies = {{
    {0,
     consumption_order::soonest_expiring_first,
     return_policy::allow_negative,
     m_expiry::never,
     0,
     m_round::none,
     false,
     {},
     true},
    {2, consumption_order::fifo, return_policy::within_balance},
    {1, consumption_order::soonest_expiring_first, return_policy::only_pending, m_expiry::after, 10,
     m_round::week, true},
    {0, consumption_order::soonest_expiring_first, return_policy::within_balance,
     m_expiry::inactivity, 20, m_round::day, false, op_kind_set{op_kind::redeem, op_kind::capture}},
}};

/// wallet_policy::refund_min_validity's documented default (the ledger is built without
/// setting it).
constexpr std::int64_t refund_min_validity = 30 * day;

ledger make_ledger() {
  std::vector<loyalty::wallet_policy> policies(wallet_count);
  for (std::size_t i = 0; i < wallet_count; ++i) {
    const model_policy& m = model_policies[i];
    policies[i].scale = m.scale;
    policies[i].order = m.order;
    policies[i].returns = m.returns;
    if (m.honor_held) policies[i].held_at_expiry = loyalty::held_expiry::honor;
    const std::optional<loyalty::calendar_unit> round_to =
        m.round_to == m_round::day    ? std::optional(loyalty::calendar_unit::day)
        : m.round_to == m_round::week ? std::optional(loyalty::calendar_unit::week)
                                      : std::nullopt;
    const auto period = loyalty::calendar_period::days(static_cast<std::int32_t>(m.period_days));
    if (m.expiry == m_expiry::after) {
      policies[i].expiry = loyalty::expiry_policy::after(
          period, round_to,
          m.from_activation ? loyalty::clock_start::activation : loyalty::clock_start::earn);
    } else if (m.expiry == m_expiry::inactivity) {
      policies[i].expiry = loyalty::expiry_policy::inactivity(period, round_to);
      policies[i].reset_on = m.reset_on;
    }
  }
  return ledger(std::move(policies));
}

/// The policy's instant for a period starting at `start`, in UTC: `period_days` days of 24 hours
/// later, then to the start of the next day or ISO week (Monday) after the last valid instant.
/// (1970-01-01 was a Thursday: Monday-based weeks start at days 7k - 3.)
timestamp policy_instant(const model_policy& p, timestamp start) {
  const std::int64_t raw = start.micros + p.period_days * day;
  const std::int64_t last_day = (raw - 1) / day;  // every instant here is after 1970
  switch (p.round_to) {
    case m_round::none:
      return timestamp{raw};
    case m_round::day:
      return timestamp{(last_day + 1) * day};
    case m_round::week:
      return timestamp{(((last_day + 3) / 7 + 1) * 7 - 3) * day};
  }
  return timestamp{raw};
}

// --- Randomness ----------------------------------------------------------------------------------

/// A seeded mt19937_64. The ranges are computed here (not with std::uniform_int_distribution)
/// so that a seed gives the same run with every standard library; the modulo bias is harmless.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    const std::uint64_t width = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(engine_() % width);
  }
  bool percent(std::int64_t p) { return range(0, 99) < p; }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  id128 id() {
    id128 id{engine_(), engine_()};
    if (!id.valid()) id.low ^= 1;
    return id;
  }

 private:
  std::mt19937_64 engine_;
};

// --- Text for failure messages -------------------------------------------------------------------

std::string short_id(id128 id) {
  return id.to_string().substr(24);
}

std::string time_text(timestamp t) {
  if (t == timestamp::max()) return "max";
  if (t == timestamp::min()) return "min";
  return loyalty::to_string(t);
}

std::string describe(const ledger_op& op) {
  std::string s(loyalty::to_string(op.kind));
  s += " id=" + short_id(op.id) + " wallet=" + std::to_string(op.wallet);
  s += " amount=" + op.amount.to_string();
  if (op.target.valid()) s += " target=" + short_id(op.target);
  if (op.expires_at) s += " expires_at=" + time_text(*op.expires_at);
  if (op.activates_at != timestamp::min()) s += " activates_at=" + time_text(op.activates_at);
  if (op.deadline != timestamp::max()) s += " deadline=" + time_text(op.deadline);
  if (op.kind == op_kind::reserve) {
    s += " on_timeout=" + std::string(loyalty::to_string(op.on_timeout));
  }
  if (op.reason != 0) s += " reason=" + std::to_string(op.reason);
  return s;
}

std::string result_text(ledger_result r) {
  return std::string(loyalty::to_string(r));
}

// --- The reference model -------------------------------------------------------------------------

struct m_part {
  id128 lot;
  std::int64_t units = 0;
};

struct m_lot {
  id128 id;
  std::int64_t amount = 0;
  std::int64_t remaining = 0;
  std::int64_t held = 0;
  timestamp earned_at;
  timestamp expires_at;
  timestamp activates_at;
  bool pending = false;
  bool cancelled = false;      ///< removed by cancel_pending: no longer pending, nothing left
  bool from_earn = false;      ///< made by an earn (the target of reverse_earn)
  bool policy_expiry = false;  ///< credited without its own expires_at: the policy's applies
  std::int64_t returned = 0;
  id128 source_event;
  std::uint32_t source_rule = 0;
};

struct m_hold {
  id128 id;
  std::int64_t amount = 0;
  std::vector<m_part> parts;
  timestamp deadline;
  timeout_action on_timeout = timeout_action::none;
};

struct m_wallet {
  std::vector<m_lot> lots;  // in the order they were made
  std::vector<m_hold> holds;
  std::int64_t earned = 0;
  std::int64_t spent = 0;
  std::int64_t expired = 0;
  std::int64_t reversed = 0;
  std::int64_t debt = 0;
  std::optional<timestamp> last_activity;  ///< inactivity: the clock runs since then
  timestamp lapses_at = timestamp::max();
};

/// What an id settled.
struct m_record {
  ledger_op op;
  ledger_result result = ledger_result::ok;
  std::int64_t units = 0;
  std::vector<m_part> parts;                 ///< redeem and capture: what they took
  std::vector<std::int64_t> parts_refunded;  ///< per part, refunded so far
  std::int64_t refunded = 0;
};

/// What the model expects of decide().
struct outcome {
  ledger_result result = ledger_result::ok;
  std::int64_t units = 0;       ///< decision::units
  std::vector<m_part> expired;  ///< the expire entries that must come first: lot, units
  bool writes = false;          ///< an entry for the op itself (ok, or a failure that burns it)
  /// Expire entries after the op's own: held units a capture or release gives back to lots that
  /// have expired.
  std::vector<m_part> expired_after;
  // The operation's own entry, when ok:
  std::int64_t entry_units = 0;  ///< journal_entry::units
  std::vector<m_part> parts;     ///< journal_entry::parts
  std::int64_t debt_units = 0;
  std::int64_t reissued = 0;       ///< refund: units re-issued as a new lot
  std::vector<m_part> shares;      ///< refund: each original lot's share
  std::optional<timestamp> lapse;  ///< the wallet lapsed (at this instant): a lapse entry first
  bool marks = false;              ///< the op's entry resets the inactivity clock
  timestamp lapses_at = timestamp::max();
};

struct timeout_event {
  std::uint16_t wallet = 0;
  id128 hold;
  bool capture = false;
  friend bool operator==(const timeout_event&, const timeout_event&) = default;
};

struct activation_event {
  std::uint16_t wallet = 0;
  id128 lot;
  friend bool operator==(const activation_event&, const activation_event&) = default;
};

/// What the model expects of advance().
struct lapse_event {
  std::uint16_t wallet = 0;
  timestamp at;
  friend bool operator==(const lapse_event&, const lapse_event&) = default;
};

struct advance_outcome {
  std::vector<lapse_event> lapses;            ///< by wallet
  std::vector<timeout_event> timeouts;        ///< in the order they must be written
  std::vector<activation_event> activations;  ///< of lots with units, in lot order
  std::vector<m_part> expired;
};

bool consumed_before(consumption_order order, const m_lot& x, const m_lot& y) {
  if (order == consumption_order::soonest_expiring_first && x.expires_at != y.expires_at) {
    return x.expires_at < y.expires_at;
  }
  if (x.earned_at != y.earned_at) return x.earned_at < y.earned_at;
  return x.id < y.id;
}

std::int64_t pow10(int n) {
  std::int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

/// `amount` in units at `scale`, or nullopt when it has more (non-zero) fractional digits.
std::optional<std::int64_t> units_at(decimal amount, int scale) {
  if (amount.scale() <= scale) return amount.units() * pow10(scale - amount.scale());
  const std::int64_t divisor = pow10(amount.scale() - scale);
  if (amount.units() % divisor != 0) return std::nullopt;
  return amount.units() / divisor;
}

bool same_number(decimal a, decimal b) {
  const int scale = std::max(a.scale(), b.scale());
  return units_at(a, scale) == units_at(b, scale);
}

/// The idempotency comparison: the first field that differs, in the order of the result codes.
ledger_result compare_bodies(const ledger_op& was, const ledger_op& now) {
  if (was.kind != now.kind) return ledger_result::exists_with_different_kind;
  if (was.wallet != now.wallet) return ledger_result::exists_with_different_wallet;
  if (!same_number(was.amount, now.amount)) return ledger_result::exists_with_different_amount;
  if (was.target != now.target) return ledger_result::exists_with_different_target;
  if (was.expires_at != now.expires_at) return ledger_result::exists_with_different_expires_at;
  if (was.activates_at != now.activates_at) {
    return ledger_result::exists_with_different_activates_at;
  }
  if (was.deadline != now.deadline) return ledger_result::exists_with_different_deadline;
  if (was.on_timeout != now.on_timeout) return ledger_result::exists_with_different_on_timeout;
  if (was.reason != now.reason) return ledger_result::exists_with_different_reason;
  return ledger_result::exists;
}

bool burns(ledger_result r) {
  switch (r) {
    case ledger_result::insufficient_balance:
    case ledger_result::lot_not_found:
    case ledger_result::lot_not_pending:
    case ledger_result::lot_expired:
    case ledger_result::hold_not_found:
    case ledger_result::hold_exceeded:
    case ledger_result::hold_timed_out:
    case ledger_result::redemption_not_found:
    case ledger_result::refund_exceeds_redemption:
    case ledger_result::earn_not_found:
    case ledger_result::reversal_exceeds_earn:
    case ledger_result::overflow:
      return true;
    default:
      return false;
  }
}

/// `total` split over `weights` in proportion: each share rounded down, then one unit each to
/// the largest discarded remainders (ties: the earlier part).
std::vector<std::int64_t> prorate(std::int64_t total, const std::vector<std::int64_t>& weights) {
  std::int64_t sum = 0;
  for (const std::int64_t w : weights) sum += w;
  std::vector<std::int64_t> shares(weights.size(), 0);
  std::vector<std::int64_t> remainders(weights.size(), 0);
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    shares[i] = total * weights[i] / sum;
    remainders[i] = total * weights[i] % sum;
    given += shares[i];
  }
  for (std::int64_t left = total - given; left > 0; --left) {
    std::size_t best = weights.size();
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] > 0 && (best == weights.size() || remainders[i] > remainders[best])) best = i;
    }
    ++shares[best];
    remainders[best] = -1;
  }
  return shares;
}

std::int64_t total_of(const std::vector<m_part>& parts) {
  std::int64_t n = 0;
  for (const m_part& p : parts) n += p.units;
  return n;
}

class model_customer {
 public:
  model_customer() : wallets_(wallet_count) {}

  const m_wallet& wallet(std::uint16_t wi) const { return wallets_[wi]; }
  const std::vector<m_record>& records() const { return records_; }

  const m_record* record(id128 id) const {
    for (const m_record& r : records_) {
      if (r.op.id == id) return &r;
    }
    return nullptr;
  }

  /// Spendable units by the model's bookkeeping: active lots' remaining minus held.
  std::int64_t available(std::uint16_t wi) const {
    std::int64_t n = 0;
    for (const m_lot& l : wallets_[wi].lots) {
      if (!l.pending) n += l.remaining - l.held;
    }
    return n;
  }

  balances balance(std::uint16_t wi) const {
    const m_wallet& w = wallets_[wi];
    balances b;
    for (const m_lot& l : w.lots) {
      if (l.pending) {
        b.pending += l.remaining;
      } else {
        b.available += l.remaining - l.held;
      }
      b.held += l.held;
    }
    b.earned = w.earned;
    b.spent = w.spent;
    b.expired = w.expired;
    b.reversed = w.reversed;
    b.debt = w.debt;
    return b;
  }

  std::vector<m_lot> lots_in_order(std::uint16_t wi) const {
    std::vector<m_lot> lots = wallets_[wi].lots;
    const consumption_order order = model_policies[wi].order;
    std::sort(lots.begin(), lots.end(),
              [order](const m_lot& x, const m_lot& y) { return consumed_before(order, x, y); });
    return lots;
  }

  outcome step(const ledger_op& op, timestamp now);
  advance_outcome advance(timestamp now);

 private:
  outcome step_op(const ledger_op& op, timestamp now);

  /// An inactive wallet whose clock ran out by `now` lapses: no lot stays valid past the lapse
  /// instant, and the clock stops. Returns that instant.
  static std::optional<timestamp> lapse(m_wallet& w, const model_policy& p, timestamp now) {
    if (p.expiry != m_expiry::inactivity || !w.last_activity || w.lapses_at > now) {
      return std::nullopt;
    }
    const timestamp at = w.lapses_at;
    for (m_lot& l : w.lots) l.expires_at = std::min(l.expires_at, at);
    w.last_activity.reset();
    w.lapses_at = timestamp::max();
    return at;
  }

  /// The expiry of a credit made at `now` without its own expires_at.
  static timestamp policy_expiry(const model_policy& p, bool pending, timestamp now) {
    if (p.expiry != m_expiry::after || (pending && p.from_activation)) return timestamp::max();
    return policy_instant(p, now);
  }

  static m_lot* find_lot(m_wallet& w, id128 id) {
    for (m_lot& l : w.lots) {
      if (l.id == id) return &l;
    }
    return nullptr;
  }

  /// A lot the model itself put in a part or a hold.
  static m_lot& lot_of(m_wallet& w, id128 id) {
    if (m_lot* l = find_lot(w, id)) return *l;
    throw std::logic_error("model: unknown lot " + id.to_string());
  }

  static std::int64_t spendable(const m_lot& l, timestamp now) {
    if (l.pending || l.expires_at <= now) return 0;
    return l.remaining - l.held;
  }

  static std::vector<std::size_t> order_of(const m_wallet& w, consumption_order order) {
    std::vector<std::size_t> index(w.lots.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = i;
    std::sort(index.begin(), index.end(), [&](std::size_t x, std::size_t y) {
      return consumed_before(order, w.lots[x], w.lots[y]);
    });
    return index;
  }

  /// Every lot past its expiry loses its unheld units (a pending lot all it has).
  static void expire(m_wallet& w, timestamp now, std::vector<m_part>& expired) {
    for (m_lot& l : w.lots) {
      if (l.expires_at > now) continue;
      const std::int64_t units = l.pending ? l.remaining : l.remaining - l.held;
      if (units <= 0) continue;
      l.remaining -= units;
      w.expired += units;
      expired.push_back({l.id, units});
    }
  }

  /// Up to `units` by the wallet's order, lot `first` first; spends nothing.
  static std::vector<m_part> take(m_wallet& w, consumption_order order, std::int64_t units,
                                  id128 first, timestamp now) {
    std::vector<m_part> parts;
    std::int64_t left = units;
    if (first.valid()) {
      if (const m_lot* l = find_lot(w, first)) {
        const std::int64_t n = std::min(left, spendable(*l, now));
        if (n > 0) {
          parts.push_back({l->id, n});
          left -= n;
        }
      }
    }
    for (const std::size_t i : order_of(w, order)) {
      if (left == 0) break;
      const m_lot& l = w.lots[i];
      if (l.id == first) continue;
      const std::int64_t n = std::min(left, spendable(l, now));
      if (n <= 0) continue;
      parts.push_back({l.id, n});
      left -= n;
    }
    return parts;
  }

  static void take_away(m_wallet& w, const std::vector<m_part>& parts) {
    for (const m_part& p : parts) lot_of(w, p.lot).remaining -= p.units;
  }

  /// Returns the debt it repaid. Under clock_starts: activation, a lot without its own
  /// expires_at gets the policy's, counted from now.
  static std::int64_t activate(m_wallet& w, const model_policy& p, m_lot& l, timestamp now) {
    const std::int64_t repaid = std::min(l.remaining, w.debt);
    l.remaining -= repaid;
    w.debt -= repaid;
    l.pending = false;
    l.activates_at = now;
    if (p.expiry == m_expiry::after && p.from_activation && l.policy_expiry) {
      l.expires_at = policy_instant(p, now);
    }
    return repaid;
  }

  /// Units of hold `id` a capture may spend at `now`: all of them, or (held_at_expiry: expire)
  /// those of lots still valid.
  static std::int64_t capturable(m_wallet& w, id128 id, bool honor, timestamp now) {
    const m_hold& h =
        *std::find_if(w.holds.begin(), w.holds.end(), [id](const m_hold& x) { return x.id == id; });
    std::int64_t n = 0;
    for (const m_part& p : h.parts) {
      if (honor || lot_of(w, p.lot).expires_at > now) n += p.units;
    }
    return n;
  }

  /// Ends hold `id`: its first `captured` units (of lots still valid unless `honor`) are spent,
  /// the rest goes back to its lots. When `expired` is given, the units given back to lots
  /// expired by `now` expire at once and are listed there (a capture or release by the host).
  static std::vector<m_part> settle(m_wallet& w, id128 id, std::int64_t captured, bool honor,
                                    timestamp now, std::vector<m_part>* expired) {
    const auto it =
        std::find_if(w.holds.begin(), w.holds.end(), [id](const m_hold& h) { return h.id == id; });
    std::vector<m_part> spent;
    std::int64_t left = captured;
    for (const m_part& p : it->parts) {
      m_lot& l = lot_of(w, p.lot);
      l.held -= p.units;
      if (!honor && l.expires_at <= now) continue;
      const std::int64_t n = std::min(left, p.units);
      if (n > 0) {
        l.remaining -= n;
        spent.push_back({p.lot, n});
        left -= n;
      }
    }
    if (expired != nullptr) {
      for (const m_part& p : it->parts) {
        m_lot& l = lot_of(w, p.lot);
        std::int64_t back = p.units;
        for (const m_part& x : spent) {
          if (x.lot == p.lot) back -= x.units;
        }
        if (back <= 0 || l.expires_at > now) continue;
        l.remaining -= back;
        w.expired += back;
        expired->push_back({p.lot, back});
      }
    }
    w.spent += captured;
    w.holds.erase(it);
    return spent;
  }

  outcome burn(outcome o, const ledger_op& op, ledger_result r) {
    m_record rec;
    rec.op = op;
    rec.result = r;
    records_.push_back(std::move(rec));
    o.result = r;
    o.units = 0;
    return o;
  }

  /// Success: `units` is what the decision reports; `kept` what the id record keeps for
  /// refunds (redeem and capture).
  outcome settle_ok(outcome o, const ledger_op& op, std::int64_t units,
                    std::vector<m_part> kept = {}) {
    records_.push_back(make_record(op, units, std::move(kept)));
    o.result = ledger_result::ok;
    o.units = units;
    return o;
  }

  static m_record make_record(const ledger_op& op, std::int64_t units, std::vector<m_part> kept) {
    m_record rec;
    rec.op = op;
    rec.units = units;
    rec.parts_refunded.assign(kept.size(), 0);
    rec.parts = std::move(kept);
    return rec;
  }

  std::vector<m_wallet> wallets_;
  std::vector<m_record> records_;
};

outcome model_customer::step(const ledger_op& op, timestamp now) {
  outcome o = step_op(op, now);
  if (o.result != ledger_result::ok || !o.writes) return o;  // nothing new happened
  // A success resets the inactivity clock if the policy lists it (record_activity always), and
  // a credit starts a stopped clock.
  const model_policy& p = model_policies[op.wallet];
  m_wallet& w = wallets_[op.wallet];
  const bool credits = op.kind == op_kind::earn ||
                       (op.kind == op_kind::adjust && op.amount.units() > 0) ||
                       (op.kind == op_kind::refund && o.reissued > 0);
  if (p.expiry == m_expiry::inactivity &&
      (op.kind == op_kind::record_activity || p.reset_on.contains(op.kind) ||
       (credits && !w.last_activity))) {
    w.last_activity = now;
    w.lapses_at = policy_instant(p, now);
    o.marks = true;
    o.lapses_at = w.lapses_at;
  }
  return o;
}

outcome model_customer::step_op(const ledger_op& op, timestamp now) {
  outcome o;
  auto invalid = [&o](ledger_result r) {
    o.result = r;
    return o;
  };
  if (!op.id.valid()) return invalid(ledger_result::invalid_id);
  if (const m_record* r = record(op.id)) {
    if (r->result != ledger_result::ok) return invalid(ledger_result::id_already_failed);
    o.result = compare_bodies(r->op, op);
    if (o.result == ledger_result::exists) o.units = r->units;
    return o;
  }
  if (op.wallet >= wallet_count) return invalid(ledger_result::unknown_wallet);
  if (op.target == op.id) return invalid(ledger_result::id_is_target);
  const model_policy& policy = model_policies[op.wallet];
  std::int64_t units = 0;
  if (op.kind != op_kind::activate && op.kind != op_kind::cancel_pending &&
      op.kind != op_kind::release && op.kind != op_kind::record_activity) {
    const std::optional<std::int64_t> u = units_at(op.amount, policy.scale);
    if (!u || (op.kind == op_kind::adjust ? *u == 0 : *u <= 0)) {
      return invalid(ledger_result::invalid_amount);
    }
    units = *u;
  }
  const bool pending = op.kind == op_kind::earn && op.activates_at > now;
  // A credit's expiry: its own, or the policy's (for a pending lot whose clock starts at
  // activation: none yet).
  const timestamp credit_expires_at = op.expires_at.value_or(policy_expiry(policy, pending, now));
  if (op.kind == op_kind::earn || (op.kind == op_kind::adjust && units > 0)) {
    // A lot must expire after it is credited and after it activates, unless it is pending
    // until activated (activates_at = max): then any future expiry will do, max included.
    const bool until_activated = op.activates_at == timestamp::max();
    const timestamp expires_at = credit_expires_at;
    if (expires_at <= now || (!until_activated && op.activates_at >= expires_at)) {
      return invalid(ledger_result::invalid_dates);
    }
  }
  if (op.kind == op_kind::reserve && op.deadline <= now) {
    return invalid(ledger_result::invalid_dates);
  }

  m_wallet& w = wallets_[op.wallet];
  o.lapse = lapse(w, policy, now);
  expire(w, now, o.expired);
  o.writes = true;
  switch (op.kind) {
    case op_kind::earn:
    case op_kind::adjust: {
      if (units < 0) {
        const std::vector<m_part> parts = take(w, policy.order, -units, {}, now);
        if (total_of(parts) != -units) return burn(o, op, ledger_result::insufficient_balance);
        take_away(w, parts);
        w.reversed += -units;
        o.entry_units = -units;
        o.parts = parts;
        return settle_ok(o, op, units);
      }
      m_lot l;
      l.id = op.id;
      l.amount = units;
      l.earned_at = now;
      l.expires_at = credit_expires_at;
      l.policy_expiry = !op.expires_at.has_value();
      l.pending = pending;
      l.activates_at = l.pending ? op.activates_at : now;
      l.from_earn = op.kind == op_kind::earn;
      l.source_event = op.source_event;
      l.source_rule = op.source_rule;
      const std::int64_t repaid = l.pending ? 0 : std::min(units, w.debt);
      l.remaining = units - repaid;
      w.debt -= repaid;
      w.earned += units;
      w.lots.push_back(l);
      o.entry_units = units;
      o.debt_units = repaid;
      return settle_ok(o, op, units);
    }
    case op_kind::activate:
    case op_kind::cancel_pending: {
      m_lot* l = find_lot(w, op.target);
      if (l == nullptr) return burn(o, op, ledger_result::lot_not_found);
      if (!l->pending) return burn(o, op, ledger_result::lot_not_pending);
      const std::int64_t n = l->remaining;
      if (op.kind == op_kind::activate) {
        if (l->expires_at <= now) return burn(o, op, ledger_result::lot_expired);
        o.debt_units = activate(w, policy, *l, now);
      } else {
        // Removed: empty, no longer pending, and its earn is taken back whole (a reversal
        // has nothing left to ask for).
        w.reversed += n;
        l->remaining = 0;
        l->pending = false;
        l->cancelled = true;
        l->returned = l->amount;
      }
      o.entry_units = n;
      o.parts = {{op.target, n}};
      return settle_ok(o, op, n);
    }
    case op_kind::redeem:
    case op_kind::reserve: {
      std::vector<m_part> parts;
      if (op.target.valid()) {
        const m_lot* l = find_lot(w, op.target);
        if (l == nullptr) return burn(o, op, ledger_result::lot_not_found);
        if (l->expires_at <= now) return burn(o, op, ledger_result::lot_expired);
        if (spendable(*l, now) < units) return burn(o, op, ledger_result::insufficient_balance);
        parts.push_back({l->id, units});
      } else {
        if (available(op.wallet) < units) {
          return burn(o, op, ledger_result::insufficient_balance);
        }
        parts = take(w, policy.order, units, {}, now);
      }
      o.entry_units = units;
      o.parts = parts;
      if (op.kind == op_kind::redeem) {
        take_away(w, parts);
        w.spent += units;
        return settle_ok(o, op, units, std::move(parts));
      }
      for (const m_part& p : parts) lot_of(w, p.lot).held += p.units;
      m_hold h;
      h.id = op.id;
      h.amount = units;
      h.parts = parts;
      h.deadline = op.deadline;
      h.on_timeout = op.on_timeout;
      w.holds.push_back(std::move(h));
      return settle_ok(o, op, units);
    }
    case op_kind::capture:
    case op_kind::release: {
      const auto it = std::find_if(w.holds.begin(), w.holds.end(),
                                   [&op](const m_hold& h) { return h.id == op.target; });
      if (it == w.holds.end()) return burn(o, op, ledger_result::hold_not_found);
      if (op.kind == op_kind::capture && units > it->amount) {
        return burn(o, op, ledger_result::hold_exceeded);
      }
      if (it->deadline <= now && it->on_timeout != timeout_action::none) {
        return burn(o, op, ledger_result::hold_timed_out);
      }
      if (op.kind == op_kind::capture && units > capturable(w, op.target, policy.honor_held, now)) {
        return burn(o, op, ledger_result::hold_exceeded);
      }
      const std::int64_t captured = op.kind == op_kind::capture ? units : 0;
      std::vector<m_part> parts =
          settle(w, op.target, captured, policy.honor_held, now, &o.expired_after);
      o.entry_units = captured;
      o.parts = parts;
      return settle_ok(o, op, captured, std::move(parts));
    }
    case op_kind::reverse_earn: {
      m_lot* l = find_lot(w, op.target);
      if (l == nullptr) return burn(o, op, ledger_result::earn_not_found);
      if (l->returned + units > l->amount) {
        return burn(o, op, ledger_result::reversal_exceeds_earn);
      }
      std::int64_t taken = 0;
      if (l->pending) {
        taken = std::min(units, l->remaining);
        l->remaining -= taken;
        if (taken > 0) o.parts = {{l->id, taken}};
      } else if (policy.returns != return_policy::only_pending) {
        const std::int64_t can = std::min(units, available(op.wallet));
        o.parts = take(w, policy.order, can, l->id, now);
        take_away(w, o.parts);
        taken = total_of(o.parts);
        if (policy.returns == return_policy::allow_negative) o.debt_units = units - taken;
      }
      w.reversed += taken + o.debt_units;
      w.debt += o.debt_units;
      lot_of(w, op.target).returned += units;
      o.entry_units = taken;
      return settle_ok(o, op, taken + o.debt_units);
    }
    case op_kind::refund: {
      m_record* r = nullptr;
      for (m_record& x : records_) {
        if (x.op.id == op.target) r = &x;
      }
      if (r == nullptr || r->result != ledger_result::ok ||
          (r->op.kind != op_kind::redeem && r->op.kind != op_kind::capture) ||
          r->op.wallet != op.wallet) {
        return burn(o, op, ledger_result::redemption_not_found);
      }
      if (r->refunded + units > r->units) {
        return burn(o, op, ledger_result::refund_exceeds_redemption);
      }
      // Prorated over what each lot gave and has not had back yet (a lot never gets back more
      // than the redemption took from it).
      std::vector<std::int64_t> weights;
      for (std::size_t i = 0; i < r->parts.size(); ++i) {
        weights.push_back(r->parts[i].units - r->parts_refunded[i]);
      }
      const std::vector<std::int64_t> shares = prorate(units, weights);
      const timestamp valid_until{now.micros + refund_min_validity};
      std::int64_t reissued = 0;
      for (std::size_t i = 0; i < shares.size(); ++i) {
        r->parts_refunded[i] += shares[i];
        m_lot* l = find_lot(w, r->parts[i].lot);
        if (shares[i] == 0) continue;
        o.shares.push_back({r->parts[i].lot, shares[i]});
        if (l != nullptr && !l->pending && l->expires_at >= valid_until) {
          l->remaining += shares[i];
          o.parts.push_back({l->id, shares[i]});
        } else {
          reissued += shares[i];
        }
      }
      if (reissued > 0) {
        m_lot l;
        l.id = op.id;
        l.amount = reissued;
        l.remaining = reissued;
        l.earned_at = now;
        l.activates_at = now;
        l.expires_at = valid_until;
        w.lots.push_back(l);
      }
      w.spent -= units;
      r->refunded += units;
      o.entry_units = units;
      o.reissued = reissued;
      return settle_ok(o, op, units);
    }
    case op_kind::record_activity:
      return settle_ok(o, op, 0);
  }
  return invalid(ledger_result::invalid_amount);
}

advance_outcome model_customer::advance(timestamp now) {
  advance_outcome out;
  for (std::uint16_t wi = 0; wi < wallet_count; ++wi) {
    m_wallet& w = wallets_[wi];
    // Due lots activate in the wallet's lot order as stored, from before a lapse re-sorts it.
    const std::vector<std::size_t> lot_order = order_of(w, model_policies[wi].order);
    if (const std::optional<timestamp> at = lapse(w, model_policies[wi], now)) {
      out.lapses.push_back({wi, *at});
    }
    std::vector<m_hold> due;
    for (const m_hold& h : w.holds) {
      if (h.deadline <= now && h.on_timeout != timeout_action::none) due.push_back(h);
    }
    std::sort(due.begin(), due.end(), [](const m_hold& x, const m_hold& y) {
      return x.deadline != y.deadline ? x.deadline < y.deadline : x.id < y.id;
    });
    for (const m_hold& h : due) {
      // An ordinary capture or release with the id hold.id.child(1): a timeout capture can be
      // refunded under that id.
      const bool capture = h.on_timeout == timeout_action::capture;
      ledger_op op;
      op.kind = capture ? op_kind::capture : op_kind::release;
      op.id = h.id.child(1);
      op.wallet = wi;
      op.target = h.id;
      // A timeout capture spends what it may; units it gives back to expired lots expire
      // with the others below.
      const bool honor = model_policies[wi].honor_held;
      const std::int64_t captured = capture ? capturable(w, h.id, honor, now) : 0;
      op.amount = decimal::from_units(captured, model_policies[wi].scale).value;
      records_.push_back(make_record(op, captured, settle(w, h.id, captured, honor, now, nullptr)));
      out.timeouts.push_back({wi, h.id, capture});
    }
    for (const std::size_t i : lot_order) {
      m_lot& l = w.lots[i];
      // Due, and still valid when it came due (it may have expired since: it activates, repays
      // debt, and what is left expires below, as if advance() had run on time).
      if (!l.pending || l.activates_at > now || l.expires_at <= l.activates_at) continue;
      if (l.remaining == 0 && l.expires_at <= now) continue;  // expired whole before
      if (l.remaining > 0) out.activations.push_back({wi, l.id});
      ledger_op op;
      op.kind = op_kind::activate;
      op.id = l.id.child(2);
      op.wallet = wi;
      op.target = l.id;
      records_.push_back(make_record(op, l.remaining, {}));
      activate(w, model_policies[wi], l, now);
    }
  }
  for (m_wallet& w : wallets_) expire(w, now, out.expired);
  return out;
}

// --- Comparing -----------------------------------------------------------------------------------

void diff_value(std::string& out, const std::string& what, std::int64_t got, std::int64_t want) {
  if (got != want) {
    out += what + ": ledger " + std::to_string(got) + ", expected " + std::to_string(want) + "\n";
  }
}

void diff_time(std::string& out, const std::string& what, timestamp got, timestamp want) {
  if (got != want)
    out += what + ": ledger " + time_text(got) + ", expected " + time_text(want) + "\n";
}

void diff_balances(std::string& out, const std::string& where, const balances& got,
                   const balances& want) {
  diff_value(out, where + " available", got.available, want.available);
  diff_value(out, where + " pending", got.pending, want.pending);
  diff_value(out, where + " held", got.held, want.held);
  diff_value(out, where + " earned", got.earned, want.earned);
  diff_value(out, where + " spent", got.spent, want.spent);
  diff_value(out, where + " expired", got.expired, want.expired);
  diff_value(out, where + " reversed", got.reversed, want.reversed);
  diff_value(out, where + " debt", got.debt, want.debt);
}

template <class Parts>
std::string parts_text(const Parts& parts) {
  std::string s = "[";
  for (const auto& p : parts) s += " " + short_id(p.lot) + ":" + std::to_string(p.units);
  return s + " ]";
}

template <class A, class B>
bool same_parts(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].lot != b[i].lot || a[i].units != b[i].units) return false;
  }
  return true;
}

bool same_balances(const balances& a, const balances& b) {
  return a.available == b.available && a.pending == b.pending && a.held == b.held &&
         a.earned == b.earned && a.spent == b.spent && a.expired == b.expired &&
         a.reversed == b.reversed && a.debt == b.debt;
}

/// The fields of a lot that the model knows.
bool same_lot(const loyalty::lot& g, const m_lot& e) {
  return g.id == e.id && g.amount == e.amount && g.remaining == e.remaining && g.held == e.held &&
         g.returned == e.returned && g.earned_at == e.earned_at && g.expires_at == e.expires_at &&
         g.activates_at == e.activates_at && g.pending == e.pending &&
         g.source_event == e.source_event && g.source_rule == e.source_rule;
}

/// The ledger's state of one customer against the model: balances, lots, holds.
std::string diff_model(const ledger& book, const customer_state& state, const model_customer& m) {
  std::string out;
  if (state.wallets.size() != wallet_count) return "the state has the wrong number of wallets\n";
  for (std::uint16_t wi = 0; wi < wallet_count; ++wi) {
    const std::string where = "wallet " + std::to_string(wi);
    const balances got_balances = book.balance(state, wi);
    const balances want_balances = m.balance(wi);
    if (!same_balances(got_balances, want_balances)) {
      diff_balances(out, where, got_balances, want_balances);
    }
    const std::vector<loyalty::lot>& got = state.wallets[wi].lots;
    const std::vector<m_lot> want = m.lots_in_order(wi);
    if (got.size() != want.size()) {
      out += where + ": " + std::to_string(got.size()) + " lots, expected " +
             std::to_string(want.size()) + "\n";
    } else {
      for (std::size_t i = 0; i < got.size(); ++i) {
        const loyalty::lot& g = got[i];
        const m_lot& e = want[i];
        if (same_lot(g, e)) continue;
        const std::string lw = where + " lot #" + std::to_string(i) + " " + short_id(e.id);
        if (g.id != e.id) {
          out += lw + ": the ledger has lot " + short_id(g.id) + " here\n";
          continue;
        }
        diff_value(out, lw + " amount", g.amount, e.amount);
        diff_value(out, lw + " remaining", g.remaining, e.remaining);
        diff_value(out, lw + " held", g.held, e.held);
        diff_value(out, lw + " returned", g.returned, e.returned);
        diff_time(out, lw + " earned_at", g.earned_at, e.earned_at);
        diff_time(out, lw + " expires_at", g.expires_at, e.expires_at);
        diff_time(out, lw + " activates_at", g.activates_at, e.activates_at);
        diff_value(out, lw + " pending", g.pending ? 1 : 0, e.pending ? 1 : 0);
        if (g.source_event != e.source_event || g.source_rule != e.source_rule) {
          out += lw + ": source differs\n";
        }
      }
    }
    const m_wallet& mw = m.wallet(wi);
    if (state.wallets[wi].last_activity != mw.last_activity) {
      out += where + " last_activity: ledger " +
             (state.wallets[wi].last_activity ? time_text(*state.wallets[wi].last_activity)
                                              : std::string("none")) +
             ", expected " + (mw.last_activity ? time_text(*mw.last_activity) : "none") + "\n";
    }
    diff_time(out, where + " lapses_at", state.wallets[wi].lapses_at, mw.lapses_at);
    std::size_t first_open = 0;  // past the leading empty lots
    while (first_open < want.size() && want[first_open].remaining == 0) ++first_open;
    diff_value(out, where + " first_open", static_cast<std::int64_t>(state.wallets[wi].first_open),
               static_cast<std::int64_t>(first_open));
    std::vector<loyalty::hold> holds = state.wallets[wi].holds;
    std::vector<m_hold> model_holds = m.wallet(wi).holds;
    std::sort(holds.begin(), holds.end(),
              [](const loyalty::hold& x, const loyalty::hold& y) { return x.id < y.id; });
    std::sort(model_holds.begin(), model_holds.end(),
              [](const m_hold& x, const m_hold& y) { return x.id < y.id; });
    if (holds.size() != model_holds.size()) {
      out += where + ": " + std::to_string(holds.size()) + " holds, expected " +
             std::to_string(model_holds.size()) + "\n";
    } else {
      for (std::size_t i = 0; i < holds.size(); ++i) {
        const loyalty::hold& g = holds[i];
        const m_hold& e = model_holds[i];
        if (g.id != e.id || g.amount != e.amount || g.deadline != e.deadline ||
            g.on_timeout != e.on_timeout || g.wallet != wi || !same_parts(g.parts, e.parts)) {
          out += where + " hold " + short_id(e.id) + ": ledger " + short_id(g.id) + " " +
                 std::to_string(g.amount) + " " + parts_text(g.parts) + " until " +
                 time_text(g.deadline) + ", expected " + std::to_string(e.amount) + " " +
                 parts_text(e.parts) + " until " + time_text(e.deadline) + "\n";
        }
      }
    }
  }
  return out;
}

/// Two states of the ledger (a replayed one against the stored one), field by field.
std::string diff_states(const customer_state& got, const customer_state& want) {
  std::string out;
  if (got.customer != want.customer) out += "customer differs\n";
  diff_value(out, "version", static_cast<std::int64_t>(got.version),
             static_cast<std::int64_t>(want.version));
  if (got.wallets.size() != want.wallets.size()) return out + "wallet count differs\n";
  for (std::size_t wi = 0; wi < got.wallets.size(); ++wi) {
    const loyalty::wallet_state& g = got.wallets[wi];
    const loyalty::wallet_state& e = want.wallets[wi];
    const std::string where = "wallet " + std::to_string(wi);
    diff_balances(out, where, g.totals, e.totals);
    diff_value(out, where + " first_open", static_cast<std::int64_t>(g.first_open),
               static_cast<std::int64_t>(e.first_open));
    if (g.last_activity != e.last_activity) out += where + ": last_activity differs\n";
    diff_time(out, where + " lapses_at", g.lapses_at, e.lapses_at);
    if (g.lots.size() != e.lots.size()) {
      out += where + ": lot count differs\n";
    } else {
      for (std::size_t i = 0; i < g.lots.size(); ++i) {
        const loyalty::lot& x = g.lots[i];
        const loyalty::lot& y = e.lots[i];
        if (x.id != y.id || x.amount != y.amount || x.remaining != y.remaining ||
            x.held != y.held || x.earned_at != y.earned_at || x.activates_at != y.activates_at ||
            x.expires_at != y.expires_at || x.pending != y.pending ||
            x.source_event != y.source_event || x.source_rule != y.source_rule ||
            x.returned != y.returned) {
          out += where + " lot #" + std::to_string(i) + " " + short_id(y.id) + " differs\n";
        }
      }
    }
    if (g.holds.size() != e.holds.size()) {
      out += where + ": hold count differs\n";
    } else {
      for (std::size_t i = 0; i < g.holds.size(); ++i) {
        const loyalty::hold& x = g.holds[i];
        const loyalty::hold& y = e.holds[i];
        if (x.id != y.id || x.wallet != y.wallet || x.amount != y.amount || x.parts != y.parts ||
            x.deadline != y.deadline || x.on_timeout != y.on_timeout) {
          out += where + " hold " + short_id(y.id) + " differs\n";
        }
      }
    }
  }
  if (got.ids.size() != want.ids.size()) {
    out += "ids: " + std::to_string(got.ids.size()) + " replayed, " +
           std::to_string(want.ids.size()) + " stored\n";
  } else {
    for (const auto& [id, y] : want.ids.entries()) {
      const loyalty::id_record* found = got.ids.find(id);
      if (found == nullptr) {
        out += "id " + short_id(id) + " missing after replay\n";
        continue;
      }
      const loyalty::id_record& x = *found;
      if (x.result != y.result || x.units != y.units || x.parts != y.parts ||
          x.refunded != y.refunded || x.op.kind != y.op.kind || x.op.target != y.op.target) {
        out += "id " + short_id(id) + " differs after replay\n";
      }
    }
  }
  return out;
}

/// The ids the ledger recorded against the model's: every operation id, and the ids of the
/// entries advance() wrote, with what they settled (and, for debits, what is left to refund).
std::string diff_ids(const customer_state& state, const model_customer& m) {
  std::string out;
  diff_value(out, "ids recorded", static_cast<std::int64_t>(state.ids.size()),
             static_cast<std::int64_t>(m.records().size()));
  for (const m_record& r : m.records()) {
    const loyalty::id_record* found = state.ids.find(r.op.id);
    if (found == nullptr) {
      out += "id " + short_id(r.op.id) + " (" + describe(r.op) + ") is not recorded\n";
      continue;
    }
    const loyalty::id_record& g = *found;
    std::vector<m_part> left;
    if (r.result == ledger_result::ok &&
        (r.op.kind == op_kind::redeem || r.op.kind == op_kind::capture)) {
      for (std::size_t i = 0; i < r.parts.size(); ++i) {
        left.push_back({r.parts[i].lot, r.parts[i].units - r.parts_refunded[i]});
      }
    }
    if (g.result != r.result || g.units != r.units || g.refunded != r.refunded ||
        g.op.kind != r.op.kind || g.op.target != r.op.target || g.op.wallet != r.op.wallet ||
        !same_parts(g.parts, left)) {
      out += "id " + short_id(r.op.id) + " (" + describe(r.op) + "): recorded " +
             result_text(g.result) + " " + std::to_string(g.units) + " refunded " +
             std::to_string(g.refunded) + " " + parts_text(g.parts) + ", expected " +
             result_text(r.result) + " " + std::to_string(r.units) + " refunded " +
             std::to_string(r.refunded) + " " + parts_text(left) + "\n";
    }
  }
  return out;
}

entry_kind entry_for(op_kind k) {
  switch (k) {
    case op_kind::earn:
      return entry_kind::earn;
    case op_kind::activate:
      return entry_kind::activate;
    case op_kind::cancel_pending:
      return entry_kind::cancel_pending;
    case op_kind::redeem:
      return entry_kind::redeem;
    case op_kind::reserve:
      return entry_kind::reserve;
    case op_kind::capture:
      return entry_kind::capture;
    case op_kind::release:
      return entry_kind::release;
    case op_kind::reverse_earn:
      return entry_kind::reverse_earn;
    case op_kind::refund:
      return entry_kind::refund;
    case op_kind::adjust:
      return entry_kind::adjust;
    case op_kind::record_activity:
      return entry_kind::record_activity;
    case op_kind::transfer:
      return entry_kind::transfer_out;
  }
  return entry_kind::failed;
}

/// A decision's expire entries against the lots and units the model expired (in any order).
std::string diff_expiries(std::span<const journal_entry> entries, std::vector<m_part> want) {
  std::vector<m_part> got;
  std::string out;
  for (const journal_entry& e : entries) {
    if (e.kind != entry_kind::expire) {
      out += "a " + std::string(loyalty::to_string(e.kind)) + " entry where an expiry belongs\n";
      continue;
    }
    got.push_back({e.op.target, e.units});
    if (e.parts.size() != 1 || e.parts[0].lot != e.op.target || e.parts[0].units != e.units ||
        e.id != e.op.target.child(static_cast<std::uint32_t>(e.sequence))) {
      out += "expire entry #" + std::to_string(e.sequence) + " is malformed\n";
    }
  }
  auto by_lot = [](const m_part& x, const m_part& y) { return x.lot < y.lot; };
  std::sort(got.begin(), got.end(), by_lot);
  std::sort(want.begin(), want.end(), by_lot);
  if (!same_parts(got, want)) {
    out += "expired " + parts_text(got) + ", expected " + parts_text(want) + "\n";
  }
  return out;
}

/// A lapse entry: the wallet, the lapse instant, and the id customer.child(sequence).
std::string diff_lapse(const journal_entry& e, id128 customer, std::uint16_t wallet, timestamp at) {
  std::string out;
  if (e.kind != entry_kind::lapse) {
    return "a " + std::string(loyalty::to_string(e.kind)) + " entry where the lapse belongs\n";
  }
  if (e.op.wallet != wallet) out += "the lapse is in wallet " + std::to_string(e.op.wallet) + "\n";
  diff_time(out, "lapse instant", e.expires_at, at);
  if (e.id != customer.child(static_cast<std::uint32_t>(e.sequence)) || e.units != 0) {
    out += "lapse entry #" + std::to_string(e.sequence) + " is malformed\n";
  }
  return out;
}

/// The operation's own entry (the last of its decision) against the model.
std::string diff_entry(const journal_entry& e, const ledger_op& op, const outcome& want,
                       timestamp now) {
  std::string out;
  const bool ok = want.result == ledger_result::ok;
  const entry_kind kind = ok ? entry_for(op.kind) : entry_kind::failed;
  if (e.kind != kind || e.id != op.id) {
    return "the operation's entry is " + std::string(loyalty::to_string(e.kind)) + " " +
           short_id(e.id) + ", expected " + std::string(loyalty::to_string(kind)) + "\n";
  }
  if (!ok) {
    if (e.result != want.result) out += "the failed entry records " + result_text(e.result) + "\n";
    if (e.units != 0 || !e.parts.empty()) out += "the failed entry moves units\n";
    return out;
  }
  diff_value(out, "entry units", e.units, want.entry_units);
  if (e.marks_activity != want.marks) {
    out += std::string("the entry ") + (want.marks ? "does not reset" : "resets") +
           " the inactivity clock\n";
  } else if (want.marks) {
    diff_time(out, "entry lapses_at", e.lapses_at, want.lapses_at);
  }
  if (!same_parts(e.parts, want.parts)) {
    out += "entry parts " + parts_text(e.parts) + ", expected " + parts_text(want.parts) + "\n";
  }
  diff_value(out, "entry debt_units", e.debt_units, want.debt_units);
  diff_value(out, "entry reissued_units", e.reissued_units, want.reissued);
  if (!same_parts(e.shares, want.shares)) {
    out += "entry shares " + parts_text(e.shares) + ", expected " + parts_text(want.shares) + "\n";
  }
  if (want.reissued > 0 &&
      (e.reissued_lot != op.id || e.reissued_expires_at != now + duration{refund_min_validity})) {
    out += "the re-issued lot is " + short_id(e.reissued_lot) + " until " +
           time_text(e.reissued_expires_at) + "\n";
  }
  return out;
}

// --- The simulation ------------------------------------------------------------------------------

/// How a step used the protocol (for the log printed on failure).
enum class how : char {
  normal = 'n',
  invalid = 'i',
  duplicate = 'd',
  changed = 'm',
  crashed = 'c',
  retried = 'r',
  stale = 's',
  advance = 'a',
};

struct log_line {
  std::uint64_t op_number = 0;
  timestamp at;
  how way = how::normal;
  ledger_op op;
  ledger_result result = ledger_result::ok;
};

struct customer_slot {
  id128 customer;
  model_customer model;
  std::vector<ledger_op> history;          ///< every op submitted (for duplicate retries)
  std::vector<ledger_op> crashed;          ///< decided, never persisted: to be retried
  std::optional<customer_state> snapshot;  ///< an old copy of the state (stale decisions)
  std::vector<log_line> log;
};

class simulation {
 public:
  simulation(std::uint64_t seed, std::uint64_t operations)
      : book_(make_ledger()), rng_(seed), seed_(seed), operations_(operations), slots_(customers) {}

  void run();
  std::uint64_t operations() const { return calls_; }

 private:
  void fail(const std::string& problems) const;
  customer_state load(const customer_slot& s) const;

  void step(customer_slot& s);
  void submit(customer_slot& s, const ledger_op& op, how way);
  void advance(customer_slot& s);
  void crash(customer_slot& s);
  void retry_crashed(customer_slot& s);
  void stale(customer_slot& s);
  void replay(const customer_slot& s);
  void new_era();

  ledger_op generate(const customer_slot& s);
  ledger_op generate_invalid(const customer_slot& s);
  ledger_op change_one_field(const ledger_op& op);

  decimal amount(std::int64_t units, std::uint16_t wi);
  std::int64_t gen_units(std::uint16_t wi);
  std::int64_t gen_spend(std::int64_t available, std::uint16_t wi);
  timestamp gen_expiry(std::int64_t never_percent);
  std::optional<timestamp> or_policy(std::uint16_t wi, timestamp expires);
  timestamp gen_deadline();
  timestamp boundary(std::int64_t period, std::int64_t k) const;
  std::optional<timestamp> next_policy_instant() const;
  template <class Pred>
  std::optional<id128> pick_lot(const m_wallet& w, Pred pred);

  ledger book_;
  random_source rng_;
  std::uint64_t seed_;
  std::uint64_t operations_;
  std::vector<customer_slot> slots_;
  std::unique_ptr<memory_store> store_;
  timestamp now_{1'704'067'200'000'000};  // 2024-01-01T00:00:00Z
  std::uint64_t step_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t era_ = 0;
  std::size_t current_ = 0;
  int dwell_ = 0;  ///< steps left at a boundary instant, for the same customer
};

void simulation::fail(const std::string& problems) const {
  // At most 30 lines of differences: the first ones tell the story.
  std::string why;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < problems.size() && lines < 30; ++lines) {
    const std::size_t end = std::min(problems.find('\n', at), problems.size());
    why += problems.substr(at, end - at) + "\n";
    at = end + 1;
  }
  if (why.size() < problems.size()) why += "...\n";
  std::string msg = "seed " + std::to_string(seed_) +
                    " (LOYALTY_SIM_SEED=" + std::to_string(seed_) + "), step " +
                    std::to_string(step_) + ", operation " + std::to_string(calls_) + ", era " +
                    std::to_string(era_) + ", customer slot " + std::to_string(current_) +
                    ", now " + time_text(now_) + "\n" + why;
  const customer_slot& s = slots_[current_];
  const std::size_t shown = std::min<std::size_t>(s.log.size(), 40);
  msg += "last " + std::to_string(shown) + " operations of this customer (n normal, i invalid, " +
         "d duplicate, m changed body, c crashed, r retried, s stale, a advance):\n";
  for (std::size_t i = s.log.size() - shown; i < s.log.size(); ++i) {
    const log_line& l = s.log[i];
    msg += "  #" + std::to_string(l.op_number) + " " + time_text(l.at) + " " +
           std::string(1, static_cast<char>(l.way)) + " " +
           (l.way == how::advance ? std::string("advance") : describe(l.op)) + " -> " +
           result_text(l.result) + "\n";
  }
  FAIL(msg);
}

customer_state simulation::load(const customer_slot& s) const {
  std::optional<customer_state> stored = store_->load(s.customer);
  return stored ? std::move(*stored) : book_.open(s.customer);
}

void simulation::submit(customer_slot& s, const ledger_op& op, how way) {
  customer_state state = load(s);
  const std::uint64_t version = state.version;
  const std::size_t journal_size = store_->journal(s.customer).size();
  const decision d = book_.decide(state, op, now_);
  ++calls_;
  s.log.push_back({calls_, now_, way, op, d.result});
  if (d.read_version != version) fail("decide: read_version is not the state's version");
  if (!d.entries.empty()) {
    if (!book_.apply(state, d)) fail("apply refused a decision made on the same version");
    if (!store_->commit(state, d.entries, d.read_version)) {
      fail("commit refused a decision made on the stored version");
    }
  }
  // Committed: only now does the host (here: the model) take the operation as done.
  const outcome want = s.model.step(op, now_);

  std::string problems;
  if (d.result != want.result) {
    problems +=
        "result: ledger " + result_text(d.result) + ", expected " + result_text(want.result) + "\n";
  }
  diff_value(problems, "decision units", d.units, want.units);
  if (loyalty::burns_id(d.result) != burns(d.result)) {
    problems += "burns_id(" + result_text(d.result) + ") is wrong\n";
  }
  const std::size_t lapses = want.lapse ? 1 : 0;
  const std::size_t expiries = want.expired.size();
  const std::size_t after = want.expired_after.size();
  const std::size_t entries = lapses + expiries + (want.writes ? 1 : 0) + after;
  if (d.entries.size() != entries) {
    problems += "decision has " + std::to_string(d.entries.size()) + " entries, expected " +
                std::to_string(lapses) + " lapses, " + std::to_string(expiries) + " expiries" +
                (want.writes ? ", one for the operation" : "") + " and " + std::to_string(after) +
                " expiries after it\n";
  } else {
    for (std::size_t i = 0; i < d.entries.size(); ++i) {
      const journal_entry& e = d.entries[i];
      if (e.sequence != version + i + 1) problems += "entry sequence numbers are not consecutive\n";
      if (e.at != now_) problems += "entry time is not the decision's now\n";
    }
    if (want.lapse) problems += diff_lapse(d.entries.front(), s.customer, op.wallet, *want.lapse);
    problems += diff_expiries(std::span(d.entries).subspan(lapses, expiries), want.expired);
    if (want.writes) problems += diff_entry(d.entries[lapses + expiries], op, want, now_);
    problems +=
        diff_expiries(std::span(d.entries).subspan(entries - after, after), want.expired_after);
  }
  if (entries == 0 && store_->journal(s.customer).size() != journal_size) {
    problems += "something was written for an operation that changes nothing\n";
  }
  problems += diff_model(book_, state, s.model);
  const std::string broken = book_.check(state);
  if (!broken.empty()) problems += "ledger::check: " + broken + "\n";
  if (!problems.empty()) fail(describe(op) + "\n" + problems);

  if (way == how::normal || way == how::invalid) s.history.push_back(op);
  if (!s.snapshot || rng_.percent(3)) s.snapshot = std::move(state);
}

void simulation::advance(customer_slot& s) {
  customer_state state = load(s);
  const decision d = book_.advance(state, now_);
  ++calls_;
  s.log.push_back({calls_, now_, how::advance, {}, d.result});
  if (d.result != ledger_result::ok || d.units != 0) {
    fail("advance: " + result_text(d.result) + ", units " + std::to_string(d.units));
  }
  if (!d.entries.empty()) {
    if (!book_.apply(state, d)) fail("apply refused an advance made on the same version");
    if (!store_->commit(state, d.entries, d.read_version)) fail("commit refused an advance");
  }
  const advance_outcome want = s.model.advance(now_);

  std::string problems;
  advance_outcome got;
  for (const journal_entry& e : d.entries) {
    if (e.kind == entry_kind::capture || e.kind == entry_kind::release) {
      got.timeouts.push_back({e.op.wallet, e.op.target, e.kind == entry_kind::capture});
    } else if (e.kind == entry_kind::activate) {
      if (e.units > 0) got.activations.push_back({e.op.wallet, e.op.target});
    } else if (e.kind == entry_kind::expire) {
      // checked below, with diff_expiries
    } else if (e.kind == entry_kind::lapse) {
      got.lapses.push_back({e.op.wallet, e.expires_at});
      if (e.id != s.customer.child(static_cast<std::uint32_t>(e.sequence))) {
        problems += "lapse entry #" + std::to_string(e.sequence) + " has the wrong id\n";
      }
    } else {
      problems += "advance wrote a " + std::string(loyalty::to_string(e.kind)) + " entry\n";
    }
  }
  auto timeouts_text = [](const std::vector<timeout_event>& v) {
    std::string t;
    for (const timeout_event& x : v) {
      t += " " + std::to_string(x.wallet) + ":" + short_id(x.hold) +
           (x.capture ? "(capture)" : "(release)");
    }
    return t;
  };
  if (got.lapses != want.lapses) {
    problems += "lapses: " + std::to_string(got.lapses.size()) + ", expected " +
                std::to_string(want.lapses.size()) + " (or at other instants)\n";
  }
  if (got.timeouts != want.timeouts) {
    problems += "holds timed out:" + timeouts_text(got.timeouts) +
                "; expected (by deadline, id):" + timeouts_text(want.timeouts) + "\n";
  }
  if (got.activations != want.activations) {
    problems += "activations: " + std::to_string(got.activations.size()) + ", expected " +
                std::to_string(want.activations.size()) + " (or in another order)\n";
  }
  for (const journal_entry& e : d.entries) {
    const bool timeout = e.kind == entry_kind::capture || e.kind == entry_kind::release;
    if ((timeout && e.id != e.op.target.child(1)) ||
        (e.kind == entry_kind::activate && e.id != e.op.target.child(2))) {
      problems += std::string(loyalty::to_string(e.kind)) + " entry of advance() has id " +
                  short_id(e.id) + "\n";
    }
  }
  std::vector<journal_entry> expiries;
  for (const journal_entry& e : d.entries) {
    if (e.kind == entry_kind::expire) expiries.push_back(e);
  }
  problems += diff_expiries(expiries, want.expired);
  problems += diff_model(book_, state, s.model);
  const std::string broken = book_.check(state);
  if (!broken.empty()) problems += "ledger::check: " + broken + "\n";
  if (!problems.empty()) fail("advance\n" + problems);
}

/// (b) The decision is made, then the host dies before persisting it: nothing is committed or
/// applied. The operation is retried later and must then take effect exactly once.
void simulation::crash(customer_slot& s) {
  const customer_state state = load(s);
  const ledger_op op = generate(s);
  const decision d = book_.decide(state, op, now_);
  ++calls_;
  s.log.push_back({calls_, now_, how::crashed, op, d.result});
  model_customer what_if = s.model;
  const outcome want = what_if.step(op, now_);
  if (d.result != want.result) {
    fail(describe(op) + "\ncrashed decision: ledger " + result_text(d.result) + ", expected " +
         result_text(want.result));
  }
  s.crashed.push_back(op);
  s.history.push_back(op);
}

void simulation::retry_crashed(customer_slot& s) {
  const std::size_t i = rng_.index(s.crashed.size());
  const ledger_op op = s.crashed[i];
  s.crashed.erase(s.crashed.begin() + static_cast<std::ptrdiff_t>(i));
  submit(s, op, how::retried);
  const ledger_result first = s.log.back().result;
  // Once more: whatever the retry did, it did once.
  submit(s, op, how::duplicate);
  const ledger_result again = s.log.back().result;
  if (first == ledger_result::ok && again != ledger_result::exists) {
    fail(describe(op) + "\na second retry of a crashed operation gave " + result_text(again));
  }
  if (burns(first) && again != ledger_result::id_already_failed) {
    fail(describe(op) + "\na second retry of a failed operation gave " + result_text(again));
  }
}

/// (c) A decision made on an old copy of the state, after other operations were committed:
/// the commit must fail on the version, and apply() must refuse it.
void simulation::stale(customer_slot& s) {
  customer_state current = load(s);
  if (!s.snapshot || s.snapshot->version == current.version) {
    submit(s, generate(s), how::normal);
    return;
  }
  const ledger_op op = generate(s);
  const decision d = book_.decide(*s.snapshot, op, now_);
  ++calls_;
  s.log.push_back({calls_, now_, how::stale, op, d.result});
  const std::size_t journal_size = store_->journal(s.customer).size();
  customer_state next = *s.snapshot;
  if (!book_.apply(next, d)) fail(describe(op) + "\napply refused a decision on its own state");
  if (store_->commit(next, d.entries, d.read_version)) {
    fail(describe(op) + "\ncommit accepted a decision made on version " +
         std::to_string(d.read_version) + " over version " + std::to_string(current.version));
  }
  const std::uint64_t version = current.version;
  if (book_.apply(current, d)) fail(describe(op) + "\napply accepted a stale decision");
  if (current.version != version) fail("a refused apply changed the state");
  if (store_->journal(s.customer).size() != journal_size || load(s).version != version) {
    fail("a refused commit changed the store");
  }
  // The host would decide again on the fresh state: later, as a retry.
  s.crashed.push_back(op);
  s.history.push_back(op);
}

void simulation::replay(const customer_slot& s) {
  const std::optional<customer_state> stored = store_->load(s.customer);
  const std::span<const journal_entry> journal = store_->journal(s.customer);
  if (!stored) {
    if (!journal.empty()) fail("a journal without a state");
    return;
  }
  customer_state fresh = book_.open(s.customer);
  for (const journal_entry& e : journal) book_.apply(fresh, e);
  std::string problems = diff_states(fresh, *stored);
  problems += diff_model(book_, fresh, s.model);
  problems += diff_ids(*stored, s.model);
  const std::string broken = book_.check(fresh);
  if (!broken.empty()) problems += "ledger::check after replay: " + broken + "\n";
  if (!problems.empty()) {
    fail("replaying " + std::to_string(journal.size()) + " entries:\n" + problems);
  }
}

void simulation::new_era() {
  ++era_;
  store_ = std::make_unique<memory_store>();
  for (customer_slot& s : slots_) {
    s = customer_slot{};
    s.customer = rng_.id();
  }
}

void simulation::run() {
  new_era();
  while (calls_ < operations_) {
    ++step_;
    // Time moves forward by minutes to weeks, sometimes not at all (ties), and sometimes exactly
    // to an instant that expiries, activations and deadlines are aligned to (boundaries).
    // A customer's operations come in bursts (an order: earn, reserve, capture, ...), and
    // after a jump to a boundary a few operations happen at that very instant.
    const std::int64_t t = rng_.range(0, 99);
    bool on_boundary = false;
    if (dwell_ > 0) {
      --dwell_;
    } else if (t < 18) {
      // the same instant
    } else if (t < 57) {
      now_ += duration{rng_.range(1, 600) * minute};
    } else if (t < 86) {
      now_ += duration{rng_.range(1, 48) * hour};
    } else if (t < 92) {
      now_ += duration{rng_.range(1, 21) * day};
    } else {
      // Sometimes exactly to the next lapse or policy expiry of a customer: nothing may lapse
      // or expire a microsecond early or late.
      const std::optional<timestamp> next = t == 97 ? next_policy_instant() : std::nullopt;
      now_ = next ? *next : boundary(t < 98 ? 6 * hour : 30 * day, 0);
      on_boundary = true;
      dwell_ = static_cast<int>(rng_.range(0, 4));
    }
    if (dwell_ == 0 && !rng_.percent(60)) current_ = rng_.index(slots_.size());
    try {
      if (on_boundary && rng_.percent(50)) {
        advance(slots_[current_]);
      } else {
        step(slots_[current_]);
      }
    } catch (const std::exception& e) {  // the ledger throws only on a corrupt journal
      fail(std::string("exception: ") + e.what());
    }
    if (step_ % era_steps == 0) {
      for (current_ = 0; current_ < slots_.size(); ++current_) replay(slots_[current_]);
      new_era();
      current_ = 0;
    }
  }
  for (current_ = 0; current_ < slots_.size(); ++current_) replay(slots_[current_]);
}

void simulation::step(customer_slot& s) {
  const std::int64_t r = rng_.range(0, 99);
  if (r < 8) {
    advance(s);
  } else if (r < 13 && !s.history.empty()) {  // (a) the same request again
    const std::size_t n = s.history.size();
    const std::size_t i =
        rng_.percent(50) ? n - 1 - rng_.index(std::min<std::size_t>(n, 16)) : rng_.index(n);
    submit(s, s.history[i], how::duplicate);
  } else if (r < 16 && !s.history.empty()) {  // (a) the same id, one field changed
    submit(s, change_one_field(s.history[rng_.index(s.history.size())]), how::changed);
  } else if (r < 19) {
    crash(s);
  } else if (r < 23 && !s.crashed.empty()) {
    retry_crashed(s);
  } else if (r < 25) {
    stale(s);
  } else if (r < 28) {
    submit(s, generate_invalid(s), how::invalid);
  } else {
    submit(s, generate(s), how::normal);
  }
}

// --- Generating operations -----------------------------------------------------------------------

decimal simulation::amount(std::int64_t units, std::uint16_t wi) {
  const int scale = model_policies[wi].scale;
  // The same number written with another scale is the same amount: 5.0 is 5.
  if (rng_.percent(8)) return decimal::from_units(units * 10, scale + 1).value;
  if (scale > 0 && units % 10 == 0 && rng_.percent(25)) {
    return decimal::from_units(units / 10, scale - 1).value;
  }
  return decimal::from_units(units, scale).value;
}

std::int64_t simulation::gen_units(std::uint16_t wi) {
  const std::int64_t unit = pow10(model_policies[wi].scale);
  const std::int64_t r = rng_.range(0, 99);
  if (r < 10) return rng_.range(1, 5 * unit);
  if (r < 70) return rng_.range(1, 100 * unit);
  return rng_.range(100 * unit, 1000 * unit);
}

std::int64_t simulation::gen_spend(std::int64_t available, std::uint16_t wi) {
  if (available > 0 && rng_.percent(85)) {
    if (rng_.percent(12)) return available;
    return rng_.range(1, std::max<std::int64_t>(1, rng_.percent(50) ? available : available / 5));
  }
  return rng_.range(1, std::max<std::int64_t>(0, available) + 50 * pow10(model_policies[wi].scale));
}

timestamp simulation::gen_expiry(std::int64_t never_percent) {
  const std::int64_t r = rng_.range(0, 99);
  if (r < never_percent) return timestamp::max();
  if (r < never_percent + 15) {  // a shared period end: several lots expire at the same instant
    return boundary(30 * day, rng_.range(0, 6));
  }
  if (r < never_percent + 25) return now_ + duration{rng_.range(1, 3 * 24 * 60) * minute};
  return now_ + duration{rng_.range(24, 400 * 24) * hour};
}

/// `expires`, or often none (the wallet's policy decides; never for wallets without one).
std::optional<timestamp> simulation::or_policy(std::uint16_t wi, timestamp expires) {
  const bool has_policy = model_policies[wi].expiry != m_expiry::never;
  if (rng_.percent(has_policy ? 60 : 10)) return std::nullopt;
  return expires;
}

timestamp simulation::gen_deadline() {
  const std::int64_t r = rng_.range(0, 99);
  if (r < 15) return timestamp::max();
  // (d) Shared deadlines, in no particular order of the holds: ties are broken by hold id.
  if (r < 45) return boundary(day, rng_.range(0, 2));
  if (r < 60) return boundary(6 * hour, rng_.range(0, 12));
  return now_ + duration{rng_.range(1, 30 * 24 * 60) * minute};
}

/// The `k`-th multiple of `period` after now (k = 0: the next one).
timestamp simulation::boundary(std::int64_t period, std::int64_t k) const {
  return timestamp{(now_.micros / period + 1 + k) * period};
}

/// The earliest instant after now at which some customer's inactive wallet lapses or a lot of
/// the `after` wallet expires (or that instant less a microsecond, at random).
std::optional<timestamp> simulation::next_policy_instant() const {
  std::optional<timestamp> next;
  const auto consider = [&](timestamp t) {
    if (t > now_ && t != timestamp::max() && (!next || t < *next)) next = t;
  };
  for (const customer_slot& s : slots_) {
    for (std::uint16_t wi = 0; wi < wallet_count; ++wi) {
      if (model_policies[wi].expiry == m_expiry::never) continue;
      const m_wallet& w = s.model.wallet(wi);
      consider(w.lapses_at);
      for (const m_lot& l : w.lots) {
        if (l.remaining > 0) consider(l.expires_at);
      }
    }
  }
  if (next && (step_ % 3) == 0 && next->micros - 1 > now_.micros)
    return timestamp{next->micros - 1};
  return next;
}

template <class Pred>
std::optional<id128> simulation::pick_lot(const m_wallet& w, Pred pred) {
  std::vector<id128> ids;
  std::vector<id128> edges;  // lots at an edge of their validity right now
  for (const m_lot& l : w.lots) {
    if (!pred(l)) continue;
    ids.push_back(l.id);
    if (l.expires_at == now_ || l.activates_at == now_) edges.push_back(l.id);
  }
  if (!edges.empty() && rng_.percent(30)) return edges[rng_.index(edges.size())];
  if (ids.empty()) return std::nullopt;
  return ids[rng_.index(ids.size())];
}

ledger_op simulation::generate(const customer_slot& s) {
  const id128 id = rng_.id();
  const auto wi = static_cast<std::uint16_t>(rng_.range(0, wallet_count - 1));
  const auto other = static_cast<std::uint16_t>(wallet_count - 1 - wi);
  const m_wallet& w = s.model.wallet(wi);
  const std::int64_t available = s.model.available(wi);
  auto any = [](const m_lot&) { return true; };
  if (rng_.percent(4)) return ledger_op::record_activity(id, wi);
  const std::int64_t kind = rng_.range(0, 99);

  if (kind < 16) {  // earn, spendable now
    ledger_op op =
        ledger_op::earn(id, wi, amount(gen_units(wi), wi), or_policy(wi, gen_expiry(15)));
    op.source_event = rng_.id();
    op.source_rule = static_cast<std::uint32_t>(rng_.range(0, 3));
    return op;
  }
  if (kind < 24) {  // earn, pending
    timestamp activates;
    timestamp expires;
    const std::int64_t r = rng_.range(0, 99);
    if (r < 25) {  // until activated
      activates = timestamp::max();
      expires = rng_.percent(20) ? timestamp::max()
                                 : now_ + duration{rng_.range(30 * 24, 800 * 24) * hour};
    } else if (r < 32) {  // due already: spendable at once
      activates = now_ - duration{rng_.range(0, 24) * hour};
      expires = gen_expiry(15);
    } else {
      activates = rng_.percent(30) ? boundary(6 * hour, rng_.range(0, 40))
                                   : now_ + duration{rng_.range(1, 60 * 24) * hour};
      const std::int64_t e = rng_.range(0, 99);
      if (e < 20) {
        expires = timestamp::max();
      } else if (e < 45) {  // the next period ends after the activation
        const std::int64_t period = 30 * day;
        expires = timestamp{(activates.micros / period + 1 + rng_.range(0, 3)) * period};
      } else {
        expires = activates + duration{rng_.range(24, 400 * 24) * hour};
      }
    }
    ledger_op op = ledger_op::earn_pending(id, wi, amount(gen_units(wi), wi), activates,
                                           or_policy(wi, expires));
    op.source_event = rng_.id();
    return op;
  }
  if (kind < 32) {  // activate or cancel a pending lot
    std::optional<id128> target;
    const std::int64_t r = rng_.range(0, 99);
    if (r < 75) {
      target = pick_lot(w, [](const m_lot& l) { return l.pending && !l.cancelled; });
    } else if (r < 88) {
      target = pick_lot(w, any);
    } else if (r < 95) {
      target = pick_lot(s.model.wallet(other), any);
    }
    const id128 lot = target.value_or(rng_.id());
    return kind < 27 ? ledger_op::activate(id, wi, lot) : ledger_op::cancel_pending(id, wi, lot);
  }
  if (kind < 43) return ledger_op::redeem(id, wi, amount(gen_spend(available, wi), wi));
  if (kind < 48) {  // redeem from one lot
    const std::int64_t r = rng_.range(0, 99);
    std::optional<id128> target;
    std::int64_t units = gen_units(wi);
    if (r < 70) {
      target = pick_lot(w, [](const m_lot& l) { return !l.pending && l.remaining > l.held; });
      if (target) {
        const m_lot& l = *std::find_if(w.lots.begin(), w.lots.end(),
                                       [&](const m_lot& x) { return x.id == *target; });
        units = rng_.percent(85) ? rng_.range(1, l.remaining - l.held)
                                 : rng_.range(1, l.remaining + 10);
      }
    } else if (r < 88) {
      target = pick_lot(w, [](const m_lot&) { return true; });
    } else if (r < 95) {
      target = pick_lot(s.model.wallet(other), [](const m_lot&) { return true; });
    }
    return ledger_op::redeem_from(id, wi, amount(units, wi), target.value_or(rng_.id()));
  }
  if (kind < 58) {  // reserve (deadlines in any order), sometimes from one lot
    const auto action = static_cast<timeout_action>(rng_.range(0, 2));
    ledger_op op =
        ledger_op::reserve(id, wi, amount(gen_spend(available, wi), wi), gen_deadline(), action);
    if (rng_.percent(10)) {
      const std::optional<id128> lot =
          pick_lot(w, [](const m_lot& l) { return !l.pending && l.remaining > l.held; });
      if (lot) {
        const m_lot& l = *std::find_if(w.lots.begin(), w.lots.end(),
                                       [&](const m_lot& x) { return x.id == *lot; });
        op.amount = amount(rng_.range(1, l.remaining - l.held + (rng_.percent(80) ? 0 : 5)), wi);
        op.target = *lot;
      }
    }
    return op;
  }
  if (kind < 70) {  // capture or release
    const bool capture = kind < 65;
    const std::int64_t r = rng_.range(0, 99);
    const std::vector<m_hold>& holds =
        r < 88 || s.model.wallet(other).holds.empty() ? w.holds : s.model.wallet(other).holds;
    id128 target = rng_.id();
    std::int64_t units = gen_units(wi);
    if (r < 95 && !holds.empty()) {
      const m_hold& h = holds[rng_.index(holds.size())];
      target = h.id;
      const std::int64_t q = rng_.range(0, 99);
      units = q < 40 ? h.amount : q < 85 ? rng_.range(1, h.amount) : h.amount + rng_.range(1, 10);
    }
    return capture ? ledger_op::capture(id, wi, target, amount(units, wi))
                   : ledger_op::release(id, wi, target);
  }
  if (kind < 78) {  // reverse an earn
    const std::int64_t r = rng_.range(0, 99);
    std::optional<id128> target;
    std::int64_t units = gen_units(wi);
    if (r < 85) {
      // An earn's lot, mostly; any lot is accepted (a credit adjustment, a re-issued refund).
      target = rng_.percent(90) ? pick_lot(w, [](const m_lot& l) { return l.from_earn; })
                                : pick_lot(w, any);
      if (target) {
        const m_lot& l = *std::find_if(w.lots.begin(), w.lots.end(),
                                       [&](const m_lot& x) { return x.id == *target; });
        const std::int64_t left = l.amount - l.returned;
        if (left > 0 && rng_.percent(85)) {
          units = rng_.percent(30) ? left : rng_.range(1, left);
        } else {
          units = rng_.range(1, l.amount + 10);
        }
      }
    } else if (r < 93) {
      target = pick_lot(s.model.wallet(other), [](const m_lot& l) { return l.from_earn; });
    }
    return ledger_op::reverse_earn(id, wi, target.value_or(rng_.id()), amount(units, wi));
  }
  if (kind < 90) {  // refund a redemption or a capture
    const std::int64_t r = rng_.range(0, 99);
    std::vector<const m_record*> candidates;
    for (const m_record& rec : s.model.records()) {
      const bool debit = rec.result == ledger_result::ok &&
                         (rec.op.kind == op_kind::redeem || rec.op.kind == op_kind::capture);
      if (r < 80) {
        // Partial refunds, several times, of redeems, captures and timeout captures.
        if (debit && rec.op.wallet == wi && rec.refunded < rec.units) {
          candidates.push_back(&rec);
        }
      } else if (r < 90) {
        if (!debit) candidates.push_back(&rec);
      } else if (r < 95) {
        if (debit && rec.op.wallet == other) candidates.push_back(&rec);
      }
    }
    id128 target = rng_.id();
    std::int64_t units = gen_units(wi);
    if (!candidates.empty()) {
      // Sometimes a redemption that took from a lot valid exactly refund_min_validity more:
      // the edge between restoring to the lot and re-issuing.
      const timestamp edge = now_ + duration{refund_min_validity};
      std::vector<const m_record*> at_edge;
      for (const m_record* rec : candidates) {
        for (const m_part& p : rec->parts) {
          for (const m_lot& l : s.model.wallet(rec->op.wallet).lots) {
            if (l.id == p.lot && l.expires_at == edge) at_edge.push_back(rec);
          }
        }
      }
      if (!at_edge.empty() && rng_.percent(50)) candidates = at_edge;
      const m_record& rec = *candidates[rng_.index(candidates.size())];
      target = rec.op.id;
      if (r < 80) {
        const std::int64_t left = rec.units - rec.refunded;
        const std::int64_t q = rng_.range(0, 99);
        units = q < 30 ? left : q < 85 ? rng_.range(1, left) : left + rng_.range(1, 5);
      }
    }
    return ledger_op::refund(id, wi, target, amount(units, wi));
  }
  const auto reason = static_cast<std::uint32_t>(rng_.range(1, 9));
  if (kind < 95)
    return ledger_op::adjust(id, wi, amount(gen_units(wi), wi), reason,
                             or_policy(wi, gen_expiry(50)));
  return ledger_op::adjust(id, wi, amount(-gen_spend(available, wi), wi), reason);
}

/// Requests that are wrong in exactly one way (with a fresh id, so that no earlier body
/// matches).
ledger_op simulation::generate_invalid(const customer_slot& s) {
  const id128 id = rng_.id();
  const auto wi = static_cast<std::uint16_t>(rng_.range(0, wallet_count - 1));
  const int scale = model_policies[wi].scale;
  const decimal some = amount(gen_units(wi), wi);
  const std::optional<id128> lot = pick_lot(s.model.wallet(wi), [](const m_lot&) { return true; });
  switch (rng_.range(0, 9)) {
    case 0:
      return ledger_op::earn(rng_.percent(50) ? id128{0, 0} : id128{UINT64_MAX, UINT64_MAX}, wi,
                             some);
    case 1:
      return ledger_op::redeem(id, static_cast<std::uint16_t>(rng_.range(wallet_count, 9)), some);
    case 2:
      switch (rng_.range(0, 4)) {
        case 0:
          return ledger_op::activate(id, wi, id);
        case 1:
          return ledger_op::refund(id, wi, id, some);
        case 2:
          return ledger_op::capture(id, wi, id, some);
        case 3:
          return ledger_op::reverse_earn(id, wi, id, some);
        default:
          return ledger_op::redeem_from(id, wi, some, id);
      }
    case 3:
      if (rng_.percent(50))
        return ledger_op::adjust(id, wi, decimal::from_units(0, scale).value, 1);
      return ledger_op::earn(id, wi, decimal{});
    case 4: {
      const decimal negative = decimal::neg(some);
      switch (rng_.range(0, 4)) {
        case 0:
          return ledger_op::earn(id, wi, negative);
        case 1:
          return ledger_op::redeem(id, wi, negative);
        case 2:
          return ledger_op::reserve(id, wi, negative, gen_deadline(), timeout_action::release);
        case 3:
          return ledger_op::refund(id, wi, lot.value_or(rng_.id()), negative);
        default:
          return ledger_op::reverse_earn(id, wi, lot.value_or(rng_.id()), negative);
      }
    }
    case 5: {  // more fractional digits than the wallet keeps
      const decimal fine =
          decimal::from_units(gen_units(wi) * 10 + rng_.range(1, 9), scale + 1).value;
      return rng_.percent(50) ? ledger_op::earn(id, wi, fine) : ledger_op::redeem(id, wi, fine);
    }
    case 6:
      return ledger_op::earn(id, wi, some, now_ - duration{rng_.range(0, 100) * hour});
    case 7: {
      const timestamp activates = now_ + duration{10 * day};
      return ledger_op::earn_pending(id, wi, some, activates,
                                     activates - duration{rng_.range(0, 5 * 24) * hour});
    }
    case 8:
      return ledger_op::reserve(id, wi, some, now_ - duration{rng_.range(0, 100) * minute},
                                timeout_action::capture);
    default:
      return ledger_op::adjust(id, wi, some, 2, now_ - duration{rng_.range(0, 100) * day});
  }
}

/// The same id with one field of the body changed.
ledger_op simulation::change_one_field(const ledger_op& op) {
  ledger_op changed = op;
  switch (rng_.range(0, 9)) {
    case 0:
      changed.amount =
          decimal::add(op.amount, decimal::from_units(1, op.amount.scale()).value).value;
      break;
    case 1:  // the same number at another scale: the same body
      changed.amount = decimal::from_units(op.amount.units() * 10, op.amount.scale() + 1).value;
      break;
    case 2:
      changed.wallet = static_cast<std::uint16_t>((op.wallet + 1) % wallet_count);
      break;
    case 3:
      changed.target = rng_.id();
      break;
    case 4:
      changed.expires_at = !op.expires_at || *op.expires_at == timestamp::max()
                               ? now_ + duration{day}
                               : *op.expires_at + duration{hour};
      break;
    case 5:
      changed.activates_at = op.activates_at == timestamp::min()
                                 ? now_ + duration{hour}
                                 : op.activates_at - duration{minute};
      break;
    case 6:
      changed.deadline =
          op.deadline == timestamp::max() ? now_ + duration{hour} : op.deadline - duration{minute};
      break;
    case 7:
      changed.on_timeout = static_cast<timeout_action>((static_cast<int>(op.on_timeout) + 1) % 3);
      break;
    case 8:
      changed.reason = op.reason + 1;
      break;
    default:
      // Any other single-customer kind (a transfer takes decide_transfer).
      do {
        changed.kind = static_cast<op_kind>((static_cast<int>(changed.kind) + 1) % 12);
      } while (changed.kind == op_kind::transfer);
      break;
  }
  return changed;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 0);
  if (*end != '\0') FAIL(name << "=" << text << " is not a number");
  return value;
}

}  // namespace

TEST_CASE("ledger: deterministic simulation against a reference model", "[ledger][simulation]") {
  const std::uint64_t seed = env_number("LOYALTY_SIM_SEED", default_seed);
  const std::uint64_t operations = env_number("LOYALTY_SIM_OPS", default_operations);
  INFO("LOYALTY_SIM_SEED=" << seed << " LOYALTY_SIM_OPS=" << operations);
  simulation sim(seed, operations);
  sim.run();
  CHECK(sim.operations() >= operations);
}
