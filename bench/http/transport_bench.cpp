// Requests/s through the Transport against the trivial loopback server, over HTTP/1.1
// keep-alive connections, with and without a fresh DPoP proof (ES256) per request.

#include <benchmark/benchmark.h>

#include <atomic>
#include <future>

#include "dpopfleet/crypto.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/transport.h"
#include "dpopfleet/url.h"
#include "loopback_server.h"

namespace dpopfleet {
namespace {

// kBatch requests are submitted per iteration, so the loop always has work queued.
constexpr int kBatch = 256;

bench::LoopbackServer& Server() {
  static std::unique_ptr<bench::LoopbackServer> server = bench::LoopbackServer::Start(0, 1);
  return *server;
}

void BM_TransportGet(benchmark::State& state) {
  long connections = state.range(0);
  bool with_proof = state.range(1) != 0;
  std::string url = "http://127.0.0.1:" + std::to_string(Server().port()) + "/";

  TransportOptions options;
  options.http2 = false;
  options.max_host_connections = connections;
  options.max_total_connections = connections;
  auto transport = Transport::Create(options);
  Result<P256Key> key = P256Key::Generate();
  Result<std::string> htu = NormalizeHtu(url);
  if (!transport.ok() || !key.ok() || !htu.ok()) {
    state.SkipWithError("cannot create the transport or the proof key");
    return;
  }
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;

  RequestFactory factory = [&](const AttemptContext& context) -> Result<HttpRequest> {
    HttpRequest request;
    request.url = url;
    if (with_proof) {
      std::string proof;
      ProofRequest proof_request{"GET", *htu, "", context.nonce, context.clock_offset_seconds};
      if (builder.Build(proof_key, proof_request, &proof) != ErrorCode::kOk) {
        return Error(ErrorCode::kCryptoFailure, "proof signing failed");
      }
      request.headers.push_back({"DPoP", std::move(proof)});
    }
    return request;
  };

  std::atomic<long> failures{0};
  for (auto _ : state) {
    std::atomic<int> remaining{kBatch};
    std::promise<void> done;
    for (int i = 0; i < kBatch; ++i) {
      (*transport)->Submit(factory, RequestOptions{}, [&](TransferResult result) {
        if (!result.response.has_value() || result.response->status != 200) ++failures;
        if (remaining.fetch_sub(1) == 1) done.set_value();
      });
    }
    done.get_future().wait();
  }

  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["failures"] = static_cast<double>(failures.load());
  state.counters["connections"] =
      static_cast<double>((*transport)->counters().connections_opened);
}

BENCHMARK(BM_TransportGet)
    ->ArgNames({"connections", "dpop"})
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({8, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dpopfleet
