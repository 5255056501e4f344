// The ledger: points and money held as lots, changed only by immutable journal entries.
//
// Every credit is a lot (amount, remaining, held, when it was earned, when it becomes active,
// when it expires, where it came from). Every operation is decided against a customer's state
// and the time the host passes in, and comes back as a decision: a result code and the journal
// entries to persist. The host stores the entries and the new state together (optimistic
// concurrency on the state's version), then applies the decision; applying the journal from an
// empty state rebuilds the same state, always. The ledger itself does no I/O and reads no clock.
//
//   loyalty::ledger book({loyalty::wallet_policy{}});        // one wallet: whole points
//   loyalty::customer_state alice = book.open(loyalty::id128{0, 1});
//   loyalty::ledger_op earn =
//       loyalty::ledger_op::earn(id, 0, loyalty::decimal::from_int(100).value);
//   loyalty::decision d = book.decide(alice, earn, now);
//   // ... persist d.entries and the state atomically, if alice.version == d.read_version ...
//   book.apply(alice, d);
//
// With a loaded program, loyalty::wallet_policies(program) (loyalty/program.hpp) gives one wallet
// per point type, with the expiry policy and the other wallet keys of the program file.
//
// docs/ledger.md describes every operation, result code and policy, and the commit protocol.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/expiry.hpp"
#include "loyalty/time.hpp"

namespace loyalty {

/// A 128-bit identifier (of an operation and its entries, a lot, a hold or a customer). 0 and
/// all-ones are reserved and never valid, as in TigerBeetle.
struct id128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  friend constexpr auto operator<=>(const id128&, const id128&) noexcept = default;
  constexpr bool valid() const noexcept {
    return !(high == 0 && low == 0) && !(high == UINT64_MAX && low == UINT64_MAX);
  }
  /// A deterministic id for the operation a rule makes from one line of an event: the same
  /// event, line and rule always give the same id, so a retried event can never award twice.
  /// (A 128-bit hash of the three, with the parts length-prefixed; not a secret.)
  static id128 derive(std::string_view event_id, std::uint32_t line,
                      std::string_view rule) noexcept;
  /// A second id derived from this one, for entries the ledger writes on its own: a hold's
  /// timeout (child 1), a lot's activation by advance() (child 2), a lot's expiry (child of the
  /// entry's sequence number), a wallet's lapse (the customer's id, child of the sequence).
  id128 child(std::uint32_t n) const noexcept;
  /// 32 lowercase hex digits, high first.
  std::string to_string() const;
  static std::optional<id128> parse(std::string_view hex) noexcept;
};

struct id128_hash {
  std::size_t operator()(const id128& id) const noexcept {
    return static_cast<std::size_t>(id.low ^ (id.high * 0x9E3779B97F4A7C15ULL));
  }
};

/// Which lots a debit consumes first.
enum class consumption_order : std::uint8_t {
  soonest_expiring_first,  ///< by expires_at, then earned_at, then lot id (the default)
  fifo,                    ///< by earned_at, then lot id
};

/// What reversing an earn (a returned purchase) may do when its points are already spent.
enum class return_policy : std::uint8_t {
  only_pending,    ///< only points still pending are reversed; the rest stays with the customer
  within_balance,  ///< the earn's own lot first, then other lots, up to what is available
  allow_negative,  ///< as within_balance, and the shortfall becomes debt, repaid by later earns
};

/// What happens to a hold when its deadline passes (in advance()).
enum class timeout_action : std::uint8_t { capture, release, none };

/// What becomes of held units whose lot expires while they are held (`held_at_expiry`).
enum class held_expiry : std::uint8_t {
  /// They expire with their lot: a capture spends only held units of lots still valid, and the
  /// held units of expired lots expire when the hold ends (captured, released or timed out). No
  /// expired unit is ever spent. The default.
  expire,
  /// The hold keeps them: a capture spends them although their lot has expired since it was
  /// reserved (as a card authorisation is honoured); released, they expire.
  honor,
};

