// The Predictor never returns a NaN probability (it would print as "nan negative" and serve as
// null): a backend that produces one makes predict() throw, naming the checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "engine/cpu/cpu_backend.h"
#include "host/run/predictor.h"
#include "kernels/common/error.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

// The CPU backend, except that the second probability of every batch comes out NaN.
class NaNBackend : public Backend {
 public:
  explicit NaNBackend(const BackendOptions& o) : Backend(o), inner_(make_cpu_backend(o)) {}
  std::string describe() const override { return "nan"; }
  HostBuffer alloc_host(size_t bytes) override { return inner_->alloc_host(bytes); }
  void set_state(const TrainState& s) override { inner_->set_state(s); }
  TrainState get_state() override { return inner_->get_state(); }
  void train_step(const Batch& b) override { inner_->train_step(b); }
  void eval_step(const Batch& b, float* probs) override {
    inner_->eval_step(b, probs);
    if (probs && b.batch > 1) probs[1] = std::nanf("");
  }
  Metrics take_metrics() override { return inner_->take_metrics(); }
  double loss_and_gradients(const Batch& b, float* g) override { return inner_->loss_and_gradients(b, g); }

 private:
  std::unique_ptr<Backend> inner_;
};

TEST(PredictorGuard, NaNProbabilityIsAnErrorNotAnAnswer) {
  const Checkpoint c = test::tiny_checkpoint(3);
  Predictor ok(c, make_cpu_backend(inference_backend_options(c, 4)), 4, "tiny.safetensors");
  EXPECT_EQ(ok.predict({"good", "bad"}).size(), 2u);  // the control
  Predictor p(c, std::make_unique<NaNBackend>(inference_backend_options(c, 4)), 4, "tiny.safetensors");
  EXPECT_NO_THROW(p.predict({"one review"}));
  try {
    p.predict({"good film", "bad film", "fun"});
    FAIL() << "a NaN probability was returned";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("non-finite probability"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace senti
