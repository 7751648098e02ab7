#pragma once
// The flat parameter buffer (ParamLayout order) cut into fixed tiles that never straddle two
// tensors, so one launch can work on all tensors and still know, per block, which tensor it is in.
// Used by clip_norms (per-tensor squared norms) and adam (per-tensor clip scale).
#include <cstddef>
#include <cstdint>

namespace senti::kernels {

constexpr int kMaxParamTensors = 8;
constexpr int kParamTileElems = 4096;  // elements one block handles

struct ParamTiles {
  int num_tensors = 0;
  int64_t offset[kMaxParamTensors] = {};     // first element of tensor k in the flat buffer
  int64_t size[kMaxParamTensors] = {};       // its element count
  int tile_begin[kMaxParamTensors + 1] = {}; // first tile of tensor k; tile_begin[n] = total tiles

  int total_tiles() const { return tile_begin[num_tensors]; }

  // Tensors must be given in buffer order; sizes may be anything >= 1.
  static ParamTiles make(const int64_t* offsets, const int64_t* sizes, int n) {
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
};

}  // namespace senti::kernels
