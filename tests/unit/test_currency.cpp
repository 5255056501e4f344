// Unit tests for loyalty/currency.hpp.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "loyalty/currency.hpp"

namespace {

struct expected_currency {
  std::string_view code;
  std::uint16_t numeric;
  std::uint8_t minor_units;
};

}  // namespace

TEST_CASE("find_currency returns the ISO numeric code and minor units", "[currency]") {
  const expected_currency expected[] = {
      {"EUR", 978, 2}, {"USD", 840, 2}, {"GBP", 826, 2}, {"CHF", 756, 2}, {"SEK", 752, 2},
      {"NOK", 578, 2}, {"DKK", 208, 2}, {"PLN", 985, 2}, {"CZK", 203, 2}, {"HUF", 348, 2},
      {"RON", 946, 2}, {"BGN", 975, 2}, {"TRY", 949, 2}, {"AUD", 36, 2},  {"CAD", 124, 2},
      {"NZD", 554, 2}, {"CNY", 156, 2}, {"HKD", 344, 2}, {"SGD", 702, 2}, {"INR", 356, 2},
      {"BRL", 986, 2}, {"MXN", 484, 2}, {"ZAR", 710, 2}, {"AED", 784, 2}, {"SAR", 682, 2},
      {"JPY", 392, 0}, {"KRW", 410, 0}, {"CLP", 152, 0}, {"ISK", 352, 0}, {"VND", 704, 0},
      {"KWD", 414, 3}, {"BHD", 48, 3},  {"TND", 788, 3}, {"CLF", 990, 4}, {"UYW", 927, 4},
      {"ALL", 8, 2},   {"ZWG", 924, 2}, {"XCG", 532, 2}, {"XOF", 952, 0}, {"XPF", 953, 0},
  };
  for (const expected_currency& e : expected) {
    INFO(e.code);
    const loyalty::currency* found = loyalty::find_currency(e.code);
    REQUIRE(found != nullptr);
    CHECK(std::string(found->code) == std::string(e.code));
    CHECK(found->numeric == e.numeric);
    CHECK(found->minor_units == e.minor_units);
  }
}

TEST_CASE("find_currency needs an exact upper-case code", "[currency]") {
  for (const char* unknown :
       {"eur", "Eur", "", "EU", "EURO", "EUR ", " EUR", "XAU", "XDR", "XXX", "HRK", "AAA", "ZZZ"}) {
    INFO("code: '" << unknown << "'");
    CHECK(loyalty::find_currency(unknown) == nullptr);
  }
}

TEST_CASE("the currency table is sorted, unique and complete in its exponents", "[currency]") {
  const std::set<std::string_view> zero = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                           "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                           "VND", "VUV", "XAF", "XOF", "XPF"};
  const std::set<std::string_view> three = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  const std::set<std::string_view> four = {"CLF", "UYW"};

  const auto all = loyalty::all_currencies();
  REQUIRE(all.size() >= 150);
  std::set<std::uint16_t> numerics;
  std::size_t exceptions_seen = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const loyalty::currency& c = all[i];
    INFO(c.code);
    REQUIRE(c.code.size() == 3);
    for (const char letter : c.code) CHECK((letter >= 'A' && letter <= 'Z'));
    if (i > 0) CHECK(std::string(all[i - 1].code) < std::string(c.code));
    CHECK(numerics.insert(c.numeric).second);
    CHECK(c.numeric > 0);
    CHECK(c.numeric < 1000);
    const std::uint8_t expected = zero.count(c.code)    ? 0
                                  : three.count(c.code) ? 3
                                  : four.count(c.code)  ? 4
                                                        : 2;
    CHECK(c.minor_units == expected);
    if (expected != 2) ++exceptions_seen;
    CHECK(loyalty::find_currency(c.code) == &c);
  }
  CHECK(exceptions_seen == zero.size() + three.size() + four.size());
}
