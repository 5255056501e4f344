// Which result code wins when several checks fail: docs/ledger.md#the-order-of-checks and the
// per-operation orders of docs/ledger.md#operations, one row per pair of failures. Validation
// failures write nothing; state failures write the expiries that came due and a `failed` entry.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "loyalty/ledger.hpp"

using loyalty::customer_state;
using loyalty::decimal;
using loyalty::entry_kind;
using loyalty::id128;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::ledger_result;
using loyalty::timestamp;

namespace {

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}

id128 id(std::uint64_t n) {
  return id128{0, n};
}

// The ids of the starting state.
const id128 L1 = id(1);   // earn 100, active, expires 2026-03-01
const id128 OLD = id(2);  // earn 10, active, expired on 2026-02-01
const id128 PX = id(3);   // earn 30, pending until activated, expired on 2026-02-10
const id128 P1 = id(4);   // earn 40, pending until 2026-06-01, expires 2026-12-01
const id128 RD = id(5);   // redeem 20 from L1
const id128 H1 = id(6);   // reserve 10 from L1, deadline 2026-02-10, release on timeout
const id128 H2 = id(7);   // reserve 10 from L1, no deadline
const id128 XF = id(8);   // redeem 1000: insufficient_balance, burned
const id128 NEW = id(100);
const id128 NOBODY = id(999);  // no lot, hold or operation has this id

const id128 bob{0, 0xB0B};

/// One customer with lots, a redemption, two holds and a burned id, built through
/// decide + apply at 2026-01-10. The rows decide against it at 2026-02-15, when OLD and PX have
/// expired (no advance() ran) and H1 is past its deadline.
customer_state start(const ledger& book) {
  customer_state s = book.open(id(0xA11CE));
  const timestamp t0 = at("2026-01-10T09:00:00Z");
  auto run = [&](const ledger_op& op, ledger_result expected) {
    const loyalty::decision dec = book.decide(s, op, t0);
    REQUIRE(dec.result == expected);
    REQUIRE(book.apply(s, dec));
  };
  run(ledger_op::earn(L1, 0, d("100"), at("2026-03-01T00:00:00Z")), ledger_result::ok);
  run(ledger_op::earn(OLD, 0, d("10"), at("2026-02-01T00:00:00Z")), ledger_result::ok);
  run(ledger_op::earn_pending(PX, 0, d("30"), timestamp::max(), at("2026-02-10T00:00:00Z")),
      ledger_result::ok);
  run(ledger_op::earn_pending(P1, 0, d("40"), at("2026-06-01T00:00:00Z"),
                              at("2026-12-01T00:00:00Z")),
      ledger_result::ok);
  run(ledger_op::redeem_from(RD, 0, d("20"), L1), ledger_result::ok);
  ledger_op h1 = ledger_op::reserve(H1, 0, d("10"), at("2026-02-10T00:00:00Z"),
                                    loyalty::timeout_action::release);
  h1.target = L1;
  run(h1, ledger_result::ok);
  ledger_op h2 =
      ledger_op::reserve(H2, 0, d("10"), timestamp::max(), loyalty::timeout_action::none);
  h2.target = L1;
  run(h2, ledger_result::ok);
  run(ledger_op::redeem(XF, 0, d("1000")), ledger_result::insufficient_balance);
  REQUIRE(book.check(s).empty());
  // available: L1 100 - 20 - 10 - 10 = 60, OLD 10 (expired, still counted until a decision)
  REQUIRE(book.balance(s, 0).available == 70);
  REQUIRE(book.balance(s, 0).pending == 70);
  REQUIRE(book.balance(s, 0).held == 20);
  return s;
}

ledger_op with_target(ledger_op op, id128 target) {
  op.target = target;
  return op;
}
ledger_op with_wallet(ledger_op op, std::uint16_t wallet) {
  op.wallet = wallet;
  return op;
}

struct row {
  const char* what;
  ledger_op op;
  ledger_result expected;
};

const std::vector<entry_kind> none;
// A state failure on wallet 0 at 2026-02-15: OLD's 10 and PX's 30 expire first, then the
// failure is recorded.
const std::vector<entry_kind> expiries_then_failed{entry_kind::expire, entry_kind::expire,
                                                   entry_kind::failed};

}  // namespace

