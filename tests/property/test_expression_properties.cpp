// Differential property tests for the expression language: random well-typed expression trees are
// printed as text, compiled with loyalty::compile_expression and evaluated; a reference interpreter
// written from docs/expressions.md evaluates the same TREE (not the text) with exact rationals
// (boost::multiprecision::cpp_rational) and its own rounding. Both must agree on the error status
// and, when they succeed, on the value.
//
// Reference semantics (docs/expressions.md, "Decimal rules", "Comparisons", "Missing values"):
//   * numbers are exact rationals. Every numeric node has a STATIC type, which must equal the
//     compiled result_type(): a literal has the digits written, order.total/order.discount 2,
//     integers 0, `+ - %` the larger operand scale, `*` the sum (more than 18 is the documented
//     load-time error), bare `/` max(scale_a, scale_b) + 6 capped at 18, round(x, d, mode) d,
//     floor/ceil 0, min/max/clamp/if/?? the largest operand scale;
//   * every VALUE is kept at a scale: `+ - %` the larger of the operands' scales, `*` their sum,
//     bare `/` its static scale (the quotient rounded half_even), round/floor/ceil their digits;
//     min/max/clamp/if/?? convert each operand they evaluate to their static type (the docs'
//     examples: `clamp(order.total / 10, 1, 5)` is `5.00000000`, and
//     `(if tier == 'platinum' then 2 else 1.5)` is `2.0`); an operand that does not fit there is
//     `overflow`. The library's value must have the same kind (integer/decimal), scale and value;
//   * a number whose units at its scale do not fit in [-(2^63-1), 2^63-1] is `overflow`; integers
//     likewise (the range is symmetric, as for decimals: -2^63 is not a result);
//   * floor/ceil/round of a division divide exactly and round once; `%` is the remainder of the
//     truncating division (sign of the left operand); a zero divisor is `division_by_zero`;
//   * a missing operand makes arithmetic and functions missing; == / != treat missing as a value
//     (missing == missing), orderings, `in` and the text tests are false, `not in` is true;
//   * operands are evaluated left to right and the first error wins; only `and`/`or`
//     (short-circuit), `if` (one branch) and `??` (right side only when needed) skip operands.
//     In particular an error in any argument of min/max/clamp is reported even when another
//     argument is missing, as for `+`.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/diagnostic.hpp"
#include "loyalty/expression.hpp"
#include "loyalty/format.hpp"

namespace {

using boost::multiprecision::cpp_int;
using boost::multiprecision::cpp_rational;
using loyalty::decimal;
using loyalty::eval_status;
using loyalty::rounding_mode;
using loyalty::value;
using loyalty::value_kind;

constexpr std::int64_t max_units = INT64_MAX;
constexpr int max_scale = 18;

// ---- Expression trees -----------------------------------------------------------------------

enum class cat : std::uint8_t { num, boolean, text, enumeration };

/// The static type of a node, as the checker should see it.
struct ty {
  cat c = cat::num;
  bool is_int = false;  // num: integer (scale 0) rather than decimal
  int scale = 0;        // num: static fractional digits
  bool nullable = false;
  bool scratch = false;  // text made by lower()/upper()
};

enum class op : std::uint8_t {
  lit_num,
  lit_text,
  lit_enum,  // a text literal standing for an enum value (compared with customer.tier)
  lit_bool,
  lit_null,
  field,
  add,
  sub,
  mul,
  div,
  rem,
  neg,
  min,
  max,
  abs,
  clamp,
  round,
  floor,
  ceil,
  cmp,
  in,
  not_in,
  logical_and,
  logical_or,
  logical_not,
  conditional,
  coalesce,
  is_null,   // x == null (or null == x)
  not_null,  // x != null (or null != x)
  starts_with,
  ends_with,
  contains,
  lower,
  upper,
};

enum class cmp_op : std::uint8_t { eq, ne, lt, le, gt, ge };

struct node;
using node_ptr = std::shared_ptr<const node>;

struct node {
  op o = op::lit_null;
  ty t;
  std::vector<node_ptr> kids;
  std::string text;     // lit_num: as written; lit_text/lit_enum: the value; field: the path
  cpp_rational number;  // lit_num
  bool flag = false;    // lit_bool: the value; is_null/not_null: null written first;
                        // round: mode written as text; lit_text: double quotes
  int digits = 0;       // round
  rounding_mode mode = rounding_mode::half_even;
  cmp_op cmp = cmp_op::eq;
  int enum_code = 0;   // lit_enum
  bool paren = false;  // print with (redundant) parentheses
};

const char* const tier_names[] = {"bronze", "silver", "gold", "platinum"};
const char* const mode_names[] = {"half_even", "half_up", "half_down", "down",
                                  "up",        "floor",   "ceiling"};

// ---- Random choices (inside a property: every pick is shrinkable) ---------------------------

/// A uniform integer in [lo, hi]; shrinks toward lo. (rapidcheck scales inRange by the size,
/// which would make the early cases all leaves; the size is fixed here.)
template <typename T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi + 1));
}
int pick(int lo, int hi) {
  return uniform<int>(lo, hi);
}

/// True with probability percent/100; shrinks toward false.
bool chance(int percent) {
  return pick(0, 99) >= 100 - percent;
}

/// Index into `weights`, chosen with those weights; shrinks toward index 0.
std::size_t choose(const std::vector<int>& weights) {
  int total = 0;
  for (int w : weights) total += w;
  int r = pick(0, total - 1);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return 0;
}