/// What an operation asks for. Build one with the named constructors.
enum class op_kind : std::uint8_t {
  earn,             ///< credit a new lot (pending while activates_at > now)
  activate,         ///< make pending lot `target` spendable
  cancel_pending,   ///< remove pending lot `target` (nothing was spendable)
  redeem,           ///< debit `amount` by the wallet's order, or from lot `target` only
  reserve,          ///< hold `amount` by the wallet's order until capture, release or deadline
  capture,          ///< spend up to `amount` of hold `target`; the rest is released
  release,          ///< give hold `target` back to its lots
  reverse_earn,     ///< take back `amount` of earn `target` under the wallet's return policy
  refund,           ///< give back `amount` of redemption or capture `target`, prorated
  adjust,           ///< manual: credit (amount > 0, a new lot) or debit (amount < 0) with a reason
  transfer,         ///< move `amount` to customer `target` (decide_transfer); expiry is kept
  record_activity,  ///< an event that resets the wallet's inactivity clock; moves nothing
};

std::string_view to_string(consumption_order o) noexcept;
std::string_view to_string(return_policy p) noexcept;
std::string_view to_string(timeout_action a) noexcept;
std::string_view to_string(held_expiry h) noexcept;
std::string_view to_string(op_kind k) noexcept;

/// A set of operation kinds: which operations reset a wallet's inactivity clock.
class op_kind_set {
 public:
  constexpr op_kind_set() noexcept = default;
  constexpr op_kind_set(std::initializer_list<op_kind> kinds) noexcept {
    for (const op_kind k : kinds) insert(k);
  }
  constexpr void insert(op_kind k) noexcept { bits_ |= bit(k); }
  constexpr bool contains(op_kind k) const noexcept { return (bits_ & bit(k)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr bool operator==(op_kind_set, op_kind_set) noexcept = default;

 private:
  static constexpr std::uint32_t bit(op_kind k) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(k);
  }
  std::uint32_t bits_ = 0;
};

/// The rules of one wallet kind (one per point type of the program).
struct wallet_policy {
  int scale = 0;  ///< fractional digits of amounts (the point type's scale)
  consumption_order order = consumption_order::soonest_expiring_first;
  return_policy returns = return_policy::within_balance;
  /// A refunded redemption goes back to its lots while they are valid; an amount whose lot has
  /// expired (or expires sooner than this) is re-issued as a new lot valid this long (an exact
  /// duration, not calendar days).
  duration refund_min_validity = duration::days(30);
  /// Held units of a lot that expires while they are held: expire with it, or stay capturable.
  held_expiry held_at_expiry = held_expiry::expire;
  /// When credits expire: never by default. An earn or credit adjustment without its own
  /// `expires_at` gets expiry_instant(expiry, start, zone); see docs/ledger.md#expiry-policies.
  expiry_policy expiry;
  /// With an `inactivity` policy: the operations whose success resets the wallet's inactivity
  /// clock (record_activity always does; entries advance() makes on its own never do).
  op_kind_set reset_on{op_kind::earn, op_kind::redeem};
  /// The time zone whose calendar days, weeks and months the expiry policy counts.
  time_zone zone = time_zone::utc();
};

/// A credit: what an earn (or a refund, a transfer in, an adjustment) put in a wallet.
struct lot {
  id128 id;                    ///< the id of the entry that created it
  std::int64_t amount = 0;     ///< units at the wallet's scale, as credited
  std::int64_t remaining = 0;  ///< not yet spent, expired or reversed (held units included)
  std::int64_t held = 0;       ///< reserved by holds, not yet captured or released
  timestamp earned_at;
  timestamp activates_at;  ///< pending until then (timestamp::max(): until activated)
  timestamp expires_at;    ///< timestamp::max(): never
  bool pending = false;    ///< not yet spendable
  id128 source_event;      ///< the event that earned it (host-defined), if any
  std::uint32_t source_rule = 0;
  std::int64_t returned = 0;  ///< units already reversed (returns); all once cancelled

