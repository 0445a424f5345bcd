// The backend half of P256Key, written once against the EC_KEY and ECDSA_SIG API that
// OpenSSL 3 and BoringSSL share (crypto_internal.h).
//
// A key is only raw bytes (crypto.h). Signing loads the scalar into a per-thread EC_KEY
// whose group is the shared P-256 group and calls EcdsaSign (ecdsa_sign.h). With OpenSSL 3,
// an EVP_PKEY per key costs about 2.8 KB, because every key gets its own copy of the group
// and its signing context adds more. EVP_PKEY_sign would also add a provider dispatch and
// a DER round trip to every signature. OpenSSL 3 marks these calls deprecated but keeps
// them throughout the 3.x series. Only this file, openssl/ecdsa_presign.cpp and
// openssl/openssl_verify.cpp use them.

#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "crypto_internal.h"
#include "ecdsa_sign.h"

namespace dpopfleet::internal {

// P256Group is defined by each backend; the group is process-wide and never freed.
const EC_GROUP* P256Group();

namespace {

template <auto kFree>
struct Deleter {
  template <typename T>
  void operator()(T* handle) const {
    kFree(handle);
  }
};

// ThreadScratch is one thread's reusable library objects. Its EC_KEY contains a key's
// scalar only for the length of one signature, and its numbers and point serve
// derivations. Reuse keeps allocations off the per-key and per-signature paths.
struct ThreadScratch {
  ThreadScratch() {
    ok = signer && d && x && y && one && point && bn_ctx && BN_one(one.get()) == 1 &&
         EC_KEY_set_group(signer.get(), P256Group()) == 1;
#ifdef BN_FLG_CONSTTIME
    if (ok) BN_set_flags(d.get(), BN_FLG_CONSTTIME);
#endif
    ERR_clear_error();
  }

  std::unique_ptr<EC_KEY, Deleter<EC_KEY_free>> signer{EC_KEY_new()};
  std::unique_ptr<BIGNUM, Deleter<BN_clear_free>> d{BN_new()};
  std::unique_ptr<BIGNUM, Deleter<BN_free>> x{BN_new()};
  std::unique_ptr<BIGNUM, Deleter<BN_free>> y{BN_new()};
  std::unique_ptr<BIGNUM, Deleter<BN_free>> one{BN_new()};  // replaces the signer's scalar
  std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>> point{EC_POINT_new(P256Group())};
  std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>> bn_ctx{BN_CTX_new()};
  bool ok = false;
};

ThreadScratch& Scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

// LoadedScalar puts |d| into the scratch BIGNUM, and LoadIntoSigner copies it into the
// signing EC_KEY. When it goes out of scope on any path, it wipes the BIGNUM and replaces
// the signer's copy, if any, with the constant 1 (the library wipes the copy it frees).
class LoadedScalar {
 public:
  LoadedScalar(ThreadScratch& scratch, const P256Scalar& d) : scratch_(scratch) {
    loaded_ = BN_bin2bn(d.data(), static_cast<int>(d.size()), scratch.d.get()) != nullptr;
  }
  ~LoadedScalar() {
    BN_clear(scratch_.d.get());
    if (in_signer_) (void)EC_KEY_set_private_key(scratch_.signer.get(), scratch_.one.get());
  }
  LoadedScalar(const LoadedScalar&) = delete;
  LoadedScalar& operator=(const LoadedScalar&) = delete;

  bool ok() const { return loaded_; }

  bool LoadIntoSigner() {
    in_signer_ = loaded_ && EC_KEY_set_private_key(scratch_.signer.get(), scratch_.d.get()) == 1;
    return in_signer_;
  }

