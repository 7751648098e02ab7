#pragma once
// Emulated CUDA device: the make_* vector constructors live with the types in vector_types.h.
#include "vector_types.h"
