// A flat view of one JSON object, parsed with simdjson, for JWKs, JWS headers and claims.

#ifndef DPOPFLEET_ENGINE_JOSE_JSON_READER_H_
#define DPOPFLEET_ENGINE_JOSE_JSON_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet::internal {

enum class JsonKind { kString, kInteger, kNumber, kBool, kNull, kObject, kArray };

// JsonMember is one member of a parsed object. |text| is the decoded value of a string and
// the minified JSON of an object or array; |integer| is the value of an integer, and of a
// number with a fraction rounded toward zero.
struct JsonMember {
  std::string name;
  JsonKind kind = JsonKind::kNull;
  std::string text;
  std::int64_t integer = 0;
};

// JsonObject is the top-level members of a JSON object in document order.
class JsonObject {
 public:
  // Parse reads |json|, which must be one JSON object with unique member names (RFC 7515
  // section 4 lets a JWS reject duplicates, and accepting them invites confusion between
  // parsers). It returns kOk or kInvalidJson.
  static ErrorCode Parse(std::string_view json, JsonObject* out);

  // Find returns the member called |name|, or null.
  const JsonMember* Find(std::string_view name) const;

  // FindString returns the member called |name| if it is a string, or null.
  const std::string* FindString(std::string_view name) const;

  const std::vector<JsonMember>& members() const { return members_; }

 private:
  std::vector<JsonMember> members_;
};

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_JOSE_JSON_READER_H_
