#include "peer_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include <simdjson.h>

namespace dpopfleet::interop {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kNotFound,
                 "cannot read " + path + "; the interop peer fixture (peer_start.sh) writes it, "
                 "so run the tests through ctest -L interop");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);

  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return size * count;  // status line or the blank line after the headers
  }
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * count;
}

ErrorCode CurlErrorCode(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return ErrorCode::kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorCode::kTimedOut;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return ErrorCode::kTlsFailure;
    default:
      return ErrorCode::kProtocolError;
  }
}

// Lookup parses |json| and returns the element at |pointer|, or an error.
simdjson::simdjson_result<simdjson::dom::element> Lookup(simdjson::dom::parser& parser,
                                                          std::string_view json,
                                                          std::string_view pointer) {
  return parser.parse(simdjson::padded_string(json)).at_pointer(pointer);
}

}  // namespace

Result<Peer> LoadPeer(std::string_view name) {
  const char* root = std::getenv("DPOPFLEET_INTEROP_PEERS");
  if (root == nullptr || *root == '\0') {
    return Error(ErrorCode::kNotFound,
                 "DPOPFLEET_INTEROP_PEERS is not set; run the interop tests through "
                 "ctest -L interop, which starts the peers and sets it");
  }
  std::string folder = std::string(root) + "/" + std::string(name);

  Result<std::string> ready = ReadFile(folder + "/ready.json");
  if (!ready.ok()) return ready.error();

  Peer peer;
  peer.ca_path = folder + "/ca.pem";
  std::optional<std::string> http = JsonString(*ready, "/http/issuer");
  std::optional<std::string> https = JsonString(*ready, "/https/issuer");
  std::optional<std::string> jwt = JsonString(*ready, "/resources/jwt");
  std::optional<std::string> opaque = JsonString(*ready, "/resources/opaque");
  if (!http || !https || !jwt || !opaque) {
    return Error(ErrorCode::kInvalidJson,
                 folder + "/ready.json lacks http.issuer, https.issuer or resources; restart the "
                 "peer with peer_start.sh, which passes --tls-cert and --tls-key");
  }
  peer.http_issuer = *http;
  peer.https_issuer = *https;
  peer.jwt_resource = *jwt;
  peer.opaque_resource = *opaque;

  for (const char* id : {"dpop-jwt", "dpop-opaque", "bearer"}) {
    std::optional<std::string> secret =
        JsonString(*ready, "/clients/" + std::string(id) + "/client_secret");
    if (!secret) {
      return Error(ErrorCode::kInvalidJson,
                   folder + "/ready.json has no client " + id + "; peer.mjs registers it");
    }
    peer.clients[id] = PeerClient{id, *secret};
  }
  return peer;
}

Result<HttpResponse> Send(const HttpRequest& request) {
  CurlEasy curl(curl_easy_init());
  if (!curl) return Error(ErrorCode::kInternal, "curl_easy_init failed");

  HttpResponse response;
  curl_slist* header_list = nullptr;
  for (const std::string& header : request.headers) {
    curl_slist* appended = curl_slist_append(header_list, header.c_str());
    if (appended == nullptr) {
      curl_slist_free_all(header_list);
      return Error(ErrorCode::kInternal, "curl_slist_append failed");
    }
    header_list = appended;
  }
  CurlSlist headers(header_list);

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 20'000L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response.headers);
  if (!request.ca_path.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, request.ca_path.c_str());

  if (request.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.form_body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.form_body.size()));
  } else if (request.method != "GET") {
    return Error(ErrorCode::kInvalidArgument,
                 "HTTP method " + request.method + " is not supported here; use GET or POST");
  }
  if (request.basic_auth) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(handle, CURLOPT_USERNAME, request.basic_auth->id.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, request.basic_auth->secret.c_str());
  }

  CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    return Error(CurlErrorCode(code), request.method + " " + request.url + " failed: " +
                                          curl_easy_strerror(code) +
                                          "; check that the interop peer fixture is running");
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string FormEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::optional<std::string> JsonString(std::string_view json, std::string_view pointer) {
  simdjson::dom::parser parser;
  std::string_view value;
  if (Lookup(parser, json, pointer).get_string().get(value) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return std::string(value);
}

std::optional<bool> JsonBool(std::string_view json, std::string_view pointer) {
  simdjson::dom::parser parser;
  bool value = false;
  if (Lookup(parser, json, pointer).get_bool().get(value) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> JsonRaw(std::string_view json, std::string_view pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (Lookup(parser, json, pointer).get(element) != simdjson::SUCCESS) return std::nullopt;
  return simdjson::minify(element);
}

std::string ShortToken(std::string_view token) {
  constexpr size_t kShownCharacters = 12;
  if (token.size() <= kShownCharacters) return std::string(token);
  return std::string(token.substr(0, kShownCharacters)) + "…";
}

}  // namespace dpopfleet::interop
