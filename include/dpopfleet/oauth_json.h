// Reading JSON documents from servers: OAuth responses, discovery documents, decoded token
// claims and credential files.

#ifndef DPOPFLEET_OAUTH_JSON_H_
#define DPOPFLEET_OAUTH_JSON_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet {

// JsonFields is a parsed JSON object with typed, optional member access. Members of the wrong
// type read as absent, so a server that sends "expires_in":"3600" gets the same treatment
// as one that omits it. Copies share the parsed document. A JsonFields may be read from many
// threads at once.
class JsonFields {
 public:
  // Parse parses |json|, which must be an object. It fails with kInvalidJson naming
  // |what| (such as "token response") when the text is not a JSON object.
  static Result<JsonFields> Parse(std::string_view json, std::string_view what);

  // String returns the member |name| if it is a string.
  std::optional<std::string> String(std::string_view name) const;

  // Int returns the member |name| if it is an integer (or a float with an integral value).
  std::optional<std::int64_t> Int(std::string_view name) const;

  // Bool returns the member |name| if it is true or false.
  std::optional<bool> Bool(std::string_view name) const;

  // StringArray returns the string elements of the array |name|; non-strings are skipped.
  std::optional<std::vector<std::string>> StringArray(std::string_view name) const;

  // Object returns the member |name| if it is an object.
  std::optional<JsonFields> Object(std::string_view name) const;

  // Has returns whether the member |name| exists, whatever its type.
  bool Has(std::string_view name) const;

  // Text returns the object serialised again (minified).
  std::string Text() const;

  // Node is a parsed element together with the parser that owns its storage.
  struct Node;

 private:
  explicit JsonFields(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  std::shared_ptr<const Node> node_;
};

// OAuthErrorMessage returns "<error>: <error_description>" from an OAuth error body
// (RFC 6749 section 5.2), or a prefix of the raw body when it is not one.
std::string OAuthErrorMessage(std::string_view body);

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_JSON_H_