TEST_CASE("ledger precedence: the first failing check decides the code", "[ledger]") {
  const ledger book({loyalty::wallet_policy{}});
  const customer_state s = start(book);
  const timestamp now = at("2026-02-15T12:00:00Z");
  const timestamp later = at("2026-05-01T00:00:00Z");
  const timestamp past = at("2026-02-01T00:00:00Z");
  const id128 zero{0, 0};
  const id128 ones{UINT64_MAX, UINT64_MAX};

  const std::vector<row> rows = {
      // 1. invalid_id before everything.
      {"invalid id, unknown wallet, zero amount",
       with_wallet(ledger_op::redeem(zero, 0, d("0")), 9), ledger_result::invalid_id},
      {"all-ones id, id is target", with_target(ledger_op::redeem(ones, 0, d("5")), ones),
       ledger_result::invalid_id},
      {"invalid id of a transfer", ledger_op::transfer(zero, 0, d("5"), bob),
       ledger_result::invalid_id},
      // 2. A known id: the burned one, whatever the body; then the body comparison, field by
      //    field, before any validation of the new body.
      {"burned id, other kind, unknown wallet, zero amount",
       with_wallet(ledger_op::earn(XF, 0, d("0")), 9), ledger_result::id_already_failed},
      {"burned id, the same body", ledger_op::redeem(XF, 0, d("1000")),
       ledger_result::id_already_failed},
      {"burned id given as a transfer", ledger_op::transfer(XF, 0, d("5"), bob),
       ledger_result::id_already_failed},
      {"known id, other kind and unknown wallet",
       with_wallet(ledger_op::redeem(L1, 0, d("100")), 9),
       ledger_result::exists_with_different_kind},
      {"known id, unknown wallet and zero amount",
       with_wallet(ledger_op::earn(L1, 0, d("0"), at("2026-03-01T00:00:00Z")), 9),
       ledger_result::exists_with_different_wallet},
      {"known id, zero amount (invalid) and other expiry",
       ledger_op::earn(L1, 0, d("0"), at("2026-04-01T00:00:00Z")),
       ledger_result::exists_with_different_amount},
      {"known id, other target and other expiry",
       with_target(ledger_op::earn(L1, 0, d("100"), at("2026-04-01T00:00:00Z")), P1),
       ledger_result::exists_with_different_target},
      {"known id, other expiry, now past it",
       ledger_op::earn(L1, 0, d("100.00"), at("2026-02-01T00:00:00Z")),
       ledger_result::exists_with_different_expires_at},
      {"known id, the same body (100.0 is 100)",
       ledger_op::earn(L1, 0, d("100.0"), at("2026-03-01T00:00:00Z")), ledger_result::exists},
      // 3. A transfer given to decide(): before the wallet, the target and the amount.
      {"transfer to decide(), unknown wallet, zero amount, id is target",
       with_target(with_wallet(ledger_op::transfer(NEW, 0, d("0"), bob), 9), NEW),
       ledger_result::invalid_operation},
      // 4. unknown_wallet before id_is_target and invalid_amount.
      {"unknown wallet, id is target, zero amount",
       with_wallet(ledger_op::redeem_from(NEW, 0, d("0"), NEW), 9), ledger_result::unknown_wallet},
      // 5. id_is_target before invalid_amount.
      {"id is target, zero amount", ledger_op::redeem_from(NEW, 0, d("0"), NEW),
       ledger_result::id_is_target},
      {"id is target, activate", ledger_op::activate(NEW, 0, NEW), ledger_result::id_is_target},
      // 6. invalid_amount before invalid_dates.
      {"zero amount, expiry in the past", ledger_op::earn(NEW, 0, d("0"), past),
       ledger_result::invalid_amount},
      {"negative amount, deadline in the past",
       ledger_op::reserve(NEW, 0, d("-1"), past, loyalty::timeout_action::none),
       ledger_result::invalid_amount},
      {"too many digits for the wallet, expiry in the past",
       ledger_op::earn(NEW, 0, d("1.5"), past), ledger_result::invalid_amount},
      {"zero adjust", ledger_op::adjust(NEW, 0, d("0"), 7), ledger_result::invalid_amount},
      {"zero capture of a missing hold", ledger_op::capture(NEW, 0, NOBODY, d("0")),
       ledger_result::invalid_amount},
      {"zero refund of a missing redemption", ledger_op::refund(NEW, 0, NOBODY, d("0")),
       ledger_result::invalid_amount},
      // 7. invalid_dates before any state check.
      {"earn expiring at now", ledger_op::earn(NEW, 0, d("5"), now), ledger_result::invalid_dates},
      {"pending earn activating at its expiry",
       ledger_op::earn_pending(NEW, 0, d("5"), later, later), ledger_result::invalid_dates},
      {"credit adjust expiring in the past", ledger_op::adjust(NEW, 0, d("5"), 7, past),
       ledger_result::invalid_dates},
      {"reserve beyond the balance with a past deadline",
       ledger_op::reserve(NEW, 0, d("1000"), now, loyalty::timeout_action::none),
       ledger_result::invalid_dates},
      // 9. Each operation's own checks, which burn the id.
      {"redeem beyond the balance", ledger_op::redeem(NEW, 0, d("61")),
       ledger_result::insufficient_balance},
      {"debit adjust beyond the balance", ledger_op::adjust(NEW, 0, d("-61"), 7),
       ledger_result::insufficient_balance},
      {"activate: no such lot", ledger_op::activate(NEW, 0, NOBODY), ledger_result::lot_not_found},
      {"activate: an active lot that has expired", ledger_op::activate(NEW, 0, OLD),
       ledger_result::lot_not_pending},
      {"activate: a pending lot that has expired", ledger_op::activate(NEW, 0, PX),
       ledger_result::lot_expired},
      {"cancel_pending: no such lot", ledger_op::cancel_pending(NEW, 0, NOBODY),
       ledger_result::lot_not_found},
      {"cancel_pending: an active lot", ledger_op::cancel_pending(NEW, 0, L1),
       ledger_result::lot_not_pending},
      {"redeem_from: no such lot", ledger_op::redeem_from(NEW, 0, d("1000"), NOBODY),
       ledger_result::lot_not_found},
      {"redeem_from: an expired lot, beyond its units",
       ledger_op::redeem_from(NEW, 0, d("1000"), OLD), ledger_result::lot_expired},
      {"redeem_from: beyond the lot's unheld units", ledger_op::redeem_from(NEW, 0, d("61"), L1),
       ledger_result::insufficient_balance},
      {"redeem_from: a pending lot", ledger_op::redeem_from(NEW, 0, d("1"), P1),
       ledger_result::insufficient_balance},
      {"capture: no such hold", ledger_op::capture(NEW, 0, NOBODY, d("1000")),
       ledger_result::hold_not_found},
      {"capture: more than held, after the deadline", ledger_op::capture(NEW, 0, H1, d("11")),
       ledger_result::hold_exceeded},
      {"capture: after the deadline", ledger_op::capture(NEW, 0, H1, d("10")),
       ledger_result::hold_timed_out},
      {"release: after the deadline", ledger_op::release(NEW, 0, H1),
       ledger_result::hold_timed_out},
      {"capture: more than held, no deadline", ledger_op::capture(NEW, 0, H2, d("11")),
       ledger_result::hold_exceeded},
      {"refund: of a burned id", ledger_op::refund(NEW, 0, XF, d("1000")),
       ledger_result::redemption_not_found},
      {"refund: of an earn", ledger_op::refund(NEW, 0, L1, d("1")),
       ledger_result::redemption_not_found},
      {"refund: of an unknown id", ledger_op::refund(NEW, 0, NOBODY, d("1")),
       ledger_result::redemption_not_found},
      {"refund: more than redeemed", ledger_op::refund(NEW, 0, RD, d("21")),
       ledger_result::refund_exceeds_redemption},
      {"reverse_earn: no such lot", ledger_op::reverse_earn(NEW, 0, NOBODY, d("1000")),
       ledger_result::earn_not_found},
      {"reverse_earn: more than earned", ledger_op::reverse_earn(NEW, 0, L1, d("101")),
       ledger_result::reversal_exceeds_earn},
  };

  for (const row& r : rows) {
    INFO(r.what);
    const loyalty::decision dec = book.decide(s, r.op, now);
    CHECK(loyalty::to_string(dec.result) == loyalty::to_string(r.expected));
    std::vector<entry_kind> kinds;
    for (const loyalty::journal_entry& e : dec.entries) kinds.push_back(e.kind);
    // Only the operation's own checks (step 9) write entries: the expiries, then `failed`.
    CHECK(kinds == (loyalty::burns_id(r.expected) ? expiries_then_failed : none));
    if (loyalty::burns_id(r.expected)) {
      CHECK(dec.entries.back().result == r.expected);
      CHECK(dec.entries.back().id == r.op.id);
    }
  }
}

