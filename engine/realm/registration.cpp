// Registration endpoints: register/request, register/confirm and register/status/{id}.

#include "registration.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "dpopfleet/base64url.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/json_writer.h"
#include "http_server.h"
#include "realm_core.h"

namespace dpopfleet::realm {

namespace {

constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
constexpr std::int64_t kHourSeconds = 3600;
// Expired enrollments are kept this long so late callers get 410 rather than 404.
constexpr std::int64_t kExpiredRetentionSeconds = 86400;

std::string RandomUuid() {
  std::array<std::uint8_t, 16> b{};
  (void)RandomBytes(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

std::string RandomCode() {
  std::array<std::uint8_t, 8> b{};
  (void)RandomBytes(b);
  std::string code;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4) code.push_back('-');
    code.push_back(kCodeAlphabet[b[i] % kCodeAlphabet.size()]);  // 256 % 32 == 0: unbiased
  }
  return code;
}

bool IsValidEmail(std::string_view email) {
  std::size_t at = email.find('@');
  if (email.size() > 254 || at == 0 || at == std::string_view::npos || at + 1 >= email.size()) {
    return false;
  }
  if (email.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsValidScopeToken(std::string_view scope) {
  if (scope.empty() || scope.size() > 64) return false;
  for (char c : scope) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpReply ParseJsonObject(const HttpExchange& exchange, simdjson::dom::parser& parser,
                          simdjson::dom::object* out) {
  simdjson::padded_string text(exchange.body);
  simdjson::dom::element root;
  if (parser.parse(text).get(root) || root.get(*out)) {
    return ErrorReply(400, "invalid_request", "the body is not a JSON object; send application/json",
                      "invalid_json");
  }
  return HttpReply{};
}

// ReadScopes accepts "requested_scopes" as an array of strings or a space-separated string
// and returns them space-separated; "agent" when absent.
bool ReadScopes(simdjson::dom::object& body, std::string* scope, std::string* bad) {
  simdjson::dom::element value;
  if (body["requested_scopes"].get(value) != simdjson::SUCCESS || value.is_null()) {
    *scope = "agent";
    return true;
  }
  std::vector<std::string> tokens;
  std::string_view text;
  simdjson::dom::array array;
  if (value.get(text) == simdjson::SUCCESS) {
    for (std::string_view word : SplitSpaces(text)) tokens.emplace_back(word);
  } else if (value.get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) {
      if (item.get(text) != simdjson::SUCCESS) {
        *bad = "a non-string entry";
        return false;
      }
      tokens.emplace_back(text);
    }
  } else {
    *bad = "a value that is neither a string nor an array";
    return false;
  }
  if (tokens.empty() || tokens.size() > 16) {
    *bad = std::to_string(tokens.size()) + " scopes (send 1 to 16)";
    return false;
  }
  scope->clear();
  for (const std::string& token : tokens) {
    if (!IsValidScopeToken(token)) {
      *bad = "'" + token + "'";
      return false;
    }
    if (!scope->empty()) scope->push_back(' ');
    scope->append(token);
  }
  return true;
}

// ScopeOutsideList returns the first word of |scope| missing from |offered|, or "".
std::string ScopeOutsideList(std::string_view scope, const std::vector<std::string>& offered) {
  for (std::string_view word : SplitSpaces(scope)) {
    if (std::find(offered.begin(), offered.end(), word) == offered.end()) return std::string(word);
  }
  return {};
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

std::string ScopeArrayJson(std::string_view scope) {
  std::string out = "[";
  for (std::string_view word : SplitSpaces(scope)) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(word, &out);
  }
  return out + "]";
}

// PersistOnExit saves the state file when it goes out of scope, if armed. Declared before a
// lock on the registrar, it runs after that lock is released, because Persist reads the
// registrar under the same lock.
struct PersistOnExit {
  RealmCore& core;
  bool armed = false;
  ~PersistOnExit() {
    if (armed) core.Persist();
  }
};

HttpReply RateLimited(std::int64_t retry_after, const std::string& limited_key, const char* reason) {
  HttpReply reply = ErrorReply(429, "rate_limited",
                               "too many registration requests for this " + limited_key + "; retry after " +
                                   std::to_string(retry_after) + " seconds",
                               reason);
  reply.AddHeader("Retry-After", std::to_string(retry_after));
  return reply;
}

// SweepExpiredLocked drops stale state at most once a minute, so a burst of registrations
// does not walk every enrollment on every request.
void SweepExpiredLocked(Registrar& registrar, std::int64_t now) {
  if (now < registrar.next_sweep) return;
  registrar.next_sweep = now + 60;
  for (auto it = registrar.enrollments.begin(); it != registrar.enrollments.end();) {
    bool stale = it->second.expires_at + kExpiredRetentionSeconds < now;
    it = stale ? registrar.enrollments.erase(it) : std::next(it);
  }
  registrar.by_email.Prune(now, kHourSeconds);
  registrar.by_ip.Prune(now, kHourSeconds);
}

}  // namespace

HttpReply HandleRegisterRequest(RealmCore& core, const RealmRoute& route) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (HttpReply bad = ParseJsonObject(route.exchange, parser, &body); !bad.reason.empty()) return bad;

  std::string_view email, client_name, description;
  if (body["email"].get(email) || !IsValidEmail(email)) {
    return ErrorReply(400, "invalid_request",
                      "\"email\" is missing or not an email address; send for example "
                      "\"ops@example.com\"",
                      "invalid_email");
  }
  if (body["client_name"].get(client_name) || client_name.empty() || client_name.size() > 64) {
    return ErrorReply(400, "invalid_request",
                      "\"client_name\" is missing or longer than 64 characters; send a short name",
                      "invalid_client_name");
  }
  if (body["client_description"].get(description) == simdjson::SUCCESS && description.size() > 1024) {
    return ErrorReply(400, "invalid_request", "\"client_description\" exceeds 1024 characters",
                      "invalid_client_description");
  }
  std::string scope, bad_scope;
  if (!ReadScopes(body, &scope, &bad_scope)) {
    return ErrorReply(400, "invalid_scope",
                      "\"requested_scopes\" contains " + bad_scope +
                          "; send scope names of letters, digits and :._-",
                      "invalid_scope");
  }

  const RealmOptions& options = core.options;
  if (std::string refused = ScopeOutsideList(scope, options.registration_scopes); !refused.empty()) {
    return ErrorReply(400, "invalid_scope",
                      "scope '" + refused + "' is not offered by this realm; request only " +
                          JoinWords(options.registration_scopes),
                      "scope_not_offered");
  }
  std::int64_t now = options.clock->NowUnixSeconds();
  std::string email_key = route.realm + "\n" + LowerAscii(email);
  std::string ip_key = route.realm + "\n" + ClientAddress(route.exchange, !core.options.public_url.empty());

  Enrollment enrollment;
  PersistOnExit persist{core};
  {
    std::lock_guard lock(core.registrar.mutex);
    SweepExpiredLocked(core.registrar, now);
    if (std::int64_t wait = core.registrar.by_email.RetryAfter(
            email_key, now, options.registrations_per_email_per_hour, kHourSeconds)) {
      return RateLimited(wait, "email address", "rate_limited_email");
    }
    if (std::int64_t wait = core.registrar.by_ip.RetryAfter(
            ip_key, now, options.registrations_per_ip_per_hour, kHourSeconds)) {
      return RateLimited(wait, "IP address", "rate_limited_ip");
    }
    core.registrar.by_email.Record(email_key, now);
    core.registrar.by_ip.Record(ip_key, now);
    persist.armed = true;

    std::array<std::uint8_t, 32> poll{};
    (void)RandomBytes(poll);
    enrollment.id = "enroll_" + RandomUuid();
    enrollment.realm = route.realm;
    enrollment.email = std::string(email);
    enrollment.client_name = std::string(client_name);
    enrollment.client_description = std::string(description);
    enrollment.scope = scope;
    enrollment.poll_token = "pt_" + Base64UrlEncode(poll);
    enrollment.verification_code = RandomCode();
    enrollment.expires_at = now + options.enrollment_lifetime_seconds;
    core.registrar.enrollments.emplace(enrollment.id, enrollment);
  }

  OutboxMessage message;
  message.to = enrollment.email;
  message.subject = "Your dpopfleet verification code";
  message.body = "Confirm the registration of \"" + enrollment.client_name + "\" in realm " +
                 route.realm + " with the code " + enrollment.verification_code +
                 ". It expires in " + std::to_string(options.enrollment_lifetime_seconds / 60) +
                 " minutes.";
  message.verification_code = enrollment.verification_code;
  message.enrollment_id = enrollment.id;
  message.realm = route.realm;
  message.sent_at_millis = options.clock->NowUnixMillis();
  Status sent = core.outbox.Send(message);
  if (!sent) spdlog::error("realm: outbox write failed for {}: {}", enrollment.id, sent.error().message());
  core.counters.enrollments.fetch_add(1, std::memory_order_relaxed);

  return JsonReply(201, JsonObjectWriter()
                            .String("enrollment_id", enrollment.id)
                            .String("poll_token", enrollment.poll_token)
                            .String("status_url", core.Endpoint(route.realm, "/register/status/" + enrollment.id))
                            .String("approval_url", core.Endpoint(route.realm, "/register/confirm"))
                            .Int("expires_at", enrollment.expires_at)
                            .Bool("email_sent", sent.ok())
                            .String("realm", route.realm)
                            .String("token_endpoint", core.Endpoint(route.realm, "/token"))
                            .Finish());
}

HttpReply HandleRegisterConfirm(RealmCore& core, const RealmRoute& route) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (HttpReply bad = ParseJsonObject(route.exchange, parser, &body); !bad.reason.empty()) return bad;
  std::string_view id, poll_token, code_text;
  if (body["enrollment_id"].get(id) || body["poll_token"].get(poll_token) ||
      body["verification_code"].get(code_text)) {
    return ErrorReply(400, "invalid_request",
                      "send \"enrollment_id\", \"poll_token\" and \"verification_code\" as strings",
                      "missing_field");
  }
  std::string code;
  for (char c : code_text) code.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));

  std::int64_t now = core.options.clock->NowUnixSeconds();
  std::string scope, client_name;
  PersistOnExit persist_attempt{core};
  {
    std::lock_guard lock(core.registrar.mutex);
    auto it = core.registrar.enrollments.find(std::string(id));
    if (it == core.registrar.enrollments.end() || it->second.realm != route.realm) {
      return ErrorReply(404, "not_found", "enrollment '" + std::string(id) + "' does not exist in realm " + route.realm + "; request a new one", "unknown_enrollment");
    }
    Enrollment& enrollment = it->second;
    if (!ConstantTimeEquals(enrollment.poll_token, poll_token)) {
      return ErrorReply(403, "access_denied", "the poll token does not belong to enrollment " + enrollment.id + "; send the poll_token returned by register/request", "invalid_poll_token");
    }
    if (enrollment.state == Enrollment::State::kConfirmed) {
      return ErrorReply(409, "already_confirmed", "enrollment " + enrollment.id + " was already confirmed as " + enrollment.client_id + "; the secret is shown only once, so register again if it was lost", "replayed_confirm");
    }
    if (enrollment.state == Enrollment::State::kLocked) {
      return ErrorReply(410, "enrollment_locked", "enrollment " + enrollment.id + " is locked after too many wrong codes; request a new one", "enrollment_locked");
    }
    if (now >= enrollment.expires_at) {
      return ErrorReply(410, "expired_enrollment", "enrollment " + enrollment.id + " expired at " + std::to_string(enrollment.expires_at) + "; request a new one", "expired_enrollment");
    }
    if (!ConstantTimeEquals(enrollment.verification_code, code)) {
      enrollment.failed_attempts += 1;
      persist_attempt.armed = true;
      if (enrollment.failed_attempts >= kMaxCodeAttempts) enrollment.state = Enrollment::State::kLocked;
      int left = kMaxCodeAttempts - enrollment.failed_attempts;
      std::string remaining = std::to_string(left) + (left == 1 ? " attempt left" : " attempts left");
      if (left == 0) remaining += ", so the enrollment is now locked; request a new one";
      return ErrorReply(400, "invalid_code", "the verification code does not match; " + remaining, "invalid_code");
    }
    enrollment.state = Enrollment::State::kConfirmed;
    scope = enrollment.scope;
    client_name = enrollment.client_name;
  }

  Result<NewClient> created = core.clients.Register(route.realm, client_name, scope, now);
  if (!created) {
    return ErrorReply(500, "server_error", created.error().message(), "registration_failed");
  }
  {
    std::lock_guard lock(core.registrar.mutex);
    auto it = core.registrar.enrollments.find(std::string(id));
    if (it != core.registrar.enrollments.end()) it->second.client_id = created->record.client_id;
  }
  core.Persist();
  core.counters.registrations.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("realm: registered client {} in realm {}", created->record.client_id, route.realm);

  return JsonReply(201, JsonObjectWriter()
                            .String("client_id", created->record.client_id)
                            .String("client_secret", created->client_secret)
                            .Raw("granted_scopes", ScopeArrayJson(scope))
                            .String("scope", scope)
                            .String("token_endpoint", core.Endpoint(route.realm, "/token"))
                            .String("issuer", core.Issuer(route.realm))
                            .String("realm", route.realm)
                            .Finish());
}

