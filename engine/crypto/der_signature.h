// Conversion between DER-encoded ECDSA signatures (SEQUENCE { INTEGER r, INTEGER s }) and
// the raw R||S form of JWS ES256, without heap allocation.

#ifndef DPOPFLEET_ENGINE_CRYPTO_DER_SIGNATURE_H_
#define DPOPFLEET_ENGINE_CRYPTO_DER_SIGNATURE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dpopfleet/crypto.h"

namespace dpopfleet::internal {

// kMaxDerSignatureSize bounds a DER P-256 signature: 2 + 2 * (2 + 33) bytes.
inline constexpr std::size_t kMaxDerSignatureSize = 72;

// DerToRawSignature parses |der| and writes R and S, each left-padded to 32 bytes, to
// |*out|. It returns false if |der| is not a minimal DER SEQUENCE of two positive INTEGERs
// of at most 32 significant bytes each.
bool DerToRawSignature(std::span<const std::uint8_t> der, Es256Signature* out);

// RawToDerSignature encodes the 64-byte R||S |raw| as DER into |*out| and returns the
// number of bytes written.
std::size_t RawToDerSignature(std::span<const std::uint8_t, kEs256SignatureSize> raw,
                              std::array<std::uint8_t, kMaxDerSignatureSize>* out);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_CRYPTO_DER_SIGNATURE_H_
