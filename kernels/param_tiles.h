#pragma once
// The flat parameter buffer (ParamLayout order) cut into fixed tiles that never straddle two
// tensors, so one launch can work on all tensors and still know, per block, which tensor it is in.
// Used by clip_norms (per-tensor squared norms) and adam (per-tensor clip scale).
#include <cstddef>
#include <cstdint>

#include "kernels/common/error.h"

namespace senti::kernels {

constexpr int kMaxParamTensors = 9;  // a bidirectional model (engine/params.h)
constexpr int kParamTileElems = 4096;  // elements one block handles

struct ParamTiles {
  int num_tensors = 0;
  int64_t offset[kMaxParamTensors] = {};     // first element of tensor k in the flat buffer
  int64_t size[kMaxParamTensors] = {};       // its element count
  int tile_begin[kMaxParamTensors + 1] = {}; // first tile of tensor k; tile_begin[n] = total tiles

  int total_tiles() const { return tile_begin[num_tensors]; }

  // Tensors must be given in buffer order; sizes may be anything >= 1.
  static ParamTiles make(const int64_t* offsets, const int64_t* sizes, int n) {
    SENTI_CHECK(n >= 1 && n <= kMaxParamTensors, n, " parameter tensors, ParamTiles holds 1..",
                kMaxParamTensors);
    ParamTiles t;
    t.num_tensors = n;
    int tiles = 0;
    for (int k = 0; k < n; ++k) {
      t.offset[k] = offsets[k];
      t.size[k] = sizes[k];
      t.tile_begin[k] = tiles;
      tiles += static_cast<int>((sizes[k] + kParamTileElems - 1) / kParamTileElems);
    }
    t.tile_begin[n] = tiles;
    return t;
  }

  // The tiles of a parameter layout: any range of tensors with `offset` and `size` members, in
  // buffer order (engine's ParamLayout::tensors()). The one way the engine and tests build them.
  template <typename Tensors>
  static ParamTiles of(const Tensors& tensors) {
    int64_t offsets[kMaxParamTensors] = {}, sizes[kMaxParamTensors] = {};
    int n = 0;
    for (const auto& tensor : tensors) {
      SENTI_CHECK(n < kMaxParamTensors, "more than ", kMaxParamTensors, " parameter tensors");
      offsets[n] = static_cast<int64_t>(tensor.offset);
      sizes[n] = static_cast<int64_t>(tensor.size);
      ++n;
    }
    return make(offsets, sizes, n);
  }
};

}  // namespace senti::kernels