HttpReply HandleRegisterStatus(RealmCore& core, const RealmRoute& route) {
  std::string id = route.endpoint.substr(std::string_view("/register/status/").size());
  std::string poll_token = route.exchange.QueryParam("poll_token");
  const std::string* authorization = route.exchange.Header("authorization");
  if (authorization != nullptr && HasAuthScheme(*authorization, "Bearer")) poll_token = authorization->substr(7);

  std::int64_t now = core.options.clock->NowUnixSeconds();
  std::lock_guard lock(core.registrar.mutex);
  auto it = core.registrar.enrollments.find(id);
  if (it == core.registrar.enrollments.end() || it->second.realm != route.realm) {
    return ErrorReply(404, "not_found", "enrollment '" + id + "' does not exist in realm " + route.realm, "unknown_enrollment");
  }
  const Enrollment& enrollment = it->second;
  if (!ConstantTimeEquals(enrollment.poll_token, poll_token)) {
    return ErrorReply(403, "access_denied", "send the enrollment's poll token as \"Authorization: Bearer pt_…\" or ?poll_token=", "invalid_poll_token");
  }
  const char* state = "pending";
  if (enrollment.state == Enrollment::State::kConfirmed) {
    state = "confirmed";
  } else if (enrollment.state == Enrollment::State::kLocked) {
    state = "locked";
  } else if (now >= enrollment.expires_at) {
    return ErrorReply(410, "expired_enrollment", "enrollment " + id + " expired; request a new one", "expired_enrollment");
  }
  JsonObjectWriter writer;
  writer.String("enrollment_id", id).String("status", state).Int("expires_at", enrollment.expires_at).String("realm", route.realm);
  if (!enrollment.client_id.empty()) writer.String("client_id", enrollment.client_id);
  HttpReply reply = JsonReply(200, writer.Finish());
  // Pollers wait this long between status requests while the enrollment is pending.
  if (enrollment.state == Enrollment::State::kPending) reply.AddHeader("Retry-After", "5");
  return reply;
}

}  // namespace dpopfleet::realm
