// TLS material for the realm's HTTPS listener: a freshly generated CA and loopback server
// certificate, or a certificate and key read from files.

#ifndef DPOPFLEET_ENGINE_REALM_TLS_MATERIAL_H_
#define DPOPFLEET_ENGINE_REALM_TLS_MATERIAL_H_

#include <string>

#include "dpopfleet/status.h"

namespace dpopfleet::realm {

// TlsMaterial is the PEM text libmicrohttpd serves. key_pem is secret.
struct TlsMaterial {
  std::string ca_cert_pem;  // empty when the certificate came from files
  std::string cert_pem;
  std::string key_pem;
};

// GenerateLoopbackTls creates a P-256 CA valid for 30 days and a P-256 server certificate
// it signs, with subjectAltName IP:127.0.0.1, DNS:localhost and IP:::1, using GnuTLS's
// x509 API. It fails with kCryptoFailure naming the GnuTLS call that failed.
Result<TlsMaterial> GenerateLoopbackTls();

// LoadTlsFiles reads a PEM certificate chain and private key. It fails with kIoError naming
// the unreadable file.
Result<TlsMaterial> LoadTlsFiles(const std::string& cert_file, const std::string& key_file);

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_TLS_MATERIAL_H_
