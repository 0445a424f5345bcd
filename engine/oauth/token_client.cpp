// Token requests and the checks on their responses.

#include "dpopfleet/oauth_token.h"

#include <algorithm>

#include "dpopfleet/jwt.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/url.h"

namespace dpopfleet {
namespace {

constexpr std::size_t kShortTokenLength = 16;

// kMaxExpiresIn caps a reported lifetime (ten years) so expiry arithmetic cannot overflow.
constexpr std::int64_t kMaxExpiresIn = 10LL * 365 * 24 * 3600;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

RequestFactory MakeTokenRequestFactory(TokenRequestSpec spec) {
  std::vector<std::pair<std::string_view, std::string_view>> fields{{"grant_type", "client_credentials"}};
  if (!spec.scope.empty()) fields.emplace_back("scope", spec.scope);
  std::string body = FormBody(fields);
  std::string authorization = BasicAuthorization(spec.credentials);
  auto htu = NormalizeHtu(spec.token_endpoint);

  return [spec = std::move(spec), body = std::move(body), authorization = std::move(authorization),
          htu = std::move(htu)](const AttemptContext& context) -> Result<HttpRequest> {
    HttpRequest request;
    request.method = "POST";
    request.url = spec.token_endpoint;
    request.body = body;
    request.headers = {{"Authorization", authorization},
                       {"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    if (spec.key == nullptr) return request;

    if (!htu.ok()) return htu.error();
    bool presigned_usable = context.attempt == 1 && context.nonce == spec.presigned_nonce &&
                            !spec.presigned_proof.empty() &&
                            spec.clock->NowUnixMillis() - spec.presigned_at_millis < kPresignedProofMaxAgeMillis;
    if (presigned_usable) {
      request.headers.push_back({"DPoP", spec.presigned_proof});
      return request;
    }

    ProofRequest proof_request{"POST", *htu, {}, context.nonce, context.clock_offset_seconds};
    std::string proof;
    ErrorCode signed_ok = spec.builder->Build(*spec.key, proof_request, &proof);
    if (signed_ok != ErrorCode::kOk) {
      return Error(signed_ok, "signing the DPoP proof for " + spec.token_endpoint + " failed");
    }
    request.headers.push_back({"DPoP", std::move(proof)});
    return request;
  };
}

std::string DecodeTokenClaims(std::string_view access_token) {
  auto jwt = DecodeJwt(access_token);
  return jwt.ok() ? jwt->payload_json : std::string();
}

Result<TokenResponse> ParseTokenResponse(const HttpResponse& response, const TokenExpectations& expected,
                                         std::string_view token_endpoint) {
  if (response.status < 200 || response.status >= 300) return StatusError(response, "token", token_endpoint);

  auto fields = JsonFields::Parse(response.body, "token response");
  if (!fields.ok()) return fields.error();

  TokenResponse token;
  token.access_token = fields->String("access_token").value_or("");
  token.token_type = fields->String("token_type").value_or("");
  if (token.access_token.empty() || token.token_type.empty()) {
    return Error(ErrorCode::kProtocolError, "token response from " + std::string(token_endpoint) +
                                                " lacks access_token or token_type (RFC 6749 section 5.1)");
  }
  token.scope = fields->String("scope").value_or("");
  token.expires_in = std::clamp<std::int64_t>(fields->Int("expires_in").value_or(0), 0, kMaxExpiresIn);

  // token_type is case-insensitive (RFC 6749 section 5.1).
  bool proof_sent = !expected.thumbprint.empty();
  if (proof_sent && !EqualsIgnoreCase(token.token_type, "DPoP") &&
      !(expected.allow_bearer && EqualsIgnoreCase(token.token_type, "Bearer"))) {
    return Error(ErrorCode::kProtocolError,
                 "token endpoint " + std::string(token_endpoint) + " answered a DPoP request with token_type '" +
                     token.token_type + "', so the token is not bound to the agent's key; pass "
                     "--allow-bearer to accept Bearer tokens");
  }

  // The claims are read without verifying the signature: the client only checks that the
  // server bound the token to the key it proved, and the resource server verifies the rest.
  token.claims_json = DecodeTokenClaims(token.access_token);
  if (!token.claims_json.empty()) {
    auto claims = JsonFields::Parse(token.claims_json, "access token claims");
    auto cnf = claims.ok() ? claims->Object("cnf") : std::nullopt;
    if (cnf) token.cnf_jkt = cnf->String("jkt").value_or("");
  }
  if (proof_sent && !token.cnf_jkt.empty() && token.cnf_jkt != expected.thumbprint) {
    return Error(ErrorCode::kProtocolError, "access token from " + std::string(token_endpoint) +
                                                " is bound to key thumbprint " + token.cnf_jkt +
                                                " but the proof used " + std::string(expected.thumbprint) +
                                                "; the server bound it to another key");
  }
  return token;
}

Result<TokenResponse> RequestToken(Transport& transport, const TokenRequestSpec& spec, bool allow_bearer,
                                   RequestOptions options) {
  TransferResult result = transport.Submit(MakeTokenRequestFactory(spec), options).get();
  if (result.error) return *result.error;
  if (!result.response) return Error(ErrorCode::kInternal, "token request ended without a response");
  TokenExpectations expected{spec.key != nullptr ? std::string_view(spec.key->thumbprint()) : std::string_view(),
                             allow_bearer};
  return ParseTokenResponse(*result.response, expected, spec.token_endpoint);
}

std::string ShortenToken(std::string_view token) {
  if (token.size() <= kShortTokenLength) return std::string(token.substr(0, token.size() / 2)) + "…";
  return std::string(token.substr(0, kShortTokenLength)) + "…";
}

}  // namespace dpopfleet
