// The fused LSTM forward recurrence: one block per (row, direction) runs all of the row's real
// steps. See kernels/lstm_fused.cuh for the contract and docs/performance.md for the cost model.
#include "kernels/lstm_fused.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/lstm_cell.h"
#include "kernels/cuda_check.h"
#include "kernels/launch.cuh"
#include "kernels/lstm_fused_rows.cuh"

namespace senti::kernels {
namespace fused {
namespace {

// Resident: thread t = 4u + g owns gate column j = g*H + u. Its column of R stays on chip for the
// whole sequence, h_{t-1} is read from shared memory (a broadcast), lane g activates gate g, the
// four activated gates of unit u meet in lanes 4u..4u+3 through shuffles, every one of those
// lanes runs the same cell update (so c stays in a register) and lane g stores gate g and one of
// h, c, tanh(c). One barrier a step: h is double-buffered.
template <int H>
__global__ void __launch_bounds__(Resident<H>::kThreads, Resident<H>::kMinBlocksPerSm)
lstm_forward_resident(ForwardArgs args) {
  using Cfg = Resident<H>;
  constexpr int G = Cfg::kGates, KR = Cfg::kRegisterRows, KS = Cfg::kSharedRows;
  SENTI_DYNAMIC_SHARED(float, smem);
  float* h_buf = smem;        // [2][H]
  float* r_sh = smem + 2 * H;  // [KS][G]: thread t's rows KR.. at r_sh[k*G + t]

  const FusedLstmBatch& bt = args.batch;
  const FusedLstmForwardDir& d = args.dir[blockIdx.y];
  const int b = blockIdx.x, t = threadIdx.x, lane = t & 31;
  const int u = t >> 2, g = t & 3, j = g * H + u;
  const int B = bt.B;
  const int ldy = d.ldy ? d.ldy : H, ldh = d.ldh ? d.ldh : H;

  float r[KR];
  SENTI_UNROLL
  for (int k = 0; k < KR; ++k) r[k] = d.recurrent[static_cast<size_t>(k) * G + j];
  for (int k = 0; k < KS; ++k) r_sh[k * G + t] = d.recurrent[static_cast<size_t>(KR + k) * G + j];
  const float bias = d.bias[j];
  const RowSteps rs = row_steps(bt, b, d.reverse);
  zero_padded(d.y, ldy, H, rs, bt.T, B, b);
  if (t < H) h_buf[t] = 0.f;

  float c = 0.f, h = 0.f;
  // z's input part for the next step, loaded a step ahead so its latency hides behind the matvec.
  float zx_next = rs.len > 0 ? d.pre[tb_row(rs.pos(0), B, b) * G + j] + bias : 0.f;
  __syncthreads();
  for (int k = 0; k < rs.len; ++k) {
    const size_t row = tb_row(rs.pos(k), B, b);
    const float zx = zx_next;
    if (k + 1 < rs.len) zx_next = d.pre[tb_row(rs.pos(k + 1), B, b) * G + j] + bias;

    const float4* h4 = reinterpret_cast<const float4*>(h_buf + (k & 1) * H);
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;  // four chains, summed in a fixed order
    SENTI_UNROLL
    for (int q = 0; q < KR / 4; ++q) {
      const float4 hv = h4[q];
      a0 = fmaf(hv.x, r[4 * q], a0);
      a1 = fmaf(hv.y, r[4 * q + 1], a1);
      a2 = fmaf(hv.z, r[4 * q + 2], a2);
      a3 = fmaf(hv.w, r[4 * q + 3], a3);
    }
    SENTI_UNROLL
    for (int q = KR / 4; q < H / 4; ++q) {
      const float4 hv = h4[q];
      const float* rq = r_sh + (4 * q - KR) * G + t;
      a0 = fmaf(hv.x, rq[0], a0);
      a1 = fmaf(hv.y, rq[G], a1);
      a2 = fmaf(hv.z, rq[2 * G], a2);
      a3 = fmaf(hv.w, rq[3 * G], a3);
    }
    const float z = zx + ((a0 + a1) + (a2 + a3));

    // Lane g activates its own gate; the four activated gates of unit u then meet in each of
    // lanes 4u..4u+3, which all run the same update (so c stays in a register).
    const float act = math::lstm_gate_activation(g, z);
    const int base = lane & ~3;
    const math::LstmGates a{__shfl_sync(kFullWarp, act, base), __shfl_sync(kFullWarp, act, base + 1),
                            __shfl_sync(kFullWarp, act, base + 2), __shfl_sync(kFullWarp, act, base + 3)};
    float tc;
    math::lstm_cell_update(a, c, &c, &tc, &h);
    if (d.gates) d.gates[row * G + j] = act;
    // One store a lane, no divergent branches: lane 0 h -> y, lane 1 c, lane 2 tanh(c).
    float* out = g == 0 ? (d.y ? d.y + row * ldy : nullptr)
                        : g == 1 ? (d.c ? d.c + row * H : nullptr)
                                 : g == 2 ? (d.tc ? d.tc + row * H : nullptr) : nullptr;
    if (out) out[u] = g == 0 ? h : g == 1 ? c : tc;
    if (g == 0) h_buf[((k + 1) & 1) * H + u] = h;
    __syncthreads();
  }
  if (g == 0) d.hy[static_cast<size_t>(b) * ldh + u] = h;
}

// Generic: any H. Threads stride over the 4H gate columns (R read from global memory, coalesced
// across columns) and then over the H units; two barriers a step.
__global__ void __launch_bounds__(1024) lstm_forward_generic(ForwardArgs args) {
  SENTI_DYNAMIC_SHARED(float, smem);
  const FusedLstmBatch& bt = args.batch;
  const FusedLstmForwardDir& d = args.dir[blockIdx.y];
  const int H = bt.H, G = 4 * H, B = bt.B, b = blockIdx.x;
  const int ldy = d.ldy ? d.ldy : H, ldh = d.ldh ? d.ldh : H;
  float* z_s = smem;     // [G]
  float* h_s = z_s + G;  // [H]
  float* c_s = h_s + H;  // [H]

  const RowSteps rs = row_steps(bt, b, d.reverse);
  zero_padded(d.y, ldy, H, rs, bt.T, B, b);
  for (int u = threadIdx.x; u < H; u += blockDim.x) h_s[u] = c_s[u] = 0.f;
  __syncthreads();
  for (int k = 0; k < rs.len; ++k) {
    const size_t row = tb_row(rs.pos(k), B, b);
    for (int j = threadIdx.x; j < G; j += blockDim.x) {
      float acc = 0.f;
      for (int m = 0; m < H; ++m) acc = fmaf(h_s[m], d.recurrent[static_cast<size_t>(m) * G + j], acc);
      z_s[j] = (d.pre[row * G + j] + d.bias[j]) + acc;
    }
    __syncthreads();
    for (int u = threadIdx.x; u < H; u += blockDim.x) {
      float c, tc, h;
      const math::LstmGates a =
          math::lstm_cell_forward(z_s[u], z_s[H + u], z_s[2 * H + u], z_s[3 * H + u], c_s[u], &c, &tc, &h);
      c_s[u] = c;
      h_s[u] = h;
      if (d.gates) {
        float* gr = d.gates + row * G + u;
        gr[0] = a.i, gr[H] = a.f, gr[2 * H] = a.g, gr[3 * H] = a.o;
      }
      if (d.c) d.c[row * H + u] = c;
      if (d.tc) d.tc[row * H + u] = tc;
      if (d.y) d.y[row * ldy + u] = h;
    }
    __syncthreads();
  }
  for (int u = threadIdx.x; u < H; u += blockDim.x) d.hy[static_cast<size_t>(b) * ldh + u] = h_s[u];
}

template <int H>
void launch_resident_forward(const ForwardArgs& args, int ndirs, cudaStream_t stream) {
  constexpr size_t bytes = Resident<H>::forward_shared_floats() * sizeof(float);
  if (bytes > 48 * 1024)  // above the default limit: opt in (idempotent, cheap)
    SENTI_CUDA_CHECK(cudaFuncSetAttribute(lstm_forward_resident<H>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(bytes)));
  launch(lstm_forward_resident<H>, dim3(args.batch.B, ndirs), dim3(Resident<H>::kThreads), bytes,
         stream, args);
}

}  // namespace
}  // namespace fused

void fused_lstm_forward(const FusedLstmBatch& bt, const FusedLstmForwardDir* dirs, int ndirs,
                        cudaStream_t stream) {
  SENTI_CHECK(bt.B >= 1 && bt.B <= 65535 && bt.T >= 1 && bt.H >= 1 && bt.H <= 4096,
              "fused_lstm_forward: bad shape B=", bt.B, " T=", bt.T, " H=", bt.H);
  SENTI_CHECK(ndirs >= 1 && ndirs <= fused::kMaxDirs, "fused_lstm_forward: ", ndirs, " directions");
  fused::ForwardArgs args;
  args.batch = bt;
  for (int i = 0; i < ndirs; ++i) {
    const FusedLstmForwardDir& d = dirs[i];
    SENTI_CHECK(d.recurrent && d.bias && d.pre && d.hy, "fused_lstm_forward: null operand");
    SENTI_CHECK((d.gates && d.c && d.tc) || (!d.gates && !d.c && !d.tc),
                "fused_lstm_forward: gates, c and tc go together (training) or not at all");
    args.dir[i] = d;
  }
  switch (fused_lstm_resolve(bt)) {
    case FusedLstmPath::Resident:
      if (bt.H == 64) fused::launch_resident_forward<64>(args, ndirs, stream);
      else fused::launch_resident_forward<128>(args, ndirs, stream);
      break;
    default: {
      const size_t bytes = (4 * static_cast<size_t>(bt.H) + 2 * bt.H) * sizeof(float);
      if (bytes > 48 * 1024)
        SENTI_CUDA_CHECK(cudaFuncSetAttribute(fused::lstm_forward_generic,
                                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(bytes)));
      launch(fused::lstm_forward_generic, dim3(bt.B, ndirs), dim3(fused::generic_threads(bt.H)),
             bytes, stream, args);
    }
  }
}

}  // namespace senti::kernels
