// Error codes and the Result type shared by every dpopfleet layer.
//
// Hot paths (signing, proof building, proof verification) return an ErrorCode and write
// their output through a pointer, so a failure costs no allocation. Colder paths return
// Result<T>, which carries either a value or an Error with a readable message.
//
// Messages never contain secrets: no private key, client secret or full access token.

#ifndef DPOPFLEET_STATUS_H_
#define DPOPFLEET_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dpopfleet {

// ErrorCode identifies why an operation failed. Values are stable within a release; tests
// and per-agent result records compare them, so each rejection reason has its own code.
enum class ErrorCode : std::uint16_t {
  kOk = 0,

  // General.
  kInvalidArgument,
  kOutOfRange,
  kInternal,
  kIoError,
  kPermissionDenied,
  kNotFound,
  kUnsupported,

  // Crypto.
  kCryptoFailure,
  kInvalidKey,
  kInvalidSignatureLength,
  kSignatureMismatch,

  // Encoding and JSON.
  kInvalidBase64Url,
  kInvalidJson,
  kInvalidJwk,
  kInvalidUrl,

  // DPoP proof verification (RFC 9449 section 4.3), one code per check.
  kProofMalformed,
  kProofBadTyp,
  kProofBadAlg,
  kProofMissingJwk,
  kProofPrivateJwk,
  kProofBadSignature,
  kProofMissingClaim,
  kProofHtmMismatch,
  kProofHtuMismatch,
  kProofIatTooOld,
  kProofIatInFuture,
  kProofAthMissing,
  kProofAthMismatch,
  kProofNonceMissing,
  kProofNonceInvalid,
  kProofReplayed,
  kProofMultipleHeaders,

  // JWT access tokens.
  kJwtMalformed,
  kJwtBadSignature,
  kJwtExpired,

  // Transport and protocol.
  kHttpStatus,
  kConnectFailed,
  kTimedOut,
  kTlsFailure,
  kCancelled,
  kProtocolError,
  kRetriesExhausted,
  kInsecureUrl,
};

// ErrorCodeName returns a short, stable, snake_case name for |code|, such as
// "proof_htu_mismatch". The pointer refers to static storage.
const char* ErrorCodeName(ErrorCode code);

// Error is an ErrorCode with a message for people. The message names the offending value
// (never a secret) and, where one exists, the fix.
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // ToString returns "<code name>: <message>".
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

// Result contains either a T or an Error. Accessing the wrong alternative is a programming
// error and throws std::bad_variant_access.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Status is a Result with no value: success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kOk, std::string()};
  bool ok_ = true;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_STATUS_H_
