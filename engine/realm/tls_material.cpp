// Certificate generation with GnuTLS's x509 API. Every GnuTLS handle has an owner below.

#include "tls_material.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <array>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "dpopfleet/crypto.h"

namespace dpopfleet::realm {
namespace {

struct PrivateKeyDeleter {
  void operator()(gnutls_x509_privkey_int* key) const { gnutls_x509_privkey_deinit(key); }
};
struct CertificateDeleter {
  void operator()(gnutls_x509_crt_int* crt) const { gnutls_x509_crt_deinit(crt); }
};
struct CredentialsDeleter {
  void operator()(gnutls_certificate_credentials_st* credentials) const {
    gnutls_certificate_free_credentials(credentials);
  }
};
using PrivateKeyPtr = std::unique_ptr<gnutls_x509_privkey_int, PrivateKeyDeleter>;
using CertificatePtr = std::unique_ptr<gnutls_x509_crt_int, CertificateDeleter>;

// GnutlsDatum owns memory GnuTLS allocated for an export.
class GnutlsDatum {
 public:
  GnutlsDatum() = default;
  GnutlsDatum(const GnutlsDatum&) = delete;
  GnutlsDatum& operator=(const GnutlsDatum&) = delete;
  ~GnutlsDatum() { gnutls_free(datum_.data); }

  gnutls_datum_t* get() { return &datum_; }
  std::string str() const {
    return std::string(reinterpret_cast<const char*>(datum_.data), datum_.size);
  }

 private:
  gnutls_datum_t datum_{nullptr, 0};
};

Error GnutlsError(const char* call, int rc) {
  return Error(ErrorCode::kCryptoFailure,
               std::string("GnuTLS ") + call + " failed: " + gnutls_strerror(rc) +
                   "; check that the GnuTLS library supports ECDSA P-256");
}

#define DPOPFLEET_GNUTLS_CHECK(call)                          \
  do {                                                        \
    int gnutls_rc = (call);                                   \
    if (gnutls_rc < 0) return GnutlsError(#call, gnutls_rc);  \
  } while (0)

Result<PrivateKeyPtr> GenerateKey() {
  gnutls_x509_privkey_t raw = nullptr;
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_privkey_init(&raw));
  PrivateKeyPtr key(raw);
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_privkey_generate(
      key.get(), GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
  return key;
}

// StartCertificate creates a v3 certificate for |key| named |dn|, valid from an hour ago
// (tolerating small clock differences) for |days|, with a random 16-byte serial.
Result<CertificatePtr> StartCertificate(gnutls_x509_privkey_t key, const char* dn, int days) {
  gnutls_x509_crt_t raw = nullptr;
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_init(&raw));
  CertificatePtr crt(raw);

  std::array<std::uint8_t, 16> serial{};
  if (RandomBytes(serial) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure, "random serial number generation failed");
  }
  serial[0] &= 0x7f;  // a positive INTEGER

  std::time_t now = std::time(nullptr);
  const char* error_position = nullptr;
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_version(crt.get(), 3));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_serial(crt.get(), serial.data(), serial.size()));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_activation_time(crt.get(), now - 3600));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_expiration_time(crt.get(), now + days * 86400L));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_dn(crt.get(), dn, &error_position));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_key(crt.get(), key));
  return crt;
}

Result<std::string> ExportCertificate(gnutls_x509_crt_t crt) {
  GnutlsDatum pem;
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, pem.get()));
  return pem.str();
}

Result<std::string> ExportKey(gnutls_x509_privkey_t key) {
  GnutlsDatum pem;
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, nullptr,
                                                           GNUTLS_PKCS_PLAIN, pem.get()));
  return pem.str();
}

Status AddServerNames(gnutls_x509_crt_t crt) {
  std::array<std::uint8_t, 4> ipv4{};
  std::array<std::uint8_t, 16> ipv6{};
  inet_pton(AF_INET, "127.0.0.1", ipv4.data());
  inet_pton(AF_INET6, "::1", ipv6.data());
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_subject_alt_name(
      crt, GNUTLS_SAN_IPADDRESS, ipv4.data(), ipv4.size(), GNUTLS_FSAN_APPEND));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
                                                              "localhost", 9, GNUTLS_FSAN_APPEND));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_subject_alt_name(
      crt, GNUTLS_SAN_IPADDRESS, ipv6.data(), ipv6.size(), GNUTLS_FSAN_APPEND));
  return {};
}