  lot() = default;
  /// A new lot, nothing held or returned yet (built in place where it is stored: a lot filled in
  /// field by field and then copied is read back before its stores have landed, a stall).
  lot(id128 id_, std::int64_t amount_, std::int64_t remaining_, timestamp earned_at_,
      timestamp activates_at_, timestamp expires_at_, bool pending_ = false,
      id128 source_event_ = {}, std::uint32_t source_rule_ = 0) noexcept
      : id(id_),
        amount(amount_),
        remaining(remaining_),
        earned_at(earned_at_),
        activates_at(activates_at_),
        expires_at(expires_at_),
        pending(pending_),
        source_event(source_event_),
        source_rule(source_rule_) {}
};

/// One lot's share of a debit.
struct lot_part {
  id128 lot;
  std::int64_t units = 0;
  friend bool operator==(const lot_part&, const lot_part&) = default;
};

/// A lot created by a transfer: the units one sender lot gave, with that lot's expiry.
struct lot_credit {
  id128 lot;  ///< the new lot's id (derived from the transfer's id)
  std::int64_t units = 0;
  timestamp expires_at;
  friend bool operator==(const lot_credit&, const lot_credit&) = default;
};

/// A reservation: specific lots held until captured, released or timed out.
struct hold {
  id128 id;
  std::uint16_t wallet = 0;
  std::int64_t amount = 0;  ///< units held
  std::vector<lot_part> parts;
  timestamp deadline;  ///< timestamp::max(): none
  timeout_action on_timeout = timeout_action::none;
};

struct ledger_op {
  op_kind kind = op_kind::earn;
  id128 id;                  ///< idempotency key: the same id is never applied twice
  std::uint16_t wallet = 0;  ///< index into the ledger's wallets
  decimal amount;
  id128 target;  ///< activate/cancel_pending: lot; capture/release: hold; reverse_earn: earn;
                 ///< refund: the redemption; redeem: an explicit lot (optional); transfer: the
                 ///< receiving customer
  /// earn, adjust credit: when the lot expires (timestamp::max(): never); nullopt: as the
  /// wallet's expiry policy says.
  std::optional<timestamp> expires_at;
  timestamp activates_at = timestamp::min();  ///< earn: pending until then (max: until activated)
  timestamp deadline = timestamp::max();      ///< reserve
  timeout_action on_timeout = timeout_action::none;
  id128 source_event;  ///< earn: where it came from
  std::uint32_t source_rule = 0;
  std::uint32_t reason = 0;  ///< adjust: the host's reason code

  ledger_op() noexcept = default;
  /// An operation with its header, the rest as above; the named constructors below say which
  /// fields each kind reads. (Built member by member: nothing is zeroed first and overwritten.)
  ledger_op(op_kind kind_, id128 id_, std::uint16_t wallet_, decimal amount_) noexcept
      : kind(kind_), id(id_), wallet(wallet_), amount(amount_) {}

