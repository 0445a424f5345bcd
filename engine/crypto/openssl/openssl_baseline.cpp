// EcdsaBaseline over OpenSSL 3: EVP_PKEY_sign on a digest with one reused context.

#include <openssl/err.h>

#include <algorithm>
#include <vector>

#include "dpopfleet/crypto_baseline.h"
#include "der_signature.h"
#include "openssl/openssl_handles.h"

namespace dpopfleet {

struct EcdsaBaseline::State {
  std::vector<internal::EvpPkeyPtr> keys;
  std::vector<internal::EvpPkeyCtxPtr> sign_ctxs;
  std::size_t next = 0;
  internal::EvpPkeyCtxPtr keygen_ctx;
};

EcdsaBaseline::EcdsaBaseline(std::unique_ptr<State> state) : state_(std::move(state)) {}
EcdsaBaseline::EcdsaBaseline(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline& EcdsaBaseline::operator=(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline::~EcdsaBaseline() = default;

Result<EcdsaBaseline> EcdsaBaseline::Create(std::size_t key_count) {
  auto state = std::make_unique<State>();
  state->keygen_ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!state->keygen_ctx || EVP_PKEY_keygen_init(state->keygen_ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_group_name(state->keygen_ctx.get(), "P-256") <= 0) {
    return Error(ErrorCode::kCryptoFailure, "cannot set up P-256 key generation (OpenSSL: " +
                                                internal::DrainOpenSslErrors() + ")");
  }

  for (std::size_t i = 0; i < std::max<std::size_t>(key_count, 1); ++i) {
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_generate(state->keygen_ctx.get(), &key) <= 0) {
      return Error(ErrorCode::kCryptoFailure, "P-256 key generation failed (OpenSSL: " +
                                                  internal::DrainOpenSslErrors() + ")");
    }
    state->keys.emplace_back(key);
    state->sign_ctxs.emplace_back(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!state->sign_ctxs.back() || EVP_PKEY_sign_init(state->sign_ctxs.back().get()) <= 0) {
      return Error(ErrorCode::kCryptoFailure, "cannot set up ECDSA signing (OpenSSL: " +
                                                  internal::DrainOpenSslErrors() + ")");
    }
  }
  return EcdsaBaseline(std::move(state));
}

ErrorCode EcdsaBaseline::SignDigest(const Sha256Digest& digest) {
  std::array<std::uint8_t, internal::kMaxDerSignatureSize> der;
  std::size_t der_size = der.size();
  EVP_PKEY_CTX* ctx = state_->sign_ctxs[state_->next].get();
  state_->next = (state_->next + 1) % state_->sign_ctxs.size();
  if (EVP_PKEY_sign(ctx, der.data(), &der_size, digest.data(), digest.size()) <= 0) {
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
