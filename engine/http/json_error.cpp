#include "dpopfleet/json_error.h"

#include <simdjson.h>

#include <cstdio>

namespace dpopfleet {
namespace {

// ReadOptionalString stores member |name| of |object| in |*out|. A missing member is fine;
// a member of another type returns false.
bool ReadOptionalString(simdjson::ondemand::object& object, std::string_view name,
                        std::string* out) {
  simdjson::ondemand::value value;
  simdjson::error_code error = object[name].get(value);
  if (error == simdjson::NO_SUCH_FIELD) return true;
  if (error != simdjson::SUCCESS) return false;

  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return false;
  out->assign(text);
  return true;
}

}  // namespace

std::string BodyExcerpt(std::string_view body) {
  std::string excerpt;
  std::string_view head = body.substr(0, kBodyExcerptBytes);
  for (char c : head) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      excerpt.push_back(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      excerpt += escaped;
    }
  }
  if (body.size() > head.size()) excerpt += "…";
  return excerpt;
}

Error UnusableBodyError(std::string_view endpoint, long status, std::string_view problem,
                        std::string_view body) {
  return Error(ErrorCode::kInvalidJson,
               "HTTP " + std::to_string(status) + " response from " + std::string(endpoint) +
                   " is unusable: " + std::string(problem) + "; body starts '" +
                   BodyExcerpt(body) + "' (" + std::to_string(body.size()) +
                   " bytes). Check that the URL points at the intended endpoint");
}

Result<OAuthError> ParseOAuthError(std::string_view endpoint, long status,
                                   std::string_view body) {
  // The ondemand parser needs SIMDJSON_PADDING readable bytes after the input. Error bodies
  // are small, so copying costs less than tracking whether the caller's buffer has them.
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    return UnusableBodyError(endpoint, status, "the body is not a JSON object", body);
  }

  OAuthError result;
  std::string_view error;
  if (object["error"].get_string().get(error) != simdjson::SUCCESS) {
    return UnusableBodyError(endpoint, status, "member \"error\" is missing or not a string",
                             body);
  }
  result.error.assign(error);

  if (!ReadOptionalString(object, "error_description", &result.error_description) ||
      !ReadOptionalString(object, "error_uri", &result.error_uri)) {
    return UnusableBodyError(endpoint, status,
                             "member \"error_description\" or \"error_uri\" is not a string",
                             body);
  }
  return result;
}

bool IsUseDpopNonceError(std::string_view body) {
  Result<OAuthError> error = ParseOAuthError("", 400, body);
  return error.ok() && error->error == "use_dpop_nonce";
}

}  // namespace dpopfleet
