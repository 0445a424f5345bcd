// The transport's own queue of attempts waiting to be handed to libcurl, one lane per
// origin. A lane hands libcurl only as many transfers as the origin's connections can carry
// at once: one per connection for HTTP/1.1, connections x streams (at most 100 streams)
// once a response showed that the origin multiplexes over HTTP/2. Everything else waits
// here, unbuilt, so that the factory runs (and signs its DPoP proof with the then-latest
// nonce) only when the attempt goes on the wire at once. A transfer queued inside libcurl
// would instead carry a proof built before it waited, whose nonce may have rotated by the
// time the server reads it.

#ifndef DPOPFLEET_ENGINE_HTTP_ORIGIN_LANES_H_
#define DPOPFLEET_ENGINE_HTTP_ORIGIN_LANES_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dpopfleet/transport.h"
#include "transfer.h"

namespace dpopfleet::http {

// OriginLanes is owned and used by the transport's loop thread only.
class OriginLanes {
 public:
  explicit OriginLanes(const TransportOptions& options);

  // Push queues |request|, whose origin must be known, in its origin's lane. Retries go
  // ahead of first attempts: they are older, and a nonce retry carries the newest nonce.
  void Push(PendingRequestPtr request, bool retry);

  // PopStartable returns the next queued request whose lane has room for one more
  // transfer, taking lanes in turn, or nullptr when no lane can start one.
  PendingRequestPtr PopStartable();

  // HasStartable returns whether PopStartable would return a request.
  bool HasStartable() const;

  // HasRoom returns whether |origin|'s lane can take one more transfer now.
  bool HasRoom(const std::string& origin);

  // OnStarted counts a transfer for |origin| that was handed to libcurl.
  void OnStarted(const std::string& origin);

  // OnFinished counts a transfer for |origin| that left libcurl. |http_version| is the
  // response's version (11, 20, ...), or 0 when no response arrived. A response records
  // whether the origin multiplexes, which sets the lane's capacity.
  void OnFinished(const std::string& origin, int http_version);

  // DrainAll moves every queued request into |*out| and empties the lanes.
  void DrainAll(std::vector<PendingRequestPtr>* out);

 private:
  struct Lane {
    std::deque<PendingRequestPtr> retries;
    std::deque<PendingRequestPtr> first_attempts;
    long in_flight = 0;
    bool multiplexed = false;
  };

  Lane& LaneFor(const std::string& origin);
  // Capacity returns how many transfers |lane| hands to libcurl at once. Over HTTP/2 that
  // is connections x streams, with streams capped at 100 per connection.
  // NOTE: a server that allows fewer than 100 streams makes libcurl queue the excess, where
  // those proofs wait, and one that allows more gets no more than 100 per connection.
  long Capacity(const Lane& lane) const;
  bool CanStart(const Lane& lane) const;

  long connections_per_origin_;
  long streams_per_connection_;

  std::unordered_map<std::string, Lane*> by_origin_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::size_t next_lane_ = 0;
  std::size_t queued_ = 0;
};

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_ORIGIN_LANES_H_
