#pragma once
// RAII cuDNN handle and descriptors: one template over each create/destroy pair.
#include <utility>

#include <cudnn.h>

#include "engine/cuda/library_check.h"

namespace senti::cuda {

template <typename T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class CudnnObject {
 public:
  CudnnObject() { SENTI_CUDNN_CHECK(Create(&h_)); }
  ~CudnnObject() {
    if (h_) Destroy(h_);
  }
  CudnnObject(const CudnnObject&) = delete;
  CudnnObject& operator=(const CudnnObject&) = delete;
  CudnnObject(CudnnObject&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}

  T get() const { return h_; }
  operator T() const { return h_; }

 private:
  T h_ = nullptr;
};

using CudnnHandle = CudnnObject<cudnnHandle_t, cudnnCreate, cudnnDestroy>;
using DropoutDesc =
    CudnnObject<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor, cudnnDestroyDropoutDescriptor>;
using RnnDesc = CudnnObject<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using RnnDataDesc =
    CudnnObject<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor, cudnnDestroyRNNDataDescriptor>;
using TensorDesc =
    CudnnObject<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;

}  // namespace senti::cuda
