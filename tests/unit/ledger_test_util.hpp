// Field-by-field comparison of ledger states, for the tests that replay a journal or retry an
// operation and need the very same state back (every field, not only the balances).
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>

#include "loyalty/ledger.hpp"

namespace ltest {

/// Every balance of a wallet, one by one.
inline void same_balances(const loyalty::balances& a, const loyalty::balances& b) {
  CHECK(a.available == b.available);
  CHECK(a.pending == b.pending);
  CHECK(a.held == b.held);
  CHECK(a.earned == b.earned);
  CHECK(a.spent == b.spent);
  CHECK(a.expired == b.expired);
  CHECK(a.reversed == b.reversed);
  CHECK(a.debt == b.debt);
  CHECK(a.transferred_in == b.transferred_in);
  CHECK(a.transferred_out == b.transferred_out);
}

/// Every field of two ledger states, one by one: wallets, lots, holds, balances, the ids and what
/// they settled.
inline void same_ledger(const loyalty::customer_state& a, const loyalty::customer_state& b) {
  CHECK(a.customer == b.customer);
  CHECK(a.version == b.version);
  REQUIRE(a.wallets.size() == b.wallets.size());
  for (std::size_t w = 0; w < a.wallets.size(); ++w) {
    INFO("wallet " << w);
    const loyalty::wallet_state& x = a.wallets[w];
    const loyalty::wallet_state& y = b.wallets[w];
    same_balances(x.totals, y.totals);
    CHECK(x.first_open == y.first_open);
    CHECK(x.last_activity == y.last_activity);
    CHECK(x.lapses_at == y.lapses_at);
    REQUIRE(x.lots.size() == y.lots.size());
    for (std::size_t i = 0; i < x.lots.size(); ++i) {
      INFO("lot " << i);
      const loyalty::lot& l = x.lots[i];
      const loyalty::lot& m = y.lots[i];
      CHECK(l.id == m.id);
      CHECK(l.amount == m.amount);
      CHECK(l.remaining == m.remaining);
      CHECK(l.held == m.held);
      CHECK(l.earned_at == m.earned_at);
      CHECK(l.activates_at == m.activates_at);
      CHECK(l.expires_at == m.expires_at);
      CHECK(l.pending == m.pending);
      CHECK(l.source_event == m.source_event);
      CHECK(l.source_rule == m.source_rule);
      CHECK(l.returned == m.returned);
    }
    REQUIRE(x.holds.size() == y.holds.size());
    for (std::size_t i = 0; i < x.holds.size(); ++i) {
      CHECK(x.holds[i].id == y.holds[i].id);
      CHECK(x.holds[i].amount == y.holds[i].amount);
      CHECK(x.holds[i].parts == y.holds[i].parts);
      CHECK(x.holds[i].deadline == y.holds[i].deadline);
    }
  }
  REQUIRE(a.ids.size() == b.ids.size());
  for (std::size_t i = 0; i < a.ids.size(); ++i) {
    const auto& x = a.ids.entries()[i];
    const auto& y = b.ids.entries()[i];
    CHECK(x.id == y.id);
    CHECK(x.record.result == y.record.result);
    CHECK(x.record.units == y.record.units);
    CHECK(x.record.parts == y.record.parts);
    CHECK(x.record.refunded == y.record.refunded);
    CHECK(x.record.op.kind == y.record.op.kind);
    CHECK(x.record.op.amount == y.record.op.amount);
  }
}

}  // namespace ltest
