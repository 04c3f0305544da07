# Compiling Classwise's hand-written CUDA kernels into one fatbin the jar carries.
#
# classwise_cuda_fatbin(<target> SOURCE <file.cu> OUTPUT <file.fatbin> ARCHS <sm> ... [PTX <sm>])
#   Adds <target>, which runs nvcc once: SASS for every listed architecture plus PTX for the PTX one
#   (so newer GPUs can JIT it). Needs CLASSWISE_NVCC (found below); without it the caller skips.
#
# Architectures: sm_80 (A100) and sm_90 (H100/H200) as SASS, compute_90 as PTX. Compile with the
# CUDA 13.0 nvcc: a 13.0 driver cannot load PTX from a newer compiler (../shared/JAVACPP.md).

find_program(CLASSWISE_NVCC nvcc HINTS ENV CUDA_HOME PATH_SUFFIXES bin PATHS /usr/local/cuda /usr/local/cuda-13.0)

function(classwise_cuda_fatbin target)
  cmake_parse_arguments(ARG "" "SOURCE;OUTPUT;PTX" "ARCHS;DEPENDS" ${ARGN})
  set(gencode "")
  foreach(arch IN LISTS ARG_ARCHS)
    list(APPEND gencode "-gencode=arch=compute_${arch},code=sm_${arch}")
  endforeach()
  if(ARG_PTX)
    list(APPEND gencode "-gencode=arch=compute_${ARG_PTX},code=compute_${ARG_PTX}")
  endif()
  add_custom_command(
    OUTPUT "${ARG_OUTPUT}"
    COMMAND "${CLASSWISE_NVCC}" -std=c++17 -O3 --fatbin ${gencode} -o "${ARG_OUTPUT}" "${ARG_SOURCE}"
    DEPENDS "${ARG_SOURCE}" ${ARG_DEPENDS}
    COMMENT "nvcc: ${ARG_SOURCE} -> ${ARG_OUTPUT} (${ARG_ARCHS}; PTX ${ARG_PTX})"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${ARG_OUTPUT}")
endfunction()
