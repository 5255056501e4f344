// The ledger: decide() computes journal entries from a state without changing it; apply()
// changes a state only by applying entries. Replaying a journal is applying it.
#include "loyalty/ledger.hpp"

#include "hash_util.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "loyalty/allocate.hpp"

namespace loyalty {

// --- ids ---------------------------------------------------------------------------------------

namespace {

using internal::mix64;

/// Two 64-bit streams over length-prefixed parts, taking 8 bytes per step: each word goes
/// through splitmix64's finaliser (a bijection) in both streams, differently, and the finish
/// mixes them once more. Stable across runs, machines and versions (ids are stored); not a secret.
struct hasher {
  std::uint64_t a = 0xCBF29CE484222325ULL;
  std::uint64_t b = 0x84222325CBF29CE4ULL;
  void word(std::uint64_t w) noexcept {
    a = mix64(a ^ w);
    b = mix64((b + w) * 0x9E3779B97F4A7C15ULL ^ (a >> 17));
  }
  void text(std::string_view s) noexcept {
    word(s.size());
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w = 0;
      for (std::size_t k = 0; k < 8; ++k) {
        w |= std::uint64_t{static_cast<std::uint8_t>(s[i + k])} << (8 * k);
      }
      word(w);
    }
    if (i < s.size()) {
      std::uint64_t w = 0;
      for (std::size_t k = 0; i + k < s.size(); ++k) {
        w |= std::uint64_t{static_cast<std::uint8_t>(s[i + k])} << (8 * k);
      }
      word(w);
    }
  }
  id128 finish() const noexcept {
    id128 id{mix64(a ^ (b >> 32) ^ 0x2545F4914F6CDD1DULL), mix64(b ^ 0x5851F42D4C957F2DULL)};
    if (!id.valid()) id.low ^= 1;  // the reserved values are never produced
    return id;
  }
};

}  // namespace

id128 id128::derive(std::string_view event_id, std::uint32_t line, std::string_view rule) noexcept {
  hasher h;
  h.text("loyalty.derive");
  h.text(event_id);
  h.word(line);
  h.text(rule);
  return h.finish();
}

id128 id128::child(std::uint32_t n) const noexcept {
  hasher h;
  h.text("loyalty.child");
  h.word(high);
  h.word(low);
  h.word(n);
  return h.finish();
}

std::string id128::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[static_cast<std::size_t>(15 - i)] = digits[(high >> (4 * i)) & 0xF];
    s[static_cast<std::size_t>(31 - i)] = digits[(low >> (4 * i)) & 0xF];
  }
  return s;
}

std::optional<id128> id128::parse(std::string_view hex) noexcept {
  if (hex.size() != 32) return std::nullopt;
  id128 id;
  for (std::size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    std::uint64_t v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<std::uint64_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<std::uint64_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    std::uint64_t& half = i < 16 ? id.high : id.low;
    half = (half << 4) | v;
  }
  return id;
}

namespace {

/// A 64-bit mix of an id (ids may be sequential: every bit of both halves must reach the slot).
std::uint64_t id_hash(id128 id) noexcept {
  std::uint64_t h = id.low ^ ((id.high << 32) | (id.high >> 32)) ^ 0x9E37'79B9'7F4A'7C15ULL;
  h ^= h >> 33;
  h *= 0xFF51'AFD7'ED55'8CCDULL;
  h ^= h >> 33;
  h *= 0xC4CE'B9FE'1A85'EC53ULL;
  h ^= h >> 33;
  return h;
}

constexpr std::uint64_t tag_of(std::uint64_t hash) noexcept {
  return hash & 0xFFFF'FFFF'0000'0000ULL;
}

}  // namespace

