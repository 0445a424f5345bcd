// The email-verified registration flow of agent-identity realms: request an enrollment,
// confirm it with the code mailed to the owner, and receive client credentials.

#ifndef DPOPFLEET_OAUTH_REGISTRATION_H_
#define DPOPFLEET_OAUTH_REGISTRATION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/status.h"
#include "dpopfleet/transport.h"

namespace dpopfleet {

// RegistrationRequest is the owner's enrollment request.
struct RegistrationRequest {
  std::string email;
  std::string client_name;
  std::string client_description;
  std::vector<std::string> requested_scopes;
};

// Enrollment is a pending registration. poll_token authorises status and confirm requests
// and is a secret of the enrolling user. Only `dpopfleet register` prints it, on stdout, when
// it must be resumed by another run; it confirms nothing without the mailed code.
struct Enrollment {
  std::string enrollment_id;
  std::string poll_token;
  std::string status_url;
  std::int64_t expires_at = 0;  // Unix seconds; 0 when the server sent none
  std::string realm;
  std::string token_endpoint;
};

// RegisteredClient is the result of a confirmed enrollment. The server shows the secret
// only once.
struct RegisteredClient {
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> granted_scopes;
  std::string token_endpoint;
  std::string issuer;
  std::string realm;
};

// EnrollmentStatus is one response of the status endpoint.
struct EnrollmentStatus {
  // status is the server's word, such as "pending", "confirmed" or "expired".
  std::string status;

  // retry_after is the wait the server asked for before the next poll, or 0.
  std::chrono::seconds retry_after{0};
};

// ParseRetryAfter reads a Retry-After value (RFC 9110 section 10.2.3): delta-seconds or an
// IMF-fixdate, the latter relative to |now_unix_seconds|. It returns 0 for an empty or
// invalid value and for a date in the past.
std::chrono::seconds ParseRetryAfter(std::string_view value, std::int64_t now_unix_seconds);

// RegistrationClient runs the flow against one realm issuer ("<base>/realms/<realm>"). Its
// methods block, so they must not run on the transport's loop thread; one client may be used
// from one thread at a time. Registration requests are sent once, without retries, because
// the realm rate-limits them per email and address.
class RegistrationClient {
 public:
  RegistrationClient(Transport& transport, std::string issuer, const Clock& clock = SystemClock())
      : transport_(transport), issuer_(std::move(issuer)), clock_(clock) {}

  // Request starts an enrollment; the realm mails a verification code to |request.email|.
  // It fails with kHttpStatus (the message has the server's error, such as a 429 limit).
  Result<Enrollment> Request(const RegistrationRequest& request);

  // Confirm exchanges |verification_code| for client credentials. A wrong code fails with
  // kHttpStatus.
  Result<RegisteredClient> Confirm(const Enrollment& enrollment, std::string_view verification_code);

  // FetchStatus requests the enrollment status once.
  Result<EnrollmentStatus> FetchStatus(const Enrollment& enrollment);

  // WaitWhilePending polls FetchStatus until the status is no longer "pending" or |timeout|
  // passes, sleeping between polls for the server's Retry-After (|default_interval| when it
  // sends none). It returns the last status.
  Result<EnrollmentStatus> WaitWhilePending(const Enrollment& enrollment, std::chrono::seconds timeout,
                                            std::chrono::seconds default_interval = std::chrono::seconds(2));

 private:
  Transport& transport_;
  std::string issuer_;
  const Clock& clock_;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_OAUTH_REGISTRATION_H_