  /// Without `expires_at`, the lot expires as the wallet's expiry policy says.
  static ledger_op earn(id128 id, std::uint16_t wallet, decimal amount,
                        std::optional<timestamp> expires_at = std::nullopt) noexcept;
  static ledger_op earn_pending(id128 id, std::uint16_t wallet, decimal amount,
                                timestamp activates_at,
                                std::optional<timestamp> expires_at = std::nullopt) noexcept;
  static ledger_op activate(id128 id, std::uint16_t wallet, id128 lot) noexcept;
  static ledger_op cancel_pending(id128 id, std::uint16_t wallet, id128 lot) noexcept;
  static ledger_op redeem(id128 id, std::uint16_t wallet, decimal amount) noexcept;
  static ledger_op redeem_from(id128 id, std::uint16_t wallet, decimal amount, id128 lot) noexcept;
  static ledger_op reserve(id128 id, std::uint16_t wallet, decimal amount, timestamp deadline,
                           timeout_action on_timeout) noexcept;
  static ledger_op capture(id128 id, std::uint16_t wallet, id128 hold, decimal amount) noexcept;
  static ledger_op release(id128 id, std::uint16_t wallet, id128 hold) noexcept;
  static ledger_op reverse_earn(id128 id, std::uint16_t wallet, id128 earn,
                                decimal amount) noexcept;
  static ledger_op refund(id128 id, std::uint16_t wallet, id128 redemption,
                          decimal amount) noexcept;
  static ledger_op adjust(id128 id, std::uint16_t wallet, decimal amount, std::uint32_t reason,
                          std::optional<timestamp> expires_at = std::nullopt) noexcept;
  /// `amount` of `wallet` from one customer to customer `recipient` (see decide_transfer).
  static ledger_op transfer(id128 id, std::uint16_t wallet, decimal amount,
                            id128 recipient) noexcept;
  /// A resetting event (an order, a login: whatever the program counts as activity) for a
  /// wallet with an `inactivity` expiry policy; it moves no units. The engine issues it for the
  /// event types the point type's `expiry: reset_on` lists.
  static ledger_op record_activity(id128 id, std::uint16_t wallet) noexcept;
};

/// Result codes. `ok` and `exists` succeeded; the rest changed nothing, and those marked
/// "burns the id" are recorded so that a retry with the same id fails the same way, even after
/// the state has changed (TigerBeetle's rule: a retry never succeeds later).
enum class ledger_result : std::uint8_t {
  ok,
  exists,  ///< the same id with the same body was applied before: its original result stands
  exists_with_different_kind,
  exists_with_different_wallet,
  exists_with_different_amount,
  exists_with_different_target,
  exists_with_different_expires_at,
  exists_with_different_activates_at,
  exists_with_different_deadline,
  exists_with_different_on_timeout,
  exists_with_different_reason,
  id_already_failed,  ///< this id failed before with a state-dependent error
  // Validation (the request itself is wrong; the id is not burned).
  invalid_id,
  unknown_wallet,
  invalid_amount,  ///< not positive (adjust: zero), or more fractional digits than the wallet keeps
  invalid_dates,   ///< e.g. expires_at not after the earn, a deadline in the past
  id_is_target,    ///< an operation refers to its own id
  /// transfer: the recipient is not a valid id, is the sender, or is not the customer whose state
  /// was passed as the receiving side
  invalid_recipient,
  /// decide() was given a transfer (it takes two customers: decide_transfer), or
  /// decide_transfer() something other than a transfer
  invalid_operation,
  // State (burns the id).
  insufficient_balance,
  lot_not_found,
  lot_not_pending,
  lot_expired,
  hold_not_found,
  hold_exceeded,  ///< capture more than held
  /// capture, release: the hold's deadline has passed and its timeout action (capture or
  /// release) owns it now; advance() carries it out
  hold_timed_out,
  redemption_not_found,
  refund_exceeds_redemption,
  earn_not_found,
  reversal_exceeds_earn,
  overflow,
};

std::string_view to_string(ledger_result r) noexcept;
/// Whether a failure depends on state, so that its id is burned.
bool burns_id(ledger_result r) noexcept;

/// Kinds of journal entries: the operations, plus what advance() and the policies write.
enum class entry_kind : std::uint8_t {
  earn,
  activate,
  cancel_pending,
  redeem,
  reserve,
  capture,
  release,
  reverse_earn,
  refund,
  adjust,
  expire,           ///< a lot's unspent remainder became breakage (advance, or before an operation)
  failed,           ///< a state-dependent failure, recorded to burn the id
  transfer_out,     ///< the sender's side of a transfer: `parts` are the lots it took
  transfer_in,      ///< the recipient's side: `credits` are the lots it creates
  record_activity,  ///< a resetting activity that moves nothing
  lapse,  ///< an inactive wallet lapsed: every lot now expires at `expires_at` at the latest
};

std::string_view to_string(entry_kind k) noexcept;

/// An immutable journal entry. `op` is the request that caused it (for `expire` and other
/// entries the ledger makes on its own, a synthetic request with the entry's id); `parts` lists
/// exactly which lots a debit touched and by how much (a capture: what it spent; a refund: what
/// went back to existing lots; a release has none: it frees the whole hold).
struct journal_entry {
  std::uint64_t sequence = 0;  ///< position in the customer's journal, from 1
  entry_kind kind = entry_kind::earn;
  id128 id;
  ledger_op op;
  timestamp at;            ///< the `now` of the decision
  std::int64_t units = 0;  ///< the amount moved, in units at the wallet's scale
  std::vector<lot_part> parts;
  /// refund: each original lot's share of the refund (restored to it, or re-issued)
  std::vector<lot_part> shares;
  id128 reissued_lot;  ///< refund: a new lot for the part whose lots could not take it back
  std::int64_t reissued_units = 0;
  timestamp reissued_expires_at = timestamp::max();
  /// reverse_earn under allow_negative: the shortfall that became debt; earn and activate: the
  /// part of the lot that repaid debt (the lot starts with units − debt_units remaining).
  std::int64_t debt_units = 0;
  /// earn, credit adjust: the new lot's expires_at, as decided (the op's, or the policy's);
  /// activate: the lot's expires_at from now on; lapse: the instant the wallet lapsed.
  timestamp expires_at = timestamp::max();
  /// The wallet's inactivity clock restarts at `at`: the wallet lapses at `lapses_at` unless
  /// another resetting activity comes first.
  bool marks_activity = false;
  timestamp lapses_at = timestamp::max();
  ledger_result result = ledger_result::ok;  ///< kind `failed`: the failure
  /// transfer_in: the lots it creates, one per lot the sender gave, each with that lot's expiry
  std::vector<lot_credit> credits;

