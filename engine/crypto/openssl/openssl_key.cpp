// OpenSSL 3 backend of P256Key: generation, import, export and ES256 signing.

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstring>

#include "der_signature.h"
#include "openssl/openssl_handles.h"

namespace dpopfleet {

// Handle owns the key and a signing context initialised for it. Creating and initialising
// an EVP_PKEY_CTX for every signature costs about as much as the hashing and encoding of a
// whole proof, so the first signer to find the context free uses it; a concurrent signer
// on the same key falls back to a context of its own.
struct P256Key::Handle {
  explicit Handle(internal::EvpPkeyPtr key) : pkey(std::move(key)) {}

  internal::EvpPkeyPtr pkey;
  mutable internal::EvpPkeyCtxPtr sign_ctx;  // created on first use, guarded by sign_ctx_busy
  mutable std::atomic_flag sign_ctx_busy;
};

namespace {

using internal::DrainOpenSslErrors;

Error KeyError(ErrorCode code, const std::string& failure) {
  return Error(code, failure + " (OpenSSL: " + DrainOpenSslErrors() + ")");
}

bool ReadPublicPoint(const EVP_PKEY* pkey, P256PublicKey* out) {
  internal::UncompressedPoint point;
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                      &length) <= 0) {
    return false;
  }
  return internal::DecodePoint(std::span(point.data(), length), out);
}

bool IsP256(const EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return false;
  char group[64];
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &length) <= 0) {
    return false;
  }
  std::string_view name(group, length);
  return name == "prime256v1" || name == "P-256";
}

ErrorCode SignDigest(EVP_PKEY_CTX* ctx, const Sha256Digest& digest, Es256Signature* out) {
  std::array<std::uint8_t, internal::kMaxDerSignatureSize> der;
  std::size_t der_size = der.size();
  if (EVP_PKEY_sign(ctx, der.data(), &der_size, digest.data(), digest.size()) <= 0) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return internal::DerToRawSignature(std::span(der.data(), der_size), out)
             ? ErrorCode::kOk
             : ErrorCode::kCryptoFailure;
}

internal::EvpPkeyCtxPtr NewSignContext(EVP_PKEY* pkey) {
  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

// PasswordRefused stops PEM_read_bio_PrivateKey from prompting on the terminal for an
// encrypted key; encrypted keys are not supported.
int PasswordRefused(char*, int, int, void*) { return -1; }

}  // namespace

P256Key::P256Key(std::unique_ptr<Handle> handle, const P256PublicKey& public_key)
    : handle_(std::move(handle)), public_key_(public_key) {}
P256Key::P256Key(P256Key&& other) noexcept = default;
P256Key& P256Key::operator=(P256Key&& other) noexcept = default;
P256Key::~P256Key() = default;

Result<P256Key> P256Key::Generate() {
  // One initialised key-generation context per thread: a fresh context per key halves the
  // generation rate.
  thread_local internal::EvpPkeyCtxPtr keygen_ctx = [] {
    internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (ctx && (EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
                EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") <= 0)) {
      ctx.reset();
    }
    return ctx;
  }();
  if (!keygen_ctx) return KeyError(ErrorCode::kCryptoFailure, "cannot set up P-256 key generation");

  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(keygen_ctx.get(), &raw) <= 0) {
    return KeyError(ErrorCode::kCryptoFailure, "P-256 key generation failed");
  }
  internal::EvpPkeyPtr pkey(raw);

  P256PublicKey public_key;
  if (!ReadPublicPoint(pkey.get(), &public_key)) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot read the generated public point");
  }
  return P256Key(std::make_unique<Handle>(std::move(pkey)), public_key);
}

Result<P256Key> P256Key::FromPrivateScalar(std::span<const std::uint8_t> d) {
  if (!internal::IsValidP256Scalar(d)) {
    return Error(ErrorCode::kInvalidKey,
                 "the private scalar (" + std::to_string(d.size()) +
                     " bytes) is not a 32-byte value in [1, n-1]; supply a P-256 private key");
  }

  internal::SecretBignumPtr scalar(BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr));
  internal::BnCtxPtr bn_ctx(BN_CTX_new());
  internal::EcPointPtr point(EC_POINT_new(internal::P256Group()));
  internal::UncompressedPoint encoded;
  if (!scalar || !bn_ctx || !point ||
      EC_POINT_mul(internal::P256Group(), point.get(), scalar.get(), nullptr, nullptr,
                   bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(internal::P256Group(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                         encoded.data(), encoded.size(), bn_ctx.get()) != encoded.size()) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot derive the public point");
  }

  internal::EvpPkeyPtr pkey = internal::MakeEvpKey(encoded, scalar.get());
  P256PublicKey public_key;
  if (!pkey || !internal::DecodePoint(encoded, &public_key)) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot import the P-256 key");
  }
  return P256Key(std::make_unique<Handle>(std::move(pkey)), public_key);
}

Result<P256Key> P256Key::FromPem(std::string_view pem) {
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return KeyError(ErrorCode::kCryptoFailure, "cannot allocate a memory BIO");

  internal::EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordRefused, nullptr));
  if (!pkey) {
    return KeyError(ErrorCode::kInvalidKey,
                    "the text is not an unencrypted PEM private key; expected a "
                    "\"PRIVATE KEY\" or \"EC PRIVATE KEY\" block");
  }
  if (!IsP256(pkey.get())) {
    ERR_clear_error();
    return Error(ErrorCode::kInvalidKey,
                 "the PEM key is not an EC P-256 key; create one with "
                 "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`");
  }

  P256PublicKey public_key;
  if (!ReadPublicPoint(pkey.get(), &public_key)) {
    return KeyError(ErrorCode::kInvalidKey, "the PEM key has no readable public point");
  }
  return P256Key(std::make_unique<Handle>(std::move(pkey)), public_key);
}

std::array<std::uint8_t, kP256ScalarSize> P256Key::PrivateScalar() const {
  std::array<std::uint8_t, kP256ScalarSize> scalar{};
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(handle_->pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) > 0) {
    internal::SecretBignumPtr value(raw);
    BN_bn2binpad(value.get(), scalar.data(), static_cast<int>(scalar.size()));
  }
  ERR_clear_error();
  return scalar;
}

ErrorCode P256Key::Sign(std::span<const std::uint8_t> message, Es256Signature* out) const {
  Sha256Digest digest = Sha256(message);

  if (!handle_->sign_ctx_busy.test_and_set(std::memory_order_acquire)) {
    if (!handle_->sign_ctx) handle_->sign_ctx = NewSignContext(handle_->pkey.get());
    ErrorCode code = handle_->sign_ctx ? SignDigest(handle_->sign_ctx.get(), digest, out)
                                       : ErrorCode::kCryptoFailure;
    handle_->sign_ctx_busy.clear(std::memory_order_release);
    return code;
  }

  internal::EvpPkeyCtxPtr ctx = NewSignContext(handle_->pkey.get());
  if (!ctx) return ErrorCode::kCryptoFailure;
  return SignDigest(ctx.get(), digest, out);
}

}  // namespace dpopfleet