TEST_CASE("ledger precedence: a burned id stays failed, a validation failure can be retried",
          "[ledger]") {
  const ledger book({loyalty::wallet_policy{}});
  customer_state s = book.open(id(0xA11CE));
  const timestamp t0 = at("2026-01-10T09:00:00Z");
  // Validation failures record nothing: the same id then succeeds.
  CHECK(book.decide(s, ledger_op::earn(NEW, 0, d("0")), t0).result ==
        ledger_result::invalid_amount);
  CHECK(book.decide(s, with_wallet(ledger_op::earn(NEW, 0, d("5")), 3), t0).result ==
        ledger_result::unknown_wallet);
  loyalty::decision ok = book.decide(s, ledger_op::earn(NEW, 0, d("5")), t0);
  REQUIRE(ok.result == ledger_result::ok);
  REQUIRE(book.apply(s, ok));
  // A state failure is recorded: from then on every body with that id is id_already_failed,
  // even one that would now be valid and fundable.
  loyalty::decision bad = book.decide(s, ledger_op::redeem(id(200), 0, d("6")), t0);
  REQUIRE(bad.result == ledger_result::insufficient_balance);
  REQUIRE(book.apply(s, bad));
  CHECK(book.decide(s, ledger_op::redeem(id(200), 0, d("5")), t0).result ==
        ledger_result::id_already_failed);
  CHECK(book.decide(s, ledger_op::earn(id(200), 0, d("5")), t0).result ==
        ledger_result::id_already_failed);
  CHECK(book.decide(s, ledger_op::redeem(id(200), 0, d("0")), t0).result ==
        ledger_result::id_already_failed);
  // invalid_id still comes first.
  CHECK(book.decide(s, ledger_op::redeem(id128{}, 0, d("0")), t0).result ==
        ledger_result::invalid_id);
}