  journal_entry() = default;
  /// An entry with its header and request; the rest as above (built in place: nothing is
  /// zeroed first and copied over).
  journal_entry(std::uint64_t sequence_, entry_kind kind_, const id128& id_, const ledger_op& op_,
                timestamp at_) noexcept
      : sequence(sequence_), kind(kind_), id(id_), op(op_), at(at_) {}
};

/// A wallet's balances, all derived from its lots, holds and journal.
struct balances {
  std::int64_t available = 0;  ///< spendable now: active lots' remaining minus held
  std::int64_t pending = 0;    ///< in pending lots
  std::int64_t held = 0;       ///< reserved by holds
  std::int64_t earned = 0;     ///< ever credited by earns and credit adjustments
  std::int64_t spent = 0;      ///< redeemed and captured, net of refunds
  std::int64_t expired = 0;    ///< breakage
  std::int64_t reversed = 0;   ///< taken back by reversals, cancellations and debit adjustments
  std::int64_t debt = 0;       ///< owed (allow_negative), repaid first from later earns
  std::int64_t transferred_in = 0;   ///< received from other customers
  std::int64_t transferred_out = 0;  ///< given to other customers
};

struct wallet_state {
  std::vector<lot> lots;  ///< in consumption order of the wallet's policy
  std::vector<hold> holds;
  balances totals;
  std::size_t first_open = 0;  ///< lots before this one have nothing remaining
  /// Inactivity policy only: when the inactivity clock last restarted (the last resetting
  /// activity, or the first credit after the wallet was opened or lapsed); nullopt: not running.
  std::optional<timestamp> last_activity;
  /// When the wallet lapses, if nothing resets the clock first; timestamp::max(): never.
  timestamp lapses_at = timestamp::max();
  /// No lot with units left expires before this: a lower bound, made exact by apply() whenever
  /// an entry is applied at or after it. A decision before it knows without looking at the lots
  /// that nothing expires (so that fifo wallets, whose lots are not in expiry order, are not
  /// searched on every operation).
  timestamp expiry_floor = timestamp::max();
};

/// What an id settled: the request, its result, and for debits the lots they took.
struct id_record {
  ledger_op op;
  ledger_result result = ledger_result::ok;
  std::int64_t units = 0;
  std::vector<lot_part> parts;  ///< redeem and capture: what is left to refund, per lot
  std::int64_t refunded = 0;    ///< redeem and capture: units refunded so far

