// libFuzzer: the `senti serve` request parser (host/cli/serve_api) on arbitrary bodies, under
// small limits (so the 413 paths are reached) and the defaults. Accepted requests respect the
// limits; refusals carry a 400/413 and a message that error_json turns into valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "targets.h"
#include "host/cli/serve_api.h"

using senti::fuzz::require;

namespace {

void check(std::string_view body, const senti::cli::ServeLimits& limits) {
  std::vector<std::string> texts;
  senti::cli::ApiError error;
  if (senti::cli::parse_predict_request(body, limits, &texts, &error)) {
    require(!texts.empty() && texts.size() <= limits.max_texts);
    for (const auto& t : texts) require(t.size() <= limits.max_text_bytes);
    return;
  }
  require(error.status == 400 || error.status == 413);
  require(!error.message.empty());
  const auto j = nlohmann::json::parse(senti::cli::error_json(error.status, error.message));
  require(j.at("status") == error.status);
}

}  // namespace

namespace senti::fuzz {

int serve_request(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  senti::cli::ServeLimits small;
  small.max_texts = 3;
  small.max_body_bytes = 512;
  small.max_text_bytes = 16;
  check(body, small);
  check(body, senti::cli::ServeLimits{});
  return 0;
}

}  // namespace senti::fuzz
