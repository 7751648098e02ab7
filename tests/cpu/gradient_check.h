#pragma once
// The one central-difference check of a backend's gradient against the double reference
// (tests/cpu/lstm_reference.h): every element of every tensor, h = 1e-5,
// |got - numeric| <= 2e-6 + 1e-4·|numeric|, and no tensor's gradient (nearly) all zeros (a check
// that saw only zeros would prove nothing about that tensor).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/params.h"
#include "lstm_reference.h"

namespace senti::test {

inline void expect_gradients_match_central_differences(const ref::Case& c, std::vector<double> theta,
                                                       const std::vector<float>& grads) {
  const ParamLayout L(c.cfg);
  ASSERT_EQ(grads.size(), L.total());
  ASSERT_EQ(theta.size(), L.total());
  const double h = 1e-5;
  for (const TensorInfo& t : L.tensors()) {
    double max_abs = 0;
    for (size_t k = t.offset; k < t.offset + t.size; ++k) {
      const double saved = theta[k];
      theta[k] = saved + h;
      const double up = ref::loss(c, theta);
      theta[k] = saved - h;
      const double down = ref::loss(c, theta);
      theta[k] = saved;
      const double numeric = (up - down) / (2 * h);
      max_abs = std::max(max_abs, std::fabs(numeric));
      EXPECT_NEAR(grads[k], numeric, 2e-6 + 1e-4 * std::fabs(numeric))
          << t.name << " element " << (k - t.offset);
    }
    EXPECT_GT(max_abs, 1e-3) << t.name << " gradient is (nearly) all zeros";
  }
}

}  // namespace senti::test
