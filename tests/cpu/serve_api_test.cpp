// The serve API's request validation and response bodies, without HTTP.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/cli/serve_api.h"
#include "host/cli/serve_server.h"

namespace senti::cli {
namespace {

ServeLimits small_limits() {
  ServeLimits l;
  l.max_texts = 3;
  l.max_body_bytes = 200;
  l.max_text_bytes = 20;
  return l;
}

// Expects the body to be refused with `status` and a message containing `needle`.
void expect_refused(const std::string& body, int status, const std::string& needle) {
  std::vector<std::string> texts = {"left over"};
  ApiError err;
  EXPECT_FALSE(parse_predict_request(body, small_limits(), &texts, &err)) << body;
  EXPECT_EQ(err.status, status) << body << " -> " << err.message;
  EXPECT_NE(err.message.find(needle), std::string::npos) << body << " -> " << err.message;
}

TEST(ServeApi, AcceptsTexts) {
  std::vector<std::string> texts;
  ApiError err;
  ASSERT_TRUE(parse_predict_request(R"({"texts": ["good", "", "très \u00e9"], "extra": 1})",
                                    small_limits(), &texts, &err))
      << err.message;
  EXPECT_EQ(texts, (std::vector<std::string>{"good", "", "très é"}));
}

TEST(ServeApi, RefusesMalformedBodies) {
  expect_refused("", 400, "not valid JSON");
  expect_refused("{\"texts\": [\"a\"]", 400, "not valid JSON");
  expect_refused("{\"texts\": [\"\xff\"]}", 400, "not valid JSON");  // invalid UTF-8
  expect_refused("[\"a\"]", 400, "is an array");
  expect_refused("\"a\"", 400, "is a string");
  expect_refused("{\"text\": [\"a\"]}", 400, "\"texts\" is missing");
  expect_refused("{\"texts\": \"a\"}", 400, "\"texts\" is a string");
  expect_refused("{\"texts\": {\"a\": 1}}", 400, "\"texts\" is an object");
  expect_refused("{\"texts\": []}", 400, "empty");
  expect_refused("{\"texts\": [\"a\", 2]}", 400, "texts[1] is a number");
  expect_refused("{\"texts\": [\"a\", null]}", 400, "texts[1] is null");
  expect_refused("{\"texts\": [[\"a\"]]}", 400, "texts[0] is an array");
  expect_refused("{\"texts\": [[[[[[[[[[[[[[[[[[\"a\"]]]]]]]]]]]]]]]]]]}", 400, "deeper than");
  // Numbers no double holds: nlohmann throws out_of_range, not parse_error (was an HTTP 500).
  expect_refused("{\"texts\": [1e999999]}", 400, "cannot hold");
  expect_refused("{\"texts\": [\"a\"], \"x\": -1e400}", 400, "cannot hold");
}

TEST(ServeApi, RefusesTooLarge) {
  expect_refused("{\"texts\": [\"a\", \"b\", \"c\", \"d\"]}", 413, "limit is 3");
  expect_refused("{\"texts\": [\"" + std::string(21, 'x') + "\"]}", 413, "texts[0] has 21 bytes");
  expect_refused("{\"texts\": [\"a\"]}" + std::string(200, ' '), 413, "limit is 200");
  // Exactly at the limits is fine.
  std::vector<std::string> texts;
  ApiError err;
  EXPECT_TRUE(parse_predict_request("{\"texts\": [\"" + std::string(20, 'x') + "\", \"b\", \"c\"]}",
                                    small_limits(), &texts, &err))
      << err.message;
}

TEST(ServeApi, ResponseBodies) {
  const auto p = nlohmann::json::parse(predictions_json({0.25f, 0.75f}));
  ASSERT_EQ(p.at("predictions").size(), 2u);
  EXPECT_EQ(p["predictions"][0]["prob_positive"].get<float>(), 0.25f);
  EXPECT_EQ(p["predictions"][0]["label"], "negative");
  EXPECT_EQ(p["predictions"][1]["label"], "positive");
  const auto e = nlohmann::json::parse(error_json(413, "too big \xff"));
  EXPECT_EQ(e.at("status"), 413);
  EXPECT_EQ(e.at("error"), "too big \xef\xbf\xbd");
}

TEST(ServeApi, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("192.168.1.10"));
  EXPECT_FALSE(is_loopback_host("example.com"));
}

}  // namespace
}  // namespace senti::cli
