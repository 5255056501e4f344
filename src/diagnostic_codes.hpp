// Every diagnostic the library reports, in one table: code, severity, name, title.
// The public catalog (diagnostic_catalog()) and docs/errors.md are checked against this list.
#pragma once

#include <cstdint>
#include <string_view>

#include "loyalty/diagnostic.hpp"

// X(code, severity, enumerator, title)
// clang-format off
#define LOYALTY_DIAGNOSTICS(X)                                                      \
  X(L0001, error, file_unreadable, "file cannot be read")                           \
  X(L0002, error, source_too_large, "source too large")                             \
  X(L0003, error, invalid_utf8, "invalid UTF-8")                                    \
  X(L0004, error, yaml_syntax, "YAML syntax error")                                 \
  X(L0005, error, several_documents, "more than one YAML document")                 \
  X(L0006, error, nesting_too_deep, "nesting too deep")                             \
  X(L0007, error, too_many_nodes, "too many YAML nodes")                            \
  X(L0008, error, unsupported_tag, "unsupported YAML tag")                          \
  X(L0009, error, key_not_text, "mapping key is not plain text")                    \
  X(L0010, error, empty_document, "empty document")                                 \
  X(L0011, error, control_character, "control character")                           \
  X(L0101, error, wrong_kind, "wrong kind of value")                                \
  X(L0102, error, unknown_key, "unknown key")                                       \
  X(L0103, error, missing_key, "missing required key")                              \
  X(L0104, error, duplicate_key, "duplicate key")                                   \
  X(L0105, error, duplicate_id, "duplicate id")                                     \
  X(L0106, error, too_many_items, "too many items")                                 \
  X(L0107, error, value_too_long, "value too long")                                 \
  X(L0108, error, invalid_id, "invalid id")                                         \
  X(L0109, error, invalid_integer, "invalid integer")                               \
  X(L0110, error, invalid_choice, "invalid choice")                                 \
  X(L0111, error, empty_value, "empty value")                                       \
  X(L0112, error, invalid_period, "invalid period")                                 \
  X(L0113, error, invalid_duration, "invalid duration")                             \
  X(L0114, error, invalid_day_of_year, "invalid day of the year")                   \
  X(L0201, error, unknown_time_zone, "unknown time zone")                           \
  X(L0202, error, unknown_currency, "unknown currency")                             \
  X(L0203, error, undeclared_currency, "currency not declared")                     \
  X(L0204, warning, scale_below_minor_unit, "scale below the currency's minor unit")         \
  X(L0205, error, unknown_type, "unknown field type")                                         \
  X(L0206, error, key_not_for_policy, "key does not apply to the policy")                     \
  X(L0207, error, unknown_reference, "unknown reference")                                     \
  X(L0208, error, conflicting_keys, "keys that do not go together")                           \
  X(L0209, error, invalid_time, "invalid date or time")                                       \
  X(L0301, error, expression_syntax, "expression syntax error")                               \
  X(L0302, error, unknown_name, "unknown name")                                               \
  X(L0303, error, type_mismatch, "type mismatch")                                             \
  X(L0304, error, bad_call, "unknown function or wrong arguments")                            \
  X(L0305, error, expression_limit, "expression too large")                                   \
  X(L0306, error, unknown_enum_value, "unknown enum value")                                   \
  X(L0307, warning, unreachable, "unreachable branch")                                        \
  X(L0501, error, test_program_not_loaded, "the program of a test does not load")             \
  X(L0502, error, invalid_diagnostic_code, "invalid diagnostic code")                         \
  X(L0503, error, unknown_event_type, "unknown event type")                                   \
  X(L0504, error, unknown_event_field, "unknown event field")                                 \
  X(L0505, error, invalid_value, "invalid event or profile value")                            \
  X(L0506, error, unknown_rule, "unknown rule")                                               \
  X(L0507, error, unknown_point_type, "unknown point type")                                   \
  X(L0508, error, unknown_budget, "unknown budget")                                           \
  X(L0509, error, unknown_customer_field, "unknown customer field")                           \
  X(L0510, error, invalid_amount, "invalid amount")                                           \
  X(L0511, error, duplicate_case, "duplicate case name")
// clang-format on

namespace loyalty::internal {

enum class diag : std::uint16_t {
#define LOYALTY_DIAG_ENUM(code, sev, name, title) name,
  LOYALTY_DIAGNOSTICS(LOYALTY_DIAG_ENUM)
#undef LOYALTY_DIAG_ENUM
};

/// The catalog entry of `id`.
const diagnostic_info& info(diag id) noexcept;

}  // namespace loyalty::internal
