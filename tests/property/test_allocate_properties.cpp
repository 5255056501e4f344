// Property tests for loyalty::allocate against exact shares computed with cpp_int.
#include <rapidcheck/catch.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <utility>
#include <vector>

#include "loyalty/allocate.hpp"
#include "loyalty/decimal.hpp"

namespace {

using boost::multiprecision::cpp_int;
using loyalty::decimal;
using loyalty::decimal_errc;
using loyalty::remainder_policy;

constexpr std::int64_t max_units = decimal::max_units;

cpp_int pow10(int exponent) {
  cpp_int result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

/// (units, scale) pairs: decimals are built inside the property so that counterexamples print.
using raw_decimal = std::pair<std::int64_t, int>;

decimal make(const raw_decimal& raw) {
  return decimal::from_units(raw.first, raw.second).value;
}

rc::Gen<int> gen_scale() {
  return rc::gen::weightedOneOf<int>({
      {4, rc::gen::inRange(0, 4)},
      {1, rc::gen::inRange(0, decimal::max_scale + 1)},
  });
}

rc::Gen<raw_decimal> gen_total() {
  const auto units = rc::gen::weightedOneOf<std::int64_t>({
      {3, rc::gen::inRange<std::int64_t>(-1000, 1001)},
      {2, rc::gen::suchThat(rc::gen::arbitrary<std::int64_t>(),
                            [](std::int64_t v) { return v != INT64_MIN; })},
      {1, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 100),
                       [](std::int64_t k) { return max_units - k; })},
      {1, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 100),
                       [](std::int64_t k) { return k - max_units; })},
  });
  return rc::gen::pair(units, gen_scale());
}

rc::Gen<raw_decimal> gen_weight() {
  const auto units = rc::gen::weightedOneOf<std::int64_t>({
      {2, rc::gen::just<std::int64_t>(0)},
      {6, rc::gen::inRange<std::int64_t>(0, 10)},
      {4, rc::gen::inRange<std::int64_t>(0, 100'000)},
      {1, rc::gen::inRange<std::int64_t>(0, max_units)},
      {1, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 100),
                       [](std::int64_t k) { return max_units - k; })},
  });
  return rc::gen::pair(units, gen_scale());
}

rc::Gen<std::vector<raw_decimal>> gen_weights() {
  return rc::gen::withSize([](int size) {
    const int count_max = 1 + size / 8;  // up to 13 parts
    // One case in five has 33 to 48 parts: allocate's general path (up to 32 parts take a
    // shortcut, which the other cases check).
    auto counts = rc::gen::weightedOneOf<int>(
        {{4, rc::gen::inRange(1, count_max + 1)}, {1, rc::gen::inRange(33, 49)}});
    return rc::gen::mapcat(std::move(counts), [](int count) {
      return rc::gen::container<std::vector<raw_decimal>>(static_cast<std::size_t>(count),
                                                          gen_weight());
    });
  });
}

/// What allocate must produce, computed independently.
struct expectation {
  decimal_errc error = decimal_errc::ok;
  std::vector<cpp_int> floors;      // floor(|total| * w / W)
  std::vector<cpp_int> remainders;  // |total| * w mod W
  std::vector<bool> nonzero;
};

expectation expect(const raw_decimal& total, const std::vector<raw_decimal>& weights) {
  expectation e;
  int scale = 0;
  for (const raw_decimal& w : weights) scale = std::max(scale, w.second);
  std::vector<cpp_int> aligned;
  cpp_int sum = 0;
  for (const raw_decimal& w : weights) {
    aligned.push_back(cpp_int(w.first) * pow10(scale - w.second));
    sum += aligned.back();
  }
  if (sum > max_units) e.error = decimal_errc::overflow;
  if (sum == 0) e.error = decimal_errc::invalid_argument;
  if (e.error != decimal_errc::ok) return e;
  const cpp_int magnitude = abs(cpp_int(total.first));
  for (const cpp_int& w : aligned) {
    e.floors.push_back(magnitude * w / sum);
    e.remainders.push_back(magnitude * w % sum);
    e.nonzero.push_back(w != 0);
  }
  return e;
}

