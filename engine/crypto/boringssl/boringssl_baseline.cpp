// EcdsaBaseline over BoringSSL: ECDSA_do_sign on a digest with one EC_KEY.

#include <openssl/err.h>

#include "boringssl/boringssl_handles.h"
#include "dpopfleet/crypto_baseline.h"

namespace dpopfleet {

struct EcdsaBaseline::State {
  internal::EcKeyPtr key;
};

EcdsaBaseline::EcdsaBaseline(std::unique_ptr<State> state) : state_(std::move(state)) {}
EcdsaBaseline::EcdsaBaseline(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline& EcdsaBaseline::operator=(EcdsaBaseline&&) noexcept = default;
EcdsaBaseline::~EcdsaBaseline() = default;

Result<EcdsaBaseline> EcdsaBaseline::Create() {
  auto state = std::make_unique<State>();
  state->key.reset(EC_KEY_new());
  if (!state->key || EC_KEY_set_group(state->key.get(), internal::P256Group()) != 1 ||
      EC_KEY_generate_key(state->key.get()) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCryptoFailure, "P-256 key generation failed in BoringSSL");
  }
  return EcdsaBaseline(std::move(state));
}

ErrorCode EcdsaBaseline::SignDigest(const Sha256Digest& digest) {
  internal::EcdsaSigPtr sig(ECDSA_do_sign(digest.data(), digest.size(), state_->key.get()));
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
