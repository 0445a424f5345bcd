// JsonObject over simdjson's DOM parser.

#include "json_reader.h"

#include <simdjson.h>

#include <cmath>
#include <limits>

namespace dpopfleet::internal {
namespace {

bool ReadValue(simdjson::dom::element value, JsonMember* member) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      member->kind = JsonKind::kString;
      member->text = std::string(value.get_string().value_unsafe());
      return true;
    case simdjson::dom::element_type::INT64:
      member->kind = JsonKind::kInteger;
      member->integer = value.get_int64().value_unsafe();
      return true;
    case simdjson::dom::element_type::UINT64:
      // Only values above INT64_MAX are stored as UINT64; clamp them.
      member->kind = JsonKind::kNumber;
      member->integer = std::numeric_limits<std::int64_t>::max();
      return true;
    case simdjson::dom::element_type::DOUBLE: {
      double number = value.get_double().value_unsafe();
      member->kind = JsonKind::kNumber;
      if (std::fabs(number) < 9.2e18) {
        member->integer = static_cast<std::int64_t>(number);
      } else {
        member->integer = number < 0 ? std::numeric_limits<std::int64_t>::min()
                                     : std::numeric_limits<std::int64_t>::max();
      }
      return true;
    }
    case simdjson::dom::element_type::BOOL:
      member->kind = JsonKind::kBool;
      member->integer = value.get_bool().value_unsafe() ? 1 : 0;
      return true;
    case simdjson::dom::element_type::NULL_VALUE:
      member->kind = JsonKind::kNull;
      return true;
    case simdjson::dom::element_type::OBJECT:
      member->kind = JsonKind::kObject;
      member->text = simdjson::minify(value);
      return true;
    case simdjson::dom::element_type::ARRAY:
      member->kind = JsonKind::kArray;
      member->text = simdjson::minify(value);
      return true;
  }
  return false;
}

}  // namespace

ErrorCode JsonObject::Parse(std::string_view json, JsonObject* out) {
  // A parser keeps its buffers between documents; one per thread makes reuse safe.
  thread_local simdjson::dom::parser parser;
  out->members_.clear();

  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), true).get(root) != simdjson::SUCCESS) {
    return ErrorCode::kInvalidJson;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return ErrorCode::kInvalidJson;

  for (simdjson::dom::key_value_pair field : object) {
    if (out->Find(field.key) != nullptr) return ErrorCode::kInvalidJson;
    JsonMember member;
    member.name = std::string(field.key);
    if (!ReadValue(field.value, &member)) return ErrorCode::kInvalidJson;
    out->members_.push_back(std::move(member));
  }
  return ErrorCode::kOk;
}

const JsonMember* JsonObject::Find(std::string_view name) const {
  for (const JsonMember& member : members_) {
    if (member.name == name) return &member;
  }
  return nullptr;
}

const std::string* JsonObject::FindString(std::string_view name) const {
  const JsonMember* member = Find(name);
  return member && member->kind == JsonKind::kString ? &member->text : nullptr;
}

}  // namespace dpopfleet::internal
