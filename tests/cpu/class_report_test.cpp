// The per-class report against figures worked out by hand (the same as scikit-learn's
// classification_report / confusion_matrix with zero_division=0 give for these labels).
#include <gtest/gtest.h>

#include "host/run/class_report.h"

namespace senti {
namespace {

TEST(ClassReport, ThreeClassesByHand) {
  const ClassReport r = class_report({0, 0, 1, 1, 2, 2, 2}, {0, 1, 1, 1, 2, 0, 2}, {"a", "b", "c"});
  EXPECT_EQ(r.confusion, (std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 2}}));
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(r.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(r.precision[1], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall[1], 1.0);
  EXPECT_NEAR(r.f1[1], 0.8, 1e-12);
  EXPECT_DOUBLE_EQ(r.precision[2], 1.0);
  EXPECT_NEAR(r.recall[2], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.macro_f1, 0.7, 1e-12);
  EXPECT_NEAR(r.accuracy, 5.0 / 7.0, 1e-12);
  EXPECT_EQ(r.support, (std::vector<int64_t>{2, 2, 3}));
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["per_class"]["c"]["support"], 3);
  EXPECT_EQ(j["confusion"]["matrix"][2][0], 1);
  EXPECT_NE(r.table().find("macro avg"), std::string::npos);
}

TEST(ClassReport, NeverPredictedClassScoresZeroNotNaN) {
  const ClassReport r = class_report({0, 1}, {0, 0}, {"neg", "pos"});
  EXPECT_EQ(r.precision[1], 0.0);
  EXPECT_EQ(r.recall[1], 0.0);
  EXPECT_EQ(r.f1[1], 0.0);
  EXPECT_NEAR(r.f1[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.macro_f1, 1.0 / 3.0, 1e-12);
}

TEST(ClassReport, TwoClassDecisionIsTheMetricsRule) {
  EXPECT_EQ(predicted_classes({0.2f, 0.5f, 0.5001f, 0.9f}), (std::vector<int32_t>{0, 0, 1, 1}));
}

}  // namespace
}  // namespace senti
