# LibTorch for the supernet library and the tools, from one of two places:
#   - find_package(Torch) (Debian's libtorch-dev, or a prefix given by CMAKE_PREFIX_PATH, e.g. pip
#     torch's: -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')");
#   - -DNAS_TORCH_FROM_PYTHON=ON: the headers and libraries inside python3's torch package directly,
#     for machines where find_package(Torch) fails (a CUDA torch wants the CUDA toolkit installed).
# Either way it sets TORCH_LIBRARIES (what to link) and TORCH_CXX_FLAGS (what to compile with,
# e.g. the C++ ABI LibTorch was built with: -D_GLIBCXX_USE_CXX11_ABI=0|1).
option(NAS_TORCH_FROM_PYTHON "Use python3's torch package directly instead of find_package(Torch)" OFF)
if(NAS_TORCH_FROM_PYTHON)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  execute_process(COMMAND "${Python3_EXECUTABLE}" -c
                          "import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
                  OUTPUT_VARIABLE torch_info OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  string(REPLACE "\n" ";" torch_info "${torch_info}")
  list(GET torch_info 0 TORCH_PACKAGE_DIR)
  list(GET torch_info 1 TORCH_CXX11_ABI)
  add_library(nas_torch_from_python INTERFACE)
  target_include_directories(nas_torch_from_python SYSTEM INTERFACE "${TORCH_PACKAGE_DIR}/include"
                                                                    "${TORCH_PACKAGE_DIR}/include/torch/csrc/api/include")
  set(torch_libs "${TORCH_PACKAGE_DIR}/lib/libtorch.so" "${TORCH_PACKAGE_DIR}/lib/libtorch_cpu.so"
                 "${TORCH_PACKAGE_DIR}/lib/libc10.so")
  if(EXISTS "${TORCH_PACKAGE_DIR}/lib/libtorch_cuda.so")
    # Nothing references libtorch_cuda's symbols directly; without --no-as-needed the linker drops
    # it and the CUDA backend never registers (torch::cuda::is_available() is false).
    list(APPEND torch_libs "-Wl,--no-as-needed" "${TORCH_PACKAGE_DIR}/lib/libtorch_cuda.so"
                           "${TORCH_PACKAGE_DIR}/lib/libc10_cuda.so" "-Wl,--as-needed")
  endif()
  target_link_libraries(nas_torch_from_python INTERFACE ${torch_libs} "-Wl,-rpath,${TORCH_PACKAGE_DIR}/lib")
  set(TORCH_LIBRARIES nas_torch_from_python)
  set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${TORCH_CXX11_ABI}")
  message(STATUS "nas: LibTorch from ${TORCH_PACKAGE_DIR} (C++11 ABI ${TORCH_CXX11_ABI})")
else()
  find_package(Torch REQUIRED)
  message(STATUS "nas: LibTorch ${Torch_VERSION} from find_package")
endif()
