// EcdsaBaseline over OpenSSL 3: EVP_PKEY_sign on a digest with one reused context.

#include <openssl/err.h>

#include "dpopfleet/crypto_baseline.h"
#include "der_signature.h"
#include "openssl/openssl_handles.h"

namespace dpopfleet {

struct EcdsaBaseline::State {
  internal::EvpPkeyPtr key;
  internal::EvpPkeyCtxPtr sign_ctx;
  internal::EvpPkeyCtxPtr keygen_ctx;
};

EcdsaBaseline::EcdsaBaseline(std::unique_ptr<State> state) : state_(std::move(state)) {}
EcdsaBaseline::EcdsaBaseline(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline& EcdsaBaseline::operator=(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline::~EcdsaBaseline() = default;

Result<EcdsaBaseline> EcdsaBaseline::Create() {
  auto state = std::make_unique<State>();
  state->keygen_ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!state->keygen_ctx || EVP_PKEY_keygen_init(state->keygen_ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_group_name(state->keygen_ctx.get(), "P-256") <= 0) {
    return Error(ErrorCode::kCryptoFailure,
                 "cannot set up P-256 key generation (OpenSSL: " + internal::DrainOpenSslErrors() + ")");
  }

  EcdsaBaseline baseline(std::move(state));
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(baseline.state_->keygen_ctx.get(), &key) <= 0) {
    return Error(ErrorCode::kCryptoFailure,
                 "P-256 key generation failed (OpenSSL: " + internal::DrainOpenSslErrors() + ")");
  }
  baseline.state_->key.reset(key);
  baseline.state_->sign_ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!baseline.state_->sign_ctx || EVP_PKEY_sign_init(baseline.state_->sign_ctx.get()) <= 0) {
    return Error(ErrorCode::kCryptoFailure,
                 "cannot set up ECDSA signing (OpenSSL: " + internal::DrainOpenSslErrors() + ")");
  }
  return baseline;
}

ErrorCode EcdsaBaseline::SignDigest(const Sha256Digest& digest) {
  std::array<std::uint8_t, internal::kMaxDerSignatureSize> der;
  std::size_t der_size = der.size();
  if (EVP_PKEY_sign(state_->sign_ctx.get(), der.data(), &der_size, digest.data(),
                    digest.size()) <= 0) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

ErrorCode EcdsaBaseline::GenerateKey() {
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(state_->keygen_ctx.get(), &key) <= 0) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  EVP_PKEY_free(key);
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