  id_record() = default;
  /// The record of `op`, settled with `result` and `units` (built in place: GCC value-initialises
  /// an aggregate with `rep stos` over all of it before copying the request in).
  id_record(const ledger_op& op_, ledger_result result_, std::int64_t units_) noexcept
      : op(op_), result(result_), units(units_) {}
};

/// A sequence stored in chunks: 8, 16 and 32 elements, then 64 each. Appending never moves an
/// element or copies the history, and allocates once per chunk; a short history (most
/// customers') takes little memory, a long one allocates once per 64 appends. Copies keep every
/// chunk's full capacity, so appending to a copy moves nothing either.
template <typename T>
class chunked_list {
 public:
  static constexpr std::size_t chunk = 64;  ///< the size of chunks from the fourth on

  chunked_list() = default;
  chunked_list(const chunked_list& other) { *this = other; }
  chunked_list(chunked_list&&) noexcept = default;
  chunked_list& operator=(chunked_list&&) noexcept = default;
  chunked_list& operator=(const chunked_list& other) {
    if (this == &other) return *this;
    std::vector<std::vector<T>> copy;
    copy.reserve(other.chunks_.size());
    for (std::size_t k = 0; k < other.chunks_.size(); ++k) {
      copy.emplace_back().reserve(capacity(k));
      copy.back().insert(copy.back().end(), other.chunks_[k].begin(), other.chunks_[k].end());
    }
    chunks_ = std::move(copy);
    size_ = other.size_;
    return *this;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept {
    const place p = place_of(i);
    return chunks_[p.chunk][p.offset];
  }
  const T& operator[](std::size_t i) const noexcept {
    const place p = place_of(i);
    return chunks_[p.chunk][p.offset];
  }
  T& back() noexcept { return chunks_.back().back(); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (chunks_.empty() || chunks_.back().size() == capacity(chunks_.size() - 1)) {
      chunks_.emplace_back().reserve(capacity(chunks_.size() - 1));
    }
    T& added = chunks_.back().emplace_back(std::forward<Args>(args)...);
    ++size_;
    return added;
  }
  void push_back(T value) { emplace_back(std::move(value)); }

  class const_iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    const_iterator(const chunked_list* list, std::size_t i) noexcept : list_(list), i_(i) {}
    const T& operator*() const noexcept { return (*list_)[i_]; }
    const T* operator->() const noexcept { return &(*list_)[i_]; }
    const_iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
      return a.i_ == b.i_;
    }

   private:
    const chunked_list* list_;
    std::size_t i_;
  };
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  /// Calls f(element, index) for every element in order, chunk by chunk (cheaper than indexing,
  /// which finds each element's chunk).
  template <typename F>
  void for_each(F&& f) const {
    std::size_t i = 0;
    for (const std::vector<T>& c : chunks_) {
      for (const T& x : c) f(x, i++);
    }
  }

 private:
  /// Chunk k holds 8 << k elements (8, 16, 32), then 64: chunks 0 to 2 start at 0, 8 and 24,
  /// chunk 3 at 56, and each later one 64 further on.
  static constexpr std::size_t small_end = 56;
  static constexpr std::size_t capacity(std::size_t k) noexcept {
    return k < 3 ? std::size_t{8} << k : chunk;
  }
  struct place {
    std::size_t chunk;
    std::size_t offset;
  };
  static place place_of(std::size_t i) noexcept {
    if (i >= small_end) return {3 + (i - small_end) / chunk, (i - small_end) % chunk};
    const std::size_t k = i < 8 ? 0 : (i < 24 ? 1 : 2);
    return {k, i - 8 * ((std::size_t{1} << k) - 1)};
  }

