// JsonFields over simdjson's DOM parser.

#include "dpopfleet/oauth_json.h"

#include <simdjson.h>

namespace dpopfleet {

struct JsonFields::Node {
  std::shared_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element element;
};

namespace {

constexpr std::size_t kRawBodyPrefix = 200;

}  // namespace

Result<JsonFields> JsonFields::Parse(std::string_view json, std::string_view what) {
  auto parser = std::make_shared<simdjson::dom::parser>();
  simdjson::dom::element root;
  auto error = parser->parse(json.data(), json.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return Error(ErrorCode::kInvalidJson, std::string(what) + " is not valid JSON (" +
                                              simdjson::error_message(error) + ")");
  }
  if (!root.is_object()) {
    return Error(ErrorCode::kInvalidJson, std::string(what) + " is JSON but not an object");
  }
  return JsonFields(std::make_shared<const Node>(Node{std::move(parser), root}));
}

std::optional<std::string> JsonFields::String(std::string_view name) const {
  std::string_view value;
  if (node_->element[name].get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

std::optional<std::int64_t> JsonFields::Int(std::string_view name) const {
  auto member = node_->element[name];
  std::int64_t value = 0;
  if (member.get_int64().get(value) == simdjson::SUCCESS) return value;

  // Some servers send integral values as floats, such as "expires_in": 3600.0.
  // The range check comes first because converting an out-of-range double is undefined.
  double real = 0;
  if (member.get_double().get(real) != simdjson::SUCCESS) return std::nullopt;
  if (!(real > -9.2e18 && real < 9.2e18)) return std::nullopt;
  if (real == static_cast<double>(static_cast<std::int64_t>(real))) return static_cast<std::int64_t>(real);
  return std::nullopt;
}

std::optional<bool> JsonFields::Bool(std::string_view name) const {
  bool value = false;
  if (node_->element[name].get_bool().get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

std::optional<std::vector<std::string>> JsonFields::StringArray(std::string_view name) const {
  simdjson::dom::array array;
  if (node_->element[name].get_array().get(array) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> values;
  for (simdjson::dom::element item : array) {
    std::string_view text;
    if (item.get_string().get(text) == simdjson::SUCCESS) values.emplace_back(text);
  }
  return values;
}

std::optional<JsonFields> JsonFields::Object(std::string_view name) const {
  simdjson::dom::object object;
  auto member = node_->element[name];
  if (member.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  return JsonFields(std::make_shared<const Node>(Node{node_->parser, member.value_unsafe()}));
}

bool JsonFields::Has(std::string_view name) const {
  return node_->element[name].error() == simdjson::SUCCESS;
}

std::string JsonFields::Text() const { return simdjson::minify(node_->element); }

std::string OAuthErrorMessage(std::string_view body) {
  auto fields = JsonFields::Parse(body, "error response");
  if (fields.ok()) {
    auto error = fields->String("error");
    if (error) {
      auto description = fields->String("error_description");
      return description ? *error + ": " + *description : *error;
    }
  }
  std::string prefix(body.substr(0, kRawBodyPrefix));
  if (body.size() > kRawBodyPrefix) prefix += "…";
  return prefix.empty() ? "(empty body)" : prefix;
}

}  // namespace dpopfleet
