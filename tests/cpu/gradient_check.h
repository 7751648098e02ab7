#pragma once
// The one central-difference check of a backend's gradient against the double reference
// (tests/cpu/lstm_reference.h): every element of every tensor, h = 1e-5,
// |got - numeric| <= 2e-6 + 1e-4·|numeric| (float rounding of the analytic gradient is ~1e-7 here,
// the difference's error ~1e-10), per tensor max |got - numeric| < 1e-3·max |numeric|, and no
// tensor's gradient (nearly) all zeros (a check that saw only zeros would prove nothing about that
// tensor), except the tensors the caller names as zero by construction (e.g. the recurrent kernel
// of a one-step batch, whose input h_0 is 0): those must be exactly 0, numerically and as `grads`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "engine/params.h"
#include "lstm_reference.h"

namespace senti::test {

// Returns the largest |numeric| over all elements (0 when the sizes do not match the layout).
inline double expect_gradients_match_central_differences(
    const ref::Case& c, std::vector<double> theta, const std::vector<float>& grads,
    std::initializer_list<ParamId> zero_by_construction = {}) {
  const ParamLayout L(c.cfg);
  EXPECT_EQ(grads.size(), L.total());
  EXPECT_EQ(theta.size(), L.total());
  if (grads.size() != L.total() || theta.size() != L.total()) return 0;
  auto is_zero_by_construction = [&](const TensorInfo& t) {
    return std::any_of(zero_by_construction.begin(), zero_by_construction.end(),
                       [&](ParamId id) { return L.has(id) && L[id].offset == t.offset; });
  };
  const double h = 1e-5;
  double max_overall = 0;
  for (const TensorInfo& t : L.tensors()) {
    const bool zero = is_zero_by_construction(t);
    double max_abs = 0, max_err = 0;
    for (size_t k = t.offset; k < t.offset + t.size; ++k) {
      const double numeric = ref::central_difference(c, theta, k, h);
      max_abs = std::max(max_abs, std::fabs(numeric));
      max_err = std::max(max_err, std::fabs(numeric - grads[k]));
      if (zero) {
        EXPECT_EQ(numeric, 0.0) << t.name << " element " << (k - t.offset);
        EXPECT_EQ(grads[k], 0.f) << t.name << " element " << (k - t.offset);
      } else {
        EXPECT_NEAR(grads[k], numeric, 2e-6 + 1e-4 * std::fabs(numeric))
            << t.name << " element " << (k - t.offset);
      }
    }
    max_overall = std::max(max_overall, max_abs);
    if (zero) continue;
    EXPECT_GT(max_abs, 1e-3) << t.name << " gradient is (nearly) all zeros";
    EXPECT_LT(max_err, 1e-3 * max_abs) << t.name;
  }
  return max_overall;
}

}  // namespace senti::test