  std::vector<std::vector<T>> chunks_;
  std::size_t size_ = 0;
};

/// Every operation id a customer has used, with what it settled: the records in the order they
/// were added (in chunks: adding one never moves the others or copies the history, and
/// allocates once per chunk), and an open-addressing index over them (8-byte slots, at most half
/// full), so finding an id touches one slot, usually.
class id_index {
 public:
  struct entry {
    id128 id;
    id_record record;

    entry() = default;
    /// An id with the record of an operation that settled `units` with `result` (built in
    /// place: nothing is zeroed first and copied over).
    entry(const id128& i, const ledger_op& op, ledger_result result, std::int64_t units)
        : id(i), record(op, result, units) {}
  };

  /// The record of `id`, or nullptr.
  const id_record* find(const id128& id) const noexcept;
  id_record* find(const id128& id) noexcept;
  bool contains(const id128& id) const noexcept { return find(id) != nullptr; }
  /// Adds `id` with `record`; false, changing nothing, when `id` is there already.
  bool insert(const id128& id, id_record&& record);
  /// Adds `id` with a default record and returns it to be filled in place; nullptr, changing
  /// nothing, when `id` is there already.
  id_record* emplace(const id128& id);
  /// Adds `id` with the record of `op`, settled with `result` and `units`; nullptr, changing
  /// nothing, when `id` is there already.
  id_record* emplace(const id128& id, const ledger_op& op, ledger_result result,
                     std::int64_t units);
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  /// Every id and record, in the order they were added.
  const chunked_list<entry>& entries() const noexcept { return entries_; }

 private:
  std::size_t slot_of(const id128& id, std::uint64_t hash) const noexcept;
  void grow();

  chunked_list<entry> entries_;
  /// 0: empty; otherwise (the hash's high 32 bits << 32) | (index into entries_ + 1).
  std::vector<std::uint64_t> slots_;
};

/// Everything the ledger knows about one customer. Hosts load and store it whole; `version`
/// counts the entries applied, for optimistic concurrency.
struct customer_state {
  id128 customer;
  std::uint64_t version = 0;
  std::vector<wallet_state> wallets;
  /// Every operation id ever used, with what it settled.
  id_index ids;
};

/// The outcome of decide(): what to persist, and the state version it was decided against.
struct decision {
  ledger_result result = ledger_result::ok;
  std::vector<journal_entry> entries;  ///< to persist, in order; empty when nothing changes
  std::uint64_t read_version = 0;
  /// For `exists`: the original entry's result and units; for a new success: this one's.
  std::int64_t units = 0;
};

/// The outcome of decide_transfer(): one decision per customer, applied together or not at all.
struct transfer_decision {
  ledger_result result = ledger_result::ok;
  decision from;  ///< the sender's entries (transfer_out, or the failure that burns the id)
  decision to;    ///< the recipient's entries (transfer_in); none when the transfer failed
  std::int64_t units = 0;
};

/// The ledger's rules: one policy per wallet. Immutable; decide() and apply() may run on many
/// threads at once for different customers.
class ledger {
 public:
  /// Throws std::invalid_argument for more than 65,535 wallets, a scale outside 0..18, or an
  /// expiry policy that is not well formed (expiry_policy::problem()).
  explicit ledger(std::vector<wallet_policy> wallets);

  std::span<const wallet_policy> wallets() const noexcept { return wallets_; }

  /// A new customer with empty wallets.
  customer_state open(id128 customer) const;

  /// Decides `op` against `state` at `now`; changes nothing. If the op's wallet has lapsed
  /// (inactivity) by `now`, a `lapse` entry comes first; then lots that expired by `now` are
  /// expired (their `expire` entries come next), so no expired lot is ever consumed, whether or
  /// not advance() ran.
  decision decide(const customer_state& state, const ledger_op& op, timestamp now) const;
  /// The same, into `out`, whose memory is reused: deciding into one decision again and again
  /// allocates nothing for the common operations.
  void decide(const customer_state& state, const ledger_op& op, timestamp now, decision& out) const;

