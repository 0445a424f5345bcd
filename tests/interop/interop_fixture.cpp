#include "interop_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "dpopfleet/crypto.h"
#include "dpopfleet/url.h"

namespace dpopfleet::interop {

std::string SchemeName(Scheme scheme) { return scheme == Scheme::kHttp ? "http" : "https"; }

ProofKey NewProofKey() {
  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) {
    std::fprintf(stderr, "P256Key::Generate failed: %s\n", key.error().ToString().c_str());
    std::abort();
  }
  return ProofKey::Create(std::move(key).value());
}

void PeerTest::SetUp() {
  Result<Peer> loaded = LoadPeer(peer_name_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  peer_ = std::move(loaded).value();
}

std::string PeerTest::Issuer(Scheme scheme) const {
  return scheme == Scheme::kHttp ? peer_.http_issuer : peer_.https_issuer;
}

std::string PeerTest::TokenUrl(Scheme scheme) const { return JoinUrl(Issuer(scheme), "token"); }

std::string PeerTest::BuildProof(const ProofKey& key, std::string_view htu,
                                 const ProofOptions& options) const {
  Result<std::string> normalized = NormalizeHtu(htu);
  if (!normalized.ok()) {
    ADD_FAILURE() << "NormalizeHtu(" << htu << ") failed: " << normalized.error().ToString();
    return "";
  }

  ProofRequest request;
  request.htm = options.htm;
  request.htu = *normalized;
  request.nonce = options.nonce;
  request.clock_offset_seconds = options.clock_offset_seconds;

  std::string proof;
  ErrorCode code = builder_.Build(key, request, &proof);
  if (code != ErrorCode::kOk) {
    ADD_FAILURE() << "ProofBuilder::Build failed: " << ErrorCodeName(code);
    return "";
  }
  return proof;
}

HttpResponse PeerTest::RequestToken(Scheme scheme, const PeerClient& client,
                                    const std::string& proof,
                                    const std::string& extra_form) const {
  HttpRequest request;
  request.url = TokenUrl(scheme);
  request.form_body = "grant_type=client_credentials" + extra_form;
  request.basic_auth = client;
  request.ca_path = peer_.ca_path;
  if (!proof.empty()) request.headers.push_back("DPoP: " + proof);
  return SendOrFail(request);
}

std::string PeerTest::ObtainToken(Scheme scheme, const PeerClient& client,
                                  const std::string& proof, std::string_view token_type,
                                  const std::string& extra_form) const {
  HttpResponse response = RequestToken(scheme, client, proof, extra_form);
  if (response.status != 200) {
    ADD_FAILURE() << "token request of client " << client.id << " got HTTP " << response.status
                  << ": " << response.body;
    return "";
  }

  std::optional<std::string> type = JsonString(response.body, "/token_type");
  std::optional<std::string> token = JsonString(response.body, "/access_token");
  if (!token || token->empty() || type != token_type) {
    ADD_FAILURE() << "expected a " << token_type << " access token for client " << client.id
                  << ", got token_type " << type.value_or("(none)");
    return "";
  }
  return *token;
}

HttpResponse PeerTest::PostForm(Scheme scheme, std::string_view path, const PeerClient& client,
                                const std::string& form_body) const {
  HttpRequest request;
  request.url = JoinUrl(Issuer(scheme), path);
  request.form_body = form_body;
  request.basic_auth = client;
  request.ca_path = peer_.ca_path;
  return SendOrFail(request);
}

HttpResponse PeerTest::Get(const std::string& url) const {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.ca_path = peer_.ca_path;
  return SendOrFail(request);
}

HttpResponse PeerTest::SendOrFail(const HttpRequest& request) const {
  Result<HttpResponse> response = Send(request);
  if (!response.ok()) {
    ADD_FAILURE() << response.error().ToString();
    return HttpResponse{};
  }
  return std::move(response).value();
}

}  // namespace dpopfleet::interop