TEST_CASE("ledger precedence: decide_transfer checks in its documented order", "[ledger]") {
  const ledger book({loyalty::wallet_policy{}});
  const customer_state alice = start(book);
  customer_state recipient = book.open(bob);
  const timestamp now = at("2026-02-15T12:00:00Z");
  // An id known only on the recipient's side.
  {
    const loyalty::decision dec =
        book.decide(recipient, ledger_op::earn(id(300), 0, d("5")), at("2026-01-10T09:00:00Z"));
    REQUIRE(book.apply(recipient, dec));
  }
  const id128 zero{0, 0};
  struct transfer_row {
    const char* what;
    ledger_op op;
    ledger_result expected;
  };
  const std::vector<transfer_row> rows = {
      {"invalid id, not a transfer, unknown wallet",
       with_wallet(ledger_op::redeem(zero, 0, d("0")), 9), ledger_result::invalid_id},
      {"id burned on the sender, not a transfer", ledger_op::redeem(XF, 0, d("0")),
       ledger_result::id_already_failed},
      {"id known on the recipient, other kind", ledger_op::transfer(id(300), 9, d("0"), bob),
       ledger_result::exists_with_different_kind},
      {"not a transfer, unknown wallet", with_wallet(ledger_op::redeem(NEW, 0, d("0")), 9),
       ledger_result::invalid_operation},
      {"unknown wallet, id is target, zero amount", ledger_op::transfer(NEW, 9, d("0"), NEW),
       ledger_result::unknown_wallet},
      {"id is target, zero amount", ledger_op::transfer(NEW, 0, d("0"), NEW),
       ledger_result::id_is_target},
      {"recipient is not the state given, zero amount", ledger_op::transfer(NEW, 0, d("0"), NOBODY),
       ledger_result::invalid_recipient},
      {"zero amount", ledger_op::transfer(NEW, 0, d("0"), bob), ledger_result::invalid_amount},
      {"beyond the balance", ledger_op::transfer(NEW, 0, d("61"), bob),
       ledger_result::insufficient_balance},
      {"within the balance", ledger_op::transfer(NEW, 0, d("60"), bob), ledger_result::ok},
  };
  for (const transfer_row& r : rows) {
    INFO(r.what);
    const loyalty::transfer_decision t = book.decide_transfer(alice, recipient, r.op, now);
    CHECK(loyalty::to_string(t.result) == loyalty::to_string(r.expected));
    std::vector<entry_kind> from;
    for (const loyalty::journal_entry& e : t.from.entries) from.push_back(e.kind);
    if (r.expected == ledger_result::ok) {
      CHECK(from == std::vector<entry_kind>{entry_kind::expire, entry_kind::expire,
                                            entry_kind::transfer_out});
      CHECK(t.units == 60);
    } else {
      CHECK(from == (loyalty::burns_id(r.expected) ? expiries_then_failed : none));
      CHECK(t.to.entries.empty());
    }
  }
}
