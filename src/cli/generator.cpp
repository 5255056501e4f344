// The event generator behind `loyalty generate` (docs/simulate.md#generate).
#include "cli/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "cli/json_text.hpp"

namespace loyalty::cli {

// ---- randomness ---------------------------------------------------------------------------

namespace {

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

random_stream::random_stream(std::uint64_t seed) noexcept {
  for (std::uint64_t& s : s_) s = splitmix64(seed);
}

std::uint64_t random_stream::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t random_stream::below(std::uint64_t n) noexcept {
  // Rejection: drop the top partial block of 2^64 so that every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next();
  while (x >= limit) x = next();
  return x % n;
}

double random_stream::unit() noexcept {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double portable_log(double x) noexcept {
  // x = m * 2^e with m in [0.5, 1) (frexp is exact); ln m = 2 atanh(z), z = (m - 1) / (m + 1).
  int e = 0;
  const double m = std::frexp(x, &e);
  const double z = (m - 1) / (m + 1);
  const double z2 = z * z;
  double term = z;
  double sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  constexpr double ln2 = 0.69314718055994530942;
  return 2 * sum + e * ln2;
}

double portable_exp(double y) noexcept {
  // y = k ln 2 + r, |r| <= ln 2 / 2; exp(r) by its Taylor series; ldexp is exact.
  constexpr double ln2 = 0.69314718055994530942;
  const double k = std::floor(y / ln2 + 0.5);
  const double r = y - k * ln2;
  double term = 1;
  double sum = 1;
  for (int n = 1; n < 30; ++n) {
    term = term * r / n;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

// ---- the shop model -----------------------------------------------------------------------

namespace {

struct product {
  std::string_view sku;
  std::string_view category;
  std::int64_t price_cents;
  bool gift_card;
  std::uint32_t weight;  // how often it is bought
};

constexpr std::array<product, 12> catalogue = {{
    {"COF-1", "coffee", 1250, false, 30},
    {"COF-2", "coffee", 890, false, 25},
    {"COF-3", "coffee", 2400, false, 10},
    {"TEA-1", "tea", 650, false, 12},
    {"TEA-2", "tea", 1100, false, 6},
    {"CAK-1", "cakes", 320, false, 14},
    {"CAK-2", "cakes", 1850, false, 5},
    {"MUG-1", "accessories", 1490, false, 6},
    {"GRN-1", "accessories", 8900, false, 2},
    {"GIFT-BOX", "gifts", 3900, false, 3},
    {"GC-25", "gift_cards", 2500, true, 3},
    {"GC-50", "gift_cards", 5000, true, 2},
}};

constexpr std::array<std::string_view, 4> networks = {"instagram", "facebook", "pinterest",
                                                      "mastodon"};
constexpr std::int64_t day_seconds = 86'400;
constexpr std::int64_t return_window_days = 14;

// Picks an index by integer weights.
template <typename Weights>
std::size_t pick(random_stream& rng, const Weights& weights) {
  std::uint64_t total = 0;
  for (const auto w : weights) total += w;
  std::uint64_t x = rng.below(total);
  for (std::size_t i = 0;; ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
}

enum class kind : std::uint8_t {
  registered,
  order,
  returned,
  closed,
  review,
  share,
  referral,
  redeem
};

struct gen_event {
  std::int64_t at = 0;  // microseconds since the epoch (UTC)
  std::uint32_t seq = 0;
  kind what = kind::order;
  std::uint32_t customer = 0;
  std::uint32_t ref = 0;  // order index, or the other customer of a referral
  std::int32_t a = 0;  // returned: line (-1: all); review: rating; referral: role; redeem: amount
  std::int32_t b = 0;  // returned: quantity; share: network
};

struct line_item {
  std::uint16_t product = 0;
  std::uint16_t qty = 1;
  std::int64_t discount_cents = 0;
};

struct order_data {
  std::uint32_t first_line = 0;
  std::uint16_t lines = 0;
  std::uint8_t channel = 0;  // web, app, store, marketplace
  bool coupon = false;
  std::int64_t total_cents = 0;  // lines, tax included
  std::uint32_t number = 0;      // INV number, given in time order
};

struct customer_data {
  std::int32_t reg_day = 0;
  std::int64_t reg_at = 0;
  std::optional<civil_date> birthday;
  std::int64_t revenue_cents = 0;
};

// Which of the program's event types play which part.
struct roles {
  std::uint16_t order = no_index;
  std::uint16_t returned = no_index;
  std::uint16_t closed = no_index;
  std::uint16_t registered = no_index;
  std::uint16_t review = no_index;
  std::uint16_t share = no_index;
  std::uint16_t referral = no_index;
  const point_type* redeem_into = nullptr;
};

roles find_roles(const program& p) {
  roles r;
  const auto types = p.event_types();
  for (std::size_t i = 0; i < types.size(); ++i) {
    const event_type& t = types[i];
    if (t.synthetic) continue;
    const auto index = static_cast<std::uint16_t>(i);
    if (r.order == no_index && t.lines_slot != event_type::no_slot && t.returns == no_index) {
      r.order = index;
    }
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    const event_type& t = types[i];
    if (t.synthetic) continue;
    const auto index = static_cast<std::uint16_t>(i);
    if (r.order != no_index && t.returns == r.order && r.returned == no_index) r.returned = index;
    if (r.order != no_index && t.refers_to == r.order && t.returns == no_index &&
        r.closed == no_index) {
      r.closed = index;
    }
    if (r.registered == no_index && (t.id == "customer.registered" || !t.profile_updates.empty()))
      r.registered = index;
    if (t.id == "review.approved") r.review = index;
    if (t.id == "social.shared") r.share = index;
    if (t.id == "referral.converted") r.referral = index;
  }
  for (const point_type& t : p.point_types()) {
    if (!t.is_money()) {
      r.redeem_into = &t;
      break;
    }
  }
  return r;
}

// A field an event of a type carries: `event.<name>` of its schema (not at, not the lines).
struct field_spec {
  std::string name;
  field_type type;
};

std::vector<field_spec> fields_of(const program& p, std::uint16_t type) {
  std::vector<field_spec> out;
  if (type == no_index) return out;
  const event_type& t = p.event_types()[type];
  for (const field_decl& f : t.schema.fields()) {
    if (!f.path.starts_with("event.") || f.slot == t.at_slot || f.slot == t.lines_slot) continue;
    out.push_back({f.path.substr(6), f.type});
  }
  return out;
}

std::string cents_text(std::int64_t cents, int scale) {
  const std::int64_t whole = cents / 100;
  const std::int64_t frac = cents % 100;
  if (scale <= 0) return fmt::format("{}", whole);
  if (scale == 1) return fmt::format("{}.{}", whole, frac / 10);
  return fmt::format("{}.{:02}{}", whole, frac,
                     std::string(static_cast<std::size_t>(scale - 2), '0'));
}

// The generator itself: builds every event in memory, sorts them by time, then writes them.
class generator {
 public:
  generator(const program& p, const generator_options& o, const roles& r)
      : p_(p), o_(o), r_(r), rng_(o.seed) {
    end_day_ = o.start.days + static_cast<std::int32_t>(o.days);
    end_at_ = start_of_day(civil_date{end_day_}, p.zone()).micros;
  }

  void build(std::int64_t orders) {
    customers_.resize(static_cast<std::size_t>(o_.customers));
    std::vector<double> weight(customers_.size());
    std::vector<std::int64_t> span(customers_.size());
    // Registration day: a third of the customers in the first month (the existing base), the
    // rest spread over the first 85 % of the period. Life: exponential, mean 300 days.
    double total = 0;
    for (std::size_t c = 0; c < customers_.size(); ++c) {
      customer_data& cd = customers_[c];
      const auto first_month = std::min<std::int64_t>(31, o_.days);
      const std::int64_t spread = std::max<std::int64_t>(1, o_.days * 85 / 100);
      const std::int64_t offset =
          rng_.chance(333)
              ? static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(first_month)))
              : static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(spread)));
      cd.reg_day = o_.start.days + static_cast<std::int32_t>(offset);
      cd.reg_at = at(cd.reg_day, 8 * 3600 + static_cast<std::int64_t>(rng_.below(14 * 3600)));
      if (rng_.chance(900)) {
        const std::int32_t born = civil_date::from_ymd(1950, 1, 1)->days +
                                  static_cast<std::int32_t>(rng_.below(55 * 365));
        cd.birthday = civil_date{born};
      }
      const double life = -300.0 * portable_log(1.0 - rng_.unit());
      const std::int64_t last =
          std::min<std::int64_t>(end_day_ - 1, cd.reg_day + static_cast<std::int64_t>(life) + 1);
      span[c] = std::max<std::int64_t>(1, last - cd.reg_day + 1);
      // Pareto(alpha) weight, x_m = 1, at most 200: u^(-1/alpha).
      const double u = 1.0 - rng_.unit();
      weight[c] = std::min(200.0, portable_exp(-portable_log(u) / o_.pareto_alpha)) *
                  static_cast<double>(span[c]);
      total += weight[c];
    }
    // Orders per customer: the expected counts, rounded by largest remainder to exactly `orders`.
    std::vector<std::int64_t> count(customers_.size());
    std::vector<std::pair<double, std::uint32_t>> remainders;
    std::int64_t given = 0;
    for (std::size_t c = 0; c < customers_.size(); ++c) {
      const double expected = total > 0 ? static_cast<double>(orders) * weight[c] / total : 0;
      count[c] = static_cast<std::int64_t>(expected);
      given += count[c];
      remainders.emplace_back(expected - static_cast<double>(count[c]),
                              static_cast<std::uint32_t>(c));
    }
    std::sort(remainders.begin(), remainders.end(), [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    for (std::size_t k = 0; given < orders && k < remainders.size(); ++k, ++given) {
      ++count[remainders[k].second];
    }
    for (std::size_t c = 0; c < customers_.size(); ++c) {
      customer(static_cast<std::uint32_t>(c), count[c], span[c]);
    }
  }

  void sort() {
    std::sort(events_.begin(), events_.end(), [](const gen_event& x, const gen_event& y) {
      return x.at != y.at ? x.at < y.at : x.seq < y.seq;
    });
    std::uint32_t number = 0;
    for (const gen_event& e : events_) {
      if (e.what == kind::order) orders_[e.ref].number = ++number;
    }
  }

  void write(std::string& out, generator_summary& summary) {
    out.reserve(events_.size() * (o_.format == event_format::csv ? 180 : 260));
    if (o_.format == event_format::csv) csv_header(out);
    std::uint32_t counters[8] = {};
    for (const gen_event& e : events_) {
      const std::uint32_t n = ++counters[static_cast<int>(e.what)];
      if (o_.format == event_format::csv) {
        csv_event(out, e, n);
      } else {
        json_event(out, e, n);
      }
      if (e.what == kind::order) {
        ++summary.orders;
        customers_[e.customer].revenue_cents += net_cents(orders_[e.ref]);
      }
      if (e.what == kind::returned) ++summary.returns;
    }
    summary.events = static_cast<std::int64_t>(events_.size());
    summary.customers = o_.customers;
    std::vector<std::int64_t> revenue;
    for (const customer_data& c : customers_) {
      revenue.push_back(c.revenue_cents);
      summary.revenue_cents += c.revenue_cents;
      summary.ordering_customers += c.revenue_cents > 0;
    }
    std::sort(revenue.rbegin(), revenue.rend());
    std::int64_t top = 0;
    for (std::size_t i = 0; i < (revenue.size() + 3) / 4; ++i) top += revenue[i];
    summary.top_quarter_share_bp =
        summary.revenue_cents > 0 ? top * 10'000 / summary.revenue_cents : 0;
  }

  std::size_t size() const noexcept { return events_.size(); }

 private:
  std::int64_t at(std::int32_t day, std::int64_t seconds) const {
    return local_instant(civil_date{day}, duration::seconds(seconds), p_.zone()).micros;
  }

  void add(kind what, std::int64_t when, std::uint32_t customer, std::uint32_t ref = 0,
           std::int32_t a = 0, std::int32_t b = 0) {
    if (when >= end_at_) return;  // after the period: not in the file
    events_.push_back(
        {when, static_cast<std::uint32_t>(events_.size()), what, customer, ref, a, b});
  }

  static std::int64_t tax_cents(std::int64_t total) { return total * 19 / 119; }
  static std::int64_t net_cents(const order_data& o) {
    return o.total_cents - tax_cents(o.total_cents);
  }

  void customer(std::uint32_t c, std::int64_t orders, std::int64_t span_days) {
    const customer_data& cd = customers_[c];
    if (r_.registered != no_index) add(kind::registered, cd.reg_at, c);
    std::vector<std::int64_t> times;
    for (std::int64_t k = 0; k < orders; ++k) {
      const auto day =
          cd.reg_day + static_cast<std::int32_t>(rng_.below(static_cast<std::uint64_t>(span_days)));
      // Shops are busiest in the evening: 8:00 to 22:00, a third of the orders after 18:00.
      const std::int64_t second = rng_.chance(333)
                                      ? 18 * 3600 + static_cast<std::int64_t>(rng_.below(4 * 3600))
                                      : 8 * 3600 + static_cast<std::int64_t>(rng_.below(10 * 3600));
      std::int64_t when = at(day, second);
      if (when <= cd.reg_at)
        when = cd.reg_at + (600 + static_cast<std::int64_t>(rng_.below(3600))) * 1'000'000;
      times.push_back(when);
    }
    std::sort(times.begin(), times.end());
    std::int64_t settled_points = 0;  // a cautious guess of the points earned and active
    std::int64_t redeemed = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> earned;  // (active from, points)
    for (const std::int64_t when : times) {
      const auto index = static_cast<std::uint32_t>(orders_.size());
      order_data o = order(when);
      orders_.push_back(o);
      add(kind::order, when, c, index);
      const std::int64_t window = return_window_days * day_seconds * 1'000'000;
      if (r_.closed != no_index) add(kind::closed, when + window, c, index);
      if (r_.returned != no_index && rng_.chance(40)) {
        const std::int64_t after = (1 + static_cast<std::int64_t>(rng_.below(12))) * day_seconds +
                                   static_cast<std::int64_t>(rng_.below(8 * 3600));
        if (rng_.chance(300)) {
          add(kind::returned, when + after * 1'000'000, c, index, -1, 0);
        } else {
          const auto line = static_cast<std::uint32_t>(rng_.below(o.lines));
          const line_item& li = lines_[o.first_line + line];
          const auto qty = static_cast<std::int32_t>(1 + rng_.below(li.qty));
          add(kind::returned, when + after * 1'000'000, c, index, static_cast<std::int32_t>(line),
              qty);
        }
      }
      if (r_.review != no_index && rng_.chance(80)) {
        static constexpr std::array<std::uint32_t, 5> ratings = {3, 5, 12, 35, 45};
        const std::int64_t after = (3 + static_cast<std::int64_t>(rng_.below(18))) * day_seconds;
        add(kind::review, when + after * 1'000'000, c, index,
            static_cast<std::int32_t>(pick(rng_, ratings) + 1));
      }
      if (r_.share != no_index && rng_.chance(40)) {
        const std::int64_t after = 600 + static_cast<std::int64_t>(rng_.below(2 * day_seconds));
        add(kind::share, when + after * 1'000'000, c, index, 0,
            static_cast<std::int32_t>(rng_.below(networks.size())));
      }
      // Redemptions at checkout, from points the customer surely has: the base points of orders
      // whose return window has closed, less what was redeemed.
      if (r_.redeem_into != nullptr) {
        settled_points = 0;
        for (const auto& [from, points] : earned) {
          if (from <= when) settled_points += points;
        }
        const std::int64_t balance = settled_points - redeemed;
        if (balance >= 1000 && rng_.chance(250)) {
          const std::int64_t amount = balance >= 2000 && rng_.chance(400) ? 1000 : 500;
          add(kind::redeem, when - 60'000'000, c, 0, static_cast<std::int32_t>(amount));
          redeemed += amount;
        }
      }
      earned.emplace_back(when + window, net_cents(o) / 100);
    }
  }

  order_data order(std::int64_t /*when*/) {
    static constexpr std::array<std::uint32_t, 4> line_counts = {45, 30, 15, 10};
    static constexpr std::array<std::uint32_t, 3> quantities = {70, 22, 8};
    static constexpr std::array<std::uint32_t, 4> channels = {45, 35, 15, 5};
    std::array<std::uint32_t, catalogue.size()> weights{};
    for (std::size_t i = 0; i < catalogue.size(); ++i) weights[i] = catalogue[i].weight;
    order_data o;
    o.first_line = static_cast<std::uint32_t>(lines_.size());
    o.lines = static_cast<std::uint16_t>(pick(rng_, line_counts) + 1);
    for (std::uint16_t k = 0; k < o.lines; ++k) {
      line_item li;
      li.product = static_cast<std::uint16_t>(pick(rng_, weights));
      li.qty = static_cast<std::uint16_t>(pick(rng_, quantities) + 1);
      const std::int64_t value = catalogue[li.product].price_cents * li.qty;
      // One line in ten has 10 % off (never on gift cards).
      if (!catalogue[li.product].gift_card && rng_.chance(100)) li.discount_cents = value / 10;
      o.total_cents += value - li.discount_cents;
      lines_.push_back(li);
    }
    o.channel = static_cast<std::uint8_t>(pick(rng_, channels));
    o.coupon = rng_.chance(50);
    return o;
  }

  // ---- writing ----

  std::string id_of(const gen_event& e, std::uint32_t n) const {
    switch (e.what) {
      case kind::registered:
        return fmt::format("REG-{}", customer_name(e.customer));
      case kind::order:
        return fmt::format("INV-{:06}", orders_[e.ref].number);
      case kind::returned:
        return fmt::format("RET-{:06}", n);
      case kind::closed:
        return fmt::format("INV-{:06}/closed", orders_[e.ref].number);
      case kind::review:
        return fmt::format("REV-{:06}", n);
      case kind::share:
        return fmt::format("SHR-{:06}", n);
      case kind::referral:
        return fmt::format("REF-{:06}", n);
      case kind::redeem:
        return fmt::format("RDM-{:06}", n);
    }
    return {};
  }

  std::string customer_name(std::uint32_t c) const { return fmt::format("C{:06}", c + 1); }

  std::uint16_t type_of(kind k) const {
    switch (k) {
      case kind::registered:
        return r_.registered;
      case kind::order:
        return r_.order;
      case kind::returned:
        return r_.returned;
      case kind::closed:
        return r_.closed;
      case kind::review:
        return r_.review;
      case kind::share:
        return r_.share;
      case kind::referral:
        return r_.referral;
      case kind::redeem:
        return no_index;
    }
    return no_index;
  }

  std::string at_text(std::int64_t micros) const {
    const timestamp t{micros};
    const civil_date d = local_date(t, p_.zone());
    const std::int64_t tod = local_time_of_day(t, p_.zone()).micros / 1'000'000;
    const std::int64_t offset = utc_offset(t, p_.zone()).micros / 60'000'000;
    const std::int64_t abs_offset = offset < 0 ? -offset : offset;
    return fmt::format("{}T{:02}:{:02}:{:02}{}{:02}:{:02}", to_string(d), tod / 3600, tod / 60 % 60,
                       tod % 60, offset < 0 ? '-' : '+', abs_offset / 60, abs_offset % 60);
  }

  // A value for field `f` of event `e`, as text; nullopt: left out. `quoted`: JSON string.
  std::optional<std::string> value_of(const gen_event& e, const field_spec& f, bool& quoted) const {
    quoted = false;
    const field_type& t = f.type;
    const std::string_view name = f.name;
    if (e.what == kind::order) {
      const order_data& o = orders_[e.ref];
      const std::int64_t shipping = o.total_cents < 5000 ? 490 : 0;
      if (t.kind == value_kind::decimal) {
        std::int64_t cents = net_cents(o);
        if (name == "gross") cents = o.total_cents + shipping;
        if (name == "tax") cents = tax_cents(o.total_cents);
        if (name == "shipping") cents = shipping;
        return cents_text(cents, t.scale);
      }
      if (name == "coupon" && t.kind == value_kind::string) {
        if (!o.coupon) return std::nullopt;
        quoted = true;
        return std::string("SPRING10");
      }
      if (name == "channel" && t.kind == value_kind::enumeration) {
        static constexpr std::array<std::string_view, 4> names = {"web", "app", "store",
                                                                  "marketplace"};
        return enum_value(t, names[o.channel], o.channel, quoted);
      }
    }
    if (e.what == kind::registered && t.kind == value_kind::date) {
      const customer_data& cd = customers_[e.customer];
      if (name == "birthday") {
        if (!cd.birthday) return std::nullopt;
        quoted = true;
        return to_string(*cd.birthday);
      }
      quoted = true;
      return to_string(civil_date{cd.reg_day});
    }
    if (e.what == kind::review && name == "rating" && t.kind == value_kind::integer) {
      return fmt::format("{}", e.a);
    }
    if (e.what == kind::share && name == "network" && t.kind == value_kind::string) {
      quoted = true;
      return std::string(networks[static_cast<std::size_t>(e.b)]);
    }
    if (e.what == kind::referral && name == "role" && t.kind == value_kind::enumeration) {
      return enum_value(t, e.a == 0 ? "referrer" : "referred", static_cast<std::size_t>(e.a),
                        quoted);
    }
    return default_value(t, e, quoted);
  }

  std::optional<std::string> enum_value(const field_type& t, std::string_view wanted,
                                        std::size_t fallback, bool& quoted) const {
    const auto& values = p_.schema().enums()[t.enum_index].values;
    quoted = true;
    for (const std::string& v : values) {
      if (v == wanted) return v;
    }
    return values[fallback % values.size()];
  }

  // A required field the generator knows nothing about gets a neutral value; an optional one
  // is left out.
  std::optional<std::string> default_value(const field_type& t, const gen_event& e,
                                           bool& quoted) const {
    if (t.optional) return std::nullopt;
    quoted = true;
    switch (t.kind) {
      case value_kind::boolean:
        quoted = false;
        return std::string("false");
      case value_kind::integer:
        quoted = false;
        return std::string("0");
      case value_kind::decimal:
        quoted = false;
        return cents_text(0, t.scale);
      case value_kind::enumeration:
        return p_.schema().enums()[t.enum_index].values.front();
      case value_kind::date:
        return to_string(local_date(timestamp{e.at}, p_.zone()));
      case value_kind::timestamp:
        return at_text(e.at);
      case value_kind::duration:
        return std::string("0s");
      default:
        return std::string();
    }
  }

  std::optional<std::string> line_value(const line_item& li, const field_spec& f,
                                        bool& quoted) const {
    const product& pr = catalogue[li.product];
    quoted = false;
    const std::string_view name = f.name;
    const field_type& t = f.type;
    if (name == "sku" || name == "category") {
      const std::string_view text = name == "sku" ? pr.sku : pr.category;
      if (t.kind == value_kind::enumeration) return enum_value(t, text, 0, quoted);
      quoted = true;
      return std::string(text);
    }
    if (name == "price" && t.kind == value_kind::decimal)
      return cents_text(pr.price_cents, t.scale);
    if (name == "discount" && t.kind == value_kind::decimal) {
      return cents_text(li.discount_cents, t.scale);
    }
    if ((name == "qty" || name == "quantity") && t.kind == value_kind::integer) {
      return fmt::format("{}", li.qty);
    }
    if (name == "gift_card" && t.kind == value_kind::boolean) {
      return std::string(pr.gift_card ? "true" : "false");
    }
    if (t.optional) return std::nullopt;
    switch (t.kind) {
      case value_kind::boolean:
        return std::string("false");
      case value_kind::integer:
        return std::string("0");
      case value_kind::decimal:
        return cents_text(0, t.scale);
      case value_kind::enumeration:
        return enum_value(t, "", 0, quoted);
      default:
        quoted = true;
        return std::string();
    }
  }

  std::string_view original_of(const gen_event& e, std::string& buf) const {
    if (e.what == kind::returned || e.what == kind::closed) {
      buf = fmt::format("INV-{:06}", orders_[e.ref].number);
      return buf;
    }
    return {};
  }

  void json_event(std::string& out, const gen_event& e, std::uint32_t n) {
    const std::uint16_t type = type_of(e.what);
    out += "{\"id\":";
    append_json_string(out, id_of(e, n));
    out += ",\"type\":";
    append_json_string(out, type == no_index ? redeem_type : p_.event_types()[type].id);
    out += ",\"customer\":";
    append_json_string(out, customer_name(e.customer));
    out += ",\"at\":";
    append_json_string(out, at_text(e.at));
    std::string buf;
    if (const std::string_view original = original_of(e, buf); !original.empty()) {
      out += ",\"original\":";
      append_json_string(out, original);
    }
    if (e.what == kind::redeem) {
      out += ",\"point_type\":";
      append_json_string(out, r_.redeem_into->id);
      fmt::format_to(std::back_inserter(out), ",\"amount\":\"{}\"", e.a);
    }
    bool quoted = false;
    for (const field_spec& f : fields_[type == no_index ? 0 : type]) {
      if (type == no_index) break;
      const std::optional<std::string> v = value_of(e, f, quoted);
      if (!v) continue;
      out += ',';
      append_json_string(out, f.name);
      out += ':';
      if (quoted) {
        append_json_string(out, *v);
      } else {
        out += *v;
      }
    }
    if (e.what == kind::order) {
      const order_data& o = orders_[e.ref];
      out += ',';
      append_json_string(out, lines_name_);
      out += ":[";
      for (std::uint32_t k = 0; k < o.lines; ++k) {
        out += k == 0 ? "{" : ",{";
        bool first = true;
        for (const field_spec& f : line_fields_) {
          const std::optional<std::string> v = line_value(lines_[o.first_line + k], f, quoted);
          if (!v) continue;
          if (!first) out += ',';
          first = false;
          append_json_string(out, f.name);
          out += ':';
          if (quoted) {
            append_json_string(out, *v);
          } else {
            out += *v;
          }
        }
        out += '}';
      }
      out += ']';
    }
    if (e.what == kind::returned && e.a >= 0) {
      fmt::format_to(std::back_inserter(out), ",\"returned\":[{{\"line\":{},\"qty\":{}}}]", e.a,
                     e.b);
    }
    out += "}\n";
  }

  // ---- CSV ----

  void csv_header(std::string& out) {
    columns_ = {"id", "type", "customer", "at", "original"};
    for (const kind k : {kind::order, kind::registered, kind::returned, kind::closed, kind::review,
                         kind::share, kind::referral}) {
      const std::uint16_t type = type_of(k);
      if (type == no_index) continue;
      for (const field_spec& f : fields_[type]) {
        if (std::find(columns_.begin(), columns_.end(), f.name) == columns_.end()) {
          columns_.push_back(f.name);
        }
      }
    }
    if (r_.redeem_into != nullptr) {
      for (const char* c : {"point_type", "amount"}) {
        if (std::find(columns_.begin(), columns_.end(), c) == columns_.end()) columns_.push_back(c);
      }
    }
    first_line_column_ = columns_.size();
    for (const field_spec& f : line_fields_) columns_.push_back("line." + f.name);
    if (r_.returned != no_index) {
      columns_.push_back("returned.line");
      columns_.push_back("returned.qty");
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) out += ',';
      csv_cell(out, columns_[i]);
    }
    out += '\n';
    cells_.resize(columns_.size());
  }

  static void csv_cell(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
      out += text;
      return;
    }
    out += '"';
    for (const char c : text) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }

  std::size_t column(std::string_view name) const {
    return static_cast<std::size_t>(std::find(columns_.begin(), columns_.end(), name) -
                                    columns_.begin());
  }

  void csv_row(std::string& out) {
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      if (i > 0) out += ',';
      csv_cell(out, cells_[i]);
    }
    out += '\n';
  }

  void csv_event(std::string& out, const gen_event& e, std::uint32_t n) {
    for (std::string& c : cells_) c.clear();
    const std::uint16_t type = type_of(e.what);
    cells_[0] = id_of(e, n);
    cells_[1] = type == no_index ? std::string(redeem_type) : p_.event_types()[type].id;
    cells_[2] = customer_name(e.customer);
    cells_[3] = at_text(e.at);
    std::string buf;
    cells_[4] = std::string(original_of(e, buf));
    bool quoted = false;
    if (e.what == kind::redeem) {
      cells_[column("point_type")] = r_.redeem_into->id;
      cells_[column("amount")] = fmt::format("{}", e.a);
    } else {
      for (const field_spec& f : fields_[type]) {
        if (const std::optional<std::string> v = value_of(e, f, quoted))
          cells_[column(f.name)] = *v;
      }
    }
    if (e.what == kind::returned && e.a >= 0) {
      cells_[column("returned.line")] = fmt::format("{}", e.a);
      cells_[column("returned.qty")] = fmt::format("{}", e.b);
    }
    if (e.what != kind::order) {
      csv_row(out);
      return;
    }
    // One row per line; the event's own cells on the first row only.
    const order_data& o = orders_[e.ref];
    for (std::uint32_t k = 0; k < o.lines; ++k) {
      if (k > 0) {
        for (std::size_t c = 5; c < first_line_column_; ++c) cells_[c].clear();
      }
      for (std::size_t f = 0; f < line_fields_.size(); ++f) {
        const std::optional<std::string> v =
            line_value(lines_[o.first_line + k], line_fields_[f], quoted);
        cells_[first_line_column_ + f] = v ? *v : std::string();
      }
      csv_row(out);
    }
  }

 public:
  void prepare_fields() {
    fields_.assign(p_.event_types().size(), {});
    for (std::size_t t = 0; t < p_.event_types().size(); ++t) {
      fields_[t] = fields_of(p_, static_cast<std::uint16_t>(t));
    }
    const event_type& order_type = p_.event_types()[r_.order];
    for (const field_decl& f : order_type.schema.fields()) {
      if (f.slot == order_type.lines_slot) lines_name_ = f.path.substr(6);
    }
    for (const auto& [name, type] : order_type.line_record->fields) {
      line_fields_.push_back({name, type});
    }
  }

  void referrals() {
    if (r_.referral == no_index || customers_.size() < 2) return;
    // 4 % of customers came through a referral: at their first order, both sides get an event.
    std::vector<std::int64_t> first_order(customers_.size(), INT64_MAX);
    for (const gen_event& e : events_) {
      if (e.what == kind::order) first_order[e.customer] = std::min(first_order[e.customer], e.at);
    }
    for (std::uint32_t c = 0; c < customers_.size(); ++c) {
      if (!rng_.chance(40) || first_order[c] == INT64_MAX) continue;
      const auto other = static_cast<std::uint32_t>(rng_.below(customers_.size()));
      if (other == c || customers_[other].reg_at >= first_order[c]) continue;
      const std::int64_t when = first_order[c] + 3600 * std::int64_t{1'000'000};
      add(kind::referral, when, other, c, 0);
      add(kind::referral, when, c, other, 1);
    }
  }

 private:
  const program& p_;
  const generator_options& o_;
  const roles& r_;
  random_stream rng_;
  std::int32_t end_day_ = 0;
  std::int64_t end_at_ = 0;
  std::vector<customer_data> customers_;
  std::vector<order_data> orders_;
  std::vector<line_item> lines_;
  std::vector<gen_event> events_;
  std::vector<std::vector<field_spec>> fields_;  // per event type
  std::string lines_name_;
  std::vector<field_spec> line_fields_;
  std::vector<std::string> columns_;
  std::size_t first_line_column_ = 0;
  std::vector<std::string> cells_;
};

}  // namespace

bool generate_events(const program& p, const generator_options& options, std::string& out,
                     generator_summary& summary, std::string& error) {
  const roles r = find_roles(p);
  if (r.order == no_index) {
    error =
        "the program declares no order type (an event type with 'lines:' that returns "
        "nothing): there is nothing to generate";
    return false;
  }
  std::int64_t orders = options.orders;
  if (orders < 0 && options.events >= 0) {
    // Events per order and per customer, in thousandths, as the model below makes them.
    std::int64_t per_order = 1000 + (r.closed != no_index ? 1000 : 0) +
                             (r.returned != no_index ? 40 : 0) + (r.review != no_index ? 80 : 0) +
                             (r.share != no_index ? 40 : 0) + (r.redeem_into != nullptr ? 60 : 0);
    const std::int64_t per_customer =
        (r.registered != no_index ? 1000 : 0) + (r.referral != no_index ? 80 : 0);
    orders = std::max<std::int64_t>(
        0, (options.events * 1000 - options.customers * per_customer) / per_order);
  }
  if (orders < 0) orders = options.customers * 12;
  generator g(p, options, r);
  g.prepare_fields();
  g.build(orders);
  g.referrals();
  g.sort();
  out.clear();
  g.write(out, summary);
  return true;
}

}  // namespace loyalty::cli
