// ECDSA signing with nonces prepared in batches, for OpenSSL 3.
//
// An ECDSA signature with nonce k is r = x(k·G) mod n and s = k⁻¹(z + r·d) mod n. The pair
// (k⁻¹, r) depends on neither the key nor the message, so it can be computed ahead of
// time. ECDSA_do_sign spends a quarter of its instructions inverting k alone
// (callgrind, OpenSSL 3.0.19 on x86-64), and a further 9 % deriving k from a hash of the
// key, the digest and fresh random bytes. Here each thread prepares kBatchSize pairs at
// once: every k is drawn uniformly from [1, n-1] out of OpenSSL's private generator, and all
// are inverted together with Montgomery's trick (one constant-time modular exponentiation
// plus three multiplications per k). ECDSA_do_sign_ex then computes s from a prepared pair.
//
// Each pair signs once and is wiped when used. A child process created by fork() discards
// the batch it inherited (ForkGeneration), because a nonce used under one key in two
// processes would reveal the key. Unlike ECDSA_do_sign, the nonce does not mix in the key
// and digest, so its secrecy rests on OpenSSL's generator alone. Drawing candidates and
// rejecting those outside [1, n-1] is the method of FIPS 186-4 appendix B.5.2.

#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <array>

#include "crypto_internal.h"
#include "ecdsa_sign.h"
#include "openssl/openssl_handles.h"

namespace dpopfleet::internal {
namespace {

// kBatchSize trades the one exponentiation per batch against the work a thread does before
// its first signature: 64 point multiplications take about 0.6 ms.
constexpr int kBatchSize = 64;

using MontCtxPtr = std::unique_ptr<BN_MONT_CTX, OpenSslDeleter<BN_MONT_CTX_free>>;

SecretBignumPtr NewSecretBignum() {
  SecretBignumPtr number(BN_secure_new());
  if (number) BN_set_flags(number.get(), BN_FLG_CONSTTIME);
  return number;
}

// PresignatureBatch is one thread's prepared (k⁻¹, r) pairs. Slots before next_ are used
// and wiped. All numbers that held k, k⁻¹ or their products are wiped when freed.
class PresignatureBatch {
 public:
  PresignatureBatch() {
    const EC_GROUP* group = P256Group();
    order_ = EC_GROUP_get0_order(group);
    ok_ = order_ && point_ && x_ && product_inverse_ && scratch_ && exponent_ && ctx_ && mont_ &&
          BN_MONT_CTX_set(mont_.get(), order_, ctx_.get()) == 1 &&
          BN_copy(exponent_.get(), order_) != nullptr && BN_sub_word(exponent_.get(), 2) == 1;
    for (Slot& slot : slots_) {
      slot.k_mont = NewSecretBignum();
      slot.prefix = NewSecretBignum();
      slot.k_inverse = NewSecretBignum();
      slot.r.reset(BN_new());
      ok_ = ok_ && slot.k_mont && slot.prefix && slot.k_inverse && slot.r;
    }
    ERR_clear_error();
  }

  // Take returns the next unused pair, preparing a new batch first if none is left or the
  // batch was filled before a fork. It returns false if preparation failed.
  bool Take(const BIGNUM** k_inverse, const BIGNUM** r) {
    if (!ok_) return false;
    if (generation_ != ForkGeneration()) next_ = kBatchSize;
    if (next_ == kBatchSize && !Refill()) return false;
    *k_inverse = slots_[next_].k_inverse.get();
    *r = slots_[next_].r.get();
    return true;
  }

  // Discard wipes the pair Take returned last, so that it never signs twice.
  void Discard() {
    BN_clear(slots_[next_].k_inverse.get());
    BN_clear(slots_[next_].r.get());
    ++next_;
  }

 private:
  struct Slot {
    SecretBignumPtr k_mont;     // k in Montgomery form, until the batch is inverted
    SecretBignumPtr prefix;     // product of k over this slot and all before it, Montgomery form
    SecretBignumPtr k_inverse;  // k⁻¹ mod n
    BignumPtr r;                // x(k·G) mod n
  };

  // Refill prepares kBatchSize new pairs. On failure no pair is handed out.
  bool Refill() {
    next_ = kBatchSize;
    generation_ = ForkGeneration();
    bool prepared = true;
    for (int i = 0; i < kBatchSize && prepared; ++i) prepared = PrepareSlot(i);
    prepared = prepared && InvertAll();
    for (Slot& slot : slots_) {
      BN_clear(slot.k_mont.get());
      BN_clear(slot.prefix.get());
    }
    BN_clear(product_inverse_.get());
    BN_clear(scratch_.get());
    if (!prepared) {
      ERR_clear_error();
      return false;
    }
    next_ = 0;
    return true;
  }

