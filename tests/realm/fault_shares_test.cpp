// The fault rates as shares of requests: over many draws with a fixed seed, each fault's
// observed share matches its rate, and rates that add up to more than 1 are rejected.

#include <gtest/gtest.h>

#include "dpopfleet/clock.h"
#include "faults.h"

namespace dpopfleet::realm {
namespace {

TEST(FaultShares, ObservedSharesMatchRates) {
  RealmFaults faults;
  faults.rate_reset = 0.1;
  faults.rate_429 = 0.5;
  faults.rate_503 = 0.3;
  ASSERT_TRUE(ValidateFaults(faults).ok());
  LiveCounters counters;
  FaultInjector injector(faults, 7, SystemClock(), counters);

  constexpr int kDraws = 100'000;
  int served = 0;
  for (int i = 0; i < kDraws; ++i) {
    if (!injector.Inject()) ++served;
  }

  // The standard deviation of a share near 0.5 over 100,000 draws is about 0.0016, so a
  // band of 0.01 fails only for a real bias. Independent draws checked one after another
  // would give the 503 fault a share of 0.135 (0.3 x 0.5 x 0.9) with these rates.
  auto share = [](std::uint64_t count) { return static_cast<double>(count) / kDraws; };
  EXPECT_NEAR(share(counters.faults_reset.load()), 0.1, 0.01);
  EXPECT_NEAR(share(counters.faults_429.load()), 0.5, 0.01);
  EXPECT_NEAR(share(counters.faults_503.load()), 0.3, 0.01);
  EXPECT_NEAR(share(served), 0.1, 0.01);
  EXPECT_EQ(counters.faults_reset + counters.faults_429 + counters.faults_503 + served,
            static_cast<std::uint64_t>(kDraws));
}

TEST(FaultShares, FullShareIsEveryRequest) {
  RealmFaults faults;
  faults.rate_429 = 0.5;
  faults.rate_503 = 0.5;
  ASSERT_TRUE(ValidateFaults(faults).ok());
  LiveCounters counters;
  FaultInjector injector(faults, 1, SystemClock(), counters);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(injector.Inject().has_value());
  EXPECT_EQ(counters.faults_429 + counters.faults_503, 1000u);
}

TEST(FaultShares, RejectsRatesAboveOneInTotal) {
  RealmFaults faults;
  faults.rate_429 = 0.6;
  faults.rate_503 = 0.6;
  Status status = ValidateFaults(faults);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message().find("1.2"), std::string::npos) << status.error().message();

  faults.rate_503 = 0.3;
  faults.rate_reset = 0.2;
  EXPECT_FALSE(ValidateFaults(faults).ok());
}

}  // namespace
}  // namespace dpopfleet::realm
