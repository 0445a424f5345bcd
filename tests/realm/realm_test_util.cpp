// Test helpers shared by the realm's tests.

#include "realm_test_util.h"

#include <curl/curl.h>

#include <chrono>

#include <simdjson.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/jwt.h"
#include "dpopfleet/url.h"

namespace dpopfleet::realm_test {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<HttpResult*>(user)->body.append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    static_cast<HttpResult*>(user)->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

const bool kCurlReady = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;

}  // namespace

std::string HttpResult::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

HttpResult Send(const HttpCall& call, const std::string& ca_file) {
  HttpResult result;
  if (!kCurlReady) {
    result.curl_error = "curl_global_init failed";
    return result;
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  curl_slist* raw_list = nullptr;
  for (const std::string& header : call.headers) raw_list = curl_slist_append(raw_list, header.c_str());
  // An empty Expect keeps curl from waiting for "100 Continue" on larger bodies.
  raw_list = curl_slist_append(raw_list, "Expect:");
  std::unique_ptr<curl_slist, HeaderListDeleter> list(raw_list);

  curl_easy_setopt(curl.get(), CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, call.method.c_str());
  // A HEAD response has a Content-Length but no body, and libcurl waits for that body
  // unless CURLOPT_NOBODY is set.
  if (call.method == "HEAD") curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  if (call.method == "POST" || !call.body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (!ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());

  CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    result.curl_error = curl_easy_strerror(code);
    return result;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

std::string BasicAuthorization(std::string_view client_id, std::string_view secret) {
  std::string encoded = Base64UrlEncode(std::string(client_id) + ":" + std::string(secret));
  for (char& c : encoded) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (encoded.size() % 4 != 0) encoded.push_back('=');
  return "Authorization: Basic " + encoded;
}

std::string MakeJws(const P256Key& key, std::string_view header_json, std::string_view payload_json) {
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  Es256Signature signature{};
  EXPECT_EQ(key.Sign(input, &signature), ErrorCode::kOk);
  return input + "." + Base64UrlEncode(signature);
}

std::optional<std::string> JsonStringMember(const std::string& json, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view value;
  if (parser.parse(json).get(root) || root[name].get(value)) return std::nullopt;
  return std::string(value);
}

std::optional<std::int64_t> JsonIntMember(const std::string& json, const char* pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::int64_t value = 0;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(value)) return std::nullopt;
  return value;
}

std::string DecodePayload(const std::string& jwt) {
  Result<DecodedJwt> decoded = DecodeJwt(jwt);
  return decoded ? decoded->payload_json : std::string();
}

ProofKey NewProofKey() {
  Result<P256Key> key = P256Key::Generate();
  if (!key) throw std::runtime_error(key.error().ToString());
  return ProofKey::Create(std::move(*key));
}

RealmTest::RealmTest()
    : clock_(std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()),
      key_(NewProofKey()) {}

void RealmTest::StartRealm(RealmOptions options) {
  options.clock = &clock_;
  options.static_clients.push_back({kClientId, kSecret, false, "agent agent:read"});
  options.static_clients.push_back({kDpopClientId, kSecret, true, "agent"});
  if (options.threads == 0) options.threads = 2;
  auto started = Realm::Start(std::move(options));
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  realm_ = std::move(*started);
}

std::string RealmTest::Proof(const ProofKey& key, std::string_view method, std::string_view url,
                             std::string_view access_token, std::string_view nonce) const {
  Result<std::string> htu = NormalizeHtu(url);
  EXPECT_TRUE(htu.ok());
  std::string ath = access_token.empty() ? std::string() : AccessTokenHash(access_token);
  ProofRequest request;
  request.htm = method;
  request.htu = *htu;
  request.ath = ath;
  request.nonce = nonce;
  std::string proof;
  EXPECT_EQ(ProofBuilder(clock_).Build(key, request, &proof), ErrorCode::kOk);
  return proof;
}

HttpCall RealmTest::TokenCall(std::string_view client_id, const std::string& proof) const {
  HttpCall call{"POST", TokenUrl(), {BasicAuthorization(client_id, kSecret),
                                     "Content-Type: application/x-www-form-urlencoded"},
                "grant_type=client_credentials"};
  if (!proof.empty()) call.headers.push_back("DPoP: " + proof);
  return call;
}

std::string RealmTest::FetchDpopToken(const ProofKey& key) {
  HttpResult result = Send(TokenCall(kClientId, Proof(key, "POST", TokenUrl())));
  EXPECT_EQ(result.status, 200) << result.body << result.curl_error;
  return JsonStringMember(result.body, "access_token").value_or("");
}

HttpCall RealmTest::WhoamiCall(const ProofKey& key, const std::string& token) const {
  return HttpCall{"GET", WhoamiUrl(),
                  {"Authorization: DPoP " + token, "DPoP: " + Proof(key, "GET", WhoamiUrl(), token)},
                  ""};
}

}  // namespace dpopfleet::realm_test
