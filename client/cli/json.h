// Json: a minimal JSON value, parser and writer for the CLI's Kafka tool files
// (--reassignment-json-file, --offset-json-file, ...) and its --output json. Objects keep their
// keys in insertion order, so written JSON matches Kafka's tools field for field. Numbers
// without a fraction or exponent that fit in int64 are integers. A plain value; thread-compatible.
#ifndef KARST_CLIENT_CLI_JSON_H_
#define KARST_CLIENT_CLI_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst::cli {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Members = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  static Json Bool(bool value);
  static Json Int(int64_t value);
  static Json Double(double value);
  static Json String(std::string value);
  static Json Array(std::vector<Json> items = {});
  static Json Object(Members members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  // REQUIRES: the matching type.
  bool bool_value() const { return bool_; }
  int64_t int_value() const { return int_; }
  double double_value() const { return double_; }
  const std::string& string_value() const { return string_; }
  const std::vector<Json>& items() const { return items_; }
  const Members& members() const { return members_; }

  // The member `key` of an object, or nullptr (also for a non-object).
  const Json* Find(absl::string_view key) const;
  // REQUIRES: an array. Appends and returns *this for chaining.
  Json& Push(Json item);
  // REQUIRES: an object. Appends a member (keys are not checked for duplicates).
  Json& Set(std::string key, Json value);

  // Compact JSON text: no spaces, strings escaped ("\"", "\\", control characters as \u00XX).
  std::string Dump() const;

 private:
  void DumpTo(std::string& out) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Json> items_;
  Members members_;
};

// Parses one JSON value (RFC 8259) with optional surrounding whitespace. \uXXXX escapes,
// surrogate pairs included, become UTF-8. Errors: kInvalidArgument "line L, column C: <what>"
// (1-based), e.g. "line 2, column 7: expected ',' or '}'", and for a duplicate object key.
absl::StatusOr<Json> ParseJson(absl::string_view text);

// A string as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_JSON_H_
