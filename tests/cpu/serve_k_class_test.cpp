// `senti serve` with a K-class checkpoint: POST /v1/predict answers {"label", "prob", "probs"} with
// every class's probability (explained too), `senti serve`'s /healthz names the head and the
// classes, and the demo page (headless Chromium, as tests/cpu/serve_browser_test.cpp; skipped
// without it) shows the predicted class and a row per class with its probability. The two-class
// API and page are tested, unchanged, by the other serve tests.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve_test_server.h"
#include "serve_process.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

extern char** environ;

namespace senti::cli {
namespace {

const std::vector<std::string> kClasses = {"cats", "dogs", "fish"};
const std::vector<std::string> kTexts = {"the movie was good fun", "awful boring plot", "loved the acting"};

// An in-process server for a K-class checkpoint, with the model info `senti serve` would report.
struct KClassServer {
  Checkpoint ckpt;
  std::unique_ptr<Predictor> predictor;
  std::unique_ptr<PredictServer> server;
  std::thread thread;
  int port = 0;

  explicit KClassServer(Head head) : ckpt(test::tiny_k_class_checkpoint(21, head)) {
    predictor = test::make_tiny_predictor(ckpt, 4);
    const nlohmann::json info = {{"head", head_name(head)}, {"classes", ckpt.classes}, {"maxlen", 10}};
    server = std::make_unique<PredictServer>(*predictor, test::small_serve_limits(), info);
    port = server->bind("127.0.0.1", 0);
    thread = std::thread([this] { server->run(); });
  }
  ~KClassServer() {
    server->stop();
    thread.join();
  }
  nlohmann::json post(const nlohmann::json& body) const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20);
    auto r = c.Post("/v1/predict", body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body);
  }
};

TEST(ServeKClass, PredictionsCarryEveryClassProbability) {
  KClassServer s(Head::Softmax);
  const std::vector<float> want = test::make_tiny_predictor(s.ckpt, 4)->predict(kTexts);
  ASSERT_EQ(want.size(), kTexts.size() * 3);
  for (const bool explain : {false, true}) {
    const nlohmann::json j = s.post({{"texts", kTexts}, {"explain", explain}});
    ASSERT_EQ(j["predictions"].size(), kTexts.size()) << j.dump();
    for (size_t i = 0; i < kTexts.size(); ++i) {
      const auto& p = j["predictions"][i];
      EXPECT_FALSE(p.contains("prob_positive")) << p.dump();
      ASSERT_EQ(p["probs"].size(), 3u) << p.dump();
      size_t top = 0;
      double sum = 0;
      for (size_t k = 0; k < 3; ++k) {
        EXPECT_FLOAT_EQ(p["probs"][kClasses[k]].get<float>(), want[i * 3 + k]) << explain << " " << p.dump();
        sum += want[i * 3 + k];
        if (want[i * 3 + k] > want[i * 3 + top]) top = k;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
      EXPECT_EQ(p["label"], kClasses[top]) << p.dump();
      EXPECT_FLOAT_EQ(p["prob"].get<float>(), want[i * 3 + top]);
      EXPECT_EQ(p.contains("explanation"), explain) << p.dump();
      if (explain) {
        EXPECT_EQ(p["explanation"]["class"], kClasses[top]) << p.dump();
      }
    }
  }
}

// A multi-label model's predictions also list every label above 0.5, most probable first.
TEST(ServeKClass, MultiLabelPredictionsListTheLabelsAboveHalf) {
  KClassServer s(Head::MultiLabel);
  const std::vector<float> want = test::make_tiny_predictor(s.ckpt, 4)->predict(kTexts);
  for (const bool explain : {false, true}) {
    const nlohmann::json j = s.post({{"texts", kTexts}, {"explain", explain}});
    ASSERT_EQ(j["predictions"].size(), kTexts.size()) << j.dump();
    for (size_t i = 0; i < kTexts.size(); ++i) {
      const auto& p = j["predictions"][i];
      std::vector<std::pair<float, std::string>> above;
      for (size_t k = 0; k < 3; ++k)
        if (want[i * 3 + k] > 0.5f) above.emplace_back(want[i * 3 + k], kClasses[k]);
      std::stable_sort(above.begin(), above.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      nlohmann::json names = nlohmann::json::array();
      for (const auto& a : above) names.push_back(a.second);
      EXPECT_EQ(p["labels"], names) << explain << " " << p.dump();
    }
  }
}

TEST(ServeKClass, CliHealthzNamesTheHeadAndClasses) {
  const std::string dir = test::scratch_dir("serve-k-class-cli");
  const std::string ckpt = dir + "/m.safetensors", out_path = dir + "/out.txt";
  save_checkpoint(ckpt, test::tiny_k_class_checkpoint(21));
  const test::ServeProcess serve = test::start_serve(ckpt, out_path);
  ASSERT_NE(serve.pid, 0) << serve.log;
  const pid_t pid = serve.pid;
  const int port = serve.port;
  const std::string& log = serve.log;
  nlohmann::json health, predicted;
  if (port != 0) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20);
    if (auto r = c.Get("/healthz"); r && r->status == 200) health = nlohmann::json::parse(r->body);
    if (auto r = c.Post("/v1/predict", test::predict_body({"meow"}), "application/json"); r && r->status == 200)
      predicted = nlohmann::json::parse(r->body);
  }
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 400 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i == 399) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
  ASSERT_NE(port, 0) << log;
  EXPECT_EQ(health["model"]["head"], "softmax") << health.dump();
  EXPECT_EQ(health["model"]["classes"], nlohmann::json(kClasses)) << health.dump();
  ASSERT_EQ(predicted["predictions"].size(), 1u) << predicted.dump();
  EXPECT_EQ(predicted["predictions"][0]["probs"].size(), 3u) << predicted.dump();
}

