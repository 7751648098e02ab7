// cuDNN 9 LSTM (v8-style API) with a Keras-layout weight map. See cudnn_lstm.h.
#include "engine/cuda/cudnn_lstm.h"

#include <algorithm>
#include <cstdlib>

#include "kernels/common/error.h"
#include "kernels/sequence_mask.cuh"
#include "kernels/weight_map.cuh"

namespace senti::cuda {

namespace {
constexpr size_t kMaxCachedShapes = 16;

// cuDNN's RNN calls cuBLAS internally; with this workspace setting cuBLAS picks reproducible
// reduction schemes (NVIDIA's documented recipe). Must be set before the first handle exists.
CudnnHandle make_handle(bool deterministic) {
  if (deterministic && !std::getenv("CUBLAS_WORKSPACE_CONFIG"))
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  return CudnnHandle();
}
}  // namespace

CudnnLstm::CudnnLstm(const DeviceLstmShape& shape, cudaStream_t stream, bool deterministic)
    : DeviceLstm(shape),
      stream_(stream),
      E_(shape.input_size),
      H_(shape.hidden),
      max_batch_(shape.max_batch),
      maxlen_(shape.maxlen),
      handle_(make_handle(deterministic)) {
  SENTI_CUDNN_CHECK(cudnnSetStream(handle_, stream_));
  // Dropout 0: no RNG states are needed (PyTorch's set_no_dropout does the same).
  SENTI_CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_, handle_, 0.f, nullptr, 0, 0));
  // projSize == hiddenSize means "no projection". Padded IO lets x/y use the unpacked layout.
  // CUDNN_FMA_MATH: plain FP32 FMA, no TF32 tensor cores, for the tightest match to the CPU twin.
  SENTI_CUDNN_CHECK(cudnnSetRNNDescriptor_v8(
      rnn_, CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM, CUDNN_RNN_DOUBLE_BIAS, CUDNN_UNIDIRECTIONAL,
      CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, E_, H_, H_,
      /*numLayers=*/1, dropout_, CUDNN_RNN_PADDED_IO_ENABLED));
  SENTI_CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(handle_, rnn_, &weight_bytes_));
  SENTI_CHECK(weight_bytes_ > 0 && weight_bytes_ % sizeof(float) == 0,
              "cuDNN weight space of ", weight_bytes_, " bytes");
  weights_.resize(weight_bytes_ / sizeof(float));
  dweights_.resize(weight_bytes_ / sizeof(float));
  SENTI_CUDA_CHECK(cudaMemsetAsync(weights_.get(), 0, weight_bytes_, stream_));
  SENTI_CUDA_CHECK(cudaMemsetAsync(dweights_.get(), 0, weight_bytes_, stream_));

  build_weight_map();
  SENTI_CHECK(static_cast<int64_t>(map_host_.size()) == keras_size(), "LSTM weight map size ",
              map_host_.size(), " != Keras block size ", keras_size());
  map_.resize(map_host_.size());
  SENTI_CUDA_CHECK(cudaMemcpyAsync(map_.get(), map_host_.data(), map_.bytes(),
                                   cudaMemcpyHostToDevice, stream_));

  host_lengths_ = PinnedBuffer<int32_t>(static_cast<size_t>(max_batch_));
  dy_zero_.resize(static_cast<size_t>(maxlen_) * max_batch_ * H_);
  SENTI_CUDA_CHECK(cudaMemsetAsync(dy_zero_.get(), 0, dy_zero_.bytes(), stream_));

  const Shape& s = shape_for(max_batch_, maxlen_);  // pre-size workspace and reserve for the max
  ensure_capacity(std::max(s.train_workspace, s.infer_workspace), s.reserve);
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // map_host_ must outlive its copy
}