// A slot keeps the high 32 bits of its id's hash, which also pick its home position: the table
// grows without reading the records (tables stay far below 2^32 slots).
std::size_t id_index::slot_of(const id128& id, std::uint64_t hash) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(hash >> 32) & mask;
  for (;; i = (i + 1) & mask) {
    const std::uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if (tag_of(slot) == tag_of(hash) && entries_[(slot & 0xFFFF'FFFFULL) - 1].id == id) return i;
  }
}

const id_record* id_index::find(const id128& id) const noexcept {
  if (slots_.empty()) return nullptr;
  const std::uint64_t slot = slots_[slot_of(id, id_hash(id))];
  return slot == 0 ? nullptr : &entries_[(slot & 0xFFFF'FFFFULL) - 1].record;
}

id_record* id_index::find(const id128& id) noexcept {
  return const_cast<id_record*>(static_cast<const id_index&>(*this).find(id));
}

// Rehashes from the records, in the order they were added, rather than from the old slots: half
// of those are empty, and skipping them is a branch the CPU mispredicts about half the time.
void id_index::grow() {
  slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, 0);
  const std::size_t mask = slots_.size() - 1;
  std::uint64_t* const slots = slots_.data();
  entries_.for_each([slots, mask](const entry& e, std::size_t k) {
    const std::uint64_t hash = id_hash(e.id);
    std::size_t i = static_cast<std::size_t>(hash >> 32) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = tag_of(hash) | (k + 1);
  });
}

id_record* id_index::emplace(const id128& id) {
  return emplace(id, ledger_op{}, ledger_result::ok, 0);
}

id_record* id_index::emplace(const id128& id, const ledger_op& op, ledger_result result,
                             std::int64_t units) {
  if (entries_.size() >= 0xFFFF'FFF0U) throw std::length_error("id_index: too many ids");
  if ((entries_.size() + 1) * 2 > slots_.size()) grow();
  const std::uint64_t hash = id_hash(id);
  const std::size_t i = slot_of(id, hash);
  if (slots_[i] != 0) return nullptr;
  entry& added = entries_.emplace_back(id, op, result, units);
  slots_[i] = tag_of(hash) | entries_.size();
  return &added.record;
}

bool id_index::insert(const id128& id, id_record&& record) {
  id_record* added = emplace(id);
  if (added == nullptr) return false;
  *added = std::move(record);
  return true;
}

// --- names -------------------------------------------------------------------------------------

std::string_view to_string(consumption_order o) noexcept {
  return o == consumption_order::fifo ? "fifo" : "soonest_expiring_first";
}

std::string_view to_string(return_policy p) noexcept {
  switch (p) {
    case return_policy::only_pending:
      return "only_pending";
    case return_policy::within_balance:
      return "within_balance";
    case return_policy::allow_negative:
      return "allow_negative";
  }
  return "?";
}

std::string_view to_string(timeout_action a) noexcept {
  switch (a) {
    case timeout_action::capture:
      return "capture";
    case timeout_action::release:
      return "release";
    case timeout_action::none:
      return "none";
  }
  return "?";
}

std::string_view to_string(held_expiry h) noexcept {
  return h == held_expiry::honor ? "honor" : "expire";
}

std::string_view to_string(op_kind k) noexcept {
  static constexpr std::array<std::string_view, 12> names = {
      "earn",    "activate",     "cancel_pending", "redeem", "reserve",  "capture",
      "release", "reverse_earn", "refund",         "adjust", "transfer", "record_activity"};
  const auto i = static_cast<std::size_t>(k);
  return i < names.size() ? names[i] : "?";
}

std::string_view to_string(entry_kind k) noexcept {
  static constexpr std::array<std::string_view, 16> names = {
      "earn",         "activate",     "cancel_pending",  "redeem", "reserve", "capture",
      "release",      "reverse_earn", "refund",          "adjust", "expire",  "failed",
      "transfer_out", "transfer_in",  "record_activity", "lapse"};
  const auto i = static_cast<std::size_t>(k);
  return i < names.size() ? names[i] : "?";
}

std::string_view to_string(ledger_result r) noexcept {
  static constexpr std::array<std::string_view, 31> names = {"ok",
                                                             "exists",
                                                             "exists_with_different_kind",
                                                             "exists_with_different_wallet",
                                                             "exists_with_different_amount",
                                                             "exists_with_different_target",
                                                             "exists_with_different_expires_at",
                                                             "exists_with_different_activates_at",
                                                             "exists_with_different_deadline",
                                                             "exists_with_different_on_timeout",
                                                             "exists_with_different_reason",
                                                             "id_already_failed",
                                                             "invalid_id",
                                                             "unknown_wallet",
                                                             "invalid_amount",
                                                             "invalid_dates",
                                                             "id_is_target",
                                                             "invalid_recipient",
                                                             "invalid_operation",
                                                             "insufficient_balance",
                                                             "lot_not_found",
                                                             "lot_not_pending",
                                                             "lot_expired",
                                                             "hold_not_found",
                                                             "hold_exceeded",
                                                             "hold_timed_out",
                                                             "redemption_not_found",
                                                             "refund_exceeds_redemption",
                                                             "earn_not_found",
                                                             "reversal_exceeds_earn",
                                                             "overflow"};
  const auto i = static_cast<std::size_t>(r);
  return i < names.size() ? names[i] : "?";
}

bool burns_id(ledger_result r) noexcept {
  return r >= ledger_result::insufficient_balance;
}

// --- requests ----------------------------------------------------------------------------------

namespace {

ledger_op make_op(op_kind kind, id128 id, std::uint16_t wallet, decimal amount) noexcept {
  return {kind, id, wallet, amount};
}

}  // namespace

ledger_op ledger_op::earn(id128 id, std::uint16_t wallet, decimal amount,
                          std::optional<timestamp> expires_at) noexcept {
  ledger_op op = make_op(op_kind::earn, id, wallet, amount);
  op.expires_at = expires_at;
  return op;
}

ledger_op ledger_op::earn_pending(id128 id, std::uint16_t wallet, decimal amount,
                                  timestamp activates_at,
                                  std::optional<timestamp> expires_at) noexcept {
  ledger_op op = earn(id, wallet, amount, expires_at);
  op.activates_at = activates_at;
  return op;
}

ledger_op ledger_op::activate(id128 id, std::uint16_t wallet, id128 lot) noexcept {
  ledger_op op = make_op(op_kind::activate, id, wallet, decimal());
  op.target = lot;
  return op;
}

ledger_op ledger_op::cancel_pending(id128 id, std::uint16_t wallet, id128 lot) noexcept {
  ledger_op op = make_op(op_kind::cancel_pending, id, wallet, decimal());
  op.target = lot;
  return op;
}

ledger_op ledger_op::redeem(id128 id, std::uint16_t wallet, decimal amount) noexcept {
  return make_op(op_kind::redeem, id, wallet, amount);
}

ledger_op ledger_op::redeem_from(id128 id, std::uint16_t wallet, decimal amount,
                                 id128 lot) noexcept {
  ledger_op op = make_op(op_kind::redeem, id, wallet, amount);
  op.target = lot;
  return op;
}

ledger_op ledger_op::reserve(id128 id, std::uint16_t wallet, decimal amount, timestamp deadline,
                             timeout_action on_timeout) noexcept {
  ledger_op op = make_op(op_kind::reserve, id, wallet, amount);
  op.deadline = deadline;
  op.on_timeout = on_timeout;
  return op;
}

ledger_op ledger_op::capture(id128 id, std::uint16_t wallet, id128 hold, decimal amount) noexcept {
  ledger_op op = make_op(op_kind::capture, id, wallet, amount);
  op.target = hold;
  return op;
}

ledger_op ledger_op::release(id128 id, std::uint16_t wallet, id128 hold) noexcept {
  ledger_op op = make_op(op_kind::release, id, wallet, decimal());
  op.target = hold;
  return op;
}

ledger_op ledger_op::reverse_earn(id128 id, std::uint16_t wallet, id128 earn,
                                  decimal amount) noexcept {
  ledger_op op = make_op(op_kind::reverse_earn, id, wallet, amount);
  op.target = earn;
  return op;
}

ledger_op ledger_op::refund(id128 id, std::uint16_t wallet, id128 redemption,
                            decimal amount) noexcept {
  ledger_op op = make_op(op_kind::refund, id, wallet, amount);
  op.target = redemption;
  return op;
}

ledger_op ledger_op::transfer(id128 id, std::uint16_t wallet, decimal amount,
                              id128 recipient) noexcept {
  ledger_op op = make_op(op_kind::transfer, id, wallet, amount);
  op.target = recipient;
  return op;
}

ledger_op ledger_op::adjust(id128 id, std::uint16_t wallet, decimal amount, std::uint32_t reason,
                            std::optional<timestamp> expires_at) noexcept {
  ledger_op op = make_op(op_kind::adjust, id, wallet, amount);
  op.reason = reason;
  op.expires_at = expires_at;
  return op;
}

ledger_op ledger_op::record_activity(id128 id, std::uint16_t wallet) noexcept {
  return make_op(op_kind::record_activity, id, wallet, decimal());
}

// --- the ledger --------------------------------------------------------------------------------

ledger::ledger(std::vector<wallet_policy> wallets) : wallets_(std::move(wallets)) {
  if (wallets_.size() > UINT16_MAX) throw std::invalid_argument("ledger: too many wallets");
  for (const wallet_policy& w : wallets_) {
    if (w.scale < 0 || w.scale > decimal::max_scale) {
      throw std::invalid_argument("ledger: wallet scale outside 0..18");
    }
    if (const std::string problem = w.expiry.problem(); !problem.empty()) {
      throw std::invalid_argument("ledger: expiry policy: " + problem);
    }
    if (w.refund_min_validity < duration{}) {
      throw std::invalid_argument("ledger: negative refund_min_validity");
    }
  }
}

customer_state ledger::open(id128 customer) const {
  customer_state s;
  s.customer = customer;
  s.wallets.resize(wallets_.size());
  return s;
}

namespace {

/// The order lots are kept in: the wallet's consumption order.
bool before(consumption_order order, const lot& x, const lot& y) noexcept {
  if (order == consumption_order::soonest_expiring_first && x.expires_at != y.expires_at) {
    return x.expires_at < y.expires_at;
  }
  if (x.earned_at != y.earned_at) return x.earned_at < y.earned_at;
  return x.id < y.id;
}

/// The lot with this id. The lots an operation names are usually near one of two places:
/// recent credits (a return, an activation) at the end, and recently spent lots (a refund) just
/// before first_open, with the lot being spent at it. So the search runs three ways at once:
/// down from the end and up from first_open (the open lots), and down from first_open (the spent
/// ones); it visits every lot once, and finds those after a few steps. Only an old lot in the
/// middle of a long wallet takes a long scan.
const lot* find_lot(const wallet_state& w, id128 id) noexcept {
  const std::size_t n = w.lots.size();
  const std::size_t open = std::min(w.first_open, n);
  std::size_t lo = open;    // up, while lo < hi
  std::size_t hi = n;       // down: hi - 1, while lo < hi
  std::size_t back = open;  // down: back - 1, while back > 0
  while (lo < hi || back > 0) {
    if (lo < hi) {
      if (w.lots[hi - 1].id == id) return &w.lots[hi - 1];
      --hi;
    }
    if (lo < hi) {
      if (w.lots[lo].id == id) return &w.lots[lo];
      ++lo;
    }
    if (back > 0) {
      --back;
      if (w.lots[back].id == id) return &w.lots[back];
    }
  }
  return nullptr;
}

lot* find_lot(wallet_state& w, id128 id) noexcept {
  return const_cast<lot*>(find_lot(static_cast<const wallet_state&>(w), id));
}

const hold* find_hold(const wallet_state& w, id128 id) noexcept {
  for (const hold& h : w.holds) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

/// The idempotency comparison, in TigerBeetle's spirit: the kind first (it changes what the
/// other fields mean), then the fields in a fixed order.
ledger_result compare_body(const ledger_op& was, const ledger_op& now) noexcept {
  if (was.kind != now.kind) return ledger_result::exists_with_different_kind;
  if (was.wallet != now.wallet) return ledger_result::exists_with_different_wallet;
  if (!was.amount.identical(now.amount) && was.amount != now.amount) {
    return ledger_result::exists_with_different_amount;
  }
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

/// What to_units() gives for an amount with more fractional digits than the wallet keeps: no
/// decimal has INT64_MIN units (their range is symmetric). A plain integer, not an optional:
/// GCC returns an optional through two narrow stores that the caller reads back as one wide
/// load, which the CPU cannot forward (a stall on every operation).
constexpr std::int64_t no_units = std::numeric_limits<std::int64_t>::min();

std::int64_t rescaled_units(decimal amount, int scale) noexcept {
  const decimal_result r = amount.rescale(scale, rounding_mode::down);
  if (!r || r.value != amount) return no_units;
  return r.value.units();
}

/// `amount` as units at `scale`: no_units when it has more fractional digits than that.
inline std::int64_t to_units(decimal amount, int scale) noexcept {
  if (amount.scale() == scale) return amount.units();  // the usual case: already at the scale
  return rescaled_units(amount, scale);
}

/// The entry an operation writes (a transfer writes two, transfer_out and transfer_in).
entry_kind entry_of(op_kind k) noexcept {
  switch (k) {
    case op_kind::transfer:
      return entry_kind::transfer_out;
    case op_kind::record_activity:
      return entry_kind::record_activity;
    default:  // earn to adjust: the same names, in the same order
      return static_cast<entry_kind>(static_cast<std::uint8_t>(k));
  }
}

/// Builds one decision: entries in order, with sequence numbers after the state's version.
///
/// The decider also keeps what the decision changes about expiry before its entries are
/// applied: a wallet that lapses in this decision has every lot expired (at the lapse instant
/// at the latest), and its inactivity clock no longer runs. Every check below reads lots
/// through expires_at() and spendable(), never their fields, so a lapse is seen at once.
class decider {
 public:
  /// Decides into `out`, whose entries' memory is reused: a decision decided into again and
  /// again allocates nothing for the common operations.
  decider(const std::vector<wallet_policy>& policies, const customer_state& s, timestamp now,
          decision& out)
      : policies_(policies), s_(s), now_(now), d_(out) {
    d_.entries.clear();  // keeps its capacity: a reused decision allocates nothing
    d_.result = ledger_result::ok;
    d_.units = 0;
    d_.read_version = s.version;
  }

  void finish(ledger_result r) noexcept { d_.result = r; }

  journal_entry& add(entry_kind kind, const id128& id, const ledger_op& op) {
    return d_.entries.emplace_back(s_.version + d_.entries.size() + 1, kind, id, op, now_);
  }

  /// Success: the op's own entry is the last one; it may reset the inactivity clock (a credit
  /// when it makes a new lot).
  void succeed(const ledger_op& op, std::int64_t units, bool credits = false) {
    succeed_at(d_.entries.size() - 1, op, units, credits);
  }
  /// The same when the op's own entry is entries[index] (entries it caused come after it).
  void succeed_at(std::size_t index, const ledger_op& op, std::int64_t units,
                  bool credits = false) {
    mark_activity(d_.entries[index], op.kind, credits);
    d_.result = ledger_result::ok;
    d_.units = units;
  }
  std::size_t entries() const noexcept { return d_.entries.size(); }
  journal_entry& entry(std::size_t index) noexcept { return d_.entries[index]; }

  /// After a hold ends at `now` (captured, released): expire entries for the held units it
  /// gives back whose lot has expired. `captured` are the parts the entry spent.
  void expire_released(std::uint16_t wallet, const hold& h, const std::vector<lot_part>& captured) {
    const wallet_state& w = s_.wallets[wallet];
    for (const lot_part& p : h.parts) {
      std::int64_t units = p.units;
      for (const lot_part& c : captured) {
        if (c.lot == p.lot) units -= c.units;
      }
      const lot* l = find_lot(w, p.lot);
      if (units <= 0 || l == nullptr || !expired(wallet, *l)) continue;
      ledger_op op;
      op.kind = op_kind::adjust;
      op.id = l->id.child(static_cast<std::uint32_t>(s_.version + d_.entries.size() + 1));
      op.wallet = wallet;
      op.target = l->id;
      journal_entry& e = add(entry_kind::expire, op.id, op);
      e.units = units;
      e.parts.push_back({l->id, units});
    }
  }

  /// A state-dependent failure: recorded, so the id stays failed.
  void fail(const ledger_op& op, ledger_result r) {
    journal_entry& e = add(entry_kind::failed, op.id, op);
    e.result = r;
    finish(r);
  }

  /// `l`'s expires_at as this decision sees it.
  timestamp expires_at(std::uint16_t wallet, const lot& l) const noexcept {
    const std::optional<timestamp> lapse = lapsed_at(wallet);
    return lapse ? std::min(l.expires_at, *lapse) : l.expires_at;
  }
  bool expired(std::uint16_t wallet, const lot& l) const noexcept {
    return expires_at(wallet, l) <= now_;
  }
  /// Spendable at `now`: active, not expired, with unheld units.
  std::int64_t spendable(std::uint16_t wallet, const lot& l) const noexcept {
    if (l.pending || expired(wallet, l)) return 0;
    return l.remaining - l.held;
  }

  /// A `lapse` entry if `wallet` has an inactivity policy and its clock ran out by now (once
  /// per decision).
  void lapse(std::uint16_t wallet) {
    const wallet_state& w = s_.wallets[wallet];
    if (policies_[wallet].expiry.kind != expiry_kind::inactivity || !w.last_activity ||
        w.lapses_at > now_ || lapsed_at(wallet)) {
      return;
    }
    ledger_op op;
    op.kind = op_kind::adjust;
    op.id = s_.customer.child(static_cast<std::uint32_t>(s_.version + d_.entries.size() + 1));
    op.wallet = wallet;
    journal_entry& e = add(entry_kind::lapse, op.id, op);
    e.expires_at = w.lapses_at;
    lapses_.push_back({wallet, w.lapses_at});
  }

  /// Whether the inactivity clock of `wallet` runs, after what this decision did so far.
  bool clock_running(std::uint16_t wallet) const noexcept {
    return s_.wallets[wallet].last_activity.has_value() && !lapsed_at(wallet);
  }

  /// Marks `e` as resetting the wallet's inactivity clock when the policy says so: a
  /// record_activity, an operation named in reset_on, or a credit while the clock is stopped.
  void mark_activity(journal_entry& e, op_kind kind, bool credits) const {
    const wallet_policy& p = policies_[e.op.wallet];
    if (p.expiry.kind != expiry_kind::inactivity) return;
    if (kind == op_kind::record_activity || p.reset_on.contains(kind) ||
        (credits && !clock_running(e.op.wallet))) {
      e.marks_activity = true;
      e.lapses_at = expiry_instant(p.expiry, now_, p.zone);
    }
  }

  /// A lapse (if due), then expiry entries for the lots of `wallet` past their expires_at with
  /// unheld units; returns the units they take from what was available (pending lots' units
  /// never were).
  std::int64_t expire(std::uint16_t wallet) {
    // The usual case, decided here without a call: no inactivity clock that may run out, no
    // lapse in this decision, and nothing expires before the wallet's floor.
    if (policies_[wallet].expiry.kind != expiry_kind::inactivity && lapses_.empty() &&
        s_.wallets[wallet].expiry_floor > now_) {
      return 0;
    }
    return expire_lots(wallet);
  }
  std::int64_t expire_lots(std::uint16_t wallet) {
    if (policies_[wallet].expiry.kind == expiry_kind::inactivity) lapse(wallet);
    const wallet_state& w = s_.wallets[wallet];
    // Nothing expires before the floor (unless the wallet lapses in this decision).
    if (w.expiry_floor > now_ && !lapsed_at(wallet)) return 0;
    const bool sorted_by_expiry =
        policies_[wallet].order == consumption_order::soonest_expiring_first;
    std::int64_t total = 0;
    for (std::size_t i = w.first_open; i < w.lots.size(); ++i) {
      const lot& l = w.lots[i];
      if (!expired(wallet, l)) {
        if (sorted_by_expiry) break;  // the rest expire later
        continue;
      }
      // A pending lot that this decision activates (advance()) is spendable by now, less the
      // debt its activation repaid.
      const activation* a = activated(l.id);
      const bool pending = l.pending && a == nullptr;
      const std::int64_t units =
          pending ? l.remaining
                  : l.remaining - (a != nullptr ? a->debt_units : 0) - l.held + released(l.id);
      if (units <= 0) continue;
      if (!pending) total += units;  // pending units were never available
      ledger_op op;
      op.kind = op_kind::adjust;
      op.id = l.id.child(static_cast<std::uint32_t>(s_.version + d_.entries.size() + 1));
      op.wallet = wallet;
      op.target = l.id;
      journal_entry& e = add(entry_kind::expire, op.id, op);
      e.units = units;
      e.parts.push_back({l.id, units});
    }
    return total;
  }

  /// Lots to debit `units` from by the wallet's order (skipping pending, expired and held
  /// units); empty when there is not enough.
  std::vector<lot_part> take(std::uint16_t wallet, std::int64_t units, id128 first = {}) const {
    const wallet_state& w = s_.wallets[wallet];
    std::vector<lot_part> parts;
    std::int64_t left = units;
    if (first.valid()) {
      if (const lot* l = find_lot(w, first)) {
        const std::int64_t n = std::min(left, spendable(wallet, *l));
        if (n > 0) {
          parts.push_back({l->id, n});
          left -= n;
        }
      }
    }
    for (std::size_t i = w.first_open; i < w.lots.size() && left > 0; ++i) {
      const lot& l = w.lots[i];
      if (l.id == first) continue;
      const std::int64_t n = std::min(left, spendable(wallet, l));
      if (n <= 0) continue;
      parts.push_back({l.id, n});
      left -= n;
    }
    return parts;
  }

  /// Units spendable now, after the expiries this decision makes.
  std::int64_t available(std::uint16_t wallet, std::int64_t expiring) const {
    return s_.wallets[wallet].totals.available - expiring;
  }

  timestamp now() const noexcept { return now_; }

  /// Held units of `lot` that an earlier entry of this decision releases (a hold timing out).
  void release(const std::vector<lot_part>& parts) {
    released_.insert(released_.end(), parts.begin(), parts.end());
  }
  std::int64_t released(id128 lot) const noexcept {
    std::int64_t n = 0;
    for (const lot_part& p : released_) {
      if (p.lot == lot) n += p.units;
    }
    return n;
  }

  /// A pending lot that an earlier entry of this decision activates, repaying `debt_units`.
  struct activation {
    id128 lot;
    std::int64_t debt_units;
  };
  void activate(id128 lot, std::int64_t debt_units) { activated_.push_back({lot, debt_units}); }
  const activation* activated(id128 lot) const noexcept {
    for (const activation& a : activated_) {
      if (a.lot == lot) return &a;
    }
    return nullptr;
  }

 private:
  struct wallet_lapse {
    std::uint16_t wallet;
    timestamp at;
  };
  std::optional<timestamp> lapsed_at(std::uint16_t wallet) const noexcept {
    for (const wallet_lapse& x : lapses_) {
      if (x.wallet == wallet) return x.at;
    }
    return std::nullopt;
  }

  std::vector<lot_part> released_;
  std::vector<activation> activated_;  // advance() only
  std::vector<wallet_lapse> lapses_;   // wallets that lapse in this decision; usually none
  const std::vector<wallet_policy>& policies_;
  const customer_state& s_;
  timestamp now_;
  decision& d_;
};

/// The expires_at of a new lot credited at `now` (pending while activates_at > now): the op's
/// own, else the policy's. A pending lot whose clock starts at activation gets its expiry when
/// it activates: until then it is timestamp::max().
timestamp new_lot_expiry(const wallet_policy& p, const ledger_op& op, bool pending,
                         timestamp now) noexcept {
  if (op.expires_at) return *op.expires_at;
  switch (p.expiry.kind) {
    case expiry_kind::never:
    case expiry_kind::inactivity:  // the wallet lapses as a whole; lots have no expiry
      return timestamp::max();
    case expiry_kind::after:
    case expiry_kind::fixed_dates:
      if (pending && p.expiry.clock == clock_start::activation) return timestamp::max();
      return expiry_instant(p.expiry, now, p.zone);
  }
  return timestamp::max();
}

/// The expires_at of pending lot `l` once it activates at `now`: under clock_starts:
/// activation, the policy's from now, unless the earn set its own.
timestamp activated_lot_expiry(const wallet_policy& p, const customer_state& s, const lot& l,
                               timestamp now) noexcept {
  const bool from_activation =
      (p.expiry.kind == expiry_kind::after || p.expiry.kind == expiry_kind::fixed_dates) &&
      p.expiry.clock == clock_start::activation;
  if (!from_activation) return l.expires_at;
  const id_record* earn = s.ids.find(l.id);
  if (earn == nullptr || earn->op.expires_at) return l.expires_at;
  return expiry_instant(p.expiry, now, p.zone);
}

/// How many more units a wallet can be credited. Everything else a wallet counts (its lots'
/// remaining units, spent, expired, reversed, debt, transferred out) is bounded by what it was
/// credited, earned + transferred_in, so keeping that sum within 64 bits keeps every balance and
/// every sum check() makes within 64 bits.
std::int64_t credit_room(const balances& t) noexcept {
  return std::numeric_limits<std::int64_t>::max() - t.earned - t.transferred_in;
}

std::int64_t sum(const std::vector<lot_part>& parts) noexcept {
  std::int64_t n = 0;
  for (const lot_part& p : parts) n += p.units;
  return n;
}

}  // namespace

decision ledger::decide(const customer_state& s, const ledger_op& op, timestamp now) const {
  decision out;
  decide(s, op, now, out);
  return out;
}

void ledger::decide(const customer_state& s, const ledger_op& op, timestamp now,
                    decision& out) const {
  decider d(wallets_, s, now, out);
  if (!op.id.valid()) return d.finish(ledger_result::invalid_id);
  if (const id_record* known = s.ids.find(op.id)) {
    const id_record& r = *known;
    if (r.result != ledger_result::ok) return d.finish(ledger_result::id_already_failed);
    d.finish(compare_body(r.op, op));
    if (out.result == ledger_result::exists) out.units = r.units;
    return;
  }
  if (op.kind == op_kind::transfer) return d.finish(ledger_result::invalid_operation);
  if (op.wallet >= wallets_.size()) return d.finish(ledger_result::unknown_wallet);
  if (op.target == op.id) return d.finish(ledger_result::id_is_target);
  const wallet_policy& policy = wallets_[op.wallet];
  const wallet_state& w = s.wallets[op.wallet];
  const bool needs_amount = op.kind != op_kind::activate && op.kind != op_kind::cancel_pending &&
                            op.kind != op_kind::release && op.kind != op_kind::record_activity;
  std::int64_t units = 0;
  if (needs_amount) {
    const std::int64_t u = to_units(op.amount, policy.scale);
    if (u == no_units || (op.kind == op_kind::adjust ? u == 0 : u <= 0)) {
      return d.finish(ledger_result::invalid_amount);
    }
    units = u;
  }
  const bool credit = op.kind == op_kind::earn || (op.kind == op_kind::adjust && units > 0);
  const bool pending = op.kind == op_kind::earn && op.activates_at > now;
  // The lot's expiry: the op's own, or what the wallet's policy gives (computed here, recorded
  // in the entry, so replaying never runs the policy).
  const timestamp lot_expires_at = credit ? new_lot_expiry(policy, op, pending, now) : now;
  const bool until_activated = op.activates_at == timestamp::max();
  if (credit &&
      (lot_expires_at <= now || (!until_activated && op.activates_at >= lot_expires_at))) {
    return d.finish(ledger_result::invalid_dates);
  }
  if (op.kind == op_kind::reserve && op.deadline <= now) {
    return d.finish(ledger_result::invalid_dates);
  }

  const std::int64_t expiring = d.expire(op.wallet);
  const std::int64_t available = d.available(op.wallet, expiring);
  switch (op.kind) {
    case op_kind::earn:
    case op_kind::adjust: {
      if (units < 0) {  // a debit adjustment
        const std::vector<lot_part> parts = d.take(op.wallet, -units);
        if (sum(parts) != -units) return d.fail(op, ledger_result::insufficient_balance);
        journal_entry& e = d.add(entry_kind::adjust, op.id, op);
        e.units = -units;
        e.parts = parts;
        return d.succeed(op, units);
      }
      if (units > credit_room(w.totals)) return d.fail(op, ledger_result::overflow);
      journal_entry& e = d.add(entry_of(op.kind), op.id, op);
      e.units = units;
      e.expires_at = lot_expires_at;
      if (!pending) e.debt_units = std::min(units, w.totals.debt);
      return d.succeed(op, units, true);
    }
    case op_kind::activate:
    case op_kind::cancel_pending: {
      const lot* l = find_lot(w, op.target);
      if (l == nullptr) return d.fail(op, ledger_result::lot_not_found);
      if (!l->pending) return d.fail(op, ledger_result::lot_not_pending);
      const bool expired = d.expired(op.wallet, *l);
      if (op.kind == op_kind::activate && expired) return d.fail(op, ledger_result::lot_expired);
      journal_entry& e = d.add(entry_of(op.kind), op.id, op);
      // A pending lot past its expiry was just expired above: nothing is left to cancel.
      e.units = expired ? 0 : l->remaining;
      e.parts.push_back({l->id, e.units});
      if (op.kind == op_kind::activate) {
        e.debt_units = std::min(l->remaining, w.totals.debt);
        e.expires_at = activated_lot_expiry(policy, s, *l, now);
      }
      return d.succeed(op, e.units);
    }
    case op_kind::redeem:
    case op_kind::reserve: {
      std::vector<lot_part> parts;
      if (op.target.valid()) {
        const lot* l = find_lot(w, op.target);
        if (l == nullptr) return d.fail(op, ledger_result::lot_not_found);
        if (d.expired(op.wallet, *l)) return d.fail(op, ledger_result::lot_expired);
        if (d.spendable(op.wallet, *l) < units) {
          return d.fail(op, ledger_result::insufficient_balance);
        }
        parts.push_back({l->id, units});
      } else {
        if (available < units) return d.fail(op, ledger_result::insufficient_balance);
        parts = d.take(op.wallet, units);
      }
      journal_entry& e = d.add(entry_of(op.kind), op.id, op);
      e.units = units;
      e.parts = std::move(parts);
      return d.succeed(op, units);
    }
    case op_kind::capture:
    case op_kind::release: {
      const hold* h = find_hold(w, op.target);
      if (h == nullptr) return d.fail(op, ledger_result::hold_not_found);
      if (op.kind == op_kind::capture && units > h->amount) {
        return d.fail(op, ledger_result::hold_exceeded);
      }
      // As in TigerBeetle, nothing is posted after the timeout: the hold's own action is due.
      if (h->deadline <= now && h->on_timeout != timeout_action::none) {
        return d.fail(op, ledger_result::hold_timed_out);
      }
      // What a capture may spend: every held unit, or (held_at_expiry: expire) those of lots
      // still valid now.
      const bool honor = policy.held_at_expiry == held_expiry::honor;
      if (op.kind == op_kind::capture && !honor) {
        std::int64_t valid = 0;
        for (const lot_part& p : h->parts) {
          const lot* l = find_lot(w, p.lot);
          if (l != nullptr && !d.expired(op.wallet, *l)) valid += p.units;
        }
        if (units > valid) return d.fail(op, ledger_result::hold_exceeded);
      }
      const std::size_t index = d.entries();
      journal_entry& e = d.add(entry_of(op.kind), op.id, op);
      e.units = op.kind == op_kind::capture ? units : 0;
      // parts: what is captured, in the hold's order; the rest is released.
      std::int64_t left = e.units;
      for (const lot_part& p : h->parts) {
        const lot* l = find_lot(w, p.lot);
        if (!honor && (l == nullptr || d.expired(op.wallet, *l))) continue;
        const std::int64_t n = std::min(left, p.units);
        if (n > 0) e.parts.push_back({p.lot, n});
        left -= n;
      }
      // Released units of lots that have expired expire now, in this decision.
      const std::vector<lot_part> captured = e.parts;
      d.expire_released(op.wallet, *h, captured);
      return d.succeed_at(index, op, units);
    }
    case op_kind::reverse_earn: {
      const lot* l = find_lot(w, op.target);
      if (l == nullptr) return d.fail(op, ledger_result::earn_not_found);
      if (l->returned + units > l->amount) return d.fail(op, ledger_result::reversal_exceeds_earn);
      journal_entry& e = d.add(entry_kind::reverse_earn, op.id, op);
      if (l->pending) {
        // Points not yet spendable are simply taken back, whatever the policy; a pending lot
        // that has expired has nothing left (the expiry entry above took it).
        const std::int64_t n = d.expired(op.wallet, *l) ? 0 : std::min(units, l->remaining);
        e.units = n;
        if (n > 0) e.parts.push_back({l->id, n});
      } else if (policy.returns != return_policy::only_pending) {
        e.parts = d.take(op.wallet, std::min(units, available), l->id);
        e.units = sum(e.parts);
        if (policy.returns == return_policy::allow_negative) e.debt_units = units - e.units;
      }
      return d.succeed(op, e.units + e.debt_units);
    }
    case op_kind::refund: {
      const id_record* redemption = s.ids.find(op.target);
      if (redemption == nullptr || redemption->result != ledger_result::ok ||
          (redemption->op.kind != op_kind::redeem && redemption->op.kind != op_kind::capture) ||
          redemption->op.wallet != op.wallet) {
        return d.fail(op, ledger_result::redemption_not_found);
      }
      const id_record& r = *redemption;
      if (r.refunded + units > r.units) {
        return d.fail(op, ledger_result::refund_exceeds_redemption);
      }
      // Prorated over the lots the redemption took, exactly (largest remainder).
      std::vector<decimal> weights;
      for (const lot_part& p : r.parts) weights.push_back(decimal::from_units(p.units, 0).value);
      std::vector<decimal> shares_d(weights.size());
      if (allocate(decimal::from_units(units, 0).value, weights,
                   remainder_policy::largest_remainder, shares_d) != decimal_errc::ok) {
        return d.fail(op, ledger_result::overflow);
      }
      std::vector<std::int64_t> shares;
      for (const decimal& x : shares_d) shares.push_back(x.units());
      journal_entry& e = d.add(entry_kind::refund, op.id, op);
      e.units = units;
      // (Saturating: a validity beyond timestamp::max() is never-expiring.)
      const timestamp valid_until{policy.refund_min_validity.micros >
                                          timestamp::max().micros - now.micros
                                      ? timestamp::max().micros
                                      : now.micros + policy.refund_min_validity.micros};
      for (std::size_t i = 0; i < r.parts.size(); ++i) {
        if (shares[i] == 0) continue;
        e.shares.push_back({r.parts[i].lot, shares[i]});
        const lot* l = find_lot(w, r.parts[i].lot);
        if (l != nullptr && !l->pending && d.expires_at(op.wallet, *l) >= valid_until) {
          e.parts.push_back({l->id, shares[i]});
        } else {
          e.reissued_units += shares[i];
        }
      }
      if (e.reissued_units > 0) {
        e.reissued_lot = op.id;
        e.reissued_expires_at = valid_until;
      }
      return d.succeed(op, units, e.reissued_units > 0);
    }
    case op_kind::record_activity:
      d.add(entry_kind::record_activity, op.id, op);
      return d.succeed(op, 0);
    case op_kind::transfer:
      break;  // refused above
  }
  return d.finish(ledger_result::invalid_operation);
}

namespace {

/// The id of the lot a transfer creates from the k-th lot it takes (a child id outside the range
/// the ledger's own entries use).
id128 transfer_lot_id(id128 transfer, std::size_t k) noexcept {
  return transfer.child(0xC000'0000U + static_cast<std::uint32_t>(k));
}

}  // namespace

transfer_decision ledger::decide_transfer(const customer_state& from, const customer_state& to,
                                          const ledger_op& op, timestamp now) const {
  transfer_decision out;
  decider sender(wallets_, from, now, out.from);
  decider receiver(wallets_, to, now, out.to);
  const auto done = [&](ledger_result r) {
    out.result = r;
    sender.finish(r);
    receiver.finish(r);
    return std::move(out);
  };
  if (!op.id.valid()) return done(ledger_result::invalid_id);
  // The id is recorded on both sides; a retry finds it on either.
  for (const customer_state* side : {&from, &to}) {
    if (const id_record* known = side->ids.find(op.id)) {
      const id_record& r = *known;
      if (r.result != ledger_result::ok) return done(ledger_result::id_already_failed);
      const ledger_result same = compare_body(r.op, op);
      if (same == ledger_result::exists) out.units = r.units;
      return done(same);
    }
  }
  if (op.kind != op_kind::transfer) return done(ledger_result::invalid_operation);
  if (op.wallet >= wallets_.size()) return done(ledger_result::unknown_wallet);
  if (op.target == op.id) return done(ledger_result::id_is_target);
  if (!op.target.valid() || op.target != to.customer || to.customer == from.customer ||
      to.wallets.size() != wallets_.size()) {
    return done(ledger_result::invalid_recipient);
  }
  const std::int64_t units = to_units(op.amount, wallets_[op.wallet].scale);
  if (units == no_units || units <= 0) return done(ledger_result::invalid_amount);

  const std::int64_t expiring = sender.expire(op.wallet);
  if (sender.available(op.wallet, expiring) < units) {
    out.result = ledger_result::insufficient_balance;
    sender.fail(op, ledger_result::insufficient_balance);
    receiver.finish(ledger_result::insufficient_balance);
    return out;
  }
  if (units > credit_room(to.wallets[op.wallet].totals)) {
    out.result = ledger_result::overflow;
    sender.fail(op, ledger_result::overflow);
    receiver.finish(ledger_result::overflow);
    return out;
  }
  journal_entry& e = sender.add(entry_kind::transfer_out, op.id, op);
  e.units = units;
  e.parts = sender.take(op.wallet, units);
  receiver.expire(op.wallet);  // the recipient's own expiries first, as for any operation
  journal_entry& in = receiver.add(entry_kind::transfer_in, op.id, op);
  in.units = units;
  const wallet_state& w = from.wallets[op.wallet];
  for (std::size_t k = 0; k < e.parts.size(); ++k) {
    // take() just consumed from this lot, so it exists; a missing one would keep the credit
    // from ever expiring, which check() would not catch, so it is refused instead.
    const lot* l = find_lot(w, e.parts[k].lot);
    if (l == nullptr) return done(ledger_result::invalid_operation);
    in.credits.push_back(
        {transfer_lot_id(op.id, k), e.parts[k].units, sender.expires_at(op.wallet, *l)});
  }
  // Inactivity: a transfer resets both customers' clocks when reset_on lists it; as a credit,
  // it starts the recipient's clock if it is stopped.
  sender.mark_activity(e, op_kind::transfer, false);
  receiver.mark_activity(in, op_kind::transfer, true);
  out.units = units;
  return done(ledger_result::ok);
}

decision ledger::advance(const customer_state& s, timestamp now) const {
  decision out;
  decider d(wallets_, s, now, out);
  for (std::uint16_t wi = 0; wi < wallets_.size(); ++wi) {
    const wallet_state& w = s.wallets[wi];
    // An inactive wallet lapses first: its pending lots that came due before the lapse activate
    // below, the others expire as pending.
    d.lapse(wi);
    // Holds past their deadline, by deadline then id.
    std::vector<const hold*> due;
    for (const hold& h : w.holds) {
      if (h.deadline <= now && h.on_timeout != timeout_action::none) due.push_back(&h);
    }
    std::sort(due.begin(), due.end(), [](const hold* x, const hold* y) {
      return x->deadline != y->deadline ? x->deadline < y->deadline : x->id < y->id;
    });
    for (const hold* h : due) {
      ledger_op op;
      op.kind = h->on_timeout == timeout_action::capture ? op_kind::capture : op_kind::release;
      op.id = h->id.child(1);
      op.wallet = wi;
      op.target = h->id;
      // A capture takes every held unit, or (held_at_expiry: expire) those of lots still
      // valid; what it does not take is released, so that units of expired lots expire in
      // this same advance.
      std::vector<lot_part> captured;
      if (op.kind == op_kind::capture) {
        const bool honor = wallets_[wi].held_at_expiry == held_expiry::honor;
        for (const lot_part& p : h->parts) {
          const lot* l = find_lot(w, p.lot);
          if (honor || (l != nullptr && !d.expired(wi, *l))) {
            captured.push_back(p);
          } else {
            d.release({p});
          }
        }
        op.amount = decimal::from_units(sum(captured), wallets_[wi].scale).value;
      } else {
        d.release(h->parts);
      }
      journal_entry& e = d.add(entry_of(op.kind), op.id, op);
      if (op.kind == op_kind::capture) {
        e.units = sum(captured);
        e.parts = std::move(captured);
      }
    }
    // Pending lots whose time has come, in lot order; debt is repaid first.
    std::int64_t debt = w.totals.debt;
    // A lot activates if it was still valid when it came due, even if it has expired since
    // (advance() ran late): it repays debt, as a timely run would have, and what is left of
    // it expires below.
    for (const lot& l : w.lots) {
      if (!l.pending || l.activates_at > now || d.expires_at(wi, l) <= l.activates_at) continue;
      if (l.remaining == 0 && d.expired(wi, l)) continue;  // expired whole by an earlier decision
      ledger_op op;
      op.kind = op_kind::activate;
      op.id = l.id.child(2);
      op.wallet = wi;
      op.target = l.id;
      journal_entry& e = d.add(entry_kind::activate, op.id, op);
      e.units = l.remaining;
      e.parts.push_back({l.id, l.remaining});
      e.debt_units = std::min(l.remaining, debt);
      // A lapse in this decision caps the lot's expiry (it is applied first).
      e.expires_at = std::min(activated_lot_expiry(wallets_[wi], s, l, now), d.expires_at(wi, l));
      debt -= e.debt_units;
      d.activate(l.id, e.debt_units);
    }
  }
  // Expiry last; units that a timed-out hold released above expire now too (d.release()).
  for (std::uint16_t wi = 0; wi < wallets_.size(); ++wi) d.expire(wi);
  d.finish(ledger_result::ok);
  return out;
}

// --- applying ----------------------------------------------------------------------------------

namespace {

/// Moves the wallet's last lot, just appended, to its place in the wallet's order. Usually it
/// sorts last (it expires, or was earned, after the others): no search, nothing moves.
void place_last_lot(wallet_state& w, consumption_order order) {
  const lot& l = w.lots.back();
  const bool has_units = l.remaining > 0;
  if (has_units) w.expiry_floor = std::min(w.expiry_floor, l.expires_at);
  std::size_t index = w.lots.size() - 1;
  if (index > 0 && before(order, l, w.lots[index - 1])) {
    const auto last = w.lots.end() - 1;
    const auto at = std::upper_bound(w.lots.begin(), last, l, [order](const lot& x, const lot& y) {
      return before(order, x, y);
    });
    index = static_cast<std::size_t>(at - w.lots.begin());
    std::rotate(at, last, w.lots.end());
  }
  if (index <= w.first_open) w.first_open = has_units ? index : w.first_open + 1;
}

/// Adds a lot built in place from `args` (lot's constructors) at its place in the wallet's order.
template <typename... Args>
void insert_lot(wallet_state& w, consumption_order order, Args&&... args) {
  w.lots.emplace_back(std::forward<Args>(args)...);
  place_last_lot(w, order);
}

void settle_first_open(wallet_state& w) noexcept {
  while (w.first_open < w.lots.size() && w.lots[w.first_open].remaining == 0) ++w.first_open;
}

/// Moves first_open back so that `l` (which has units again) is inside the open range.
void reopen(wallet_state& w, const lot& l) noexcept {
  const auto index = static_cast<std::size_t>(&l - w.lots.data());
  w.first_open = std::min(w.first_open, index);
  w.expiry_floor = std::min(w.expiry_floor, l.expires_at);
}

/// Makes the wallet's expiry floor exact: the soonest expires_at of a lot with units left.
void settle_expiry_floor(wallet_state& w, consumption_order order) noexcept {
  timestamp floor = timestamp::max();
  for (std::size_t i = w.first_open; i < w.lots.size(); ++i) {
    const lot& l = w.lots[i];
    if (l.remaining <= 0) continue;
    floor = std::min(floor, l.expires_at);
    if (order == consumption_order::soonest_expiring_first) break;  // the rest expire later
  }
  w.expiry_floor = floor;
}

lot& require_lot(wallet_state& w, id128 id) {
  lot* l = find_lot(w, id);
  if (l == nullptr) throw std::logic_error("ledger journal: entry refers to an unknown lot");
  return *l;
}

// The invariants, asserted on every entry applied (always on: a journal that breaks one is
// corrupt, and booking it would make a balance silently wrong). apply() throws std::logic_error;
// the state is then half-applied and must be discarded, as after any failed load.
[[noreturn, gnu::cold, gnu::noinline]] void invariant_violated(const char* what) {
  throw std::logic_error(std::string("ledger invariant violated: ") + what);
}

inline void ensure(bool holds, const char* what) {
  if (!holds) [[unlikely]]
    invariant_violated(what);
}

/// A lot after a change: 0 <= held <= remaining <= amount.
void ensure_lot(const lot& l) {
  ensure(l.held >= 0 && l.held <= l.remaining && l.remaining <= l.amount,
         "a lot's held <= remaining <= amount, none negative");
}

/// Takes `units` (>= 0) out of a lot's remaining (spent, expired, reversed, given away).
void take_units(lot& l, std::int64_t units) {
  ensure(units >= 0, "a part of a debit is not negative");
  l.remaining -= units;
  ensure_lot(l);
}

/// A wallet after an entry: no balance negative, and what it was credited less what left it is
/// what its lots hold (the balance equation of docs/ledger.md, on the totals: O(1)).
void ensure_wallet(const wallet_state& w) {
  const balances& t = w.totals;
  ensure(t.available >= 0 && t.pending >= 0 && t.held >= 0 && t.debt >= 0 && t.earned >= 0 &&
             t.spent >= 0 && t.expired >= 0 && t.reversed >= 0 && t.transferred_in >= 0 &&
             t.transferred_out >= 0,
         "no balance is negative");
  ensure(
      t.earned + t.transferred_in - t.spent - t.expired - t.reversed - t.transferred_out + t.debt ==
          t.available + t.held + t.pending,
      "earned + transferred in - spent - expired - reversed - transferred out + debt = "
      "available + held + pending");
}

/// Gives `l` a new expires_at and moves it to its place in the wallet's order.
void set_expiry(wallet_state& w, consumption_order order, lot& l, timestamp expires_at) {
  if (l.expires_at == expires_at) return;
  l.expires_at = expires_at;
  if (l.remaining > 0) w.expiry_floor = std::min(w.expiry_floor, expires_at);
  if (order != consumption_order::soonest_expiring_first) return;  // fifo ignores expiry
  const auto index = static_cast<std::size_t>(&l - w.lots.data());
  lot moved = std::move(l);
  w.lots.erase(w.lots.begin() + static_cast<std::ptrdiff_t>(index));
  if (index < w.first_open) --w.first_open;  // an empty lot before first_open went away
  insert_lot(w, order, std::move(moved));
  settle_first_open(w);
}

/// A lapse at `at`: no lot stays valid after it; the lots take their new order.
void lapse_lots(wallet_state& w, consumption_order order, timestamp at) {
  for (lot& l : w.lots) l.expires_at = std::min(l.expires_at, at);
  w.expiry_floor = std::min(w.expiry_floor, at);
  if (order == consumption_order::soonest_expiring_first) {
    std::sort(w.lots.begin(), w.lots.end(),
              [order](const lot& x, const lot& y) { return before(order, x, y); });
  }
  w.first_open = 0;
  settle_first_open(w);
  w.last_activity.reset();
  w.lapses_at = timestamp::max();
}

}  // namespace

bool ledger::apply(customer_state& s, const decision& d) const {
  if (s.version != d.read_version) return false;
  for (const journal_entry& e : d.entries) apply(s, e);
  return true;
}

bool ledger::apply(customer_state& from, customer_state& to, const transfer_decision& d) const {
  if (from.version != d.from.read_version || to.version != d.to.read_version) return false;
  for (const journal_entry& e : d.from.entries) apply(from, e);
  for (const journal_entry& e : d.to.entries) apply(to, e);
  return true;
}

namespace {
void apply_entry(const std::vector<wallet_policy>& policies, customer_state& s,
                 const journal_entry& e);
}  // namespace

void ledger::apply(customer_state& s, const journal_entry& e) const {
  apply_entry(wallets_, s, e);
  wallet_state& w = s.wallets[e.op.wallet];
  // The floor may have passed (lots expired or were spent): make it exact again, so that later
  // decisions know at once that nothing expires before it.
  if (w.expiry_floor <= e.at) settle_expiry_floor(w, wallets_[e.op.wallet].order);
  ensure_wallet(w);
}

namespace {

void apply_entry(const std::vector<wallet_policy>& policies, customer_state& s,
                 const journal_entry& e) {
  if (e.sequence != s.version + 1) {
    throw std::logic_error("ledger journal: entries out of sequence");
  }
  const std::uint16_t wi = e.op.wallet;
  if (wi >= s.wallets.size()) throw std::logic_error("ledger journal: unknown wallet");
  wallet_state& w = s.wallets[wi];
  balances& t = w.totals;
  const consumption_order order = policies[wi].order;
  ++s.version;
  // What the id settles; recorded in place at the end (ledger-made entries record nothing).
  ledger_result record_result = ledger_result::ok;
  std::int64_t record_units = e.units;
  const std::vector<lot_part>* record_parts = nullptr;
  if (e.marks_activity && e.kind != entry_kind::failed) {
    w.last_activity = e.at;
    w.lapses_at = e.lapses_at;
  }

  switch (e.kind) {
    case entry_kind::failed:
      record_result = e.result;
      record_units = 0;
      break;
    case entry_kind::earn:
    case entry_kind::adjust:
      if (e.kind == entry_kind::adjust && !e.parts.empty()) {  // a debit adjustment
        ensure(sum(e.parts) == e.units, "a debit's parts add up to it");
        for (const lot_part& p : e.parts) {
          take_units(require_lot(w, p.lot), p.units);
          t.available -= p.units;
        }
        t.reversed += e.units;
        record_units = -e.units;
        break;
      } else {
        const bool pending = e.kind == entry_kind::earn && e.op.activates_at > e.at;
        ensure(e.units > 0, "a credit is positive");
        // The new lot's 0 <= remaining <= amount, checked before the subtraction (a corrupt
        // journal must not overflow it).
        ensure(e.debt_units >= 0 && e.debt_units <= e.units,
               "a lot's held <= remaining <= amount, none negative");
        const std::int64_t remaining = e.units - e.debt_units;
        t.earned += e.units;
        t.debt -= e.debt_units;
        (pending ? t.pending : t.available) += remaining;
        insert_lot(w, order, e.id, e.units, remaining, e.at, pending ? e.op.activates_at : e.at,
                   e.expires_at, pending, e.op.source_event, e.op.source_rule);
      }
      break;
    case entry_kind::activate: {
      lot& l = require_lot(w, e.op.target);
      l.pending = false;
      l.activates_at = e.at;
      t.pending -= l.remaining;
      take_units(l, e.debt_units);
      t.debt -= e.debt_units;
      t.available += l.remaining;
      set_expiry(w, order, l, e.expires_at);  // clock_starts: activation
      break;
    }
    case entry_kind::cancel_pending: {
      lot& l = require_lot(w, e.op.target);
      t.pending -= l.remaining;
      t.reversed += l.remaining;
      l.remaining = 0;
      l.pending = false;      // cancelled: it can neither activate nor expire any more
      l.returned = l.amount;  // and nothing of it can be reversed again
      break;
    }
    case entry_kind::redeem:
      ensure(sum(e.parts) == e.units, "a debit's parts add up to it");
      for (const lot_part& p : e.parts) take_units(require_lot(w, p.lot), p.units);
      t.available -= e.units;
      t.spent += e.units;
      record_parts = &e.parts;
      break;
    case entry_kind::transfer_out:
      ensure(sum(e.parts) == e.units, "a debit's parts add up to it");
      for (const lot_part& p : e.parts) take_units(require_lot(w, p.lot), p.units);
      t.available -= e.units;
      t.transferred_out += e.units;
      break;
    case entry_kind::transfer_in:
      for (const lot_credit& c : e.credits) {
        t.available += c.units;
        insert_lot(w, order, c.lot, c.units, c.units, e.at, e.at, c.expires_at);
      }
      t.transferred_in += e.units;
      break;
    case entry_kind::reserve: {
      hold h;
      h.id = e.id;
      h.wallet = wi;
      h.amount = e.units;
      h.parts = e.parts;
      h.deadline = e.op.deadline;
      h.on_timeout = e.op.on_timeout;
      ensure(sum(e.parts) == e.units, "a hold's parts add up to it");
      for (const lot_part& p : e.parts) {
        ensure(p.units >= 0, "a part of a hold is not negative");
        lot& l = require_lot(w, p.lot);
        l.held += p.units;
        ensure_lot(l);
      }
      t.available -= e.units;
      t.held += e.units;
      w.holds.push_back(std::move(h));
      break;
    }
    case entry_kind::capture:
    case entry_kind::release: {
      const auto it = std::find_if(w.holds.begin(), w.holds.end(),
                                   [&](const hold& h) { return h.id == e.op.target; });
      if (it == w.holds.end()) throw std::logic_error("ledger journal: unknown hold");
      // Everything held is released; the captured parts are then spent.
      for (const lot_part& p : it->parts) {
        lot& l = require_lot(w, p.lot);
        l.held -= p.units;
        ensure_lot(l);
        if (!l.pending) t.available += p.units;
      }
      t.held -= it->amount;
      ensure(sum(e.parts) == e.units && e.units <= it->amount,
             "a capture's parts add up to it, within the hold");
      for (const lot_part& p : e.parts) {
        take_units(require_lot(w, p.lot), p.units);
        t.available -= p.units;
      }
      t.spent += e.units;
      w.holds.erase(it);
      record_parts = &e.parts;
      break;
    }
    case entry_kind::reverse_earn: {
      lot& earned = require_lot(w, e.op.target);
      const std::int64_t asked = to_units(e.op.amount, policies[wi].scale);
      earned.returned += asked == no_units ? 0 : asked;
      for (const lot_part& p : e.parts) {
        lot& l = require_lot(w, p.lot);
        take_units(l, p.units);
        (l.pending ? t.pending : t.available) -= p.units;
      }
      t.reversed += e.units + e.debt_units;
      t.debt += e.debt_units;
      record_units = e.units + e.debt_units;
      break;
    }
    case entry_kind::refund: {
      for (const lot_part& p : e.parts) {
        ensure(p.units >= 0, "a part of a refund is not negative");
        lot& l = require_lot(w, p.lot);
        l.remaining += p.units;
        ensure_lot(l);
        t.available += p.units;
        reopen(w, l);
      }
      t.spent -= e.units;
      if (e.reissued_units > 0) {
        t.available += e.reissued_units;  // restored spending, not new earnings: spent went down
        insert_lot(w, order, e.reissued_lot, e.reissued_units, e.reissued_units, e.at, e.at,
                   e.reissued_expires_at);
      }
      if (id_record* target = s.ids.find(e.op.target)) {
        // What is left to refund of each lot the redemption took: later refunds prorate over it.
        target->refunded += e.units;
        for (const lot_part& share : e.shares) {
          for (lot_part& part : target->parts) {
            if (part.lot == share.lot) part.units -= share.units;
          }
        }
      }
      break;
    }
    case entry_kind::record_activity:
      break;
    case entry_kind::lapse:
      lapse_lots(w, order, e.expires_at);
      return;  // ledger-made: no id record
    case entry_kind::expire: {
      lot& l = require_lot(w, e.op.target);
      take_units(l, e.units);
      (l.pending ? t.pending : t.available) -= e.units;
      t.expired += e.units;
      settle_first_open(w);
      return;  // ledger-made: no id record
    }
  }
  settle_first_open(w);
  id_record* record = s.ids.emplace(e.id, e.op, record_result, record_units);
  if (record == nullptr) throw std::logic_error("ledger journal: an id applied twice");
  if (record_parts != nullptr) record->parts = *record_parts;
}

}  // namespace

balances ledger::balance(const customer_state& s, std::uint16_t wallet) const {
  if (wallet >= s.wallets.size()) return {};
  return s.wallets[wallet].totals;
}

std::string ledger::check(const customer_state& s) const {
  if (s.wallets.size() != wallets_.size()) return "wallet count differs from the ledger's";
  for (std::size_t wi = 0; wi < s.wallets.size(); ++wi) {
    const wallet_state& w = s.wallets[wi];
    const std::string where = "wallet " + std::to_string(wi) + ": ";
    std::int64_t remaining = 0;
    std::int64_t available = 0;
    std::int64_t pending = 0;
    std::int64_t held = 0;
    for (std::size_t i = 0; i < w.lots.size(); ++i) {
      const lot& l = w.lots[i];
      if (l.remaining < 0 || l.held < 0 || l.held > l.remaining || l.remaining > l.amount) {
        return where + "lot " + l.id.to_string() + " has remaining " + std::to_string(l.remaining) +
               ", held " + std::to_string(l.held) + " of " + std::to_string(l.amount);
      }
      if (i > 0 && before(wallets_[wi].order, l, w.lots[i - 1])) {
        return where + "lots out of consumption order at " + std::to_string(i);
      }
      if (i < w.first_open && l.remaining != 0) return where + "first_open skips units";
      for (std::size_t j = 0; j < i; ++j) {
        if (w.lots[j].id == l.id) return where + "lot id used twice";
      }
      if (l.remaining > 0 && l.expires_at < w.expiry_floor) {
        return where + "lot " + l.id.to_string() + " expires before the wallet's expiry floor";
      }
      remaining += l.remaining;
      held += l.held;
      (l.pending ? pending : available) += l.pending ? l.remaining : l.remaining - l.held;
    }
    std::int64_t in_holds = 0;
    for (const hold& h : w.holds) {
      std::int64_t parts = 0;
      for (const lot_part& p : h.parts) parts += p.units;
      if (parts != h.amount) return where + "a hold's parts do not add up to it";
      in_holds += h.amount;
    }
    const balances& t = w.totals;
    if (held != t.held || in_holds != t.held) return where + "held differs from the holds";
    if (available != t.available) {
      return where + "available " + std::to_string(t.available) + " but lots say " +
             std::to_string(available);
    }
    if (pending != t.pending) return where + "pending differs from the pending lots";
    if (remaining != t.available + t.held + t.pending) {
      return where + "lots' remaining is not available + held + pending";
    }
    if (remaining != t.earned + t.transferred_in - t.spent - t.expired - t.reversed -
                         t.transferred_out + t.debt) {
      return where +
             "earned + transferred in - spent - expired - reversed - transferred out + debt is not "
             "the balance";
    }
    if (t.debt < 0) return where + "negative debt";
    const bool inactivity = wallets_[wi].expiry.kind == expiry_kind::inactivity;
    if (w.last_activity ? !inactivity || w.lapses_at <= *w.last_activity
                        : w.lapses_at != timestamp::max()) {
      return where + "the inactivity clock is inconsistent";
    }
  }
  return {};
}

// --- memory store ------------------------------------------------------------------------------

memory_store::record* memory_store::find(id128 customer) noexcept {
  const auto it =
      std::lower_bound(records_.begin(), records_.end(), customer,
                       [](const record& r, const id128& id) { return r.state.customer < id; });
  return it != records_.end() && it->state.customer == customer ? &*it : nullptr;
}

const memory_store::record* memory_store::find(id128 customer) const noexcept {
  return const_cast<memory_store*>(this)->find(customer);
}

std::optional<customer_state> memory_store::load(id128 customer) {
  if (const record* r = find(customer)) return r->state;
  return std::nullopt;
}

bool memory_store::commit(const customer_state& state, std::span<const journal_entry> entries,
                          std::uint64_t expected_version) {
  record* r = find(state.customer);
  if (r == nullptr) {
    if (expected_version != 0) return false;
    const auto it =
        std::lower_bound(records_.begin(), records_.end(), state.customer,
                         [](const record& x, const id128& id) { return x.state.customer < id; });
    r = &*records_.insert(it, record{state, {}});
  } else {
    if (r->state.version != expected_version) return false;
    r->state = state;
  }
  r->journal.insert(r->journal.end(), entries.begin(), entries.end());
  return true;
}

bool memory_store::commit(std::span<const customer_commit> commits) {
  // Check every version first, so that nothing changes unless everything can.
  for (std::size_t i = 0; i < commits.size(); ++i) {
    const customer_commit& c = commits[i];
    const record* r = find(c.state->customer);
    if ((r == nullptr ? 0 : r->state.version) != c.expected_version) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (commits[j].state->customer == c.state->customer) return false;  // one commit each
    }
  }
  for (const customer_commit& c : commits) {
    const bool stored = commit(*c.state, c.entries, c.expected_version);
    if (!stored) throw std::logic_error("memory_store: a checked commit failed");
  }
  return true;
}

std::span<const journal_entry> memory_store::journal(id128 customer) const noexcept {
  if (const record* r = find(customer)) return r->journal;
  return {};
}

}  // namespace loyalty