// ---- the page, in headless Chromium ---------------------------------------------------------


// The DOM of /?demo=<text> (letters and spaces only) once the page settled.
std::string page_after_demo(const std::string& chromium, int port, const std::string& text) {
  std::string query;
  for (const char c : text) query += c == ' ' ? std::string("%20") : std::string(1, c);
  const std::string cmd = "timeout 90 " + chromium +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                          " --user-data-dir=" + test::scratch_dir("chromium-k-class") +
                          " --virtual-time-budget=15000 --dump-dom 'http://127.0.0.1:" +
                          std::to_string(port) + "/?demo=" + query + "' 2>/dev/null";
  std::string out;
  EXPECT_EQ(test::run_command(cmd, &out), 0) << cmd << "\n" << out.substr(0, 2000);
  return out;
}

// The data-p of each class row, by class, in page order.
std::vector<std::pair<std::string, std::string>> class_rows(const std::string& dom) {
  std::vector<std::pair<std::string, std::string>> rows;
  const std::regex row("<div class=\"class-row[^\"]*\" data-class=\"([^\"]+)\" data-p=\"([0-9.]+)\">");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), row); it != std::sregex_iterator(); ++it)
    rows.emplace_back((*it)[1], (*it)[2]);
  return rows;
}

class ServeKClassPage : public ::testing::TestWithParam<Head> {
 protected:
  void SetUp() override {
    chromium_ = test::find_chromium();
    if (chromium_.empty())
      GTEST_SKIP() << "Chromium not installed (apt-get install chromium, or set SENTI_CHROMIUM): "
                      "the browser test of the demo page is skipped";
  }
  std::string chromium_;
};

TEST_P(ServeKClassPage, ShowsThePredictedClassAndEveryClassProbability) {
  const Head head = GetParam();
  KClassServer s(head);
  const std::string review = "the movie was good fun";
  const std::vector<float> want = test::make_tiny_predictor(s.ckpt, 1)->predict({review});
  size_t top = 0;
  for (size_t k = 1; k < 3; ++k)
    if (want[k] > want[top]) top = k;
  const std::string dom = page_after_demo(chromium_, s.port, review);
  ASSERT_NE(dom.find("data-state=\"done\""), std::string::npos) << dom.substr(0, 4000);
  EXPECT_NE(dom.find("data-label=\"" + kClasses[top] + "\""), std::string::npos) << dom.substr(0, 4000);
  EXPECT_NE(dom.find("<div id=\"label\" class=\"\">" + kClasses[top] + "</div>"), std::string::npos)
      << dom.substr(0, 4000);
  // One row per class, most probable first, each with the API's probability.
  const auto rows = class_rows(dom);
  ASSERT_EQ(rows.size(), 3u) << dom.substr(0, 6000);
  EXPECT_EQ(rows[0].first, kClasses[top]);
  for (const auto& [name, p] : rows) {
    const size_t k = static_cast<size_t>(std::find(kClasses.begin(), kClasses.end(), name) - kClasses.begin());
    ASSERT_LT(k, 3u) << name;
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", want[k]);
    EXPECT_EQ(p, text) << name;
  }
  // The classes under the title (from /healthz), and the words coloured for the predicted class.
  EXPECT_NE(dom.find("cats, dogs, fish. An LSTM trained on labelled texts decides."), std::string::npos)
      << dom.substr(0, 4000);
  EXPECT_NE(dom.find("log-odds of " + kClasses[top]), std::string::npos) << dom.substr(0, 6000);
  EXPECT_NE(dom.find("<span class=\"w\" data-c=\""), std::string::npos);
  // The two-class bar is hidden; the line under the label speaks of the classes.
  EXPECT_NE(dom.find("<div id=\"bar\" title=\"probability of positive\" style=\"display: none;\">"),
            std::string::npos) << dom.substr(0, 4000);
  EXPECT_EQ(dom.find("<div id=\"prob\">probability of positive"), std::string::npos);
  if (head == Head::MultiLabel) {
    EXPECT_NE(dom.find("Which of these 3 labels apply?"), std::string::npos) << dom.substr(0, 4000);
    EXPECT_NE(dom.find("<div id=\"prob\">labels above 0.5: "), std::string::npos) << dom.substr(0, 4000);
  } else {
    char prob[64];
    std::snprintf(prob, sizeof prob, "<div id=\"prob\">probability of %s: %.4f", kClasses[top].c_str(), want[top]);
    EXPECT_NE(dom.find(prob), std::string::npos) << "expected '" << prob << "' in\n" << dom.substr(0, 4000);
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, ServeKClassPage, ::testing::Values(Head::Softmax, Head::MultiLabel),
                         [](const ::testing::TestParamInfo<Head>& i) {
                           return std::string(i.param == Head::Softmax ? "Softmax" : "MultiLabel");
                         });

}  // namespace
}  // namespace senti::cli
