// Realm: option checks, start-up (TLS material, signing key, state, outbox) and shutdown.

#include "dpopfleet/realm.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "dpopfleet/jwk.h"
#include "dpopfleet/url.h"
#include "faults.h"
#include "http_server.h"
#include "realm_core.h"
#include "state_file.h"
#include "state_saver.h"
#include "tls_material.h"

namespace dpopfleet {

using realm::RealmCore;

class Realm::Impl {
 public:
  ~Impl() {
    Stop();
    std::error_code ignored;
    if (!temporary_ca_file.empty()) std::filesystem::remove(temporary_ca_file, ignored);
    if (!temporary_outbox.empty()) std::filesystem::remove_all(temporary_outbox, ignored);
  }

  void Stop() {
    if (stopped.exchange(true)) return;
    if (server) server->Stop();
    if (state_saver) state_saver->Flush();
    if (core) spdlog::info("realm: stopped; {}", core->counters.Snapshot(server ? server->connections_accepted() : 0).ToString());
  }

  realm::StateFileLock state_lock;
  std::unique_ptr<realm::HttpServer> server;
  std::unique_ptr<RealmCore> core;
  // Declared after core so they stop using it before core is destroyed.
  realm::StateSupplierRegistration state_supplier;
  std::unique_ptr<realm::StateSaver> state_saver;
  std::atomic<RealmCore*> ready{nullptr};
  std::string base_url;
  std::string ca_file;
  std::string outbox_dir;
  std::string temporary_ca_file;
  std::string temporary_outbox;
  std::atomic<bool> stopped{false};
};

namespace {

// kMaxThreads bounds the server's thread pool. Debian 12's libmicrohttpd fails to start with
// 100000 threads without giving a reason, and this many already exceeds any useful count.
constexpr unsigned kMaxThreads = 1024;

// kMaxLatencyMs caps injected delays at a minute: a longer one only looks like a hang, and
// clients time out long before it ends.
constexpr int kMaxLatencyMs = 60000;

// kMaxRequestTimeoutSeconds caps --request-timeout; an hour to send one request is already
// far beyond any real client.
constexpr int kMaxRequestTimeoutSeconds = 3600;

bool IsValidRealmName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsLoopbackAddress(const std::string& address) {
  return address == "::1" || address.starts_with("127.") || address == "localhost";
}

// IsScopeToken returns true if |scope| is a scope-token of RFC 6749 section 3.3: printable
// ASCII without space, '"' or '\\'.
bool IsScopeToken(const std::string& scope) {
  if (scope.empty()) return false;
  for (char c : scope) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// ValidateTimeWindows checks the lifetimes and proof time windows, naming the flag at fault.
Status ValidateTimeWindows(const RealmOptions& options) {
  if (options.token_lifetime_seconds <= 0) {
    return Error(ErrorCode::kInvalidArgument, "--token-lifetime " + std::to_string(options.token_lifetime_seconds) +
                                                  " is not positive; pass seconds of at least 1, such as 3600");
  }

  const std::pair<const char*, int> positive[] = {
      {"--enrollment-lifetime", options.enrollment_lifetime_seconds},
      {"--registrations-per-email", options.registrations_per_email_per_hour},
      {"--registrations-per-ip", options.registrations_per_ip_per_hour},
  };
  for (const auto& [flag, value] : positive) {
    if (value <= 0) {
      return Error(ErrorCode::kInvalidArgument, std::string(flag) + " " + std::to_string(value) +
                                                    " is not positive; pass 1 or more");
    }
  }
  if (options.request_timeout_seconds < 0 || options.request_timeout_seconds > kMaxRequestTimeoutSeconds) {
    return Error(ErrorCode::kInvalidArgument, "--request-timeout " + std::to_string(options.request_timeout_seconds) +
                                                  " is out of range; pass 1 to " +
                                                  std::to_string(kMaxRequestTimeoutSeconds) + " seconds, or 0 for none");
  }

  const std::pair<const char*, int> windows[] = {
      {"--iat-max-age", options.iat_max_age_seconds},
      {"--iat-max-future", options.iat_max_future_seconds},
      {"--clock-skew", options.clock_skew_seconds},
      {"--nonce-rotation", options.nonce_rotation_seconds},
      {"--nonce-grace", options.nonce_grace_seconds},
  };
  for (const auto& [flag, seconds] : windows) {
    if (seconds < 0) {
      return Error(ErrorCode::kInvalidArgument, std::string(flag) + " " + std::to_string(seconds) +
                                                    " is negative; pass 0 or more seconds");
    }
  }
  return {};
}

Status ValidateOptions(const RealmOptions& options) {
  if (options.realms.empty()) {
    return Error(ErrorCode::kInvalidArgument, "no realm is configured; pass at least one, such as default");
  }
  for (const std::string& name : options.realms) {
    if (!IsValidRealmName(name)) {
      return Error(ErrorCode::kInvalidArgument,
                   "realm name '" + name + "' is invalid; use 1 to 64 of a-z, 0-9, '-' and '_'");
    }
  }

  if (!options.public_url.empty()) {
    auto public_origin = UrlOrigin(options.public_url);
    if (!public_origin.ok() || *public_origin != options.public_url) {
      return Error(ErrorCode::kInvalidUrl, "public URL '" + options.public_url +
                                               "' is not a base URL; pass the scheme, host and port only, "
                                               "such as https://127.0.0.1:8443");
    }
    if (options.public_url.starts_with("http://") && !IsLoopbackUrl(options.public_url)) {
      return Error(ErrorCode::kInsecureUrl, "public URL '" + options.public_url +
                                                "' uses plain http to a host that is not loopback, which clients "
                                                "refuse; use https://");
    }
  }
  if (!options.tls && !IsLoopbackAddress(options.bind_address)) {
    return Error(ErrorCode::kInsecureUrl,
                 "plain HTTP is allowed only on loopback, but the bind address is '" +
                     options.bind_address + "'; drop --no-tls or bind 127.0.0.1 or ::1");
  }

  if (options.cert_file.empty() != options.key_file.empty()) {
    return Error(ErrorCode::kInvalidArgument, "give both --cert and --key, or neither to generate a certificate");
  }
  if (Status times = ValidateTimeWindows(options); !times) return times;

  for (const std::string& scope : options.registration_scopes) {
    if (!IsScopeToken(scope)) {
      return Error(ErrorCode::kInvalidArgument, "--scopes '" + scope +
                                                    "' is not a scope name; pass one printable word per --scopes, "
                                                    "without spaces, quotes or backslashes");
    }
  }

  if (options.threads > kMaxThreads) {
    return Error(ErrorCode::kInvalidArgument, "--threads " + std::to_string(options.threads) +
                                                  " is out of range; pass 1 to " + std::to_string(kMaxThreads) +
                                                  ", or 0 for one per CPU core");
  }
  if (options.clock == nullptr) return Error(ErrorCode::kInvalidArgument, "the clock is null; pass &SystemClock()");
  const std::pair<const char*, int> delays[] = {{"--latency-ms", options.faults.latency_ms},
                                                {"--latency-jitter-ms", options.faults.latency_jitter_ms}};
  for (const auto& [flag, value] : delays) {
    if (value > kMaxLatencyMs) {
      return Error(ErrorCode::kInvalidArgument, std::string(flag) + " " + std::to_string(value) +
                                                    " is too long; pass at most " + std::to_string(kMaxLatencyMs) +
                                                    " milliseconds");
    }
  }
  return realm::ValidateFaults(options.faults);
}

// BadPath reports a file or directory named by an option that cannot be used as an invalid
// argument, like any other bad option value: the fix is a different path, not a retry.
Error BadPath(const Error& error) {
  if (error.code() != ErrorCode::kIoError && error.code() != ErrorCode::kNotFound) return error;
  return Error(ErrorCode::kInvalidArgument, error.message());
}

Status WriteCa(const std::string& path, const std::string& pem) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << pem;
  if (!out.flush()) {
    return Error(ErrorCode::kIoError, "cannot write the CA certificate to '" + path + "'; choose a writable path");
  }
  return {};
}

// PrepareOutbox creates |path| as 0700, since the file names in it tell who is registering,
// and warns about an existing directory that others can list.
Status PrepareOutbox(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  bool existed = fs::exists(path, error);
  fs::create_directories(path, error);
  if (error) {
    return Error(ErrorCode::kIoError, "cannot create the outbox directory '" + path + "': " + error.message() +
                                          "; pass a writable --outbox path");
  }
  if (!existed) {
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, error);
    if (error) {
      return Error(ErrorCode::kIoError, "cannot make the outbox directory '" + path + "' private: " +
                                            error.message() + "; run chmod 700 on it");
    }
    return {};
  }
  fs::perms mode = fs::status(path, error).permissions();
  if (!error && (mode & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    spdlog::warn("realm: other users can list the outbox directory '{}'; run chmod 700 on it", path);
  }
  return {};
}

std::string UrlHost(const std::string& bind_address) {
  if (bind_address == "0.0.0.0") return "127.0.0.1";
  if (bind_address == "::") return "[::1]";
  if (bind_address.find(':') != std::string::npos) return "[" + bind_address + "]";
  return bind_address;
}

// RestoreDurableState puts the revocations, enrollments and registration limits of |state|
// back into |core|, makes every later save of the state file write them again, and has
// |saver| save the file after revocations.
realm::StateSupplierRegistration RestoreDurableState(RealmCore& core, realm::PersistedState& state,
                                                     realm::StateSaver& saver) {
  core.tokens.RestoreRevoked(state.revoked);
  {
    std::lock_guard lock(core.registrar.mutex);
    for (realm::Enrollment& enrollment : state.enrollments) {
      std::string id = enrollment.id;
      core.registrar.enrollments.emplace(std::move(id), std::move(enrollment));
    }
    core.registrar.by_email.Restore(std::move(state.registrations_by_email));
    core.registrar.by_ip.Restore(std::move(state.registrations_by_ip));
  }

  RealmCore* raw = &core;
  core.tokens.SetRevocationListener([&saver] { saver.MarkDirty(); });
  return realm::StateSupplierRegistration::Register(core.options.state_file, [raw](realm::PersistedState* out) {
    out->revoked = raw->tokens.Revoked();
    std::lock_guard lock(raw->registrar.mutex);
    for (const auto& [id, enrollment] : raw->registrar.enrollments) out->enrollments.push_back(enrollment);
    out->registrations_by_email = raw->registrar.by_email.events();
    out->registrations_by_ip = raw->registrar.by_ip.events();
  });
}

}  // namespace

Result<std::unique_ptr<Realm>> Realm::Start(RealmOptions options) {
  if (Status valid = ValidateOptions(options); !valid) return valid.error();
  auto impl = std::make_unique<Impl>();

  realm::PersistedState state;
  if (!options.state_file.empty()) {
    auto lock = realm::StateFileLock::Acquire(options.state_file);
    if (!lock) return BadPath(lock.error());
    impl->state_lock = std::move(*lock);
    auto loaded = realm::LoadState(options.state_file);
    if (!loaded) return BadPath(loaded.error());
    state = std::move(*loaded);
  }
  auto signing_key = state.signing_key_jwk.empty() ? P256Key::Generate() : ParsePrivateJwk(state.signing_key_jwk);
  if (!signing_key) return signing_key.error();

  realm::HttpServerOptions server_options;
  if (options.tls) {
    auto material = options.cert_file.empty() ? realm::GenerateLoopbackTls()
                                              : realm::LoadTlsFiles(options.cert_file, options.key_file);
    if (!material) return options.cert_file.empty() ? material.error() : BadPath(material.error());
    if (options.cert_file.empty()) {
      impl->ca_file = options.ca_out_file;
      if (impl->ca_file.empty()) {
        char path[] = "/tmp/dpopfleet-realm-ca-XXXXXX";
        int fd = ::mkstemp(path);
        if (fd < 0) return Error(ErrorCode::kIoError, "cannot create a temporary CA file in /tmp; pass ca_out_file");
        ::close(fd);
        impl->ca_file = impl->temporary_ca_file = path;
      }
      if (Status written = WriteCa(impl->ca_file, material->ca_cert_pem); !written) return BadPath(written.error());
    } else {
      impl->ca_file = options.cert_file;
    }
    server_options.cert_pem = std::move(material->cert_pem);
    server_options.key_pem = std::move(material->key_pem);
  }

  impl->outbox_dir = options.outbox_dir;
  if (impl->outbox_dir.empty()) {
    char path[] = "/tmp/dpopfleet-outbox-XXXXXX";
    if (::mkdtemp(path) == nullptr) return Error(ErrorCode::kIoError, "cannot create a temporary outbox in /tmp; pass outbox_dir");
    impl->outbox_dir = impl->temporary_outbox = path;
  } else {
    if (Status outbox = PrepareOutbox(impl->outbox_dir); !outbox) return BadPath(outbox.error());
  }

  Impl* raw = impl.get();
  server_options.bind_address = options.bind_address == "localhost" ? "127.0.0.1" : options.bind_address;
  server_options.port = options.port;
  server_options.threads = options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  // Behind a front every connection comes from the front, which opens one per concurrent
  // HTTP/1.1 request it forwards, so a cap per address would cap all clients together. The
  // front then has to protect itself from slow clients.
  server_options.connections_per_ip = options.public_url.empty() ? options.connections_per_ip : 0;
  server_options.request_timeout_seconds = options.request_timeout_seconds;
  server_options.handler = [raw](const realm::HttpExchange& exchange) {
    RealmCore* core = raw->ready.load(std::memory_order_acquire);
    if (core == nullptr) return realm::ErrorReply(503, "temporarily_unavailable", "the realm is starting; retry");
    return core->Handle(exchange);
  };
  server_options.delay_ms = [raw](const realm::HttpExchange& exchange) {
    RealmCore* core = raw->ready.load(std::memory_order_acquire);
    return core == nullptr || exchange.path.starts_with("/admin/") ? 0 : core->faults.DelayMs();
  };
  auto server = realm::HttpServer::Start(std::move(server_options));
  if (!server) return server.error();
  impl->server = std::move(*server);

  impl->base_url = std::string(options.tls ? "https" : "http") + "://" + UrlHost(options.bind_address) + ":" +
                   std::to_string(impl->server->port());
  if (!options.public_url.empty()) impl->base_url = options.public_url;
  std::int64_t now = options.clock->NowUnixSeconds();
  std::vector<RealmStaticClient> static_clients = options.static_clients;
  impl->core = std::make_unique<RealmCore>(std::move(options), impl->base_url, impl->outbox_dir,
                                           std::move(*signing_key));
  for (const RealmStaticClient& client : static_clients) {
    if (Status added = impl->core->clients.AddStatic(client, now); !added) return added.error();
  }
  impl->core->clients.Restore(state.clients);
  if (!impl->core->options.state_file.empty()) {
    RealmCore* core = impl->core.get();
    impl->state_saver = std::make_unique<realm::StateSaver>([core] { core->Persist(); });
    impl->state_supplier = RestoreDurableState(*impl->core, state, *impl->state_saver);
  }
  impl->core->Persist();
  impl->ready.store(impl->core.get(), std::memory_order_release);

  spdlog::info("realm: serving {} ({} realms, {} clients restored, TLS {})", impl->base_url,
               impl->core->options.realms.size(), state.clients.size(), impl->ca_file.empty() ? "off" : "on");
  return std::unique_ptr<Realm>(new Realm(std::move(impl)));
}

Realm::Realm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Realm::~Realm() = default;

std::string Realm::base_url() const { return impl_->base_url; }

std::string Realm::issuer(std::string_view realm) const { return impl_->core->Issuer(realm); }

std::uint16_t Realm::port() const { return impl_->server->port(); }

const std::string& Realm::ca_file() const { return impl_->ca_file; }

const std::string& Realm::outbox_dir() const { return impl_->outbox_dir; }

std::optional<std::string> Realm::LatestVerificationCode(std::string_view email) const {
  std::optional<realm::OutboxMessage> message = impl_->core->outbox.Latest(email);
  if (!message) return std::nullopt;
  return message->verification_code;
}

RealmCounters Realm::counters() const {
  return impl_->core->counters.Snapshot(impl_->server->connections_accepted());
}

void Realm::Stop() { impl_->Stop(); }

}  // namespace dpopfleet