cpp_int pow10(int exponent) {
  cpp_int result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

/// Units of a random magnitude in [0, max_units]; mostly small, with the edges of the range
/// (2^63-1, 2^62, the square root of 2^63, powers of ten) where overflow is decided.
cpp_int gen_magnitude() {
  switch (choose({3, 6, 3, 1, 1, 1, 1})) {
    case 0: {
      static const int special[] = {0, 1, 2, 3, 5, 10, 100, 1000};
      return special[pick(0, 7)];
    }
    case 1:
      return pick(0, 1000);
    case 2:
      return cpp_int(uniform<std::int64_t>(0, 1000000000));
    case 3:
      return cpp_int(max_units) - (chance(50) ? pick(0, 2) : pick(0, 1000));
    case 4: {
      static const std::int64_t edges[] = {std::int64_t{1} << 62, 3037000499, 3037000500,
                                           std::int64_t{1} << 32, 4611686018427387903};
      return cpp_int(edges[pick(0, 4)]) + pick(-1, 1);
    }
    case 5:
      return pow10(pick(9, 18)) + pick(-2, 2);
    default:
      return cpp_int(uniform<std::int64_t>(0, max_units - 1));
  }
}

std::string units_text(const cpp_int& units, int scale) {
  std::string digits = units.str();
  if (scale == 0) return digits;
  const auto fraction = static_cast<std::size_t>(scale);
  if (digits.size() <= fraction) digits = std::string(fraction + 1 - digits.size(), '0') + digits;
  const std::size_t whole = digits.size() - fraction;
  return digits.substr(0, whole) + "." + digits.substr(whole);
}

/// Pieces from which text literals and the coupon are made: shared substrings make the text
/// tests and comparisons interesting; the quotes, backslash and control characters test escaping.
const char* const text_pieces[] = {"SUMMER", "summer", "-10", "Ab", "x",  "",
                                   " ",      "'",      "\"",  "\\", "\n", "\t"};

std::string gen_text_value() {
  std::string s;
  const int n = pick(0, 3);
  for (int i = 0; i < n; ++i) s += text_pieces[choose({4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1})];
  return s;
}

// ---- Generator --------------------------------------------------------------------------------

std::shared_ptr<node> make(op o, ty t, std::vector<node_ptr> kids = {}) {
  auto n = std::make_shared<node>();
  n->o = o;
  n->t = t;
  n->kids = std::move(kids);
  n->paren = chance(8);
  return n;
}

ty num_ty(bool is_int, int scale, bool nullable) {
  return {cat::num, is_int, is_int ? 0 : scale, nullable, false};
}

/// The common type of numeric operands (if/??/min/max/clamp).
ty unify_num(const std::vector<node_ptr>& xs) {
  ty t = num_ty(true, 0, false);
  for (const auto& x : xs) {
    if (x->o == op::lit_null) {
      t.nullable = true;
      continue;
    }
    t.is_int = t.is_int && x->t.is_int;
    t.scale = std::max(t.scale, x->t.scale);
    t.nullable = t.nullable || x->t.nullable;
  }
  if (t.is_int) t.scale = 0;
  return t;
}

class generator {
 public:
  /// `allow_overscale`: a product may need more than 18 digits (the checker must reject it).
  explicit generator(bool allow_overscale) : allow_overscale_(allow_overscale) {}

  /// Weights for a node: the root is never a leaf (the first `leaves` entries).
  std::vector<int> weights(int depth, const std::vector<int>& leaf_weights,
                           const std::vector<int>& all) {
    const bool root = std::exchange(root_, false);
    if (depth <= 0) return leaf_weights;
    if (!root) return all;
    std::vector<int> w = all;
    for (std::size_t i = 0; i < leaf_weights.size(); ++i) w[i] = 0;
    return w;
  }

  node_ptr num_literal() {
    const int scale = static_cast<int>(choose({5, 2, 2, 1, 1}));
    cpp_int units = gen_magnitude();
    auto n = make(op::lit_num, num_ty(scale == 0, scale, false));
    n->text = units_text(units, scale);
    n->number = cpp_rational(units, pow10(scale));
    return n;
  }

  node_ptr field(const char* path, ty t) {
    auto n = make(op::field, t);
    n->text = path;
    return n;
  }

  node_ptr null_literal(ty like) {
    like.nullable = true;
    return make(op::lit_null, like);
  }

  node_ptr arith(op o, node_ptr a, node_ptr b) {
    const ty& x = a->t;
    if (o == op::mul && x.scale + b->t.scale > max_scale) {
      if (x.scale <= max_scale && !(allow_overscale_ && chance(30))) {
        // Round a factor first, as the diagnostic asks.
        b = rounded(op::round, b, pick(0, max_scale - x.scale));
      }
    }
    const ty& y = b->t;
    const bool nullable = x.nullable || y.nullable;
    ty t;
    switch (o) {
      case op::mul:
        t = num_ty(x.is_int && y.is_int, x.scale + y.scale, nullable);
        break;
      case op::div:
        t = num_ty(false, std::min(max_scale, std::max(x.scale, y.scale) + 6), nullable);
        break;
      default:  // add, sub, rem
        t = num_ty(x.is_int && y.is_int, std::max(x.scale, y.scale), nullable);
        break;
    }
    return make(o, t, {std::move(a), std::move(b)});
  }

  /// round(x, digits, mode), floor(x) or ceil(x).
  node_ptr rounded(op o, node_ptr x, int digits) {
    const bool nullable = x->t.nullable;
    auto n = make(o, num_ty(false, o == op::round ? digits : 0, nullable), {std::move(x)});
    n->digits = o == op::round ? digits : 0;
    n->mode = o == op::floor  ? rounding_mode::floor
              : o == op::ceil ? rounding_mode::ceiling
                              : static_cast<rounding_mode>(pick(0, 6));
    n->flag = chance(20);  // round(x, 2, 'half_up') rather than round(x, 2, half_up)
    return n;
  }

  node_ptr num(int depth) {
    static const std::vector<int> leaves = {5, 3, 3, 1};
    static const std::vector<int> all = {5, 3, 3, 1,                                    // leaves
                                         4, 4, 4, 3, 2, 2, 1, 1, 1, 1, 3, 2, 2, 2, 2};  // compound
    switch (choose(weights(depth, leaves, all))) {
      case 0:
        return num_literal();
      case 1:
        return field("order.total", num_ty(false, 2, false));
      case 2:
        return field("order.items", num_ty(true, 0, false));
      case 3:
        return field("order.discount", num_ty(false, 2, true));
      case 4:
        return arith(op::add, num(depth - 1), num(depth - 1));
      case 5:
        return arith(op::sub, num(depth - 1), num(depth - 1));
      case 6: {
        auto a = num(depth - 1);
        if (allow_overscale_ && a->t.scale > 0 && a->t.scale <= max_scale && chance(5)) {
          // A factor with just enough digits that the product needs 19: a load-time error.
          auto b = make(op::lit_num, num_ty(false, max_scale + 1 - a->t.scale, false));
          const cpp_int units = pick(1, 99);
          b->text = units_text(units, b->t.scale);
          b->number = cpp_rational(units, pow10(b->t.scale));
          const ty t = num_ty(false, max_scale + 1, a->t.nullable);
          return make(op::mul, t, {std::move(a), std::move(b)});
        }
        return arith(op::mul, std::move(a), num(depth - 1));
      }
      case 7:
        return arith(op::div, num(depth - 1), num(depth - 1));
      case 8:
        return arith(op::rem, num(depth - 1), num(depth - 1));
      case 9: {
        auto x = num(depth - 1);
        const ty t = x->t;
        return make(op::neg, t, {std::move(x)});
      }
      case 10:
      case 11: {
        std::vector<node_ptr> xs;
        const int n = pick(2, 3);
        for (int i = 0; i < n; ++i) xs.push_back(num(depth - 1));
        const ty t = unify_num(xs);
        return make(chance(50) ? op::max : op::min, t, std::move(xs));
      }
      case 12: {
        auto x = num(depth - 1);
        const ty t = x->t;
        return make(op::abs, t, {std::move(x)});
      }
      case 13:
        return clamp(depth);
      case 14:
      case 15:
      case 16: {
        // round/floor/ceil, often of a division (which the library must divide exactly).
        node_ptr x = chance(60) ? arith(op::div, num(depth - 1), num(depth - 1)) : num(depth - 1);
        const std::size_t which = choose({3, 1, 1});
        if (which == 0)
          return rounded(op::round, std::move(x), chance(10) ? pick(0, 18) : pick(0, 6));
        return rounded(which == 1 ? op::floor : op::ceil, std::move(x), 0);
      }
      case 17: {
        auto c = boolean(depth - 1, false);
        auto a = num(depth - 1);
        auto b = num(depth - 1);
        if (chance(10)) (chance(50) ? a : b) = null_literal(b->t);
        const ty t = unify_num({a, b});
        return make(op::conditional, t, {std::move(c), std::move(a), std::move(b)});
      }
      default: {
        auto a = nullable_num(depth - 1);
        auto b = num(depth - 1);
        ty t = unify_num({a, b});
        t.nullable = b->t.nullable;
        return make(op::coalesce, t, {std::move(a), std::move(b)});
      }
    }
  }

  /// clamp(x, lo, hi) with lo <= hi whenever both are present: the docs do not say what clamp
  /// does with lo > hi.
  node_ptr clamp(int depth) {
    auto x = num(depth - 1);
    node_ptr lo;
    node_ptr hi;
    auto a = num_literal();
    auto b = num_literal();
    if (a->number > b->number) std::swap(a, b);
    switch (choose({2, 1, 1})) {
      case 0:
        lo = a;
        hi = b;
        break;
      case 1: {
        // clamp(x, lit, max(lit, e))
        lo = a;
        std::vector<node_ptr> xs = {a, num(depth - 1)};
        if (chance(50)) std::swap(xs[0], xs[1]);
        const ty t = unify_num(xs);
        hi = make(op::max, t, std::move(xs));
        break;
      }
      default: {
        // clamp(x, min(e, lit), lit)
        hi = b;
        std::vector<node_ptr> xs = {num(depth - 1), b};
        if (chance(50)) std::swap(xs[0], xs[1]);
        const ty t = unify_num(xs);
        lo = make(op::min, t, std::move(xs));
        break;
      }
    }
    const ty t = unify_num({x, lo, hi});
    return make(op::clamp, t, {std::move(x), std::move(lo), std::move(hi)});
  }

  /// A number that may be missing (statically nullable), for the left of `??` and `== null`.
  node_ptr nullable_num(int depth) {
    switch (choose(depth <= 0 ? std::vector<int>{1} : std::vector<int>{4, 2, 1, 1, 1})) {
      case 0:
        return field("order.discount", num_ty(false, 2, true));
      case 1: {
        const op o =
            std::vector<op>{op::add, op::sub, op::mul, op::div, op::rem}[choose({2, 2, 2, 1, 1})];
        auto a = nullable_num(depth - 1);
        auto b = num(depth - 1);
        if (chance(50)) std::swap(a, b);
        return arith(o, std::move(a), std::move(b));
      }
      case 2: {
        auto x = nullable_num(depth - 1);
        const ty t = x->t;
        return make(chance(50) ? op::neg : op::abs, t, {std::move(x)});
      }
      case 3: {
        auto c = boolean(depth - 1, false);
        auto a = chance(50) ? nullable_num(depth - 1) : null_literal(num_ty(true, 0, true));
        auto b = num(depth - 1);
        if (a->o == op::lit_null) a = null_literal(b->t);
        if (chance(50)) std::swap(a, b);
        const ty t = unify_num({a, b});
        return make(op::conditional, t, {std::move(c), std::move(a), std::move(b)});
      }
      default: {
        std::vector<node_ptr> xs = {nullable_num(depth - 1), num(depth - 1)};
        if (chance(50)) std::swap(xs[0], xs[1]);
        const ty t = unify_num(xs);
        return make(chance(50) ? op::max : op::min, t, std::move(xs));
      }
    }
  }

  node_ptr text_literal() {
    auto n = make(op::lit_text, {cat::text});
    n->text = gen_text_value();
    n->flag = chance(30);
    return n;
  }

  node_ptr text(int depth, bool scratch_ok) {
    const std::vector<int> leaves = {3, 3};
    const std::vector<int> all = {3, 3, scratch_ok ? 2 : 0, 1};
    switch (choose(weights(depth, leaves, all))) {
      case 0:
        return text_literal();
      case 1:
        return field("order.coupon", {cat::text});
      case 2: {
        auto x = text(depth - 1, true);
        ty t = x->t;
        t.scratch = true;
        return make(chance(50) ? op::lower : op::upper, t, {std::move(x)});
      }
      default: {
        auto c = boolean(depth - 1, false);
        auto a = text(depth - 1, scratch_ok);
        auto b = text(depth - 1, scratch_ok);
        ty t{cat::text};
        t.scratch = a->t.scratch || b->t.scratch;
        return make(op::conditional, t, {std::move(c), std::move(a), std::move(b)});
      }
    }
  }

  node_ptr enum_literal() {
    auto n = make(op::lit_enum, {cat::enumeration});
    n->enum_code = pick(0, 3);
    n->text = tier_names[n->enum_code];
    n->flag = chance(30);
    return n;
  }

  node_ptr enumeration(int depth) {
    if (choose(weights(depth, {1}, {5, 1})) == 0) return field("customer.tier", {cat::enumeration});
    auto c = boolean(depth - 1, false);
    auto a = enumeration(depth - 1);
    auto b = enumeration(depth - 1);
    return make(op::conditional, {cat::enumeration}, {std::move(c), std::move(a), std::move(b)});
  }

  node_ptr comparison(node_ptr a, node_ptr b, bool ordered) {
    auto n = make(op::cmp, {cat::boolean}, {std::move(a), std::move(b)});
    n->cmp = static_cast<cmp_op>(ordered ? pick(0, 5) : pick(0, 1));
    return n;
  }

  node_ptr membership(node_ptr x, std::vector<node_ptr> items) {
    items.insert(items.begin(), std::move(x));
    return make(chance(30) ? op::not_in : op::in, {cat::boolean}, std::move(items));
  }

  /// A boolean; `allow_null`: may be missing (customer.opt_in and what is made of it).
  node_ptr boolean(int depth, bool allow_null) {
    const int n = allow_null ? 1 : 0;
    const std::vector<int> leaves = {2, 2, n};
    const std::vector<int> all = {2, 2, n, 6, 2, 3, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2};
    switch (choose(weights(depth, leaves, all))) {
      case 0: {
        auto b = make(op::lit_bool, {cat::boolean});
        b->flag = chance(50);
        return b;
      }
      case 1:
        return field("customer.vip", {cat::boolean});
      case 2:
        return field("customer.opt_in", {cat::boolean, false, 0, true, false});
      case 3:
        return comparison(num(depth - 1), num(depth - 1), true);
      case 4:
        return comparison(text(depth - 1, true), text(depth - 1, true), true);
      case 5: {
        node_ptr e = enumeration(depth - 1);
        node_ptr other = chance(80) ? enum_literal() : enumeration(depth - 1);
        if (chance(30)) std::swap(e, other);
        return comparison(std::move(e), std::move(other), true);
      }
      case 6:
        return comparison(boolean(depth - 1, true), boolean(depth - 1, true), false);
      case 7: {
        std::vector<node_ptr> items;
        const int k = pick(0, 4);
        for (int i = 0; i < k; ++i) {
          node_ptr lit = num_literal();
          if (chance(30)) lit = make(op::neg, lit->t, {lit});
          items.push_back(std::move(lit));
        }
        return membership(num(depth - 1), std::move(items));
      }
      case 8: {
        std::vector<node_ptr> items;
        const int k = pick(0, 3);
        for (int i = 0; i < k; ++i) items.push_back(text_literal());
        return membership(text(depth - 1, true), std::move(items));
      }
      case 9: {
        std::vector<node_ptr> items;
        const int k = pick(0, 4);
        for (int i = 0; i < k; ++i) items.push_back(enum_literal());
        return membership(enumeration(depth - 1), std::move(items));
      }
      case 10:
      case 11: {
        auto a = boolean(depth - 1, false);
        auto b = boolean(depth - 1, false);
        return make(chance(50) ? op::logical_or : op::logical_and, {cat::boolean},
                    {std::move(a), std::move(b)});
      }
      case 12:
        return make(op::logical_not, {cat::boolean}, {boolean(depth - 1, false)});
      case 13: {
        auto c = boolean(depth - 1, false);
        auto a = boolean(depth - 1, allow_null);
        auto b = boolean(depth - 1, allow_null);
        const bool nullable = a->t.nullable || b->t.nullable;
        return make(op::conditional, {cat::boolean, false, 0, nullable, false},
                    {std::move(c), std::move(a), std::move(b)});
      }
      case 14: {
        auto a = nullable_boolean(depth - 1);
        auto b = boolean(depth - 1, allow_null);
        const bool nullable = b->t.nullable;
        return make(op::coalesce, {cat::boolean, false, 0, nullable, false},
                    {std::move(a), std::move(b)});
      }
      case 15: {
        auto x = chance(70) ? nullable_num(depth - 1) : nullable_boolean(depth - 1);
        auto n2 = make(chance(50) ? op::is_null : op::not_null, {cat::boolean}, {std::move(x)});
        n2->flag = chance(25);
        return n2;
      }
      default: {
        const op o =
            std::vector<op>{op::starts_with, op::ends_with, op::contains}[choose({1, 1, 1})];
        return make(o, {cat::boolean}, {text(depth - 1, true), text(depth - 1, true)});
      }
    }
  }

  node_ptr nullable_boolean(int depth) {
    if (depth <= 0 || choose({4, 1}) == 0) {
      return field("customer.opt_in", {cat::boolean, false, 0, true, false});
    }
    auto c = boolean(depth - 1, false);
    node_ptr a = nullable_boolean(depth - 1);
    node_ptr b = chance(30) ? null_literal({cat::boolean}) : boolean(depth - 1, true);
    if (chance(50)) std::swap(a, b);
    return make(op::conditional, {cat::boolean, false, 0, true, false},
                {std::move(c), std::move(a), std::move(b)});
  }

  node_ptr root(int depth) {
    switch (choose({4, 4, 1, 1})) {
      case 0:
        return num(depth);
      case 1:
        return boolean(depth, true);
      case 2:
        return text(depth, false);
      default:
        return enumeration(depth);
    }
  }

 private:
  bool allow_overscale_;
  bool root_ = true;
};

/// Whether some product needs more than 18 fractional digits (a load-time error).
bool too_fine_product(const node& n) {
  if (n.o == op::mul && n.kids[0]->t.scale + n.kids[1]->t.scale > max_scale) return true;
  for (const auto& k : n.kids) {
    if (too_fine_product(*k)) return true;
  }
  return false;
}

// ---- Printer ----------------------------------------------------------------------------------

/// Binding strength, loosest (if) to tightest (primary), from the operator table of the docs.
int precedence(const node& n) {
  switch (n.o) {
    case op::conditional:
      return 0;
    case op::logical_or:
      return 1;
    case op::logical_and:
      return 2;
    case op::logical_not:
      return 3;
    case op::cmp:
    case op::in:
    case op::not_in:
    case op::is_null:
    case op::not_null:
      return 4;
    case op::coalesce:
      return 5;
    case op::add:
    case op::sub:
      return 6;
    case op::mul:
    case op::div:
    case op::rem:
      return 7;
    case op::neg:
      return 8;
    default:
      return 9;  // literals, fields, calls
  }
}

std::string quote(const std::string& s, bool double_quotes) {
  const char q = double_quotes ? '"' : '\'';
  std::string out(1, q);
  for (const char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\'':
        out += q == '\'' ? "\\'" : "'";
        break;
      case '"':
        out += q == '"' ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
  out += q;
  return out;
}

const char* cmp_text(cmp_op c) {
  switch (c) {
    case cmp_op::eq:
      return "==";
    case cmp_op::ne:
      return "!=";
    case cmp_op::lt:
      return "<";
    case cmp_op::le:
      return "<=";
    case cmp_op::gt:
      return ">";
    case cmp_op::ge:
      return ">=";
  }
  return "?";
}

class printer {
 public:
  /// `full`: parenthesize every compound node; otherwise rely on precedence (plus the random
  /// redundant parentheses of node::paren).
  explicit printer(bool full) : full_(full) {}

  std::string print(const node& n) { return body(n); }

 private:
  /// `n` as an operand needing binding strength above `min_prec` (>= when `strict`).
  std::string operand(const node& n, int min_prec, bool strict) {
    const int p = precedence(n);
    const bool needed = strict ? p <= min_prec : p < min_prec;
    if (needed || n.paren || (full_ && p < 9)) return "(" + body(n) + ")";
    return body(n);
  }

  /// A full expression in a context that takes one (argument, list item, if branch).
  std::string top(const node& n) {
    if (n.paren || (full_ && precedence(n) < 9)) return "(" + body(n) + ")";
    return body(n);
  }

  std::string binary(const node& n, const char* sym) {
    const int p = precedence(n);
    const bool non_assoc = p == 4;  // comparisons do not chain
    return operand(*n.kids[0], p, non_assoc) + " " + sym + " " + operand(*n.kids[1], p, true);
  }

  std::string call(const char* name, const node& n) {
    std::string s = std::string(name) + "(";
    for (std::size_t i = 0; i < n.kids.size(); ++i) s += (i ? ", " : "") + top(*n.kids[i]);
    return s + ")";
  }

  std::string body(const node& n) {
    switch (n.o) {
      case op::lit_num:
        return n.text;
      case op::lit_text:
      case op::lit_enum:
        return quote(n.text, n.flag);
      case op::lit_bool:
        return n.flag ? "true" : "false";
      case op::lit_null:
        return "null";
      case op::field:
        return n.text;
      case op::add:
        return binary(n, "+");
      case op::sub:
        return binary(n, "-");
      case op::mul:
        return binary(n, "*");
      case op::div:
        return binary(n, "/");
      case op::rem:
        return binary(n, "%");
      case op::neg:
        return "-" + operand(*n.kids[0], 8, false);
      case op::min:
        return call("min", n);
      case op::max:
        return call("max", n);
      case op::abs:
        return call("abs", n);
      case op::clamp:
        return call("clamp", n);
      case op::floor:
        return call("floor", n);
      case op::ceil:
        return call("ceil", n);
      case op::round: {
        const std::string mode = mode_names[static_cast<int>(n.mode)];
        return "round(" + top(*n.kids[0]) + ", " + std::to_string(n.digits) + ", " +
               (n.flag ? "'" + mode + "'" : mode) + ")";
      }
      case op::cmp:
        return binary(n, cmp_text(n.cmp));
      case op::in:
      case op::not_in: {
        std::string s = operand(*n.kids[0], 4, true) + (n.o == op::in ? " in [" : " not in [");
        for (std::size_t i = 1; i < n.kids.size(); ++i) s += (i > 1 ? ", " : "") + top(*n.kids[i]);
        return s + "]";
      }
      case op::logical_and:
        return binary(n, "and");
      case op::logical_or:
        return binary(n, "or");
      case op::logical_not:
        return "not " + operand(*n.kids[0], 3, false);
      case op::conditional:
        return "if " + top(*n.kids[0]) + " then " + top(*n.kids[1]) + " else " + top(*n.kids[2]);
      case op::coalesce:
        return binary(n, "??");
      case op::is_null:
      case op::not_null: {
        const std::string x = operand(*n.kids[0], 4, true);
        const char* sym = n.o == op::is_null ? " == " : " != ";
        return n.flag ? "null" + std::string(sym) + x : x + sym + "null";
      }
      case op::starts_with:
        return call("starts_with", n);
      case op::ends_with:
        return call("ends_with", n);
      case op::contains:
        return call("contains", n);
      case op::lower:
        return call("lower", n);
      case op::upper:
        return call("upper", n);
    }
    return "?";
  }

  bool full_;
};

// ---- Inputs -------------------------------------------------------------------------------

struct inputs {
  std::int64_t total_units = 0;  // order.total at scale 2
  std::int64_t items = 0;
  std::optional<std::int64_t> discount_units;  // order.discount at scale 2
  std::string coupon;
  int tier = 0;
  bool vip = false;
  std::optional<bool> opt_in;
};

std::int64_t gen_signed_units() {
  const cpp_int m = gen_magnitude();
  const std::int64_t v = m.convert_to<std::int64_t>();
  return chance(40) ? -v : v;
}

inputs gen_inputs() {
  inputs in;
  in.total_units = gen_signed_units();
  in.items = gen_signed_units();
  if (chance(60)) in.discount_units = gen_signed_units();
  in.coupon = gen_text_value();
  in.tier = pick(0, 3);
  in.vip = chance(50);
  if (chance(65)) in.opt_in = chance(50);
  return in;
}

std::string describe(const inputs& in) {
  std::ostringstream os;
  os << "order.total=" << decimal::from_units(in.total_units, 2).value.to_string()
     << " order.items=" << in.items << " order.discount="
     << (in.discount_units ? decimal::from_units(*in.discount_units, 2).value.to_string()
                           : std::string("missing"))
     << " order.coupon=" << quote(in.coupon, false) << " customer.tier=" << tier_names[in.tier]
     << " customer.vip=" << in.vip
     << " customer.opt_in=" << (in.opt_in ? (*in.opt_in ? "true" : "false") : "missing");
  return os.str();
}

// ---- Reference interpreter ----------------------------------------------------------------

enum class status : std::uint8_t { ok, overflow, division_by_zero };

struct rvalue {
  cat c = cat::num;
  bool is_null = true;
  bool b = false;
  cpp_rational q;       // num: the exact value
  int scale = 0;        // num: the fractional digits it is kept at (0 for integers)
  bool is_int = false;  // num: an integer rather than a decimal
  std::string s;        // text
  int e = 0;            // enum code
};

struct result {
  status st = status::ok;
  rvalue v;
};

result error(status s) {
  return {s, {}};
}
result null_result(cat c) {
  result r;
  r.v.c = c;
  return r;
}
result text_result(std::string s) {
  result r;
  r.v.c = cat::text;
  r.v.is_null = false;
  r.v.s = std::move(s);
  return r;
}
result enum_result(int e) {
  result r;
  r.v.c = cat::enumeration;
  r.v.is_null = false;
  r.v.e = e;
  return r;
}
result bool_result(bool b) {
  result r;
  r.v.c = cat::boolean;
  r.v.is_null = false;
  r.v.b = b;
  return r;
}

/// n / d rounded to an integer with `mode`: from the truncated quotient, its remainder and the
/// direction away from zero.
cpp_int round_quotient(const cpp_int& n, const cpp_int& d, rounding_mode mode) {
  const cpp_int q = n / d;  // truncates toward zero
  const cpp_int r = n - q * d;
  if (r == 0) return q;
  const int sign = (n < 0) != (d < 0) ? -1 : 1;
  const cpp_int away = q + sign;
  const cpp_int twice = 2 * abs(r);
  const cpp_int ad = abs(d);
  switch (mode) {
    case rounding_mode::down:
      return q;
    case rounding_mode::up:
      return away;
    case rounding_mode::floor:
      return sign < 0 ? away : q;
    case rounding_mode::ceiling:
      return sign > 0 ? away : q;
    case rounding_mode::half_up:
      return twice >= ad ? away : q;
    case rounding_mode::half_down:
      return twice > ad ? away : q;
    case rounding_mode::half_even:
      if (twice != ad) return twice > ad ? away : q;
      return (q % 2 == 0) ? q : away;
  }
  return q;
}

/// `x` rounded to `digits` fractional digits, as a rational.
cpp_rational round_to(const cpp_rational& x, int digits, rounding_mode mode) {
  const cpp_int scale = pow10(digits);
  const cpp_int units = round_quotient(numerator(x) * scale, denominator(x), mode);
  return cpp_rational(units, scale);
}

/// A number kept at `scale` digits (an integer when `is_int`): overflow unless its units fit in
/// 64 bits, symmetrically (-(2^63-1) .. 2^63-1).
result number(const cpp_rational& x, int scale, bool is_int) {
  const cpp_rational units = x * pow10(scale);
  if (denominator(units) != 1) {
    // The value needs more digits than it is kept at: a bug of this reference.
    throw std::logic_error("reference: value " + x.str() + " does not fit scale " +
                           std::to_string(scale));
  }
  const cpp_int u = numerator(units);
  if (u > max_units || u < -cpp_int(max_units)) return error(status::overflow);
  result r;
  r.v.c = cat::num;
  r.v.is_null = false;
  r.v.q = x;
  r.v.scale = is_int ? 0 : scale;
  r.v.is_int = is_int;
  return r;
}

int compare_text_bytes(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

/// Order of two present values of one category.
int order(const rvalue& a, const rvalue& b) {
  switch (a.c) {
    case cat::num:
      return a.q < b.q ? -1 : (a.q > b.q ? 1 : 0);
    case cat::text:
      return compare_text_bytes(a.s, b.s);
    case cat::enumeration:
      return a.e < b.e ? -1 : (a.e > b.e ? 1 : 0);
    case cat::boolean:
      return static_cast<int>(a.b) - static_cast<int>(b.b);
  }
  return 0;
}

bool apply(cmp_op c, int o) {
  switch (c) {
    case cmp_op::eq:
      return o == 0;
    case cmp_op::ne:
      return o != 0;
    case cmp_op::lt:
      return o < 0;
    case cmp_op::le:
      return o <= 0;
    case cmp_op::gt:
      return o > 0;
    case cmp_op::ge:
      return o >= 0;
  }
  return false;
}

class reference {
 public:
  explicit reference(const inputs& in) : in_(in) {}

  result eval(const node& n) const {
    switch (n.o) {
      case op::lit_num:
        return number(n.number, n.t.scale, n.t.is_int);
      case op::lit_text:
        return text_result(n.text);
      case op::lit_enum:
        return enum_result(n.enum_code);
      case op::lit_bool:
        return bool_result(n.flag);
      case op::lit_null:
        return null_result(n.t.c);
      case op::field:
        return field(n);
      case op::add:
      case op::sub:
      case op::mul:
      case op::div:
      case op::rem:
        return arithmetic(n);
      case op::neg:
      case op::abs: {
        result x = eval(*n.kids[0]);
        if (x.st != status::ok || x.v.is_null) return x;
        const cpp_rational q = n.o == op::neg ? cpp_rational(-x.v.q) : cpp_rational(abs(x.v.q));
        return number(q, x.v.scale, x.v.is_int);
      }
      case op::min:
      case op::max:
      case op::clamp:
        return numeric_function(n);
      case op::round:
      case op::floor:
      case op::ceil:
        return rounding(n);
      case op::cmp: {
        const result a = eval(*n.kids[0]);
        if (a.st != status::ok) return a;
        const result b = eval(*n.kids[1]);
        if (b.st != status::ok) return b;
        if (a.v.is_null || b.v.is_null) {
          const bool both = a.v.is_null && b.v.is_null;
          if (n.cmp == cmp_op::eq) return bool_result(both);
          if (n.cmp == cmp_op::ne) return bool_result(!both);
          return bool_result(false);
        }
        return bool_result(apply(n.cmp, order(a.v, b.v)));
      }
      case op::in:
      case op::not_in: {
        const result x = eval(*n.kids[0]);
        if (x.st != status::ok) return x;
        bool found = false;
        for (std::size_t i = 1; i < n.kids.size(); ++i) {
          const result item = eval(*n.kids[i]);
          if (item.st != status::ok) return item;
          if (!x.v.is_null && !item.v.is_null && order(x.v, item.v) == 0) found = true;
        }
        return bool_result(n.o == op::in ? found : !found);
      }
      case op::logical_and:
      case op::logical_or: {
        const result a = eval(*n.kids[0]);
        if (a.st != status::ok) return a;
        if (a.v.b == (n.o == op::logical_or)) return a;  // short-circuit
        return eval(*n.kids[1]);
      }
      case op::logical_not: {
        const result a = eval(*n.kids[0]);
        if (a.st != status::ok) return a;
        return bool_result(!a.v.b);
      }
      case op::conditional: {
        const result c = eval(*n.kids[0]);
        if (c.st != status::ok) return c;
        return to_static(n, eval(*n.kids[c.v.b ? 1 : 2]));
      }
      case op::coalesce: {
        const result a = eval(*n.kids[0]);
        if (a.st != status::ok) return a;
        return to_static(n, a.v.is_null ? eval(*n.kids[1]) : a);
      }
      case op::is_null:
      case op::not_null: {
        const result x = eval(*n.kids[0]);
        if (x.st != status::ok) return x;
        return bool_result(x.v.is_null == (n.o == op::is_null));
      }
      case op::starts_with:
      case op::ends_with:
      case op::contains: {
        const result a = eval(*n.kids[0]);
        if (a.st != status::ok) return a;
        const result b = eval(*n.kids[1]);
        if (b.st != status::ok) return b;
        if (a.v.is_null || b.v.is_null) return bool_result(false);
        const std::string& s = a.v.s;
        const std::string& p = b.v.s;
        bool r = false;
        if (n.o == op::starts_with) r = s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
        if (n.o == op::ends_with) {
          r = s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
        }
        if (n.o == op::contains) r = s.find(p) != std::string::npos;
        return bool_result(r);
      }
      case op::lower:
      case op::upper: {
        result x = eval(*n.kids[0]);
        if (x.st != status::ok || x.v.is_null) return x;
        for (char& ch : x.v.s) {
          if (n.o == op::lower && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + ('a' - 'A'));
          if (n.o == op::upper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - ('a' - 'A'));
        }
        return x;
      }
    }
    throw std::logic_error("reference: unknown node");
  }

 private:
  /// A number kept at `n`'s static type (an error or a missing value passes through).
  static result to_static(const node& n, result r) {
    if (r.st != status::ok || r.v.is_null || r.v.c != cat::num) return r;
    return number(r.v.q, n.t.scale, n.t.is_int);
  }

  result field(const node& n) const {
    const std::string& p = n.text;
    if (p == "order.total") return number(cpp_rational(in_.total_units, 100), 2, false);
    if (p == "order.items") return number(cpp_rational(in_.items), 0, true);
    if (p == "order.discount") {
      if (!in_.discount_units) return null_result(cat::num);
      return number(cpp_rational(*in_.discount_units, 100), 2, false);
    }
    if (p == "order.coupon") return text_result(in_.coupon);
    if (p == "customer.tier") return enum_result(in_.tier);
    if (p == "customer.vip") return bool_result(in_.vip);
    if (p == "customer.opt_in") {
      if (!in_.opt_in) return null_result(cat::boolean);
      return bool_result(*in_.opt_in);
    }
    throw std::logic_error("reference: unknown field " + p);
  }

  result arithmetic(const node& n) const {
    const result a = eval(*n.kids[0]);
    if (a.st != status::ok) return a;
    const result b = eval(*n.kids[1]);
    if (b.st != status::ok) return b;
    if (a.v.is_null || b.v.is_null) return null_result(cat::num);
    const cpp_rational& x = a.v.q;
    const cpp_rational& y = b.v.q;
    // Integer operands give an integer (except `/`); otherwise + - % keep the larger scale of the
    // two values and * their sum; `/` keeps its static scale (6 more digits than its operands).
    const bool is_int = n.t.is_int;
    const int larger = std::max(a.v.scale, b.v.scale);
    switch (n.o) {
      case op::add:
        return number(x + y, larger, is_int);
      case op::sub:
        return number(x - y, larger, is_int);
      case op::mul:
        return number(x * y, a.v.scale + b.v.scale, is_int);
      case op::div:
        if (y == 0) return error(status::division_by_zero);
        return number(round_to(x / y, n.t.scale, rounding_mode::half_even), n.t.scale, false);
      default: {  // rem: x - trunc(x / y) * y, the sign of x
        if (y == 0) return error(status::division_by_zero);
        const cpp_rational quotient = x / y;
        const cpp_int truncated = numerator(quotient) / denominator(quotient);
        return number(x - cpp_rational(truncated) * y, larger, is_int);
      }
    }
  }

  result numeric_function(const node& n) const {
    // The result is one of the operands, each converted to the static type as it is evaluated.
    std::vector<result> xs;
    bool missing = false;
    for (const auto& k : n.kids) {
      result r = to_static(n, eval(*k));
      if (r.st != status::ok) return r;
      if (r.v.is_null) missing = true;
      xs.push_back(std::move(r));
    }
    if (missing) return null_result(cat::num);
    std::size_t best = 0;
    if (n.o == op::clamp) {
      if (xs[1].v.q > xs[2].v.q) throw std::logic_error("generator: clamp with lo > hi");
      if (xs[0].v.q < xs[1].v.q) best = 1;
      if (xs[best].v.q > xs[2].v.q) best = 2;
    } else {
      for (std::size_t i = 1; i < xs.size(); ++i) {
        if (n.o == op::min ? xs[i].v.q < xs[best].v.q : xs[i].v.q > xs[best].v.q) best = i;
      }
    }
    return xs[best];
  }

  result rounding(const node& n) const {
    const node& x = *n.kids[0];
    if (x.o == op::div) {
      // floor(a / b), ceil(a / b), round(a / b, d, mode): the exact quotient, rounded once.
      const result a = eval(*x.kids[0]);
      if (a.st != status::ok) return a;
      const result b = eval(*x.kids[1]);
      if (b.st != status::ok) return b;
      if (a.v.is_null || b.v.is_null) return null_result(cat::num);
      if (b.v.q == 0) return error(status::division_by_zero);
      return number(round_to(a.v.q / b.v.q, n.digits, n.mode), n.digits, false);
    }
    const result r = eval(x);
    if (r.st != status::ok || r.v.is_null) return r;
    return number(round_to(r.v.q, n.digits, n.mode), n.digits, false);
  }

  const inputs& in_;
};

// ---- The library side -------------------------------------------------------------------------

struct shop {
  loyalty::schema s;
  std::uint32_t total = 0, items = 0, discount = 0, coupon = 0, tier = 0, vip = 0, opt_in = 0;

  shop() {
    s.add_enum("tier", {"bronze", "silver", "gold", "platinum"});
    s.add_field("order.total", loyalty::field_type::decimal(2));
    s.add_field("order.items", loyalty::field_type::integer());
    s.add_field("order.discount", loyalty::field_type::decimal(2).or_null());
    s.add_field("order.coupon", loyalty::field_type::string());
    s.add_field("customer.tier", loyalty::field_type::enumeration("tier"));
    s.add_field("customer.vip", loyalty::field_type::boolean());
    s.add_field("customer.opt_in", loyalty::field_type::boolean().or_null());
    total = s.find_field("order.total")->slot;
    items = s.find_field("order.items")->slot;
    discount = s.find_field("order.discount")->slot;
    coupon = s.find_field("order.coupon")->slot;
    tier = s.find_field("customer.tier")->slot;
    vip = s.find_field("customer.vip")->slot;
    opt_in = s.find_field("customer.opt_in")->slot;
  }

  /// Sets every field from `in` (`in.coupon` must outlive the evaluations); false when the
  /// input refuses a value.
  bool fill(loyalty::expression_input& x, const inputs& in) const {
    bool ok = x.set(total, decimal::from_units(in.total_units, 2).value_or_throw());
    ok = x.set(items, value::of_int(in.items)) && ok;
    if (in.discount_units) {
      ok = x.set(discount, decimal::from_units(*in.discount_units, 2).value_or_throw()) && ok;
    } else {
      x.clear(discount);
    }
    ok = x.set(coupon, value::of_string(in.coupon)) && ok;
    ok = x.set(tier, value::of_enum(in.tier)) && ok;
    ok = x.set(vip, value::of_bool(in.vip)) && ok;
    if (in.opt_in) {
      ok = x.set(opt_in, value::of_bool(*in.opt_in)) && ok;
    } else {
      x.clear(opt_in);
    }
    return ok;
  }
};

const shop& the_shop() {
  static const shop s;
  return s;
}

bool has_error(const std::vector<loyalty::diagnostic>& diags) {
  for (const auto& d : diags) {
    if (d.level == loyalty::severity::error) return true;
  }
  return false;
}

std::string show(const result& r) {
  if (r.st == status::overflow) return "overflow";
  if (r.st == status::division_by_zero) return "division_by_zero";
  const rvalue& v = r.v;
  if (v.is_null) return "null";
  switch (v.c) {
    case cat::num: {
      const cpp_rational scaled = v.q * pow10(v.scale);
      const cpp_int units = numerator(scaled);
      return (v.q < 0 ? "-" : "") + units_text(abs(units), v.scale) +
             (v.is_int ? " (integer)" : " (decimal)");
    }
    case cat::boolean:
      return v.b ? "true" : "false";
    case cat::text:
      return quote(v.s, false);
    case cat::enumeration:
      return std::string("enum ") + tier_names[v.e];
  }
  return "?";
}

std::string show(eval_status st, const value& v) {
  if (st != eval_status::ok) return std::string(loyalty::to_string(st));
  switch (v.kind()) {
    case value_kind::null:
      return "null";
    case value_kind::boolean:
      return v.as_bool() ? "true" : "false";
    case value_kind::integer:
      return std::to_string(v.as_int()) + " (integer)";
    case value_kind::decimal:
      return v.as_decimal().to_string() + " (decimal)";
    case value_kind::string:
      return quote(std::string(v.as_string()), false);
    case value_kind::enumeration:
      return "enum code " + std::to_string(v.as_enum());
    default:
      return "value of kind " + std::string(loyalty::to_string(v.kind()));
  }
}

/// Library value as an exact rational (integer or decimal), straight from its bits.
cpp_rational library_number(const value& v) {
  if (v.kind() == value_kind::integer) return cpp_rational(v.as_int());
  const decimal d = v.as_decimal();
  return cpp_rational(cpp_int(d.units()), pow10(d.scale()));
}

/// Whether the library's answer is the reference's.
bool same(const result& r, eval_status st, const value& v) {
  switch (r.st) {
    case status::overflow:
      return st == eval_status::overflow;
    case status::division_by_zero:
      return st == eval_status::division_by_zero;
    case status::ok:
      break;
  }
  if (st != eval_status::ok) return false;
  if (r.v.is_null) return v.is_null();
  switch (r.v.c) {
    case cat::num:
      // Same value, and kept the same way: an integer, or a decimal at the same scale
      // (`64.90 + 0.1` is `65.00`, `64.90 * 1.5` is `97.350`).
      if (v.kind() != (r.v.is_int ? value_kind::integer : value_kind::decimal)) return false;
      if (!r.v.is_int && v.as_decimal().scale() != r.v.scale) return false;
      return library_number(v) == r.v.q;
    case cat::boolean:
      return v.kind() == value_kind::boolean && v.as_bool() == r.v.b;
    case cat::text:
      return v.kind() == value_kind::string && v.as_string() == r.v.s;
    case cat::enumeration:
      return v.kind() == value_kind::enumeration && v.as_enum() == r.v.e;
  }
  return false;
}

/// Identical outcomes of two evaluations (same kind, bits and scale).
bool identical(eval_status s1, const value& v1, eval_status s2, const value& v2) {
  if (s1 != s2) return false;
  if (s1 != eval_status::ok) return true;
  if (v1.kind() != v2.kind()) return false;
  switch (v1.kind()) {
    case value_kind::null:
      return true;
    case value_kind::decimal:
      return v1.as_decimal().identical(v2.as_decimal());
    case value_kind::string:
      return v1.as_string() == v2.as_string();
    default:
      return v1.as_int() == v2.as_int();
  }
}

value_kind static_kind(const ty& t) {
  switch (t.c) {
    case cat::num:
      return t.is_int ? value_kind::integer : value_kind::decimal;
    case cat::boolean:
      return value_kind::boolean;
    case cat::text:
      return value_kind::string;
    case cat::enumeration:
      return value_kind::enumeration;
  }
  return value_kind::null;
}

constexpr int inputs_per_case = 8;

}  // namespace

TEST_CASE("compiled evaluation equals a reference interpreter", "[property][expr]") {
  rc::prop("random expressions and inputs: same status, same value", [] {
    const shop& sh = the_shop();
    generator g(/*allow_overscale=*/true);
    const node_ptr root = g.root(pick(1, 5));
    const std::string text = printer(chance(50)).print(*root);
    RC_LOG() << "expression: " << text << "\n";
    const auto compiled = loyalty::compile_expression(text, sh.s);
    if (too_fine_product(*root)) {
      // The one documented load-time rejection: a product needing more than 18 digits.
      RC_ASSERT(!compiled.expression);
      bool product_message = false;
      for (const auto& d : compiled.diagnostics) {
        product_message =
            product_message ||
            (d.code == "L0303" && d.message.find("fractional digits") != std::string::npos);
      }
      RC_ASSERT(product_message);
      return;
    }
    if (!compiled.expression || has_error(compiled.diagnostics)) {
      RC_FAIL("does not compile: " + text + "\n" + loyalty::render(compiled.diagnostics));
    }
    // The checker's static type is the one the docs give (kinds, `*` adds scales, `/` keeps 6
    // more digits, round(x, d, mode) has d, ...).
    const loyalty::field_type rt = compiled.expression->result_type();
    RC_TAG(compiled.expression->evaluator() == loyalty::expression_evaluator::tree ? "tree"
           : compiled.expression->batch_in_columns() ? "register machine, batch in columns"
                                                     : "register machine");
    RC_ASSERT(rt.kind == static_kind(root->t));
    RC_ASSERT(rt.optional == root->t.nullable);
    if (rt.kind == value_kind::decimal) RC_ASSERT(int{rt.scale} == root->t.scale);
    loyalty::expression_input input(sh.s);
    // The same inputs as one batch, evaluated at the end: the batch path must agree too.
    loyalty::expression_batch batch(sh.s, inputs_per_case);
    // Text values point into these inputs, so they stay in place until the batch is evaluated.
    std::vector<inputs> all;
    all.reserve(inputs_per_case);
    for (int k = 0; k < inputs_per_case; ++k) all.push_back(gen_inputs());
    std::vector<result> expected_all;
    for (int k = 0; k < inputs_per_case; ++k) {
      const inputs& in = all[static_cast<std::size_t>(k)];
      RC_ASSERT(sh.fill(input, in));
      for (std::uint32_t slot = 0; slot < input.size(); ++slot) {
        RC_ASSERT(batch.set(static_cast<std::size_t>(k), slot, input.get(slot)));
      }
      const result expected = reference(in).eval(*root);
      value actual;
      const eval_status st = compiled.expression->evaluate(input, actual);
      if (!same(expected, st, actual)) {
        RC_FAIL("expression: " + text + "\ninputs: " + describe(in) +
                "\nreference: " + show(expected) + "\nlibrary:   " + show(st, actual));
      }
      expected_all.push_back(expected);
    }
    std::vector<value> outs(inputs_per_case);
    std::vector<eval_status> statuses(inputs_per_case);
    compiled.expression->evaluate(batch, outs, statuses);
    for (std::size_t k = 0; k < all.size(); ++k) {
      if (!same(expected_all[k], statuses[k], outs[k])) {
        RC_FAIL("batch row " + std::to_string(k) + ", expression: " + text +
                "\ninputs: " + describe(all[k]) + "\nreference: " + show(expected_all[k]) +
                "\nlibrary:   " + show(statuses[k], outs[k]));
      }
    }
    // A batch longer than one column chunk (64 events), the inputs repeated: every row still
    // agrees, on both sides of the chunk boundary.
    constexpr std::size_t long_rows = 67;
    loyalty::expression_batch long_batch(sh.s, long_rows);
    for (std::size_t r = 0; r < long_rows; ++r) {
      for (std::uint32_t slot = 0; slot < input.size(); ++slot) {
        RC_ASSERT(long_batch.set(r, slot, batch.get(r % all.size(), slot)));
      }
    }
    std::vector<value> long_outs(long_rows);
    std::vector<eval_status> long_statuses(long_rows);
    compiled.expression->evaluate(long_batch, long_outs, long_statuses);
    for (std::size_t r = 0; r < long_rows; ++r) {
      const std::size_t k = r % all.size();
      if (!same(expected_all[k], long_statuses[r], long_outs[r])) {
        RC_FAIL("long batch row " + std::to_string(r) + ", expression: " + text +
                "\ninputs: " + describe(all[k]) + "\nreference: " + show(expected_all[k]) +
                "\nlibrary:   " + show(long_statuses[r], long_outs[r]));
      }
    }
  });
}

TEST_CASE("printed expressions re-parse and evaluate deterministically", "[property][expr]") {
  rc::prop("compile, evaluate twice, recompile with other parentheses: identical", [] {
    const shop& sh = the_shop();
    generator g(/*allow_overscale=*/false);
    const node_ptr root = g.root(pick(1, 5));
    const std::string text = printer(false).print(*root);
    const std::string full = printer(true).print(*root);
    RC_LOG() << "expression: " << text << "\nfully parenthesized: " << full << "\n";
    const auto a = loyalty::compile_expression(text, sh.s);
    const auto b = loyalty::compile_expression(full, sh.s);
    if (!a.expression || has_error(a.diagnostics)) {
      RC_FAIL("does not compile: " + text + "\n" + loyalty::render(a.diagnostics));
    }
    if (!b.expression || has_error(b.diagnostics)) {
      RC_FAIL("does not compile: " + full + "\n" + loyalty::render(b.diagnostics));
    }
    const loyalty::field_type ta = a.expression->result_type();
    const loyalty::field_type tb = b.expression->result_type();
    RC_ASSERT(ta.kind == tb.kind);
    RC_ASSERT(ta.scale == tb.scale);
    RC_ASSERT(ta.optional == tb.optional);
    loyalty::expression_input input(sh.s);
    const inputs in = gen_inputs();
    RC_ASSERT(sh.fill(input, in));
    value v1;
    value v2;
    value v3;
    const eval_status s1 = a.expression->evaluate(input, v1);
    const eval_status s2 = a.expression->evaluate(input, v2);
    const eval_status s3 = b.expression->evaluate(input, v3);
    RC_LOG() << "inputs: " << describe(in) << "\n"
             << show(s1, v1) << " / " << show(s2, v2) << " / " << show(s3, v3) << "\n";
    RC_ASSERT(identical(s1, v1, s2, v2));
    RC_ASSERT(identical(s1, v1, s3, v3));
  });
}
