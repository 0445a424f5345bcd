// BoringSSL backend of P256Key: generation, import, export and ES256 signing.

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "boringssl/boringssl_handles.h"

namespace dpopfleet {

// Handle owns the EC_KEY. BoringSSL signs with a const EC_KEY and keeps no per-key signing
// state, so concurrent Sign calls on one key need no guard.
struct P256Key::Handle {
  internal::EcKeyPtr key;
};

namespace {

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, internal::BoringSslDeleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, internal::BoringSslDeleter<BIO_free>>;

std::string DrainErrors() {
  std::uint32_t first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "no BoringSSL error recorded";
  char text[256];
  ERR_error_string_n(first, text, sizeof(text));
  return text;
}

Error KeyError(ErrorCode code, const std::string& failure) {
  return Error(code, failure + " (BoringSSL: " + DrainErrors() + ")");
}

bool ReadPublicPoint(const EC_KEY* key, P256PublicKey* out) {
  internal::UncompressedPoint point;
  const EC_POINT* public_point = EC_KEY_get0_public_key(key);
  if (!public_point ||
      EC_POINT_point2oct(internal::P256Group(), public_point, POINT_CONVERSION_UNCOMPRESSED,
                         point.data(), point.size(), nullptr) != point.size()) {
    return false;
  }
  return internal::DecodePoint(point, out);
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
  internal::EcKeyPtr key(EC_KEY_new());
  if (!key || EC_KEY_set_group(key.get(), internal::P256Group()) != 1 ||
      EC_KEY_generate_key(key.get()) != 1) {
    return KeyError(ErrorCode::kCryptoFailure, "P-256 key generation failed");
  }
  P256PublicKey public_key;
  if (!ReadPublicPoint(key.get(), &public_key)) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot read the generated public point");
  }
  return P256Key(std::make_unique<Handle>(Handle{std::move(key)}), public_key);
}

Result<P256Key> P256Key::FromPrivateScalar(std::span<const std::uint8_t> d) {
  if (!internal::IsValidP256Scalar(d)) {
    return Error(ErrorCode::kInvalidKey,
                 "the private scalar (" + std::to_string(d.size()) +
                     " bytes) is not a 32-byte value in [1, n-1]; supply a P-256 private key");
  }

  internal::EcKeyPtr key(EC_KEY_new());
  internal::EcPointPtr point(EC_POINT_new(internal::P256Group()));
  internal::SecretBignumPtr scalar(BN_bin2bn(d.data(), d.size(), nullptr));
  if (!key || !point || !scalar || EC_KEY_set_group(key.get(), internal::P256Group()) != 1 ||
      EC_KEY_set_private_key(key.get(), scalar.get()) != 1 ||
      EC_POINT_mul(internal::P256Group(), point.get(), scalar.get(), nullptr, nullptr,
                   nullptr) != 1 ||
      EC_KEY_set_public_key(key.get(), point.get()) != 1) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot import the P-256 private scalar");
  }
  P256PublicKey public_key;
  if (!ReadPublicPoint(key.get(), &public_key)) {
    return KeyError(ErrorCode::kCryptoFailure, "cannot derive the public point");
  }
  return P256Key(std::make_unique<Handle>(Handle{std::move(key)}), public_key);
}

Result<P256Key> P256Key::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return KeyError(ErrorCode::kCryptoFailure, "cannot allocate a memory BIO");

  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordRefused, nullptr));
  if (!pkey) {
    return KeyError(ErrorCode::kInvalidKey,
                    "the text is not an unencrypted PEM private key; expected a "
                    "\"PRIVATE KEY\" or \"EC PRIVATE KEY\" block");
  }
  internal::EcKeyPtr key(EVP_PKEY_get1_EC_KEY(pkey.get()));
  const EC_GROUP* group = key ? EC_KEY_get0_group(key.get()) : nullptr;
  if (!group || EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1) {
    ERR_clear_error();
    return Error(ErrorCode::kInvalidKey,
                 "the PEM key is not an EC P-256 key; create one with "
                 "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`");
  }

  P256PublicKey public_key;
  if (!ReadPublicPoint(key.get(), &public_key)) {
    return KeyError(ErrorCode::kInvalidKey, "the PEM key has no readable public point");
  }
  return P256Key(std::make_unique<Handle>(Handle{std::move(key)}), public_key);
}

std::array<std::uint8_t, kP256ScalarSize> P256Key::PrivateScalar() const {
  std::array<std::uint8_t, kP256ScalarSize> scalar{};
  const BIGNUM* d = EC_KEY_get0_private_key(handle_->key.get());
  if (d) BN_bn2bin_padded(scalar.data(), scalar.size(), d);
  return scalar;
}

ErrorCode P256Key::Sign(std::span<const std::uint8_t> message, Es256Signature* out) const {
  Sha256Digest digest = Sha256(message);
  internal::EcdsaSigPtr sig(ECDSA_do_sign(digest.data(), digest.size(), handle_->key.get()));
  if (!sig) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }

  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_bn2bin_padded(out->data(), kP256ScalarSize, r) != 1 ||
      BN_bn2bin_padded(out->data() + kP256ScalarSize, kP256ScalarSize, s) != 1) {
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

}  // namespace dpopfleet
