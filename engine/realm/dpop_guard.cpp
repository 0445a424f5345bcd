// DPoP validation and nonce rotation.

#include "dpop_guard.h"

#include <array>

#include <spdlog/spdlog.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/crypto.h"

namespace dpopfleet::realm {
namespace {

std::string NewNonce() {
  std::array<std::uint8_t, 16> bytes{};
  // A failed draw leaves zeros; the nonce then still works but is predictable, so log it.
  if (RandomBytes(bytes) != ErrorCode::kOk) spdlog::error("realm: random nonce generation failed");
  return Base64UrlEncode(bytes);
}

// QuoteForChallenge makes |text| safe inside a quoted-string of WWW-Authenticate.
std::string QuoteForChallenge(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\'');
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

NonceSchedule::NonceSchedule(int rotation_seconds, int grace_seconds, const Clock& clock)
    : rotation_seconds_(rotation_seconds), grace_seconds_(grace_seconds), clock_(clock) {
  current_ = NewNonce();
  rotated_at_ = clock_.NowUnixSeconds();
}

void NonceSchedule::RotateIfDueLocked(std::int64_t now) {
  if (rotation_seconds_ <= 0 || now < rotated_at_ + rotation_seconds_) return;
  previous_ = std::move(current_);
  current_ = NewNonce();
  rotated_at_ = now;
}

std::string NonceSchedule::Current() {
  std::lock_guard lock(mutex_);
  RotateIfDueLocked(clock_.NowUnixSeconds());
  return current_;
}

std::vector<std::string> NonceSchedule::Accepted() {
  std::lock_guard lock(mutex_);
  std::int64_t now = clock_.NowUnixSeconds();
  RotateIfDueLocked(now);
  std::vector<std::string> accepted = {current_};
  if (!previous_.empty() && now < rotated_at_ + grace_seconds_) accepted.push_back(previous_);
  return accepted;
}

DpopGuard::DpopGuard(const RealmOptions& options, LiveCounters& counters)
    : options_(options),
      counters_(counters),
      replay_cache_(options.iat_max_age_seconds + options.iat_max_future_seconds +
                    2 * options.clock_skew_seconds),
      token_nonces_(options.nonce_rotation_seconds, options.nonce_grace_seconds, *options.clock),
      resource_nonces_(options.nonce_rotation_seconds, options.nonce_grace_seconds,
                       *options.clock) {}

std::string DpopGuard::RequestUrl(const HttpExchange& exchange) {
  const std::string* host = exchange.Header("host");
  if (host == nullptr || host->empty()) return "";
  std::string scheme = exchange.scheme;
  // Behind a TLS front such as nghttpx the client's scheme is the front's. Only a loopback
  // peer may set X-Forwarded-Proto, because anyone else could claim any scheme.
  const std::string* forwarded = exchange.Header("x-forwarded-proto");
  if (forwarded != nullptr && exchange.peer_is_loopback && (*forwarded == "https" || *forwarded == "http")) {
    scheme = *forwarded;
  }
  return scheme + "://" + *host + exchange.path;
}

HttpReply DpopGuard::Reject(DpopUse use, ErrorCode code, const std::string& message) {
  bool nonce_problem = code == ErrorCode::kProofNonceMissing || code == ErrorCode::kProofNonceInvalid;
  std::string error = nonce_problem ? "use_dpop_nonce" : "invalid_dpop_proof";
  std::string description = std::string(ErrorCodeName(code)) + ": " + message;
  int status = use == DpopUse::kTokenEndpoint ? 400 : 401;

  HttpReply reply = ErrorReply(status, error, description, ErrorCodeName(code));
  if (use == DpopUse::kResource) {
    reply.AddHeader("WWW-Authenticate", "DPoP error=\"" + error + "\", error_description=\"" +
                                            QuoteForChallenge(description) + "\", algs=\"ES256\"");
  }
  if (nonce_problem) {
    counters_.nonce_challenges.fetch_add(1, std::memory_order_relaxed);
    reply.AddHeader("DPoP-Nonce", Nonces(use).Current());
  }
  return reply;
}

bool DpopGuard::Check(const HttpExchange& exchange, DpopUse use, std::string_view access_token,
                      VerifiedProof* proof, HttpReply* rejection,
                      std::string_view bound_thumbprint) {
  int header_count = exchange.HeaderCount("dpop");
  if (header_count != 1) {
    ErrorCode code = header_count == 0 ? ErrorCode::kProofMalformed : ErrorCode::kProofMultipleHeaders;
    *rejection = Reject(use, code,
                        "the request carries " + std::to_string(header_count) +
                            " DPoP headers; send exactly one DPoP proof");
    return false;
  }
  std::string url = RequestUrl(exchange);
  if (url.empty()) {
    *rejection = ErrorReply(400, "invalid_request", "the Host header is missing; send one",
                            "missing_host");
    return false;
  }

  std::vector<std::string> nonces;
  std::vector<std::string_view> nonce_views;
  if (options_.require_nonce) {
    nonces = Nonces(use).Accepted();
    nonce_views.assign(nonces.begin(), nonces.end());
  }

  ProofExpectations expected;
  expected.htm = exchange.method;
  expected.htu = url;
  expected.now_unix_seconds = options_.clock->NowUnixSeconds();
  expected.max_age_seconds = options_.iat_max_age_seconds + options_.clock_skew_seconds;
  expected.max_future_seconds = options_.iat_max_future_seconds + options_.clock_skew_seconds;
  expected.access_token = access_token;
  expected.require_ath = use == DpopUse::kResource;
  expected.accepted_nonces = nonce_views;

  Result<VerifiedProof> verified = VerifyProof(*exchange.Header("dpop"), expected);
  if (!verified) {
    *rejection = Reject(use, verified.error().code(), verified.error().message());
    return false;
  }
  if (!bound_thumbprint.empty() && verified->thumbprint != bound_thumbprint) {
    *rejection = ErrorReply(401, "invalid_dpop_proof",
                            "the proof's key thumbprint does not match the token's cnf.jkt; sign "
                            "proofs with the key the token was bound to",
                            "proof_key_mismatch");
    rejection->AddHeader("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\", algs=\"ES256\"");
    return false;
  }

  ErrorCode replay = replay_cache_.CheckAndInsert(verified->thumbprint, verified->jti,
                                                  expected.now_unix_seconds);
  if (replay == ErrorCode::kOutOfRange) {
    // Accepting the proof unrecorded would allow its replay, so the realm fails closed. The
    // rejection log line and counter record each rejection.
    *rejection = ErrorReply(503, "temporarily_unavailable",
                            "the DPoP replay cache holds " +
                                std::to_string(replay_cache_.max_entries()) +
                                " unexpired proofs; retry with a new proof later",
                            "replay_cache_full");
    rejection->AddHeader("Retry-After", "1");
    return false;
  }
  if (replay != ErrorCode::kOk) {
    *rejection = Reject(use, ErrorCode::kProofReplayed,
                        "jti '" + verified->jti + "' was already used with this key; " +
                            "make a new proof for every request");
    return false;
  }
  *proof = std::move(*verified);
  return true;
}

void DpopGuard::AddNonce(DpopUse use, HttpReply* reply) {
  if (options_.require_nonce) reply->AddHeader("DPoP-Nonce", Nonces(use).Current());
}

}  // namespace dpopfleet::realm