/// The unit each part received on top of its floor (0 or 1), or -1 when the part is neither
/// floor nor floor + 1 or has the wrong sign or scale.
std::vector<int> extras_of(const raw_decimal& total, const std::vector<decimal>& parts,
                           const expectation& e) {
  std::vector<int> extras;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const cpp_int value = parts[i].units();
    const bool sign_ok = total.first < 0 ? value <= 0 : value >= 0;
    const cpp_int extra = abs(value) - e.floors[i];
    const bool ok = sign_ok && parts[i].scale() == total.second && (extra == 0 || extra == 1);
    extras.push_back(ok ? static_cast<int>(extra) : -1);
  }
  return extras;
}

/// Largest remainder: no part without an extra unit has a larger remainder (or an equal one
/// and an earlier position) than a part with one.
bool largest_remainder_optimal(const std::vector<int>& extras, const expectation& e) {
  for (std::size_t i = 0; i < extras.size(); ++i) {
    for (std::size_t j = 0; j < extras.size(); ++j) {
      if (extras[i] != 1 || extras[j] != 0) continue;
      if (e.remainders[i] < e.remainders[j]) return false;
      if (e.remainders[i] == e.remainders[j] && j < i) return false;
    }
  }
  return true;
}

/// In order: the extras go to the first parts with a non-zero weight.
bool in_order_first(const std::vector<int>& extras, const expectation& e) {
  int leftover = 0;
  for (const int extra : extras) leftover += extra;
  for (std::size_t i = 0; i < extras.size(); ++i) {
    const int expected = e.nonzero[i] && leftover > 0 ? 1 : 0;
    if (extras[i] != expected) return false;
    leftover -= expected;
  }
  return true;
}

}  // namespace

TEST_CASE("allocation matches exact shares", "[property][allocate]") {
  rc::prop("parts sum to the total, each within one unit of its exact share", [] {
    const raw_decimal total = *gen_total();
    const std::vector<raw_decimal> raw_weights = *gen_weights();
    const auto policy =
        *rc::gen::element(remainder_policy::in_order, remainder_policy::largest_remainder);
    std::vector<decimal> weights;
    for (const raw_decimal& w : raw_weights) weights.push_back(make(w));
    std::vector<decimal> parts(weights.size());

    const expectation e = expect(total, raw_weights);
    RC_ASSERT(loyalty::allocate(make(total), weights, policy, parts) == e.error);
    RC_CLASSIFY(e.error == decimal_errc::ok, "allocated");
    if (e.error != decimal_errc::ok) return;

    cpp_int sum = 0;
    for (const decimal part : parts) sum += part.units();
    RC_ASSERT(sum == total.first);
    const std::vector<int> extras = extras_of(total, parts, e);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      RC_ASSERT(extras[i] >= 0);
      if (!e.nonzero[i]) RC_ASSERT(parts[i].is_zero());
    }
    if (policy == remainder_policy::largest_remainder) {
      RC_ASSERT(largest_remainder_optimal(extras, e));
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (extras[i] == 1) RC_ASSERT(e.remainders[i] > 0);
      }
    } else {
      RC_ASSERT(in_order_first(extras, e));
    }
    const std::vector<decimal> again = loyalty::allocate(make(total), weights, policy);
    for (std::size_t i = 0; i < parts.size(); ++i) RC_ASSERT(again[i].identical(parts[i]));
  });
}

TEST_CASE("allocation rejects bad weights", "[property][allocate]") {
  rc::prop("a negative weight is an invalid argument", [] {
    std::vector<raw_decimal> raw_weights = *gen_weights();
    const std::size_t index = *rc::gen::inRange<std::size_t>(0, raw_weights.size());
    raw_weights[index].first = -*rc::gen::inRange<std::int64_t>(1, max_units);
    std::vector<decimal> weights;
    for (const raw_decimal& w : raw_weights) weights.push_back(make(w));
    std::vector<decimal> parts(weights.size());
    RC_ASSERT(loyalty::allocate(decimal::from_int(100).value, weights,
                                remainder_policy::largest_remainder,
                                parts) == decimal_errc::invalid_argument);
  });
}
