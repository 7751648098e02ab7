// The fused LSTM backward recurrence: one block per (row, direction) walks the row's real steps in
// reverse and writes dZ (the gradient of the pre-activations); the weight and input gradients are
// GEMMs over dZ afterwards. See kernels/lstm_fused.cuh.
#include "kernels/lstm_fused.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/lstm_cell.h"
#include "kernels/cuda_check.h"
#include "kernels/launch.cuh"
#include "kernels/lstm_fused_rows.cuh"

namespace senti::kernels {
namespace fused {
namespace {

__device__ __forceinline__ float pick(int q, float v0, float v1, float v2, float v3) {
  return q == 0 ? v0 : q == 1 ? v1 : q == 2 ? v2 : v3;
}

// Resident: thread t = 4u + q owns chunk q of row u of R, R[u][q*H .. q*H + H) (the recurrent
// weights of gate q from unit u). Every lane of unit u runs the same cell backward (so dh and dc
// stay in registers), lane q publishes dz of gate q in shared memory, and after one barrier
// dL/dh_{t-1}[u] = sum over the four chunks of R[u][chunk]·dz[chunk]: each lane sums its chunk, a
// two-step xor shuffle adds the four (the same sum in every lane: float + is commutative).
template <int H>
__global__ void __launch_bounds__(Resident<H>::kThreads, Resident<H>::kMinBlocksPerSm)
lstm_backward_resident(BackwardArgs args) {
  using Cfg = Resident<H>;
  constexpr int G = Cfg::kGates, KR = Cfg::kRegisterRows, KS = Cfg::kSharedRows, LD = Cfg::kDzLd;
  SENTI_DYNAMIC_SHARED(float, smem);
  float* dz_buf = smem;              // [2][4][LD]: dz of gate q at [q*LD + u]
  float* r_sh = smem + 2 * 4 * LD;   // [KS][G]: thread t's values KR.. at r_sh[i*G + t]

  const FusedLstmBatch& bt = args.batch;
  const FusedLstmBackwardDir& d = args.dir[blockIdx.y];
  const int b = blockIdx.x, t = threadIdx.x;
  const int u = t >> 2, q = t & 3;
  const int B = bt.B;
  const int ldy = d.ldy ? d.ldy : H, ldh = d.ldh ? d.ldh : H;

  const float* r_row = d.recurrent + static_cast<size_t>(u) * G + q * H;
  float r[KR];
  SENTI_UNROLL
  for (int i = 0; i < KR; ++i) r[i] = r_row[i];
  for (int i = 0; i < KS; ++i) r_sh[i * G + t] = r_row[KR + i];
  const RowSteps rs = row_steps(bt, b, d.reverse);
  zero_padded(d.dz, G, G, rs, bt.T, B, b);
  __syncthreads();
  if (rs.len == 0) return;

  // Step k's inputs, loaded a step ahead (they do not depend on the recurrence).
  struct StepIn {
    float gi, gf, gg, go, c_prev, tc, dy;
  };
  auto load = [&](int k) {
    StepIn s;
    const size_t row = tb_row(rs.pos(k), B, b);
    const float* ga = d.gates + row * G + u;
    s.gi = ga[0], s.gf = ga[H], s.gg = ga[2 * H], s.go = ga[3 * H];
    s.c_prev = k > 0 ? d.c[tb_row(rs.pos(k - 1), B, b) * H + u] : 0.f;
    s.tc = d.tc[row * H + u];
    s.dy = d.dy ? d.dy[row * ldy + u] : 0.f;
    return s;
  };
  StepIn next = load(rs.len - 1);
  float dh = (d.dhy ? d.dhy[static_cast<size_t>(b) * ldh + u] : 0.f) + next.dy;
  float dc = 0.f;
  for (int k = rs.len - 1; k >= 0; --k) {
    const StepIn cur = next;
    if (k > 0) next = load(k - 1);
    const math::LstmCellGrad gr =
        math::lstm_cell_backward({cur.gi, cur.gf, cur.gg, cur.go}, cur.c_prev, cur.tc, dh, dc);
    dc = gr.dc_prev;
    const float mine = pick(q, gr.dzi, gr.dzf, gr.dzg, gr.dzo);
    d.dz[tb_row(rs.pos(k), B, b) * G + q * H + u] = mine;
    if (k == 0) break;  // dL/dh_0 is not needed (h_0 is a constant); uniform across the block

    float* dzb = dz_buf + (k & 1) * 4 * LD;  // double-buffered: one barrier a step
    dzb[q * LD + u] = mine;
    __syncthreads();
    const float4* dz4 = reinterpret_cast<const float4*>(dzb + q * LD);
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
    SENTI_UNROLL
    for (int i = 0; i < KR / 4; ++i) {
      const float4 v = dz4[i];
      a0 = fmaf(v.x, r[4 * i], a0);
      a1 = fmaf(v.y, r[4 * i + 1], a1);
      a2 = fmaf(v.z, r[4 * i + 2], a2);
      a3 = fmaf(v.w, r[4 * i + 3], a3);
    }
    SENTI_UNROLL
    for (int i = KR / 4; i < H / 4; ++i) {
      const float4 v = dz4[i];
      const float* ri = r_sh + (4 * i - KR) * G + t;
      a0 = fmaf(v.x, ri[0], a0);
      a1 = fmaf(v.y, ri[G], a1);
      a2 = fmaf(v.z, ri[2 * G], a2);
      a3 = fmaf(v.w, ri[3 * G], a3);
    }
    float s = (a0 + a1) + (a2 + a3);
    s += __shfl_xor_sync(kFullWarp, s, 1);
    s += __shfl_xor_sync(kFullWarp, s, 2);
    dh = s + next.dy;
  }
}

// Generic: any H. Threads stride over units for the cell (thread-owned dh, dc in shared memory),
// then over units for dL/dh_{t-1} = dz·R^T (R^T read from global memory, coalesced); two barriers
// a step.
__global__ void __launch_bounds__(1024) lstm_backward_generic(BackwardArgs args) {
  SENTI_DYNAMIC_SHARED(float, smem);
  const FusedLstmBatch& bt = args.batch;
  const FusedLstmBackwardDir& d = args.dir[blockIdx.y];
  const int H = bt.H, G = 4 * H, B = bt.B, b = blockIdx.x;
  const int ldy = d.ldy ? d.ldy : H, ldh = d.ldh ? d.ldh : H;
  float* dz_s = smem;      // [G]
  float* dh_s = dz_s + G;  // [H]
  float* dc_s = dh_s + H;  // [H]

  const RowSteps rs = row_steps(bt, b, d.reverse);
  zero_padded(d.dz, G, G, rs, bt.T, B, b);
  if (rs.len == 0) return;  // uniform: no barrier is skipped by part of the block
  const size_t last = tb_row(rs.pos(rs.len - 1), B, b);
  for (int u = threadIdx.x; u < H; u += blockDim.x) {
    dh_s[u] = (d.dhy ? d.dhy[static_cast<size_t>(b) * ldh + u] : 0.f) +
              (d.dy ? d.dy[last * ldy + u] : 0.f);
    dc_s[u] = 0.f;
  }
  // Each thread reads and writes only its own units of dh_s and dc_s: no barrier needed here.
  for (int k = rs.len - 1; k >= 0; --k) {
    const size_t row = tb_row(rs.pos(k), B, b);
    for (int u = threadIdx.x; u < H; u += blockDim.x) {
      const float* ga = d.gates + row * G + u;
      const float c_prev = k > 0 ? d.c[tb_row(rs.pos(k - 1), B, b) * H + u] : 0.f;
      const math::LstmCellGrad gr = math::lstm_cell_backward(
          {ga[0], ga[H], ga[2 * H], ga[3 * H]}, c_prev, d.tc[row * H + u], dh_s[u], dc_s[u]);
      dc_s[u] = gr.dc_prev;
      float* dz = d.dz + row * G + u;
      dz[0] = dz_s[u] = gr.dzi;
      dz[H] = dz_s[H + u] = gr.dzf;
      dz[2 * H] = dz_s[2 * H + u] = gr.dzg;
      dz[3 * H] = dz_s[3 * H + u] = gr.dzo;
    }
    if (k == 0) break;
    __syncthreads();
    const size_t prev = tb_row(rs.pos(k - 1), B, b);
    for (int u = threadIdx.x; u < H; u += blockDim.x) {
      float acc = 0.f;
      for (int m = 0; m < G; ++m) acc = fmaf(dz_s[m], d.recurrent_t[static_cast<size_t>(m) * H + u], acc);
      dh_s[u] = acc + (d.dy ? d.dy[prev * ldy + u] : 0.f);
    }
    __syncthreads();
  }
}

template <int H>
void launch_resident_backward(const BackwardArgs& args, int ndirs, cudaStream_t stream) {
  constexpr size_t bytes = Resident<H>::backward_shared_floats() * sizeof(float);
  if (bytes > 48 * 1024)
    SENTI_CUDA_CHECK(cudaFuncSetAttribute(lstm_backward_resident<H>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(bytes)));
  launch(lstm_backward_resident<H>, dim3(args.batch.B, ndirs), dim3(Resident<H>::kThreads), bytes,
         stream, args);
}

}  // namespace
}  // namespace fused

void fused_lstm_backward(const FusedLstmBatch& bt, const FusedLstmBackwardDir* dirs, int ndirs,
                         cudaStream_t stream) {
  SENTI_CHECK(bt.B >= 1 && bt.B <= 65535 && bt.T >= 1 && bt.H >= 1 && bt.H <= 4096,
              "fused_lstm_backward: bad shape B=", bt.B, " T=", bt.T, " H=", bt.H);
  SENTI_CHECK(ndirs >= 1 && ndirs <= fused::kMaxDirs, "fused_lstm_backward: ", ndirs, " directions");
  const FusedLstmPath path = fused_lstm_resolve(bt);
  fused::BackwardArgs args;
  args.batch = bt;
  for (int i = 0; i < ndirs; ++i) {
    const FusedLstmBackwardDir& d = dirs[i];
    SENTI_CHECK(d.gates && d.c && d.tc && d.dz, "fused_lstm_backward: null operand");
    SENTI_CHECK(path == FusedLstmPath::Resident ? d.recurrent != nullptr : d.recurrent_t != nullptr,
                "fused_lstm_backward: the ", fused_lstm_path_name(path), " path needs ",
                path == FusedLstmPath::Resident ? "R" : "R^T");
    args.dir[i] = d;
  }
  if (path == FusedLstmPath::Resident) {
    if (bt.H == 64) fused::launch_resident_backward<64>(args, ndirs, stream);
    else fused::launch_resident_backward<128>(args, ndirs, stream);
  } else {
    const size_t bytes = (4 * static_cast<size_t>(bt.H) + 2 * bt.H) * sizeof(float);
    if (bytes > 48 * 1024)
      SENTI_CUDA_CHECK(cudaFuncSetAttribute(fused::lstm_backward_generic,
                                            cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)));
    launch(fused::lstm_backward_generic, dim3(bt.B, ndirs), dim3(fused::generic_threads(bt.H)),
           bytes, stream, args);
  }
}

}  // namespace senti::kernels