Result<std::string> ReadFile(const std::string& path, const char* file_kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIoError,
                 std::string("cannot read the TLS ") + file_kind + " file '" + path +
                     "'; pass a readable PEM file or omit --cert/--key to generate one");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status CheckKeyPair(const std::string& cert_pem, const std::string& key_pem, const std::string& cert_file,
                    const std::string& key_file) {
  // libmicrohttpd reports any TLS set-up failure as a failed start without the reason, so
  // the pair is loaded here first to name what GnuTLS rejected.
  gnutls_certificate_credentials_t raw = nullptr;
  if (gnutls_certificate_allocate_credentials(&raw) != GNUTLS_E_SUCCESS) {
    return Error(ErrorCode::kInternal, "GnuTLS cannot allocate credentials; check free memory");
  }
  std::unique_ptr<gnutls_certificate_credentials_st, CredentialsDeleter> credentials(raw);
  gnutls_datum_t cert_datum{reinterpret_cast<unsigned char*>(const_cast<char*>(cert_pem.data())),
                            static_cast<unsigned int>(cert_pem.size())};
  gnutls_datum_t key_datum{reinterpret_cast<unsigned char*>(const_cast<char*>(key_pem.data())),
                           static_cast<unsigned int>(key_pem.size())};
  int result = gnutls_certificate_set_x509_key_mem(credentials.get(), &cert_datum, &key_datum, GNUTLS_X509_FMT_PEM);
  if (result < 0) {
    return Error(ErrorCode::kInvalidArgument, "cannot use certificate '" + cert_file + "' with key '" + key_file +
                                                  "': " + gnutls_strerror(result) +
                                                  "; pass the PEM key that belongs to that certificate");
  }
  return {};
}

}  // namespace

Result<TlsMaterial> GenerateLoopbackTls() {
  auto ca_key = GenerateKey();
  if (!ca_key) return ca_key.error();
  auto ca = StartCertificate(ca_key->get(), "CN=dpopfleet realm local CA,O=dpopfleet", 30);
  if (!ca) return ca.error();
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_basic_constraints(ca->get(), 1, 0));
  DPOPFLEET_GNUTLS_CHECK(
      gnutls_x509_crt_set_key_usage(ca->get(), GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));

  std::array<unsigned char, 64> key_id{};
  std::size_t key_id_size = key_id.size();
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_get_key_id(ca->get(), 0, key_id.data(), &key_id_size));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_subject_key_id(ca->get(), key_id.data(), key_id_size));
  DPOPFLEET_GNUTLS_CHECK(
      gnutls_x509_crt_sign2(ca->get(), ca->get(), ca_key->get(), GNUTLS_DIG_SHA256, 0));

  auto server_key = GenerateKey();
  if (!server_key) return server_key.error();
  auto server = StartCertificate(server_key->get(), "CN=localhost,O=dpopfleet", 30);
  if (!server) return server.error();
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_basic_constraints(server->get(), 0, -1));
  DPOPFLEET_GNUTLS_CHECK(gnutls_x509_crt_set_key_usage(server->get(), GNUTLS_KEY_DIGITAL_SIGNATURE));
  DPOPFLEET_GNUTLS_CHECK(
      gnutls_x509_crt_set_key_purpose_oid(server->get(), GNUTLS_KP_TLS_WWW_SERVER, 0));
  DPOPFLEET_GNUTLS_CHECK(
      gnutls_x509_crt_set_authority_key_id(server->get(), key_id.data(), key_id_size));
  if (Status names = AddServerNames(server->get()); !names) return names.error();
  DPOPFLEET_GNUTLS_CHECK(
      gnutls_x509_crt_sign2(server->get(), ca->get(), ca_key->get(), GNUTLS_DIG_SHA256, 0));

  TlsMaterial material;
  auto ca_pem = ExportCertificate(ca->get());
  auto cert_pem = ExportCertificate(server->get());
  auto key_pem = ExportKey(server_key->get());
  if (!ca_pem) return ca_pem.error();
  if (!cert_pem) return cert_pem.error();
  if (!key_pem) return key_pem.error();
  material.ca_cert_pem = std::move(*ca_pem);
  material.cert_pem = std::move(*cert_pem);
  material.key_pem = std::move(*key_pem);
  return material;
}

Result<TlsMaterial> LoadTlsFiles(const std::string& cert_file, const std::string& key_file) {
  auto cert = ReadFile(cert_file, "certificate");
  if (!cert) return cert.error();
  auto key = ReadFile(key_file, "private key");
  if (!key) return key.error();
  if (Status pair = CheckKeyPair(*cert, *key, cert_file, key_file); !pair) return pair.error();
  TlsMaterial material;
  material.cert_pem = std::move(*cert);
  material.key_pem = std::move(*key);
  return material;
}

}  // namespace dpopfleet::realm
