// The demo page in a real browser: headless Chromium loads it from an in-process server, the page's
// automation hook (/?demo=<text>, see host/cli/serve_page.h) types the review into the text area
// and clicks Predict through the same DOM events a user triggers, the page calls POST /v1/predict,
// and the dumped DOM must show the model's label and probability. Skipped, with the reason, where
// Chromium is not installed (scripts/setup.sh and .ci/run install it).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/predictor.h"
#include "host/cli/serve_server.h"
#include "host/text/tokenizer.h"
#include "serve_process.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti::cli {
namespace {

Checkpoint tiny_checkpoint() { return test::tiny_checkpoint(8); }


std::string url_encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (const unsigned char c : s) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class ServeBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = test::find_chromium();
    if (chromium_.empty())
      GTEST_SKIP() << "Chromium not installed (apt-get install chromium, or set SENTI_CHROMIUM): "
                      "the browser test of the demo page is skipped";
    predictor_ = std::make_unique<Predictor>(
        ckpt_, make_cpu_backend(inference_backend_options(ckpt_, 4)), 4, "tiny");
    ServeLimits limits;
    limits.max_text_bytes = 200;
    server_ = std::make_unique<PredictServer>(*predictor_, limits, nlohmann::json::object());
    port_ = server_->bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  // Opens /?demo=<text> in headless Chromium and returns the DOM once the page settled.
  std::string dom_after_demo(const std::string& text) {
    const std::string profile = test::scratch_dir("chromium-profile");
    const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/?demo=" + url_encode(text);
    // --virtual-time-budget lets the page run (its fetch included) before the DOM is dumped.
    const std::string cmd = "timeout 90 " + chromium_ +
                            " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
                            " --no-first-run --user-data-dir=" + profile +
                            " --virtual-time-budget=15000 --dump-dom '" + url + "' 2>/dev/null";
    std::string out;
    const int rc = test::run_command(cmd, &out);
    EXPECT_EQ(rc, 0) << cmd << "\n" << out.substr(0, 2000);
    return out;
  }

  Checkpoint ckpt_ = tiny_checkpoint();
  std::string chromium_;
  std::unique_ptr<Predictor> predictor_;
  std::unique_ptr<PredictServer> server_;
  std::thread thread_;
  int port_ = 0;
};

// The opening tag of the result element.
std::string result_tag(const std::string& dom) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex("<div id=\"result\"[^>]*>"))) return m[0];
  return "";
}

TEST_F(ServeBrowser, TypingAReviewAndClickingShowsTheLabelAndProbability) {
  const std::string review = "I loved this great film, fun from start to end";
  const float want = Predictor(ckpt_, make_cpu_backend(inference_backend_options(ckpt_, 1)), 1, "tiny")
                         .predict({review})[0];
  const std::string dom = dom_after_demo(review);
  const std::string tag = result_tag(dom);
  ASSERT_FALSE(tag.empty()) << dom.substr(0, 3000);
  EXPECT_NE(tag.find("data-state=\"done\""), std::string::npos) << tag;
  EXPECT_NE(tag.find(std::string("data-label=\"") + label_of(want, data::imdb_classes()) + "\""), std::string::npos) << tag;
  char prob[64];
  std::snprintf(prob, sizeof prob, "probability of positive: %.4f", want);
  EXPECT_NE(dom.find(prob), std::string::npos) << "expected '" << prob << "' in\n" << dom.substr(0, 3000);
  EXPECT_NE(dom.find(std::string("<div id=\"label\" class=\"") + label_of(want, data::imdb_classes()) + "\">" + label_of(want, data::imdb_classes())),
            std::string::npos);
  // Each word highlighted with its contribution, in the review's own spelling.
  EXPECT_NE(dom.find(">loved</span>"), std::string::npos) << dom.substr(0, 4000);
  EXPECT_NE(dom.find("<span class=\"w\" data-c=\""), std::string::npos) << dom.substr(0, 4000);
  EXPECT_NE(dom.find("contribution (log-odds"), std::string::npos) << dom.substr(0, 4000);
}

// A fresh page shows no result box (and so no empty probability bar) before the first prediction.
TEST_F(ServeBrowser, NoEmptyResultBeforeTheFirstPrediction) {
  const std::string profile = test::scratch_dir("chromium-idle");
  const std::string js = "timeout 90 " + chromium_ +
                         " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                         " --user-data-dir=" + profile + " --virtual-time-budget=3000 --dump-dom "
                         "'http://127.0.0.1:" + std::to_string(port_) + "/' 2>/dev/null";
  std::string dom;
  ASSERT_EQ(test::run_command(js, &dom), 0) << dom.substr(0, 2000);
  EXPECT_NE(result_tag(dom).find("data-state=\"idle\""), std::string::npos) << result_tag(dom);
  EXPECT_NE(dom.find("#result[data-state=\"idle\"] { display: none; }"), std::string::npos);
}

TEST_F(ServeBrowser, AnErrorFromTheServerIsShownOnThePage) {
  const std::string dom = dom_after_demo(std::string(300, 'a'));  // over --max-text-bytes 200
  const std::string tag = result_tag(dom);
  EXPECT_NE(tag.find("data-state=\"error\""), std::string::npos) << tag;
  EXPECT_NE(dom.find("the limit is 200"), std::string::npos) << dom.substr(0, 3000);
}

}  // namespace
}  // namespace senti::cli
