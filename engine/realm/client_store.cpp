// Client registration and constant-time client authentication.

#include "client_store.h"

#include <array>
#include <mutex>

#include "dpopfleet/base64url.h"
#include "dpopfleet/crypto.h"
#include "http_types.h"

namespace dpopfleet::realm {
namespace {

constexpr std::size_t kMaxNameInClientId = 24;

Result<std::string> RandomBase64(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RandomBytes(buffer) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure, "the random number generator failed; retry the request");
  }
  return Base64UrlEncode(buffer);
}

Result<std::string> RandomHex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RandomBytes(buffer) != ErrorCode::kOk) {
    return Error(ErrorCode::kCryptoFailure, "the random number generator failed; retry the request");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t b : buffer) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 15]);
  }
  return hex;
}

std::string NameForClientId(std::string_view client_name) {
  std::string name;
  for (char c : client_name) {
    if (name.size() >= kMaxNameInClientId) break;
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      name.push_back(static_cast<char>(std::tolower(u)));
    } else if (!name.empty() && name.back() != '-') {
      name.push_back('-');
    }
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "agent" : name;
}

}  // namespace

std::string HashSecret(std::string_view salt, std::string_view secret) {
  std::string input;
  if (Base64UrlDecode(salt, &input) != ErrorCode::kOk) input.clear();
  input.append(secret);
  Sha256Digest digest = Sha256(input);
  return Base64UrlEncode(digest);
}

Status ClientStore::AddStatic(const RealmStaticClient& client, std::int64_t now) {
  if (client.client_id.empty() || client.client_secret.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "static client '" + client.client_id +
                     "' needs a non-empty id and secret; use --client ID:SECRET[:dpop]");
  }
  auto salt = RandomBase64(16);
  if (!salt) return salt.error();

  ClientRecord record;
  record.client_id = client.client_id;
  record.client_name = client.client_id;
  record.scope = client.scope;
  record.salt = *salt;
  record.secret_hash = HashSecret(*salt, client.client_secret);
  record.require_dpop = client.require_dpop;
  record.is_static = true;
  record.created_at = now;

  std::unique_lock lock(mutex_);
  if (!clients_.emplace(record.client_id, record).second) {
    return Error(ErrorCode::kInvalidArgument,
                 "static client id '" + client.client_id + "' is given twice; use distinct ids");
  }
  return {};
}

Result<NewClient> ClientStore::Register(std::string_view realm, std::string_view client_name,
                                        std::string_view scope, std::int64_t now) {
  auto suffix = RandomHex(8);
  auto secret = RandomBase64(32);
  auto salt = RandomBase64(16);
  if (!suffix) return suffix.error();
  if (!secret) return secret.error();
  if (!salt) return salt.error();

  NewClient created;
  created.client_secret = "sec_" + *secret;
  ClientRecord& record = created.record;
  record.client_id = "cli_" + NameForClientId(client_name) + "_" + *suffix;
  record.realm = std::string(realm);
  record.client_name = std::string(client_name);
  record.scope = std::string(scope);
  record.salt = *salt;
  record.secret_hash = HashSecret(*salt, created.client_secret);
  record.created_at = now;

  std::unique_lock lock(mutex_);
  if (!clients_.emplace(record.client_id, record).second) {
    return Error(ErrorCode::kInternal, "client id collision on '" + record.client_id + "'; retry");
  }
  return created;
}

std::optional<ClientRecord> ClientStore::Authenticate(std::string_view realm,
                                                      std::string_view client_id,
                                                      std::string_view secret) const {
  std::optional<ClientRecord> found = Find(client_id);
  if (!found) {
    // Hash anyway so an unknown id costs about as long as a wrong secret.
    (void)HashSecret("AAAAAAAAAAAAAAAAAAAAAA", secret);
    return std::nullopt;
  }
  bool hash_ok = ConstantTimeEquals(HashSecret(found->salt, secret), found->secret_hash);
  bool realm_ok = found->realm.empty() || found->realm == realm;
  if (!hash_ok || !realm_ok) return std::nullopt;
  return found;
}

std::optional<ClientRecord> ClientStore::Find(std::string_view client_id) const {
  std::shared_lock lock(mutex_);
  auto it = clients_.find(client_id);
  if (it == clients_.end()) return std::nullopt;
  return it->second;
}

void ClientStore::Restore(const std::vector<ClientRecord>& records) {
  std::unique_lock lock(mutex_);
  for (const ClientRecord& record : records) clients_.emplace(record.client_id, record);
}

std::vector<ClientRecord> ClientStore::Registered() const {
  std::shared_lock lock(mutex_);
  std::vector<ClientRecord> records;
  for (const auto& [id, record] : clients_) {
    if (!record.is_static) records.push_back(record);
  }
  return records;
}

}  // namespace dpopfleet::realm
