// OpenSSL 3 backend: public key checks and ES256 verification.
//
// A server verifies one proof per request, each under a new public key. Importing that key
// as an EVP_PKEY (parameter builder, provider lookup, key context) cost about 20 µs, and
// the check before it and the verification each did it once, next to about 65 µs for the
// ECDSA arithmetic. Here each thread keeps one EC_KEY, point and BN_CTX, decodes the point
// into them and calls ECDSA_do_verify directly, as ec_key_ops.cpp does for signing. OpenSSL
// 3 marks these calls deprecated but keeps them throughout the 3.x series.

#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <optional>

#include "ecdsa_sign.h"
#include "openssl/openssl_handles.h"

namespace dpopfleet {
namespace {

using EcKeyPtr = std::unique_ptr<EC_KEY, internal::OpenSslDeleter<EC_KEY_free>>;

// VerifyScratch is one thread's reusable verification objects, which contain only public values.
struct VerifyScratch {
  VerifyScratch() {
    ok = verifier && point && bn_ctx && EC_KEY_set_group(verifier.get(), internal::P256Group()) == 1;
    ERR_clear_error();
  }

  EcKeyPtr verifier{EC_KEY_new()};
  internal::EcPointPtr point{EC_POINT_new(internal::P256Group())};
  internal::BnCtxPtr bn_ctx{BN_CTX_new()};
  bool ok = false;

  // loaded is the key that |point| and |verifier| contain, set only after it passed the
  // checks. A server checks a proof's key when it parses the JWK and verifies with it right
  // after, so the second call finds the key loaded and skips decoding it again.
  std::optional<P256PublicKey> loaded;
};

VerifyScratch& Scratch() {
  thread_local VerifyScratch scratch;
  return scratch;
}

// LoadOnCurve loads |key| into the scratch point and the verifier's public key. It returns
// false unless both coordinates are below the field prime p and the point lies on P-256.
// EC_POINT_oct2point rejects a coordinate of p or more, because it names the same point as
// its reduced value and would give one key two thumbprints. The curve check is explicit so
// that the contract does not depend on what oct2point checks in a given library version.
bool LoadOnCurve(VerifyScratch& scratch, const P256PublicKey& key) {
  if (scratch.loaded == key) return true;
  scratch.loaded.reset();

  internal::UncompressedPoint encoded = internal::EncodePoint(key);
  const EC_GROUP* group = internal::P256Group();
  bool valid = EC_POINT_oct2point(group, scratch.point.get(), encoded.data(), encoded.size(),
                                  scratch.bn_ctx.get()) == 1 &&
               EC_POINT_is_at_infinity(group, scratch.point.get()) == 0 &&
               EC_POINT_is_on_curve(group, scratch.point.get(), scratch.bn_ctx.get()) == 1 &&
               EC_KEY_set_public_key(scratch.verifier.get(), scratch.point.get()) == 1;
  if (!valid) {
    ERR_clear_error();
    return false;
  }
  scratch.loaded = key;
  return true;
}

}  // namespace

ErrorCode CheckP256PublicKey(const P256PublicKey& key) {
  VerifyScratch& scratch = Scratch();
  if (!scratch.ok) return ErrorCode::kCryptoFailure;
  return LoadOnCurve(scratch, key) ? ErrorCode::kOk : ErrorCode::kInvalidKey;
}

ErrorCode VerifyEs256(const P256PublicKey& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature) {
  if (signature.size() != kEs256SignatureSize) return ErrorCode::kInvalidSignatureLength;
  VerifyScratch& scratch = Scratch();
  if (!scratch.ok) return ErrorCode::kCryptoFailure;
  if (!LoadOnCurve(scratch, key)) return ErrorCode::kInvalidKey;

  return internal::VerifyRawSignature(Sha256(message), signature, scratch.verifier.get());
}

}  // namespace dpopfleet
