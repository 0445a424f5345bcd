// Counter snapshots and their one-line summary.

#include "counters.h"

namespace dpopfleet {

std::string RealmCounters::ToString() const {
  std::string text = "requests=" + std::to_string(requests) +
                     " connections_accepted=" + std::to_string(connections_accepted) +
                     " tokens_issued=" + std::to_string(tokens_issued) +
                     " dpop_tokens_issued=" + std::to_string(dpop_tokens_issued) +
                     " bearer_tokens_issued=" + std::to_string(bearer_tokens_issued) +
                     " enrollments=" + std::to_string(enrollments) +
                     " registrations=" + std::to_string(registrations) +
                     " introspections=" + std::to_string(introspections) +
                     " revocations=" + std::to_string(revocations) +
                     " whoami_ok=" + std::to_string(whoami_ok) +
                     " nonce_challenges=" + std::to_string(nonce_challenges) +
                     " faults_429=" + std::to_string(faults_429) +
                     " faults_503=" + std::to_string(faults_503) +
                     " faults_reset=" + std::to_string(faults_reset) +
                     " faults_delayed=" + std::to_string(faults_delayed) +
                     " rejections=" + std::to_string(rejections);
  for (const auto& [reason, count] : rejections_by_reason) {
    text += " rejected." + reason + "=" + std::to_string(count);
  }
  return text;
}

namespace realm {

void LiveCounters::RecordRejection(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++rejections_;
  auto it = rejections_by_reason_.find(reason);
  if (it == rejections_by_reason_.end()) {
    rejections_by_reason_.emplace(std::string(reason), 1);
  } else {
    ++it->second;
  }
}

RealmCounters LiveCounters::Snapshot(std::uint64_t connections_accepted) const {
  RealmCounters out;
  out.requests = requests.load();
  out.connections_accepted = connections_accepted;
  out.tokens_issued = tokens_issued.load();
  out.dpop_tokens_issued = dpop_tokens_issued.load();
  out.bearer_tokens_issued = bearer_tokens_issued.load();
  out.enrollments = enrollments.load();
  out.registrations = registrations.load();
  out.introspections = introspections.load();
  out.revocations = revocations.load();
  out.whoami_ok = whoami_ok.load();
  out.nonce_challenges = nonce_challenges.load();
  out.faults_429 = faults_429.load();
  out.faults_503 = faults_503.load();
  out.faults_reset = faults_reset.load();
  out.faults_delayed = faults_delayed.load();
  std::lock_guard lock(mutex_);
  out.rejections = rejections_;
  out.rejections_by_reason.insert(rejections_by_reason_.begin(), rejections_by_reason_.end());
  return out;
}

}  // namespace realm
}  // namespace dpopfleet
