// Reading a program's event types, budgets, groups and earning rules (docs/rules.md). Check and
// compile phase: raw YAML in, the program's event_types, rules, groups and budgets out.
#pragma once

#include <optional>

#include "loyalty/program.hpp"
#include "schema_reader.hpp"

namespace loyalty {

namespace internal {
/// A field type written in a program ("decimal(2)", "text?", "list<line>", an enum name).
std::optional<field_type> parse_field_type(schema_reader& reader, const raw_node& node,
                                           const loyalty::schema& schema);
/// Where an expression written as the YAML scalar `scalar` starts, so diagnostics point inside it.
expression_origin expression_origin_of(schema_reader& reader, const raw_node& scalar);
}  // namespace internal

class rules_builder {
 public:
  rules_builder(internal::schema_reader& reader, const load_limits& limits, program& out);

  /// `events:`; also sets up what every event type's expressions can read.
  void events(const internal::raw_node* node);
  /// What the program's variables are checked against: the schema plus every event type's
  /// fields (the first declaration of a name wins); each rule is then checked against its own
  /// event type.
  const loyalty::schema& scope() const noexcept { return scope_; }
  void budgets(const internal::raw_node* node);
  void groups(const internal::raw_node* node);
  void rules(const internal::raw_node* node);

 private:
  struct event_keys;
  void event_fields(const internal::raw_node& map, event_type& t, const internal::raw_node*& lines,
                    const internal::raw_node*& quantity, const internal::raw_node*& line_value,
                    const internal::raw_node*& profile, std::vector<std::string>& names,
                    std::vector<field_type>& types);
  void finish_schema(event_type& t, const std::vector<std::string>& names,
                     const std::vector<field_type>& types);
  std::optional<earning_rule> rule(const internal::raw_node& node, std::size_t index);
  std::optional<std::uint16_t> trigger(const internal::raw_node& node, std::string_view what);
  std::uint16_t anniversary_type(const internal::raw_node& field_node, std::string_view what);
  std::unique_ptr<compiled_expression> expression(const internal::raw_node& node,
                                                  const loyalty::schema& s, std::string_view what,
                                                  bool numeric);
  bool clauses(const internal::raw_node* node, const loyalty::schema& s, std::string_view what,
               std::vector<clause>& out);
  std::optional<time_window> window(const internal::raw_node& node, std::string_view what);
  std::optional<cap> one_cap(const internal::raw_node& node, std::string_view what, int scale);
  std::optional<std::int64_t> amount(const internal::raw_node* node, std::string_view what,
                                     int scale);
  std::uint16_t event_type_ref(const internal::raw_node* node, std::string_view what);

  internal::schema_reader& reader_;
  const load_limits& limits_;
  program& out_;
  loyalty::schema scope_;
  std::vector<std::string> declared_;  // event type ids, in order
  // Budgets and groups declared with errors: rules naming them get no second diagnostic.
  std::vector<std::string> broken_budgets_;
  std::vector<std::string> broken_groups_;
};

}  // namespace loyalty
