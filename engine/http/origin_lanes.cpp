#include "origin_lanes.h"

#include <algorithm>

namespace dpopfleet::http {
namespace {

// ConnectionsPerOrigin is how many connections libcurl may open to one origin: the host
// limit, else the total limit, else (both unlimited) the in-flight cap.
long ConnectionsPerOrigin(const TransportOptions& options) {
  long connections = options.max_in_flight;
  if (options.max_total_connections > 0) connections = options.max_total_connections;
  if (options.max_host_connections > 0) {
    connections = std::min(connections, options.max_host_connections);
  }
  return std::max(1L, connections);
}

// kServerStreamsAssumed is the number of concurrent streams a lane assumes an HTTP/2
// server allows per connection. RFC 9113 section 6.5.2 recommends that servers allow at
// least 100, and nghttpx's default is 100. libcurl 7.88 does not report the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, and holds back transfers beyond it in its own queue,
// where their proofs would age.
constexpr long kServerStreamsAssumed = 100;

}  // namespace

OriginLanes::OriginLanes(const TransportOptions& options)
    : connections_per_origin_(ConnectionsPerOrigin(options)),
      streams_per_connection_(std::clamp(options.max_concurrent_streams, 1L, kServerStreamsAssumed)) {}

void OriginLanes::Push(PendingRequestPtr request, bool retry) {
  Lane& lane = LaneFor(request->origin);
  (retry ? lane.retries : lane.first_attempts).push_back(std::move(request));
  ++queued_;
}

PendingRequestPtr OriginLanes::PopStartable() {
  if (queued_ == 0) return nullptr;

  // Lanes are served in turn, so that when the transport-wide in-flight cap is the limit,
  // no origin waits behind another.
  for (std::size_t step = 0; step < lanes_.size(); ++step) {
    Lane& lane = *lanes_[next_lane_];
    next_lane_ = (next_lane_ + 1) % lanes_.size();
    if (!CanStart(lane)) continue;

    std::deque<PendingRequestPtr>& queue = lane.retries.empty() ? lane.first_attempts : lane.retries;
    PendingRequestPtr request = std::move(queue.front());
    queue.pop_front();
    --queued_;
    return request;
  }
  return nullptr;
}

bool OriginLanes::HasStartable() const {
  if (queued_ == 0) return false;
  return std::any_of(lanes_.begin(), lanes_.end(),
                     [this](const std::unique_ptr<Lane>& lane) { return CanStart(*lane); });
}

bool OriginLanes::HasRoom(const std::string& origin) {
  const Lane& lane = LaneFor(origin);
  return lane.in_flight < Capacity(lane);
}

void OriginLanes::OnStarted(const std::string& origin) { ++LaneFor(origin).in_flight; }

void OriginLanes::OnFinished(const std::string& origin, int http_version) {
  Lane& lane = LaneFor(origin);
  --lane.in_flight;
  if (http_version >= 20) {
    lane.multiplexed = true;
  } else if (http_version > 0) {
    lane.multiplexed = false;
  }
}

void OriginLanes::DrainAll(std::vector<PendingRequestPtr>* out) {
  for (const std::unique_ptr<Lane>& lane : lanes_) {
    for (PendingRequestPtr& request : lane->retries) out->push_back(std::move(request));
    for (PendingRequestPtr& request : lane->first_attempts) out->push_back(std::move(request));
    lane->retries.clear();
    lane->first_attempts.clear();
  }
  queued_ = 0;
}

OriginLanes::Lane& OriginLanes::LaneFor(const std::string& origin) {
  auto found = by_origin_.find(origin);
  if (found != by_origin_.end()) return *found->second;

  lanes_.push_back(std::make_unique<Lane>());
  by_origin_.emplace(origin, lanes_.back().get());
  return *lanes_.back();
}

long OriginLanes::Capacity(const Lane& lane) const {
  // Until a response shows multiplexing, each transfer needs a connection of its own.
  return lane.multiplexed ? connections_per_origin_ * streams_per_connection_
                          : connections_per_origin_;
}

bool OriginLanes::CanStart(const Lane& lane) const {
  bool queued = !lane.retries.empty() || !lane.first_attempts.empty();
  return queued && lane.in_flight < Capacity(lane);
}

}  // namespace dpopfleet::http