  // PrepareSlot draws k for slot |i|, sets its r, and extends the running product of k.
  bool PrepareSlot(int i) {
    Slot& slot = slots_[i];
    P256Scalar k;
    bool loaded = RandomScalar(&k) == ErrorCode::kOk &&
                  BN_bin2bn(k.data(), static_cast<int>(k.size()), scratch_.get()) != nullptr;
    SecureClear(k);

    BN_CTX* ctx = ctx_.get();
    bool prepared =
        loaded && EC_POINT_mul(P256Group(), point_.get(), scratch_.get(), nullptr, nullptr, ctx) == 1 &&
        EC_POINT_get_affine_coordinates(P256Group(), point_.get(), x_.get(), nullptr, ctx) == 1 &&
        BN_nnmod(slot.r.get(), x_.get(), order_, ctx) == 1 && !BN_is_zero(slot.r.get()) &&
        BN_to_montgomery(slot.k_mont.get(), scratch_.get(), mont_.get(), ctx) == 1;
    if (!prepared) return false;
    if (i == 0) return BN_copy(slot.prefix.get(), slot.k_mont.get()) != nullptr;
    return BN_mod_mul_montgomery(slot.prefix.get(), slots_[i - 1].prefix.get(), slot.k_mont.get(),
                                 mont_.get(), ctx) == 1;
  }

  // InvertAll sets every slot's k⁻¹ from one inversion of the product of all k: walking
  // back from the last slot, k_i⁻¹ = (k_0...k_i)⁻¹ · (k_0...k_{i-1}), and multiplying by
  // k_i turns (k_0...k_i)⁻¹ into (k_0...k_{i-1})⁻¹. Fermat's little theorem gives the
  // inversion as a constant-time exponentiation by n - 2, since n is prime.
  bool InvertAll() {
    BIGNUM* inverse = product_inverse_.get();
    BN_MONT_CTX* mont = mont_.get();
    BN_CTX* ctx = ctx_.get();
    bool inverted =
        BN_from_montgomery(scratch_.get(), slots_[kBatchSize - 1].prefix.get(), mont, ctx) == 1 &&
        BN_mod_exp_mont_consttime(inverse, scratch_.get(), exponent_.get(), order_, ctx, mont) == 1 &&
        BN_to_montgomery(inverse, inverse, mont, ctx) == 1;

    for (int i = kBatchSize - 1; i > 0 && inverted; --i) {
      BIGNUM* k_inverse = slots_[i].k_inverse.get();
      inverted = BN_mod_mul_montgomery(k_inverse, inverse, slots_[i - 1].prefix.get(), mont, ctx) == 1 &&
                 BN_from_montgomery(k_inverse, k_inverse, mont, ctx) == 1 &&
                 BN_mod_mul_montgomery(inverse, inverse, slots_[i].k_mont.get(), mont, ctx) == 1;
    }
    return inverted && BN_from_montgomery(slots_[0].k_inverse.get(), inverse, mont, ctx) == 1;
  }

  const BIGNUM* order_ = nullptr;
  std::array<Slot, kBatchSize> slots_;
  EcPointPtr point_{EC_POINT_new(P256Group())};
  BignumPtr x_{BN_new()};
  SecretBignumPtr product_inverse_ = NewSecretBignum();
  SecretBignumPtr scratch_ = NewSecretBignum();  // k while its point is computed, and the product
  BignumPtr exponent_{BN_new()};                 // n - 2
  BnCtxPtr ctx_{BN_CTX_secure_new()};
  MontCtxPtr mont_{BN_MONT_CTX_new()};
  int next_ = kBatchSize;
  unsigned generation_ = 0;
  bool ok_ = false;
};

}  // namespace

ECDSA_SIG* EcdsaSign(const Sha256Digest& digest, EC_KEY* key) {
  thread_local PresignatureBatch batch;
  const BIGNUM* k_inverse = nullptr;
  const BIGNUM* r = nullptr;
  ECDSA_SIG* signature = nullptr;
  if (batch.Take(&k_inverse, &r)) {
    signature = ECDSA_do_sign_ex(digest.data(), static_cast<int>(digest.size()), k_inverse, r, key);
    batch.Discard();
  }

  // Without a prepared pair, or in the case s = 0 (probability about 2^-256), the library
  // signs on its own.
  if (!signature) {
    ERR_clear_error();
    signature = ECDSA_do_sign(digest.data(), static_cast<int>(digest.size()), key);
  }
  if (!signature) ERR_clear_error();
  return signature;
}

}  // namespace dpopfleet::internal
