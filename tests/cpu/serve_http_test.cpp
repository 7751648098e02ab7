// `senti serve` over real HTTP: the server runs in-process on a free loopback port, httplib::Client
// talks to it. Every endpoint, every error, concurrent clients; and the binary itself (loopback
// guard, URL on start, clean stop on SIGTERM).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/predictor.h"
#include "host/cli/serve_server.h"
#include "host/text/tokenizer.h"
#include "serve_process.h"
#include "test_env.h"
#include "serve_test_server.h"
#include "tiny_checkpoint.h"

extern char** environ;

namespace senti::cli {
namespace {

using test::predict_body;
using test::RunningServer;

Checkpoint tiny_checkpoint() { return test::tiny_checkpoint(21); }

std::unique_ptr<Predictor> make_predictor(const Checkpoint& c, int batch) {
  return test::make_tiny_predictor(c, batch);
}

// The response must be a JSON error with this status whose message contains `needle`.
void expect_error(const httplib::Result& r, int status, const std::string& needle) {
  ASSERT_TRUE(r) << "no response: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r->body;
  EXPECT_EQ(j.value("status", 0), status) << r->body;
  EXPECT_NE(j.value("error", std::string()).find(needle), std::string::npos) << r->body;
}

TEST(ServeHttp, PageIsSelfContainedHtml) {
  RunningServer s;
  auto r = s.client().Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  for (const char* part : {"<textarea", "id=\"predict\"", "id=\"bar-fill\"", "class=\"example\"",
                           "/v1/predict"})
    EXPECT_NE(r->body.find(part), std::string::npos) << part;
  // No external resources: nothing is loaded from another origin.
  EXPECT_EQ(r->body.find("src=\"http"), std::string::npos);
  EXPECT_EQ(r->body.find("href=\"http"), std::string::npos);
  EXPECT_EQ(r->body.find("@import"), std::string::npos);
}

TEST(ServeHttp, Healthz) {
  RunningServer s;
  auto r = s.client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j.at("status"), "ok");
  EXPECT_EQ(j.at("model").at("maxlen"), 10);
}

TEST(ServeHttp, PredictReturnsTheModelsProbabilitiesInOrder) {
  RunningServer s;
  const std::vector<std::string> texts = {"I loved this great film", "boring plot, awful acting",
                                          "", "zebra", "très bien"};
  auto r = s.client().Post("/v1/predict", predict_body(texts), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const auto j = nlohmann::json::parse(r->body);
  const auto want = s.expected(texts);
  ASSERT_EQ(j.at("predictions").size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(j["predictions"][i]["prob_positive"].get<float>(), want[i]) << texts[i];
    EXPECT_EQ(j["predictions"][i]["label"], label_of(want[i], data::imdb_classes())) << texts[i];
  }
}

TEST(ServeHttp, EveryErrorIsAJson4xxAndTheServerKeepsServing) {
  RunningServer s;
  auto c = s.client();
  expect_error(c.Post("/v1/predict", "{not json", "application/json"), 400, "not valid JSON");
  expect_error(c.Post("/v1/predict", "{\"texts\": [\"bad \xff\"]}", "application/json"), 400,
               "not valid JSON");
  expect_error(c.Post("/v1/predict", "[]", "application/json"), 400, "is an array");
  expect_error(c.Post("/v1/predict", "{\"text\": \"x\"}", "application/json"), 400, "missing");
  expect_error(c.Post("/v1/predict", "{\"texts\": \"x\"}", "application/json"), 400, "is a string");
  expect_error(c.Post("/v1/predict", "{\"texts\": [\"a\", 3]}", "application/json"), 400,
               "texts[1] is a number");
  expect_error(c.Post("/v1/predict", "{\"texts\": []}", "application/json"), 400, "empty");
  expect_error(c.Post("/v1/predict", predict_body(std::vector<std::string>(9, "a")), "application/json"),
               413, "limit is 8");
  expect_error(c.Post("/v1/predict", predict_body({std::string(301, 'a')}), "application/json"), 413,
               "301 bytes");
  // Over --max-body-bytes: refused by the server before the handler (Content-Length).
  expect_error(c.Post("/v1/predict", predict_body({std::string(5000, 'a')}), "application/json"), 413,
               "4096 bytes");
  expect_error(c.Get("/nope"), 404, "no such endpoint: GET /nope");
  expect_error(c.Post("/healthz", "", "text/plain"), 405, "use GET");
  expect_error(c.Delete("/"), 405, "use GET");
  auto r = c.Get("/v1/predict");
  expect_error(r, 405, "use POST");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  // A number no double can hold was a 500 (nlohmann's out_of_range escaped the parser).
  expect_error(c.Post("/v1/predict", "{\"texts\": [1e999999]}", "application/json"), 400,
               "cannot hold");
  expect_error(c.Post("/v1/predict", "{\"texts\": [\"a\"], \"n\": -1e999999}", "application/json"),
               400, "cannot hold");
  // OPTIONS (no CORS preflight support) was a 404; TRACE, which httplib does not route, a 400.
  auto options = c.Options("/v1/predict");
  expect_error(options, 405, "OPTIONS is not allowed on /v1/predict");
  EXPECT_EQ(options->get_header_value("Allow"), "POST");
  auto options_page = c.Options("/");
  expect_error(options_page, 405, "use GET");
  EXPECT_EQ(options_page->get_header_value("Allow"), "GET, HEAD");
  expect_error(c.Options("/nope"), 404, "no such endpoint");
  auto head = c.Head("/v1/predict");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 405);
  EXPECT_EQ(head->get_header_value("Allow"), "POST");
  {
    test::RawClient raw(s.port);
    ASSERT_TRUE(raw.send("TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string got = raw.read_until("}", 5000);
    EXPECT_EQ(got.rfind("HTTP/1.1 405", 0), 0u) << got;
    EXPECT_NE(got.find("Allow: GET, HEAD"), std::string::npos) << got;
  }

  // Malformed HTTP on a raw socket.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string garbage = "\x01\x02 NONSENSE \xff\xfe\r\n\r\n";
  ASSERT_EQ(send(fd, garbage.data(), garbage.size(), 0), static_cast<ssize_t>(garbage.size()));
  char buf[512] = {};
  const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  close(fd);
  EXPECT_GT(n, 0);
  EXPECT_EQ(std::string(buf).rfind("HTTP/1.1 400", 0), 0u) << buf;

  // Still alive and correct after all that.
  auto ok = c.Post("/v1/predict", predict_body({"great"}), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok->body)["predictions"][0]["prob_positive"].get<float>(),
            s.expected({"great"})[0]);
}

TEST(ServeHttp, ConcurrentClientsGetTheSameAnswersAsSequential) {
  RunningServer s;
  const char* words[] = {"good", "bad", "great", "awful", "boring", "fun", "plot", "zebra", "loved"};
  std::vector<std::vector<std::string>> requests;
  for (int i = 0; i < 160; ++i) {
    std::vector<std::string> texts;
    for (int t = 0; t <= i % 6; ++t) {
      std::string r;
      for (int k = 0; k <= (i + t) % 7; ++k) r += std::string(words[(i * 3 + t * 5 + k) % 9]) + " ";
      texts.push_back(r);
    }
    requests.push_back(texts);
  }
  std::vector<std::string> sequential;
  {
    auto c = s.client();
    for (const auto& req : requests) {
      auto r = c.Post("/v1/predict", predict_body(req), "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200);
      sequential.push_back(r->body);
    }
  }
  std::vector<std::string> concurrent(requests.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto c = s.client();
      for (size_t i = static_cast<size_t>(t); i < requests.size(); i += 8) {  // 20 requests each
        auto r = c.Post("/v1/predict", predict_body(requests[i]), "application/json");
        concurrent[i] = r && r->status == 200 ? r->body : "failed";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(concurrent[i], sequential[i]) << "request " << i;
}

TEST(ServeHttp, StopBeforeRunReturnsAtOnce) {
  auto predictor = make_predictor(tiny_checkpoint(), 2);
  PredictServer server(*predictor, ServeLimits{}, nlohmann::json::object());
  server.bind("127.0.0.1", 0);
  server.stop();
  server.run();  // must not block
  SUCCEED();
}

// ---- the binary -------------------------------------------------------------------------------

TEST(ServeCli, RefusesNonLoopbackWithoutAllowRemote) {
  const std::string dir = test::scratch_dir("serve-cli");
  save_checkpoint(dir + "/m.safetensors", tiny_checkpoint());
  std::string out;
  const int rc = test::run_command(test::senti_bin() + " serve --device cpu --checkpoint " + dir +
                                       "/m.safetensors --host 0.0.0.0 --port 0", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("--allow-remote"), std::string::npos) << out;
  const int rc2 = test::run_command(test::senti_bin() + " serve --device cpu --checkpoint " + dir +
                                        "/missing.safetensors --port 0", &out);
  EXPECT_EQ(rc2, 2) << out;
  EXPECT_NE(out.find("missing.safetensors"), std::string::npos) << out;
}

TEST(ServeCli, ServesThenStopsCleanlyOnSigterm) {
  const std::string dir = test::scratch_dir("serve-cli");
  save_checkpoint(dir + "/m.safetensors", tiny_checkpoint());
  const std::string ckpt = dir + "/m.safetensors", out_path = dir + "/out.txt";
  // Waits for "listening on http://127.0.0.1:<port>/".
  test::ServeProcess serve = test::start_serve(ckpt, out_path);
  ASSERT_NE(serve.pid, 0) << serve.log;
  const pid_t pid = serve.pid;
  const int port = serve.port;
  std::string log = serve.log;
  if (port == 0) kill(pid, SIGKILL);
  ASSERT_NE(port, 0) << log;
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  kill(pid, SIGTERM);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 400 && done == 0; ++i) {  // up to 20 s
    done = waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "senti serve did not exit within 20 s of SIGTERM";
  }
  ASSERT_EQ(done, pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(out_path);
  log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("senti serve: stopped"), std::string::npos) << log;
}

}  // namespace
}  // namespace senti::cli
