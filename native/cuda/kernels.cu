// The single translation unit nvcc turns into classwise_kernels.fatbin (cmake/ClasswiseCuda.cmake):
// one module for the Java side to load, whatever file a kernel lives in.
#include "elementwise.cu"
#include "pooling.cu"
#include "losses.cu"
#include "attack.cu"
#include "optimizer.cu"
#include "classwise.cu"
#include "batchnorm.cu"
