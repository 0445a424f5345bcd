// The registration client.

#include "dpopfleet/oauth_registration.h"

#include <ctime>
#include <thread>

#include "dpopfleet/json_writer.h"
#include "dpopfleet/oauth_http.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/url.h"

namespace dpopfleet {
namespace {

// SingleAttempt returns options that send a request once: retrying a rate-limited request only
// burns the owner's hourly allowance.
RequestOptions SingleAttempt() {
  RequestOptions options;
  options.max_attempts = 1;
  return options;
}

HttpRequest JsonPost(std::string url, std::string body) {
  return HttpRequest{"POST", std::move(url),
                     {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                     std::move(body)};
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string json = "[";
  for (const std::string& value : values) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(value, &json);
  }
  json.push_back(']');
  return json;
}

}  // namespace

std::chrono::seconds ParseRetryAfter(std::string_view value, std::int64_t now_unix_seconds) {
  if (value.empty()) return std::chrono::seconds(0);

  bool all_digits = true;
  for (char c : value) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    if (value.size() > 9) return std::chrono::seconds(0);
    return std::chrono::seconds(std::stoll(std::string(value)));
  }

  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::chrono::seconds(0);
  std::int64_t when = timegm(&tm);
  return std::chrono::seconds(when > now_unix_seconds ? when - now_unix_seconds : 0);
}

Result<Enrollment> RegistrationClient::Request(const RegistrationRequest& request) {
  std::string body = JsonObjectWriter()
                         .String("email", request.email)
                         .String("client_name", request.client_name)
                         .String("client_description", request.client_description)
                         .Raw("requested_scopes", JsonStringArray(request.requested_scopes))
                         .Finish();
  auto response = FetchJson(transport_, JsonPost(JoinUrl(issuer_, "register/request"), std::move(body)),
                            "registration", SingleAttempt());
  if (!response.ok()) return response.error();

  auto fields = JsonFields::Parse(response->body, "registration response");
  if (!fields.ok()) return fields.error();
  Enrollment enrollment;
  enrollment.enrollment_id = fields->String("enrollment_id").value_or("");
  enrollment.poll_token = fields->String("poll_token").value_or("");
  enrollment.status_url = fields->String("status_url").value_or("");
  enrollment.expires_at = fields->Int("expires_at").value_or(0);
  enrollment.realm = fields->String("realm").value_or("");
  enrollment.token_endpoint = fields->String("token_endpoint").value_or("");
  if (enrollment.enrollment_id.empty() || enrollment.poll_token.empty()) {
    return Error(ErrorCode::kProtocolError, "registration response from " + issuer_ +
                                                " lacks enrollment_id or poll_token; is this an agent-identity realm?");
  }
  if (enrollment.status_url.empty()) {
    enrollment.status_url = JoinUrl(issuer_, "register/status/" + enrollment.enrollment_id);
  } else {
    enrollment.status_url = JoinUrl(issuer_, enrollment.status_url);
  }
  return enrollment;
}

Result<RegisteredClient> RegistrationClient::Confirm(const Enrollment& enrollment,
                                                     std::string_view verification_code) {
  std::string body = JsonObjectWriter()
                         .String("enrollment_id", enrollment.enrollment_id)
                         .String("poll_token", enrollment.poll_token)
                         .String("verification_code", verification_code)
                         .Finish();
  auto response = FetchJson(transport_, JsonPost(JoinUrl(issuer_, "register/confirm"), std::move(body)),
                            "registration confirm", SingleAttempt());
  if (!response.ok()) return response.error();

  auto fields = JsonFields::Parse(response->body, "registration confirm response");
  if (!fields.ok()) return fields.error();
  RegisteredClient client;
  client.client_id = fields->String("client_id").value_or("");
  client.client_secret = fields->String("client_secret").value_or("");
  client.granted_scopes = fields->StringArray("granted_scopes").value_or(std::vector<std::string>{});
  client.token_endpoint = fields->String("token_endpoint").value_or("");
  client.issuer = fields->String("issuer").value_or(issuer_);
  client.realm = fields->String("realm").value_or(enrollment.realm);
  if (client.client_id.empty() || client.client_secret.empty()) {
    return Error(ErrorCode::kProtocolError,
                 "registration confirm response from " + issuer_ + " lacks client_id or client_secret");
  }
  return client;
}

Result<EnrollmentStatus> RegistrationClient::FetchStatus(const Enrollment& enrollment) {
  HttpRequest request{"GET", enrollment.status_url,
                      {{"Authorization", "Bearer " + enrollment.poll_token}, {"Accept", "application/json"}},
                      {}};
  auto response = FetchJson(transport_, std::move(request), "registration status", SingleAttempt());
  if (!response.ok()) return response.error();

  auto fields = JsonFields::Parse(response->body, "registration status response");
  if (!fields.ok()) return fields.error();
  EnrollmentStatus status;
  status.status = fields->String("status").value_or("");
  const std::string* retry_after = response->Header("retry-after");
  if (retry_after != nullptr) status.retry_after = ParseRetryAfter(*retry_after, clock_.NowUnixSeconds());
  return status;
}

Result<EnrollmentStatus> RegistrationClient::WaitWhilePending(const Enrollment& enrollment,
                                                              std::chrono::seconds timeout,
                                                              std::chrono::seconds default_interval) {
  std::int64_t deadline = clock_.NowUnixMillis() + timeout.count() * 1000;
  while (true) {
    auto status = FetchStatus(enrollment);
    if (!status.ok() || status->status != "pending") return status;

    std::chrono::seconds wait = status->retry_after.count() > 0 ? status->retry_after : default_interval;
    if (clock_.NowUnixMillis() + wait.count() * 1000 > deadline) return status;
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace dpopfleet
