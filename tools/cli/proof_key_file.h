// Loading a P-256 signing key for `dpopfleet proof --key`.

#ifndef DPOPFLEET_TOOLS_CLI_PROOF_KEY_FILE_H_
#define DPOPFLEET_TOOLS_CLI_PROOF_KEY_FILE_H_

#include <string>

#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet::cli {

// LoadProofKeyFile reads a P-256 private key from |path|, as a private JWK (text starting
// with '{') or as PEM ("PRIVATE KEY" or "EC PRIVATE KEY"). It fails with kPermissionDenied
// if the file is readable or writable by group or others, kIoError if it cannot be read,
// and kInvalidKey or kInvalidJwk if the content is not such a key. Messages name the file
// and the fix.
Result<P256Key> LoadProofKeyFile(const std::string& path);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_PROOF_KEY_FILE_H_