  /// The end-of-period work at `now`, for each wallet in this order: a lapse that has come
  /// (inactivity), holds past their deadline (capture, release or nothing, as each says),
  /// pending lots whose activates_at has come; then, for every wallet, lots past expires_at
  /// (their unspent remainder becomes breakage).
  decision advance(const customer_state& state, timestamp now) const;

  /// Decides transfer `op` (ledger_op::transfer) of `from`'s units to `to` (whose customer id
  /// must be op.target) at `now`; changes nothing. The sender's lots are taken in the wallet's
  /// order, as a redemption takes them; the recipient gets one new lot per lot taken, with that
  /// lot's expiry, so moving points never extends (or shortens) their life. The host commits both
  /// customers' entries and states in one transaction (ledger_store::commit with two commits).
  /// Both states hold the id afterwards, so a retry finds it on either side.
  transfer_decision decide_transfer(const customer_state& from, const customer_state& to,
                                    const ledger_op& op, timestamp now) const;

  /// Applies a decision's entries (the host calls this after persisting them). False, changing
  /// nothing, when `state` is not the version the decision was made against.
  [[nodiscard]] bool apply(customer_state& state, const decision& d) const;
  /// Applies both sides of a transfer decision; false, changing neither, when either state is not
  /// the version it was decided against.
  [[nodiscard]] bool apply(customer_state& from, customer_state& to,
                           const transfer_decision& d) const;
  /// Applies one persisted entry: replaying a customer's journal from open() rebuilds the state.
  void apply(customer_state& state, const journal_entry& e) const;

  /// Balances of one wallet.
  balances balance(const customer_state& state, std::uint16_t wallet) const;

  /// Checks every invariant of docs/ledger.md on `state` (sum of lots' remaining = available +
  /// held + pending, earned − spent − expired − reversed = balance, no negative lot, ...);
  /// returns the first violation, or an empty string.
  std::string check(const customer_state& state) const;

 private:
  std::vector<wallet_policy> wallets_;
};

/// The storage interface a host implements: load a customer's state and store it with the new
/// entries atomically, if nobody stored a newer version in between.
class ledger_store {
 public:
  virtual ~ledger_store() = default;
  /// The stored state, or nullopt for an unknown customer.
  virtual std::optional<customer_state> load(id128 customer) = 0;
  /// Appends `entries` to the journal and replaces the state, only if the stored version is
  /// still `expected_version` (0 for a new customer). False, changing nothing, otherwise.
  virtual bool commit(const customer_state& state, std::span<const journal_entry> entries,
                      std::uint64_t expected_version) = 0;

  /// One customer's part of a multi-customer commit (a transfer has two).
  struct customer_commit {
    const customer_state* state;
    std::span<const journal_entry> entries;
    std::uint64_t expected_version;
  };
  /// All of `commits` in one transaction: every state replaced and every journal appended, or,
  /// when any stored version differs from its expected_version, nothing.
  virtual bool commit(std::span<const customer_commit> commits) = 0;
};

/// An in-memory ledger_store, for tests, examples and the command-line tool.
class memory_store final : public ledger_store {
 public:
  std::optional<customer_state> load(id128 customer) override;
  bool commit(const customer_state& state, std::span<const journal_entry> entries,
              std::uint64_t expected_version) override;
  bool commit(std::span<const customer_commit> commits) override;
  /// The journal of one customer, in order.
  std::span<const journal_entry> journal(id128 customer) const noexcept;

 private:
  struct record {
    customer_state state;
    std::vector<journal_entry> journal;
  };
  std::vector<record> records_;  // sorted by customer id
  record* find(id128 customer) noexcept;
  const record* find(id128 customer) const noexcept;
};

}  // namespace loyalty
