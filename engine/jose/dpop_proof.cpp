// DPoP proof construction (RFC 9449 section 4.2).

#include "dpopfleet/dpop_proof.h"

#include <algorithm>
#include <array>
#include <memory>
#include <charconv>

#include "dpopfleet/base64url.h"
#include "dpopfleet/json_writer.h"
#include "dpopfleet/jwk.h"

namespace dpopfleet {

std::string AccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(Sha256(access_token));
}

namespace {

// The header's JSON around the two coordinates. The JWK members are in RFC 7638 order, so
// the JWK is byte for byte the one JwkThumbprint hashes.
constexpr std::string_view kHeaderPrefix = R"({"typ":"dpop+jwt","alg":"ES256","jwk":{"crv":"P-256","kty":"EC","x":")";
constexpr std::string_view kHeaderMiddle = R"(","y":")";
constexpr std::string_view kHeaderSuffix = R"("}})";
constexpr std::size_t kCoordinateB64Size = Base64UrlEncodedSize(kP256CoordinateSize);
constexpr std::size_t kHeaderJsonSize =
    kHeaderPrefix.size() + kCoordinateB64Size + kHeaderMiddle.size() + kCoordinateB64Size + kHeaderSuffix.size();
static_assert(Base64UrlEncodedSize(kHeaderJsonSize) == kProofHeaderB64Size);

}  // namespace

void ProofKey::AppendHeaderB64(std::string* out) const {
  // The JSON is assembled on the stack, so a caller whose string has the capacity builds
  // proofs without heap allocation.
  std::array<char, kHeaderJsonSize> json;
  char* cursor = std::copy(kHeaderPrefix.begin(), kHeaderPrefix.end(), json.data());
  cursor += Base64UrlEncode(key_.public_key().x, cursor);
  cursor = std::copy(kHeaderMiddle.begin(), kHeaderMiddle.end(), cursor);
  cursor += Base64UrlEncode(key_.public_key().y, cursor);
  std::copy(kHeaderSuffix.begin(), kHeaderSuffix.end(), cursor);
  Base64UrlAppend(std::string_view(json.data(), json.size()), out);
}

std::string ProofKey::header_b64() const {
  std::string header;
  header.reserve(kProofHeaderB64Size);
  AppendHeaderB64(&header);
  return header;
}

ProofKey::ProofKey(ProofKey&& other) noexcept
    : key_(std::move(other.key_)), thumbprint_(other.thumbprint_.exchange(nullptr)) {}

ProofKey& ProofKey::operator=(ProofKey&& other) noexcept {
  if (this != &other) {
    key_ = std::move(other.key_);
    delete thumbprint_.exchange(other.thumbprint_.exchange(nullptr));
  }
  return *this;
}

ProofKey::~ProofKey() { delete thumbprint_.load(); }

const std::string& ProofKey::thumbprint() const {
  const std::string* cached = thumbprint_.load(std::memory_order_acquire);
  if (cached != nullptr) return *cached;

  // Threads that race here each compute the same value, and the first to publish wins.
  auto computed = std::make_unique<const std::string>(JwkThumbprint(key_.public_key()));
  if (thumbprint_.compare_exchange_strong(cached, computed.get(), std::memory_order_acq_rel)) {
    return *computed.release();
  }
  return *cached;
}

std::size_t ProofBuilder::MaxProofSize(const ProofKey& /*key*/, const ProofRequest& request) {
  // {"jti":"<22>","htm":…,"htu":…,"iat":<at most 20 characters>[,"ath":…][,"nonce":…]}
  constexpr std::size_t kMaxIatDigits = 20;
  std::size_t payload = 8 + Base64UrlEncodedSize(kJtiRandomBytes) + 8 + JsonStringSize(request.htm) +
                        7 + JsonStringSize(request.htu) + 7 + kMaxIatDigits + 1;
  if (!request.ath.empty()) payload += 7 + JsonStringSize(request.ath);
  if (!request.nonce.empty()) payload += 9 + JsonStringSize(request.nonce);
  return kProofHeaderB64Size + 1 + Base64UrlEncodedSize(payload) + 1 +
         Base64UrlEncodedSize(kEs256SignatureSize);
}

ErrorCode ProofBuilder::Build(const ProofKey& key, const ProofRequest& request,
                              std::string* out) const {
  std::array<std::uint8_t, kJtiRandomBytes> jti_bytes;
  if (random_.Fill(jti_bytes) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
  std::int64_t iat = clock_.NowUnixSeconds() + request.clock_offset_seconds;

  // The payload JSON is assembled in a per-thread buffer whose capacity survives between
  // calls, so steady-state proof building does not allocate.
  thread_local std::string payload;
  payload.clear();
  payload.append(R"({"jti":")");
  char jti[Base64UrlEncodedSize(kJtiRandomBytes)];
  payload.append(jti, Base64UrlEncode(jti_bytes, jti));
  payload.append(R"(","htm":)");
  AppendJsonString(request.htm, &payload);
  payload.append(R"(,"htu":)");
  AppendJsonString(request.htu, &payload);
  payload.append(R"(,"iat":)");
  char digits[24];
  payload.append(digits, std::to_chars(digits, digits + sizeof(digits), iat).ptr);
  if (!request.ath.empty()) {
    payload.append(R"(,"ath":)");
    AppendJsonString(request.ath, &payload);
  }
  if (!request.nonce.empty()) {
    payload.append(R"(,"nonce":)");
    AppendJsonString(request.nonce, &payload);
  }
  payload.push_back('}');

  out->clear();
  key.AppendHeaderB64(out);
  out->push_back('.');
  Base64UrlAppend(payload, out);

  Es256Signature signature;
  if (key.key().Sign(*out, &signature) != ErrorCode::kOk) return ErrorCode::kCryptoFailure;
  out->push_back('.');
  Base64UrlAppend(signature, out);
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
