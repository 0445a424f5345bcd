// EcdsaBaseline over BoringSSL: ECDSA_do_sign on a digest with one EC_KEY.

#include <openssl/err.h>

#include <algorithm>
#include <vector>

#include "boringssl/boringssl_handles.h"
#include "dpopfleet/crypto_baseline.h"

namespace dpopfleet {

struct EcdsaBaseline::State {
  std::vector<internal::EcKeyPtr> keys;
  std::size_t next = 0;
};

EcdsaBaseline::EcdsaBaseline(std::unique_ptr<State> state) : state_(std::move(state)) {}
EcdsaBaseline::EcdsaBaseline(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline& EcdsaBaseline::operator=(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline::~EcdsaBaseline() = default;

Result<EcdsaBaseline> EcdsaBaseline::Create(std::size_t key_count) {
  auto state = std::make_unique<State>();
  for (std::size_t i = 0; i < std::max<std::size_t>(key_count, 1); ++i) {
    internal::EcKeyPtr key(EC_KEY_new());
    if (!key || EC_KEY_set_group(key.get(), internal::P256Group()) != 1 ||
        EC_KEY_generate_key(key.get()) != 1) {
      ERR_clear_error();
      return Error(ErrorCode::kCryptoFailure, "P-256 key generation failed in BoringSSL");
    }
    state->keys.push_back(std::move(key));
  }
  return EcdsaBaseline(std::move(state));
}

ErrorCode EcdsaBaseline::SignDigest(const Sha256Digest& digest) {
  const EC_KEY* key = state_->keys[state_->next].get();
  state_->next = (state_->next + 1) % state_->keys.size();
  internal::EcdsaSigPtr sig(ECDSA_do_sign(digest.data(), digest.size(), key));
  if (!sig) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

ErrorCode EcdsaBaseline::GenerateKey() {
  internal::EcKeyPtr key(EC_KEY_new());
  if (!key || EC_KEY_set_group(key.get(), internal::P256Group()) != 1 ||
      EC_KEY_generate_key(key.get()) != 1) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