void CudnnLstm::build_weight_map() {
  const int64_t G = 4 * static_cast<int64_t>(H_);
  const int64_t kernel_size = E_ * G, recurrent_size = H_ * G;
  map_host_.assign(static_cast<size_t>(kernel_size + recurrent_size + G), -1);
  const int64_t ws_floats = static_cast<int64_t>(weights_.size());
  std::vector<char> used(static_cast<size_t>(ws_floats), 0);
  const char* base = reinterpret_cast<const char*>(weights_.get());

  auto float_index = [&](const void* addr, const char* what, int lin) {
    SENTI_CHECK(addr != nullptr, "cudnnGetRNNWeightParams gave no ", what, " for linLayerID ", lin);
    const std::ptrdiff_t off = static_cast<const char*>(addr) - base;
    SENTI_CHECK(off >= 0 && off % static_cast<std::ptrdiff_t>(sizeof(float)) == 0,
                "misaligned ", what, " offset ", off, " for linLayerID ", lin);
    return static_cast<int64_t>(off / static_cast<std::ptrdiff_t>(sizeof(float)));
  };
  auto claim = [&](int64_t ws_index, char tag, int lin) {
    SENTI_CHECK(ws_index >= 0 && ws_index < ws_floats, "linLayerID ", lin,
                ": weight-space index ", ws_index, " outside [0, ", ws_floats, ")");
    SENTI_CHECK(!used[static_cast<size_t>(ws_index)], "linLayerID ", lin,
                ": weight-space element ", ws_index, " mapped twice");
    used[static_cast<size_t>(ws_index)] = tag;
  };

  TensorDesc mdesc, bdesc;
  for (int lin = 0; lin < 8; ++lin) {
    // linLayerID 0-3: input matrices W of gates i, f, g, o; 4-7: recurrent matrices R, same order.
    // Each comes with its bias: b_W (0-3, kept zero) and b_R (4-7, the Keras bias).
    const bool recurrent = lin >= 4;
    const int gate = lin % 4;
    const int in = recurrent ? H_ : E_;
    void* maddr = nullptr;
    void* baddr = nullptr;
    SENTI_CUDNN_CHECK(cudnnGetRNNWeightParams(handle_, rnn_, /*pseudoLayer=*/0, weight_bytes_,
                                              weights_.get(), lin, mdesc, &maddr, bdesc, &baddr));
    cudnnDataType_t dt;
    int nb = 0, dims[3] = {0, 0, 0}, strides[3] = {0, 0, 0};
    SENTI_CUDNN_CHECK(cudnnGetTensorNdDescriptor(mdesc, 3, &dt, &nb, dims, strides));
    SENTI_CHECK(dt == CUDNN_DATA_FLOAT && nb >= 2 && nb <= 3 && (nb == 2 || dims[0] == 1) &&
                    dims[nb - 2] == H_ && dims[nb - 1] == in,
                "linLayerID ", lin, ": unexpected matrix descriptor (nbDims ", nb, ", dims ",
                dims[0], "x", dims[1], "x", dims[2], "), expected ", H_, "x", in);
    // cuDNN matrices are [out = H, in]; Keras's are [in, 4H] with gate blocks along columns.
    const int64_t m0 = float_index(maddr, "matrix", lin);
    const int64_t row_stride = strides[nb - 2], col_stride = strides[nb - 1];
    for (int j = 0; j < H_; ++j) {
      for (int c = 0; c < in; ++c) {
        const int64_t ws = m0 + j * row_stride + c * col_stride;
        const int64_t keras = (recurrent ? kernel_size : 0) + c * G + gate * H_ + j;
        claim(ws, 1, lin);
        map_host_[static_cast<size_t>(keras)] = static_cast<int32_t>(ws);
      }
    }

    SENTI_CUDNN_CHECK(cudnnGetTensorNdDescriptor(bdesc, 3, &dt, &nb, dims, strides));
    int64_t count = 1, bias_stride = 1;
    for (int d = 0; d < nb; ++d) {
      count *= dims[d];
      if (dims[d] == H_ && H_ > 1) bias_stride = strides[d];
    }
    SENTI_CHECK(dt == CUDNN_DATA_FLOAT && nb >= 1 && nb <= 3 && count == H_, "linLayerID ", lin,
                ": unexpected bias descriptor (", count, " elements, expected ", H_, ")");
    const int64_t b0 = float_index(baddr, "bias", lin);
    for (int j = 0; j < H_; ++j) {
      const int64_t ws = b0 + j * bias_stride;
      if (recurrent) {
        claim(ws, 1, lin);
        map_host_[static_cast<size_t>(kernel_size + recurrent_size + gate * H_ + j)] =
            static_cast<int32_t>(ws);
      } else {
        claim(ws, 2, lin);  // input-side bias: never written, stays zero
      }
    }
  }
  for (size_t k = 0; k < map_host_.size(); ++k)
    SENTI_CHECK(map_host_[k] >= 0, "Keras LSTM element ", k, " has no place in cuDNN's weight space");
}

