// Issue 20 (the reliability audit, part B) for `senti serve`: a bad Content-Length or
// Transfer-Encoding is answered at once with a JSON error (not misread, not waited on until the
// 10 s request timeout), and --host takes every spelling of a loopback address.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "host/cli/serve_server.h"
#include "host/run/checkpoint.h"
#include "serve_test_server.h"
#include "serve_process.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

extern char** environ;

namespace senti::cli {
namespace {

using Clock = std::chrono::steady_clock;
using test::RawClient;
using test::RunningServer;

struct Answer {
  std::string bytes;
  bool closed = false;
  double seconds = 0;
};

// Sends `request` on a fresh connection and reads the whole answer (the server closes after it).
Answer ask(int port, const std::string& request) {
  RawClient c(port);
  EXPECT_TRUE(c.connected());
  const auto start = Clock::now();
  EXPECT_TRUE(c.send(request));
  Answer a;
  a.bytes = c.read_until("\x01never", 8000, &a.closed);  // until the server closes
  a.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return a;
}

void expect_json_error(const Answer& a, int status, const std::string& needle, const std::string& what) {
  EXPECT_EQ(a.bytes.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << what << ": " << a.bytes;
  EXPECT_TRUE(a.closed) << what << ": the connection stayed open";
  EXPECT_LT(a.seconds, 3.0) << what << ": answered only after " << a.seconds << " s";
  EXPECT_NE(a.bytes.find("Connection: close"), std::string::npos) << what << ": " << a.bytes;
  EXPECT_EQ(a.bytes.find("Keep-Alive"), std::string::npos) << what << ": " << a.bytes;
  const size_t body = a.bytes.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << what << ": " << a.bytes;
  const auto j = nlohmann::json::parse(a.bytes.substr(body + 4), nullptr, false);
  ASSERT_TRUE(j.is_object()) << what << ": " << a.bytes;
  EXPECT_EQ(j.value("status", 0), status) << what;
  EXPECT_NE(j.value("error", std::string()).find(needle), std::string::npos) << what << ": " << a.bytes;
}

std::string post_head(const std::string& headers) {
  return "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
         "\r\n";
}

TEST(ServeReliability, BogusContentLengthIsAnImmediate400) {
  RunningServer s;  // request timeout 10 s: each answer must come well before it
  for (const std::string v : {"abc", "-1", "18446744073709551616", "99999999999999999999999",
                              "+5", "0x10", "1e3", "12 34"}) {
    // No body follows: the old server waited for 2^64-1 bytes until the timeout, or read "abc" as 0.
    const Answer a = ask(s.port, post_head("Content-Length: " + v + "\r\n"));
    expect_json_error(a, 400, "invalid Content-Length", "Content-Length: " + v);
  }
  // Two lengths that disagree; a length beside chunked encoding (a request-smuggling pattern).
  expect_json_error(ask(s.port, post_head("Content-Length: 2\r\nContent-Length: 3\r\n") + "{}"),
                    400, "invalid Content-Length", "two lengths");
  expect_json_error(ask(s.port, post_head("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n")),
                    400, "invalid Content-Length", "length and chunked");
  // Also on GET: the bytes after the headers could not be found either.
  expect_json_error(ask(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
                    400, "invalid Content-Length", "GET");
}

TEST(ServeReliability, MissingLengthAndUnknownEncodingAreAnsweredAtOnce) {
  RunningServer s;
  expect_json_error(ask(s.port, post_head("") + "{\"texts\": [\"good\"]}"), 411,
                    "Content-Length required", "no length");
  expect_json_error(ask(s.port, post_head("Transfer-Encoding: gzip\r\n")), 501,
                    "Transfer-Encoding 'gzip' is not supported", "gzip");
}

TEST(ServeReliability, ValidLengthsStillWork) {
  RunningServer s;
  const std::string body = test::predict_body({"a fine film"});
  RawClient c(s.port);
  ASSERT_TRUE(c.connected());
  // A repeated identical length is the same length; leading zeros are still decimal.
  ASSERT_TRUE(c.send(post_head("Content-Length: 0" + std::to_string(body.size()) +
                               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") +
                     body));
  const std::string got = c.read_until("\r\n\r\n", 5000);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
  // The connection is kept for the next request.
  auto r = s.client().Post("/v1/predict", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // Over the body limit, with the body sent: still httplib's 413.
  auto big = s.client().Post("/v1/predict", std::string(5000, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413) << big->body;
}

TEST(ServeReliability, LoopbackInEverySpelling) {
  for (const char* h : {"127.0.0.1", "127.1", "127.2.3.4", "127.255.255.254", "0x7f.1", "::1",
                        "[::1]", "::ffff:127.0.0.1", "::ffff:127.9.8.7", "[::ffff:127.0.0.1]",
                        "localhost", "LOCALHOST", "0:0:0:0:0:0:0:1"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"0.0.0.0", "::", "192.168.1.10", "128.0.0.1", "::ffff:10.0.0.1",
                        "::ffff:0.0.0.0", "example.com", "127.0.0.1.5", "", "localhost.example"})
    EXPECT_FALSE(is_loopback_host(h)) << h;
  EXPECT_EQ(canonical_host("127.1"), "127.0.0.1");
  EXPECT_EQ(canonical_host("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_host("[::1]"), "::1");
  EXPECT_EQ(canonical_host("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(canonical_host("localhost"), "localhost");
}

// `senti serve --host <host> --port 0` on a tiny checkpoint: the URL it prints, then /healthz
// through 127.0.0.1 at that port.
void serve_and_connect(const std::string& host) {
  const std::string dir = test::scratch_dir("serve-host");
  const std::string ckpt = dir + "/m.safetensors", out_path = dir + "/out.txt";
  save_checkpoint(ckpt, test::tiny_checkpoint(21));
  const test::ServeProcess serve = test::start_serve(ckpt, out_path, {"--host", host});
  ASSERT_NE(serve.pid, 0) << serve.log;
  const pid_t pid = serve.pid;
  const int port = serve.port;
  const std::string& log = serve.log;
  if (port != 0) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    auto r = c.Get("/healthz");
    EXPECT_TRUE(r && r->status == 200) << host;
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  EXPECT_NE(port, 0) << host << ": " << log;
}

TEST(ServeReliability, ServeListensOnLoopbackSpellings) {
  serve_and_connect("127.1");
  serve_and_connect("::ffff:127.0.0.1");
}

TEST(ServeReliability, NonLoopbackStillNeedsAllowRemote) {
  std::string out;
  EXPECT_EQ(test::run_command(test::senti_bin() + " serve --checkpoint x --host 10.1.2.3", &out), 2);
  EXPECT_NE(out.find("--host 10.1.2.3 is not a loopback address"), std::string::npos) << out;
  EXPECT_NE(out.find("--allow-remote"), std::string::npos) << out;
}

}  // namespace
}  // namespace senti::cli
