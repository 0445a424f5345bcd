// Tables of htu normalisation, server-side canonical comparison and URL helpers.

#include <gtest/gtest.h>

#include "dpopfleet/url.h"

namespace dpopfleet {
namespace {

struct UrlCase {
  const char* input;
  const char* expected;  // nullptr: the input must be rejected
};

TEST(NormalizeHtu, Table) {
  const UrlCase kCases[] = {
      {"https://server.example.com/token", "https://server.example.com/token"},
      {"HTTPS://Server.Example.COM/Token", "https://server.example.com/Token"},
      {"https://server.example.com:443/token", "https://server.example.com/token"},
      {"http://server.example.com:80/token", "http://server.example.com/token"},
      {"https://server.example.com:8443/token", "https://server.example.com:8443/token"},
      {"http://server.example.com:443/", "http://server.example.com:443/"},
      {"https://server.example.com", "https://server.example.com/"},
      {"https://server.example.com?x=1", "https://server.example.com/"},
      {"https://user:pass@server.example.com/a", "https://server.example.com/a"},
      {"https://server.example.com/a?query=1#frag", "https://server.example.com/a"},
      {"https://server.example.com/a#frag", "https://server.example.com/a"},
      {"https://server.example.com/a/./b/../c", "https://server.example.com/a/c"},
      {"https://server.example.com/../a", "https://server.example.com/a"},
      {"https://server.example.com/a/..", "https://server.example.com/"},
      {"https://server.example.com/a/b/", "https://server.example.com/a/b/"},
      {"https://server.example.com/a%2fb%7E", "https://server.example.com/a%2fb%7E"},
      {"https://server.example.com//a", "https://server.example.com//a"},
      {"http://[::1]:8080/x", "http://[::1]:8080/x"},
      {"http://[::1]:80/x", "http://[::1]/x"},
      {"http://127.0.0.1:0080/", "http://127.0.0.1/"},
      {"https://server.example.com:/a", "https://server.example.com/a"},
      {"ftp://server.example.com/a", nullptr},
      {"server.example.com/a", nullptr},
      {"https:///a", nullptr},
      {"https://server.example.com:99999/", nullptr},
      {"https://server.example.com:12a/", nullptr},
      {"https://server.example.com/a b", nullptr},
      {"https://[::1/a", nullptr},
  };
  for (const UrlCase& test : kCases) {
    Result<std::string> htu = NormalizeHtu(test.input);
    if (test.expected == nullptr) {
      ASSERT_FALSE(htu.ok()) << test.input << " gave " << *htu;
      EXPECT_EQ(htu.error().code(), ErrorCode::kInvalidUrl);
      EXPECT_NE(htu.error().message().find(test.input), std::string::npos)
          << htu.error().message();
    } else {
      ASSERT_TRUE(htu.ok()) << test.input << ": " << htu.error().ToString();
      EXPECT_EQ(*htu, test.expected) << test.input;
    }
  }
}

TEST(CanonicalHtu, Table) {
  const UrlCase kCases[] = {
      {"https://server.example.com/a%2fb", "https://server.example.com/a%2Fb"},
      {"https://server.example.com/%7Euser", "https://server.example.com/~user"},
      {"https://server.example.com/%41%2D", "https://server.example.com/A-"},
      {"https://server.example.com/a/%2E%2E/b", "https://server.example.com/b"},
      {"HTTPS://SERVER.example.com:443", "https://server.example.com/"},
      {"https://server.example.com/%zz", nullptr},
      {"https://server.example.com/%4", nullptr},
  };
  for (const UrlCase& test : kCases) {
    Result<std::string> htu = CanonicalHtu(test.input);
    if (test.expected == nullptr) {
      EXPECT_FALSE(htu.ok()) << test.input;
    } else {
      ASSERT_TRUE(htu.ok()) << test.input << ": " << htu.error().ToString();
      EXPECT_EQ(*htu, test.expected) << test.input;
    }
  }
}

TEST(JoinUrl, NeverDoublesSlashes) {
  EXPECT_EQ(JoinUrl("https://rs.example/api/", "/v1/items"), "https://rs.example/api/v1/items");
  EXPECT_EQ(JoinUrl("https://rs.example/api", "v1/items"), "https://rs.example/api/v1/items");
  EXPECT_EQ(JoinUrl("https://rs.example/api//", "//v1"), "https://rs.example/api/v1");
  EXPECT_EQ(JoinUrl("https://rs.example", "/token"), "https://rs.example/token");
  EXPECT_EQ(JoinUrl("https://rs.example/api", ""), "https://rs.example/api");
  EXPECT_EQ(JoinUrl("https://rs.example/api", "https://other.example/x"),
            "https://other.example/x");
  EXPECT_EQ(JoinUrl("https://rs.example/api", "v1/items/"), "https://rs.example/api/v1/items/");
}

TEST(UrlOrigin, DropsDefaultPortAndPath) {
  EXPECT_EQ(*UrlOrigin("HTTPS://AS.Example:443/token?x"), "https://as.example");
  EXPECT_EQ(*UrlOrigin("http://127.0.0.1:8080/a"), "http://127.0.0.1:8080");
  EXPECT_FALSE(UrlOrigin("mailto:x@example.com").ok());
}

TEST(IsLoopbackUrl, Table) {
  EXPECT_TRUE(IsLoopbackUrl("http://localhost:8080/"));
  EXPECT_TRUE(IsLoopbackUrl("http://127.0.0.1/"));
  EXPECT_TRUE(IsLoopbackUrl("http://127.45.3.9:9000/x"));
  EXPECT_TRUE(IsLoopbackUrl("http://[::1]:9000/x"));
  EXPECT_TRUE(IsLoopbackUrl("http://LOCALHOST/"));
  EXPECT_FALSE(IsLoopbackUrl("http://128.0.0.1/"));
  EXPECT_FALSE(IsLoopbackUrl("http://127.0.0.1.example.com/"));
  EXPECT_FALSE(IsLoopbackUrl("http://localhost.example.com/"));
  EXPECT_FALSE(IsLoopbackUrl("http://127.0.0/"));
  EXPECT_FALSE(IsLoopbackUrl("http://[::2]/"));
  EXPECT_FALSE(IsLoopbackUrl("not a url"));
}

}  // namespace
}  // namespace dpopfleet