CudnnLstm::Shape& CudnnLstm::shape_for(int B, int T) {
  const auto key = std::make_pair(B, T);
  if (auto it = shapes_.find(key); it != shapes_.end()) return *it->second;
  if (shapes_.size() >= kMaxCachedShapes) {  // bound the cache; the queued work may still use them
    SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));
    shapes_.clear();
    trained_ = nullptr;
  }
  auto s = std::make_unique<Shape>();
  std::vector<int> lengths(static_cast<size_t>(B), T);  // no mask: every sequence runs all T steps
  float fill = 0.f;
  SENTI_CUDNN_CHECK(cudnnSetRNNDataDescriptor(s->x, CUDNN_DATA_FLOAT,
                                              CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T, B, E_,
                                              lengths.data(), &fill));
  SENTI_CUDNN_CHECK(cudnnSetRNNDataDescriptor(s->y, CUDNN_DATA_FLOAT,
                                              CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T, B, H_,
                                              lengths.data(), &fill));
  const int dims[3] = {1, B, H_};
  const int strides[3] = {B * H_, H_, 1};
  SENTI_CUDNN_CHECK(cudnnSetTensorNdDescriptor(s->h, CUDNN_DATA_FLOAT, 3, dims, strides));
  s->seq_lengths.resize(static_cast<size_t>(B));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(s->seq_lengths.get(), lengths.data(), s->seq_lengths.bytes(),
                                   cudaMemcpyHostToDevice, stream_));
  SENTI_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handle_, rnn_, CUDNN_FWD_MODE_TRAINING, s->x,
                                              &s->train_workspace, &s->reserve));
  size_t unused_reserve = 0;
  SENTI_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handle_, rnn_, CUDNN_FWD_MODE_INFERENCE, s->x,
                                              &s->infer_workspace, &unused_reserve));
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // `lengths` dies here; once per new shape
  return *shapes_.emplace(key, std::move(s)).first->second;
}

void CudnnLstm::set_lengths(Shape& s, int B, int T, const int32_t* lengths) {
  if (!lengths && s.all_steps) return;
  std::vector<int> all;
  const int* host = nullptr;
  if (lengths) {
    if (padding() == PadSide::Pre)
      SENTI_FAIL("--lstm cudnn with --mask needs --padding post: cuDNN's padded layout keeps each "
                 "row's real tokens first (the fused LSTM, --lstm fused, runs pre padding)");
    SENTI_CUDA_CHECK(cudaMemcpyAsync(host_lengths_.get(), lengths, sizeof(int32_t) * B,
                                     cudaMemcpyDeviceToHost, stream_));
    SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the descriptors take host lengths
    for (int b = 0; b < B; ++b)
      if (host_lengths_.get()[b] < 1 || host_lengths_.get()[b] > T)
        SENTI_FAIL("--lstm cudnn with --mask: batch row ", b, " has ", host_lengths_.get()[b],
                   " real tokens; cuDNN needs 1..", T, " (an empty review: use --lstm fused)");
    host = host_lengths_.get();
    SENTI_CUDA_CHECK(cudaMemcpyAsync(s.seq_lengths.get(), lengths, sizeof(int32_t) * B,
                                     cudaMemcpyDeviceToDevice, stream_));
  } else {
    all.assign(static_cast<size_t>(B), T);
    host = all.data();
    SENTI_CUDA_CHECK(cudaMemcpyAsync(s.seq_lengths.get(), host, sizeof(int32_t) * B,
                                     cudaMemcpyHostToDevice, stream_));
    SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // `all` dies here
  }
  float fill = 0.f;
  SENTI_CUDNN_CHECK(cudnnSetRNNDataDescriptor(s.x, CUDNN_DATA_FLOAT,
                                              CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T, B, E_,
                                              host, &fill));
  SENTI_CUDNN_CHECK(cudnnSetRNNDataDescriptor(s.y, CUDNN_DATA_FLOAT,
                                              CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T, B, H_,
                                              host, &fill));
  // The sizes are queried for the descriptors as they are now (they need not follow the lengths,
  // but nothing documents that they do not).
  size_t unused_reserve = 0;
  SENTI_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handle_, rnn_, CUDNN_FWD_MODE_TRAINING, s.x,
                                              &s.train_workspace, &s.reserve));
  SENTI_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handle_, rnn_, CUDNN_FWD_MODE_INFERENCE, s.x,
                                              &s.infer_workspace, &unused_reserve));
  s.all_steps = lengths == nullptr;
}

