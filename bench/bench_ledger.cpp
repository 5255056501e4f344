// The ledger in memory: earns, redemptions over wallets of 1, 100 and 10,000 lots, returns and
// refunds, and advance(now) over 1,000,000 customers. Each operation is decide + apply, as a host
// does it (without the host's storage).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "loyalty/ledger.hpp"

namespace {

using loyalty::decimal;
using loyalty::id128;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::timestamp;

constexpr std::int64_t day = loyalty::duration::micros_per_day;
const timestamp t0{1'780'000'000'000'000};  // 2026-05-28

decimal points(std::int64_t n) {
  return decimal::from_int(n).value;
}

// Earns spread round-robin over `customers` customers, each lot valid a year: decide + apply.
// A customer who reaches 256 earns is replaced by a new one (so wallets hold 0 to 255 lots, not
// an ever longer history). With 64 customers their states stay in the CPU's caches (the
// library's own cost); with 10,000 (about 40 MB of states) every earn finds its customer's
// state in main memory, as it would in a host's cache of customers.
void BM_earn(benchmark::State& state) {
  const ledger l({loyalty::wallet_policy{}});
  std::vector<loyalty::customer_state> customers;
  const auto count = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t c = 0; c < count; ++c) customers.push_back(l.open(id128{1, c + 1}));
  std::uint64_t n = 0;
  std::size_t next = 0;  // round-robin without a division per earn (a 64-bit div: ~15 ns here)
  for (auto _ : state) {
    ++n;
    if (++next == customers.size()) next = 0;
    loyalty::customer_state& s = customers[next];
    if (s.version == 256) s = l.open(id128{3, n});
    const timestamp now{t0.micros + static_cast<std::int64_t>(n)};
    const loyalty::decision d = l.decide(
        s, ledger_op::earn(id128{2, n}, 0, points(10), timestamp{now.micros + 365 * day}), now);
    if (!l.apply(s, d)) state.SkipWithError("stale");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_earn)->ArgName("customers")->Arg(64)->Arg(10'000);

// The same earns, decided into one reused decision (ledger::decide(..., decision&)): the entry
// vector keeps its memory, as a host reusing its decision per thread would run them.
void BM_earn_reused(benchmark::State& state) {
  const ledger l({loyalty::wallet_policy{}});
  std::vector<loyalty::customer_state> customers;
  const auto count = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t c = 0; c < count; ++c) customers.push_back(l.open(id128{1, c + 1}));
  loyalty::decision d;
  std::uint64_t n = 0;
  std::size_t next = 0;  // round-robin without a division per earn (a 64-bit div: ~15 ns here)
  for (auto _ : state) {
    ++n;
    if (++next == customers.size()) next = 0;
    loyalty::customer_state& s = customers[next];
    if (s.version == 256) s = l.open(id128{3, n});
    const timestamp now{t0.micros + static_cast<std::int64_t>(n)};
    l.decide(s, ledger_op::earn(id128{2, n}, 0, points(10), timestamp{now.micros + 365 * day}), now,
             d);
    if (!l.apply(s, d)) state.SkipWithError("stale");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_earn_reused)->ArgName("customers")->Arg(1)->Arg(8)->Arg(64)->Arg(10000);

// Not the library: the floor that today's data layout puts under an earn. The same requests as
// BM_earn_reused/1, and only what an earn must write with these types: one probe of an id table,
// a journal_entry (320 bytes) filled in, a lot (104 bytes) and an id_index::entry (192 bytes)
// appended, the totals updated. No validation, no policy, no invariant check, no allocation (the
// memory of 256 earns is reused). If this runs at N earns/s, the ledger cannot beat N on this
// machine without smaller records; docs/performance.md compares the two.
void BM_earn_layout_floor(benchmark::State& state) {
  std::vector<loyalty::lot> lots;
  std::vector<loyalty::id_index::entry> records;
  std::vector<std::uint64_t> slots(512, 0);
  lots.reserve(256);
  records.reserve(256);
  loyalty::balances totals;
  std::vector<loyalty::journal_entry> entries;
  entries.reserve(4);
  std::uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    if (records.size() == 256) {
      lots.clear();
      records.clear();
      std::fill(slots.begin(), slots.end(), 0);
    }
    const timestamp now{t0.micros + static_cast<std::int64_t>(n)};
    const ledger_op op =
        ledger_op::earn(id128{2, n}, 0, points(10), timestamp{now.micros + 365 * day});
    std::uint64_t h = op.id.low ^ ((op.id.high << 32) | (op.id.high >> 32));
    h ^= h >> 33;
    h *= 0xFF51'AFD7'ED55'8CCDULL;
    h ^= h >> 33;
    std::size_t i = static_cast<std::size_t>(h >> 32) & (slots.size() - 1);
    bool known = false;
    for (; slots[i] != 0; i = (i + 1) & (slots.size() - 1)) {
      if ((slots[i] >> 32) == (h >> 32) && records[(slots[i] & 0xFFFF'FFFFU) - 1].id == op.id) {
        known = true;
        break;
      }
    }
    if (known) continue;
    entries.clear();
    loyalty::journal_entry& e = entries.emplace_back();
    e.sequence = records.size() + 1;
    e.kind = loyalty::entry_kind::earn;
    e.id = op.id;
    e.op = op;
    e.at = now;
    e.units = op.amount.units();
    e.expires_at = *op.expires_at;
    loyalty::lot& l = lots.emplace_back();
    l.id = e.id;
    l.amount = l.remaining = e.units;
    l.earned_at = l.activates_at = now;
    l.expires_at = e.expires_at;
    totals.earned += e.units;
    totals.available += e.units;
    loyalty::id_index::entry& r = records.emplace_back();
    r.id = e.id;
    r.record.op = e.op;
    r.record.units = e.units;
    slots[i] = (h & 0xFFFF'FFFF'0000'0000ULL) | records.size();
    benchmark::DoNotOptimize(entries.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_earn_layout_floor);

// A customer whose wallet (of ledger `l`) holds `lots` lots of a billion points each: lot i has
// the id {3, i + 1}, is earned i microseconds after t0 and is valid for `valid_days(i)` days.
template <typename ValidDays>
loyalty::customer_state wallet_of(const ledger& l, std::uint64_t lots, ValidDays valid_days,
                                  benchmark::State& state) {
  loyalty::customer_state s = l.open(id128{1, 1});
  for (std::uint64_t i = 0; i < lots; ++i) {
    const auto d = l.decide(s,
                            ledger_op::earn(id128{3, i + 1}, 0, points(1'000'000'000),
                                            timestamp{t0.micros + valid_days(i) * day}),
                            timestamp{t0.micros + static_cast<std::int64_t>(i)});
    if (!l.apply(s, d)) state.SkipWithError("stale");
  }
  return s;
}

// Decide `op` into `d` and apply it; false, with the benchmark stopped with `failure`, when it
// did not succeed.
bool run(const ledger& l, loyalty::customer_state& s, const ledger_op& op, timestamp now,
         loyalty::decision& d, benchmark::State& state, const char* failure) {
  l.decide(s, op, now, d);
  if (d.result == loyalty::ledger_result::ok && l.apply(s, d)) return true;
  state.SkipWithError(failure);
  return false;
}

// Every `period` iterations the customer goes back to its starting state (untimed), so that its
// id history stays that of a real customer, not millions of operations long.
void restore_every(std::uint64_t n, std::uint64_t period, loyalty::customer_state& s,
                   const loyalty::customer_state& start, benchmark::State& state) {
  if (n % period != 0) return;
  state.PauseTiming();
  s = start;
  state.ResumeTiming();
}

// Redeeming 1 point from a wallet of `lots` lots of a billion points each, every lot valid for
// a year or more: decide + apply. Second argument: the wallet's consumption order (0: soonest
// expiring first, 1: fifo, whose lots are not in expiry order).
void BM_redeem(benchmark::State& state) {
  const auto lots = static_cast<std::uint64_t>(state.range(0));
  loyalty::wallet_policy policy;
  if (state.range(1) == 1) policy.order = loyalty::consumption_order::fifo;
  const ledger l({policy});
  // Expiries not in earn order (a later earn may expire sooner), as with per-rule expiries.
  loyalty::customer_state s = wallet_of(
      l, lots, [](std::uint64_t i) { return 400 + static_cast<std::int64_t>((i * 7919) % 1000); },
      state);
  const loyalty::customer_state start = s;
  const timestamp now{t0.micros + day};
  loyalty::decision d;
  std::uint64_t n = 0;
  for (auto _ : state) {
    restore_every(++n, 4096, s, start, state);
    if (!run(l, s, ledger_op::redeem(id128{4, n}, 0, points(1)), now, d, state, "redeem failed")) {
      break;
    }
  }
  state.counters["lots"] = static_cast<double>(lots);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_redeem)
    ->ArgNames({"lots", "fifo"})
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({10'000, 0})
    ->Args({1, 1})
    ->Args({100, 1})
    ->Args({10'000, 1});

// Returns and refunds in a wallet of `lots` lots, all earned under one expiry policy (each lot
// expires after the ones before it, so the wallet's order is the earn order). Each iteration is
// three operations, decide + apply each: a return of 1 point of the most recent earn
// (reverse_earn), and a redemption of 1 point refunded at once (refund). They name lots near the
// ends of the wallet's open lots, as real returns (within a return window) and refunds (of a
// recent redemption) do. A return of an old earn in the middle of a long wallet is the slow
// case: find_lot() then scans.
void BM_return_and_refund_recent(benchmark::State& state) {
  const auto lots = static_cast<std::uint64_t>(state.range(0));
  const ledger l({loyalty::wallet_policy{}});
  loyalty::customer_state s = wallet_of(
      l, lots, [](std::uint64_t i) { return 400 + static_cast<std::int64_t>(i); }, state);
  const loyalty::customer_state start = s;
  const timestamp now{t0.micros + day};
  loyalty::decision d;
  std::uint64_t n = 0;
  for (auto _ : state) {
    restore_every(++n, 2048, s, start, state);
    if (!run(l, s, ledger_op::reverse_earn(id128{4, n}, 0, id128{3, lots}, points(1)), now, d,
             state, "return failed") ||
        !run(l, s, ledger_op::redeem(id128{5, n}, 0, points(1)), now, d, state, "redeem failed") ||
        !run(l, s, ledger_op::refund(id128{6, n}, 0, id128{5, n}, points(1)), now, d, state,
             "refund failed")) {
      break;
    }
  }
  state.counters["lots"] = static_cast<double>(lots);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_return_and_refund_recent)->ArgName("lots")->Arg(1)->Arg(100)->Arg(10'000);

// advance(now) over 1,000,000 customers with 3 lots each, one of which has expired.
void BM_advance_1m_customers(benchmark::State& state) {
  const ledger l({loyalty::wallet_policy{}});
  std::vector<loyalty::customer_state> customers;
  customers.reserve(1'000'000);
  for (std::uint64_t c = 0; c < 1'000'000; ++c) {
    loyalty::customer_state s = l.open(id128{1, c + 1});
    for (std::uint64_t k = 0; k < 3; ++k) {
      const auto d = l.decide(s,
                              ledger_op::earn(id128{5, c * 4 + k + 1}, 0, points(100),
                                              timestamp{t0.micros + (k == 0 ? 10 : 400) * day}),
                              t0);
      if (!l.apply(s, d)) state.SkipWithError("stale");
    }
    customers.push_back(std::move(s));
  }
  const timestamp later{t0.micros + 30 * day};
  std::int64_t expired = 0;
  for (auto _ : state) {
    for (loyalty::customer_state& s : customers) {
      const loyalty::decision d = l.advance(s, later);
      expired += static_cast<std::int64_t>(d.entries.size());
      benchmark::DoNotOptimize(d);
    }
  }
  state.counters["expiry_entries"] =
      static_cast<double>(expired) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_advance_1m_customers)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
