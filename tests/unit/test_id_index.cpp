// The customer's id index: every id found after any number of inserts, duplicates refused,
// records kept in insertion order, copies independent.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "loyalty/ledger.hpp"

using loyalty::id128;
using loyalty::id_index;
using loyalty::id_record;

namespace {

id_record record_of(std::int64_t units) {
  id_record r;
  r.units = units;
  return r;
}

}  // namespace

TEST_CASE("the id index finds every id it holds and no other", "[ledger][id_index]") {
  id_index ids;
  CHECK(ids.empty());
  CHECK(ids.find(id128{0, 1}) == nullptr);
  // Sequential ids (the usual host ids), ids differing only in the high half, and random ones:
  // 20,000 in all, through many rounds of growth.
  std::vector<id128> added;
  for (std::uint64_t i = 1; i <= 8'000; ++i) added.push_back(id128{0, i});
  for (std::uint64_t i = 1; i <= 4'000; ++i) added.push_back(id128{i, 0});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 8'000; ++i) added.push_back(id128{rng(), rng()});
  for (std::size_t k = 0; k < added.size(); ++k) {
    REQUIRE(ids.insert(added[k], record_of(static_cast<std::int64_t>(k))));
  }
  REQUIRE(ids.size() == added.size());
  for (std::size_t k = 0; k < added.size(); ++k) {
    const id_record* r = ids.find(added[k]);
    REQUIRE(r != nullptr);
    CHECK(r->units == static_cast<std::int64_t>(k));
  }
  // Ids never added are not found: neighbours of sequential ids, and fresh random ones.
  const std::set<id128> known(added.begin(), added.end());
  for (std::uint64_t i = 8'001; i <= 10'000; ++i) CHECK_FALSE(ids.contains(id128{0, i}));
  for (int i = 0; i < 2'000; ++i) {
    const id128 x{rng(), rng()};
    if (known.count(x) == 0) CHECK_FALSE(ids.contains(x));
  }
  // Entries keep insertion order.
  REQUIRE(ids.entries().size() == added.size());
  CHECK(ids.entries()[0].id == added[0]);
  CHECK(ids.entries()[12'345].id == added[12'345]);
  CHECK(ids.entries()[12'345].record.units == 12'345);
}

TEST_CASE("the id index refuses a second insert and copies deeply", "[ledger][id_index]") {
  id_index ids;
  REQUIRE(ids.insert(id128{0, 5}, record_of(50)));
  CHECK_FALSE(ids.insert(id128{0, 5}, record_of(99)));
  CHECK(ids.size() == 1);
  CHECK(ids.find(id128{0, 5})->units == 50);
  // Records can be changed in place (a refund updates its redemption's record).
  ids.find(id128{0, 5})->refunded = 7;
  id_index copy = ids;
  REQUIRE(copy.insert(id128{0, 6}, record_of(60)));
  copy.find(id128{0, 5})->refunded = 8;
  CHECK(ids.size() == 1);
  CHECK_FALSE(ids.contains(id128{0, 6}));
  CHECK(ids.find(id128{0, 5})->refunded == 7);
  CHECK(copy.find(id128{0, 5})->refunded == 8);
  CHECK(copy.find(id128{0, 6})->units == 60);
}

TEST_CASE("chunked_list: order, stable addresses, copies", "[ledger]") {
  loyalty::chunked_list<std::int64_t> list;
  std::vector<const std::int64_t*> addresses;
  for (std::int64_t i = 0; i < 1'000; ++i) {
    list.push_back(i * 3);
    addresses.push_back(&list.back());
  }
  REQUIRE(list.size() == 1'000);
  // Every element where it was put: at the chunk edges (8, 24, 56, 120, ...) too, and never moved.
  for (std::size_t i = 0; i < list.size(); ++i) {
    REQUIRE(list[i] == static_cast<std::int64_t>(i) * 3);
    REQUIRE(&list[i] == addresses[i]);
  }
  std::int64_t sum = 0;
  for (const std::int64_t x : list) sum += x;
  CHECK(sum == 3 * 999 * 1'000 / 2);

  // A copy holds the same elements and, appended to, moves none of them.
  loyalty::chunked_list<std::int64_t> copy = list;
  std::vector<const std::int64_t*> copied;
  for (std::size_t i = 0; i < copy.size(); ++i) copied.push_back(&copy[i]);
  for (std::int64_t i = 1'000; i < 1'100; ++i) copy.push_back(i * 3);
  for (std::size_t i = 0; i < 1'000; ++i) REQUIRE(&copy[i] == copied[i]);
  for (std::size_t i = 0; i < copy.size(); ++i) {
    REQUIRE(copy[i] == static_cast<std::int64_t>(i) * 3);
  }
  CHECK(list.size() == 1'000);
}