 private:
  ThreadScratch& scratch_;
  bool loaded_ = false;
  bool in_signer_ = false;
};

bool CoordinatesToBytes(const BIGNUM* x, const BIGNUM* y, P256PublicKey* out) {
  return BN_bn2binpad(x, out->x.data(), static_cast<int>(out->x.size())) > 0 &&
         BN_bn2binpad(y, out->y.data(), static_cast<int>(out->y.size())) > 0;
}

// PasswordRefused stops PEM_read_bio_PrivateKey from prompting on the terminal for an
// encrypted key; encrypted keys are not supported.
int PasswordRefused(char*, int, int, void*) { return -1; }

std::string DrainErrors() {
  auto first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "no error recorded by " + std::string(CryptoBackendName());
  char text[256];
  ERR_error_string_n(first, text, sizeof(text));
  return text;
}

}  // namespace

bool DerivePublicKey(const P256Scalar& d, P256PublicKey* out) {
  ThreadScratch& scratch = Scratch();
  if (!scratch.ok) return false;
  LoadedScalar scalar(scratch, d);

  // With no points of its own, EC_POINT_mul multiplies the generator with the library's
  // precomputed P-256 table, and the affine coordinates come straight out as numbers.
  bool derived = scalar.ok() &&
                 EC_POINT_mul(P256Group(), scratch.point.get(), scratch.d.get(), nullptr, nullptr,
                              scratch.bn_ctx.get()) == 1 &&
                 EC_POINT_get_affine_coordinates(P256Group(), scratch.point.get(), scratch.x.get(),
                                                 scratch.y.get(), scratch.bn_ctx.get()) == 1 &&
                 CoordinatesToBytes(scratch.x.get(), scratch.y.get(), out);
  if (!derived) ERR_clear_error();
  return derived;
}

ErrorCode SignDigestWithScalar(const P256Scalar& d, const Sha256Digest& digest, Es256Signature* out) {
  ThreadScratch& scratch = Scratch();
  if (!scratch.ok) return ErrorCode::kCryptoFailure;

  std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>> sig;
  {
    LoadedScalar scalar(scratch, d);
    if (scalar.LoadIntoSigner()) {
      sig.reset(EcdsaSign(digest, scratch.signer.get()));
    }
  }
  if (!sig) return ErrorCode::kCryptoFailure;

  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_bn2binpad(r, out->data(), kP256ScalarSize) <= 0 ||
      BN_bn2binpad(s, out->data() + kP256ScalarSize, kP256ScalarSize) <= 0) {
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

ErrorCode VerifyRawSignature(const Sha256Digest& digest, std::span<const std::uint8_t> signature,
                             EC_KEY* key) {
  // ECDSA_do_verify rejects r or s outside [1, n-1].
  std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(signature.data(), kP256ScalarSize, nullptr);
  BIGNUM* s = BN_bin2bn(signature.data() + kP256ScalarSize, kP256ScalarSize, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }

  int verified = ECDSA_do_verify(digest.data(), static_cast<int>(digest.size()), sig.get(), key);
  ERR_clear_error();
  return verified == 1 ? ErrorCode::kOk : ErrorCode::kSignatureMismatch;
}

Status ReadPemKey(std::string_view pem, PemKey* out) {
  std::unique_ptr<BIO, Deleter<BIO_free>> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error(ErrorCode::kCryptoFailure, "cannot allocate a memory BIO for the PEM key");

  std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordRefused, nullptr));
  if (!pkey) {
    return Error(ErrorCode::kInvalidKey,
                 "the text is not an unencrypted PEM private key; expected a \"PRIVATE KEY\" or "
                 "\"EC PRIVATE KEY\" block (" + DrainErrors() + ")");
  }
  std::unique_ptr<EC_KEY, Deleter<EC_KEY_free>> key(
      EVP_PKEY_base_id(pkey.get()) == EVP_PKEY_EC ? EVP_PKEY_get1_EC_KEY(pkey.get()) : nullptr);
  const EC_GROUP* group = key ? EC_KEY_get0_group(key.get()) : nullptr;
  if (!group || EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1) {
    ERR_clear_error();
    return Error(ErrorCode::kInvalidKey,
                 "the PEM key is not an EC P-256 key; create one with "
                 "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`");
  }

  const BIGNUM* scalar = EC_KEY_get0_private_key(key.get());
  const EC_POINT* point = EC_KEY_get0_public_key(key.get());
  ThreadScratch& scratch = Scratch();
  bool read = scratch.ok && scalar && point &&
              BN_bn2binpad(scalar, out->scalar.data(), static_cast<int>(out->scalar.size())) > 0 &&
              EC_POINT_get_affine_coordinates(group, point, scratch.x.get(), scratch.y.get(),
                                              scratch.bn_ctx.get()) == 1 &&
              CoordinatesToBytes(scratch.x.get(), scratch.y.get(), &out->public_key);
  if (!read) {
    return Error(ErrorCode::kInvalidKey,
                 "the PEM key's private scalar or public point is unreadable or longer than 32 bytes (" +
                     DrainErrors() + "); supply a P-256 private key");
  }
  return Status();
}

}  // namespace dpopfleet::internal