void CudnnLstm::ensure_capacity(size_t workspace, size_t reserve) {
  if (workspace_.bytes() >= workspace && reserve_.bytes() >= reserve) return;
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // queued work may still use the old buffers
  if (workspace_.bytes() < workspace) workspace_.resize(workspace);
  if (reserve_.bytes() < reserve) reserve_.resize(reserve);
}

std::string CudnnLstm::describe() const {
  const size_t v = cudnnGetVersion();  // 91900 = 9.19.0
  return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." +
         std::to_string(v % 100) + " (STANDARD, FP32 FMA)";
}

void CudnnLstm::load_keras(const float* keras_block) {
  kernels::scatter_to_weight_space(keras_block, map_.get(), keras_size(), weights_.get(), stream_);
}

void CudnnLstm::gradient_to_keras(float* keras_block_grad) {
  kernels::gather_from_weight_space(dweights_.get(), map_.get(), keras_size(), keras_block_grad,
                                    stream_);
}

void CudnnLstm::store_keras(float* keras_block) const {
  kernels::gather_from_weight_space(weights_.get(), map_.get(), keras_size(), keras_block, stream_);
}

void CudnnLstm::forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
                        bool training) {
  check_call("CudnnLstm::forward", B, T, lengths);
  Shape& s = shape_for(B, T);
  set_lengths(s, B, T, lengths);
  ensure_capacity(training ? s.train_workspace : s.infer_workspace, training ? s.reserve : 0);
  SENTI_CUDNN_CHECK(cudnnRNNForward(
      handle_, rnn_, training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE,
      s.seq_lengths.get(), s.x, x, s.y, y, s.h, /*hx=*/nullptr, hy, s.h, /*cx=*/nullptr,
      /*cy=*/nullptr, weight_bytes_, weights_.get(),
      training ? s.train_workspace : s.infer_workspace, workspace_.get(),
      training ? s.reserve : 0, training ? reserve_.get() : nullptr));
  if (training) {
    trained_ = &s;
    trained_B_ = B;
    trained_T_ = T;
    trained_lengths_ = lengths;
  }
  last_forward_trained_ = training;
}

void CudnnLstm::backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                         const float* dy, const float* dhy, float* dx) {
  check_call("CudnnLstm::backward", B, T, lengths, dy);
  SENTI_CHECK(trained_ && last_forward_trained_ && trained_B_ == B && trained_T_ == T &&
                  trained_lengths_ == lengths,
              "CudnnLstm::backward: the last forward was not a forward(training) of shape B=", B,
              " T=", T, " with these lengths");
  const Shape& s = *trained_;
  SENTI_CUDNN_CHECK(cudnnRNNBackwardData_v8(
      handle_, rnn_, s.seq_lengths.get(), s.y, y, dy ? dy : dy_zero_.get(), s.x, dx, s.h,
      /*hx=*/nullptr, dhy, /*dhx=*/nullptr, s.h, /*cx=*/nullptr, /*dcy=*/nullptr,
      /*dcx=*/nullptr, weight_bytes_, weights_.get(), s.train_workspace, workspace_.get(),
      s.reserve, reserve_.get()));
  if (lengths) kernels::zero_padded_positions(dx, B, T, E_, lengths, kernels::Padding::Post, stream_);
  // BackwardWeights only adds into dweight: zero it first, every step.
  SENTI_CUDA_CHECK(cudaMemsetAsync(dweights_.get(), 0, weight_bytes_, stream_));
  SENTI_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(
      handle_, rnn_, CUDNN_WGRAD_MODE_ADD, s.seq_lengths.get(), s.x, x, s.h, /*hx=*/nullptr, s.y,
      y, weight_bytes_, dweights_.get(), s.train_workspace, workspace_.get(), s.reserve,
      reserve_.get()));
}

}  // namespace senti::cuda
