# The kernel build pipeline: every kernels/**/*.cu and ptx/**/*.ptx file is one
# module. Each is compiled to PTX (nvcc -ptx) and assembled (ptxas) to SASS for every
# target its header line names, optionally kept as PTX for JIT on newer GPUs,
# packed into one fatbin, and embedded into the library together with the
# resource usage that `ptxas -v` reported (tools/kernel_pipeline/kernel_tool.py).
#
# A module declares its targets in a comment line of its own, anywhere in the
# first lines of the file:
#   // ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=kernel_a,kernel_b
# sass: the SASS targets (default sm_80,sm_90a). ptx: the virtual architecture
# whose PTX is embedded for JIT, or "none" for arch-specific code such as
# wgmma (default compute_80). hot: kernels that must not spill ("*" for all).

set(PTXKIT_KERNEL_TOOL "${CMAKE_CURRENT_LIST_DIR}/../tools/kernel_pipeline/kernel_tool.py")
set(PTXKIT_NVCC_FLAGS -O3 -std=c++20 -lineinfo --expt-relaxed-constexpr CACHE STRING
    "Flags for nvcc when it compiles kernel modules")
set(PTXKIT_PTXAS_FLAGS -O3 CACHE STRING "Flags for ptxas when it assembles hand-written modules")
# Debugging aid for GPU bring-up: with N > 0 every mbarrier wait of the TMA
# kernels (kernels/common/mbarrier.cuh) traps (CUDA_ERROR_ILLEGAL_INSTRUCTION
# at the next synchronisation) after about N to N + 4.3 seconds without its
# phase completing,
# so that a lost arrival or a wrong transaction byte count fails the test at
# once instead of hanging the process. scripts/gpu-check.sh sets it; 0 (the
# default) leaves the waits untouched.
set(PTXKIT_KERNEL_WATCHDOG_SECONDS 0 CACHE STRING "Trap mbarrier waits that exceed this many seconds (0: never)")
if(NOT PTXKIT_KERNEL_WATCHDOG_SECONDS MATCHES "^[0-9]+$")
  message(FATAL_ERROR "PTXKIT_KERNEL_WATCHDOG_SECONDS must be a whole number of seconds, got '${PTXKIT_KERNEL_WATCHDOG_SECONDS}'")
endif()
set(_ptxkit_kernel_defines "")
set(_ptxkit_embed_flags "")
if(PTXKIT_KERNEL_WATCHDOG_SECONDS GREATER 0)
  # The watchdog's timer register makes the tightest kernels (attention D256)
  # spill a few bytes: a debugging build reports that instead of failing.
  list(APPEND _ptxkit_embed_flags --allow-hot-spills)
  # In ticks of %globaltimer_hi (2^32 ns, 4.29 s); the trap comes after
  # ticks to ticks + 1 of them (mbarrier.cuh).
  math(EXPR _ptxkit_watchdog_ticks "${PTXKIT_KERNEL_WATCHDOG_SECONDS} * 1000 / 4295")
  if(_ptxkit_watchdog_ticks LESS 1)
    set(_ptxkit_watchdog_ticks 1)
  endif()
  list(APPEND _ptxkit_kernel_defines "-DPTXKIT_KERNEL_WATCHDOG_TICKS=${_ptxkit_watchdog_ticks}")
endif()
# Another build tree's kernels/ folder whose generated modules to reuse instead
# of compiling the kernels again: host-only variants of a build (sanitizers,
# fuzzing, another host compiler) need the same device code, and nvcc is most
# of a build's time.
set(PTXKIT_PREBUILT_KERNELS_DIR "" CACHE PATH "Reuse the embedded kernel modules of this build's kernels/ folder")
# Fatbins for ptxsim, the software GPU (tools/ptxsim): every SASS target
# sm_XX(a) of a module also gets its PTX, compute_XX(a) (nvcc -ptx with the
# same flags; a hand-written .ptx module's source is its PTX), and the fatbin
# keeps its PTX uncompressed so that the stand-in driver can read the text.
# Off for released builds, which are then exactly as without this option.
option(PTXKIT_SIM_FATBINS "Embed uncompressed PTX for every SASS target (for ptxsim)" OFF)
if(PTXKIT_SIM_FATBINS AND PTXKIT_PREBUILT_KERNELS_DIR)
  message(WARNING "PTXKIT_SIM_FATBINS: the modules reused from PTXKIT_PREBUILT_KERNELS_DIR must come from a build "
                  "with PTXKIT_SIM_FATBINS=ON too, or ptxsim finds no PTX it can read in them")
endif()

function(_ptxkit_parse_module_header source out_sass out_ptx out_hot)
  file(STRINGS "${source}" header REGEX "ptxkit-module:" LIMIT_COUNT 1)
  set(sass "sm_80,sm_90a")
  set(ptx "compute_80")
  set(hot "")
  if(header)
    if(header MATCHES "sass=([A-Za-z0-9_,]+)")
      set(sass "${CMAKE_MATCH_1}")
    endif()
    if(header MATCHES "ptx=([A-Za-z0-9_]+)")
      set(ptx "${CMAKE_MATCH_1}")
    endif()
    if(header MATCHES "hot=([A-Za-z0-9_,*]+)")
      set(hot "${CMAKE_MATCH_1}")
    endif()
  endif()
  string(REPLACE "," ";" sass "${sass}")
  foreach(arch IN LISTS sass)
    if(NOT arch MATCHES "^sm_[0-9]+a?$")
      message(FATAL_ERROR "${source}: SASS target '${arch}' is not of the form sm_NN or sm_NNa")
    endif()
  endforeach()
  if(NOT ptx STREQUAL "none" AND NOT ptx MATCHES "^compute_[0-9]+$")
    message(FATAL_ERROR "${source}: PTX target '${ptx}' must be compute_NN (not arch-specific) or none")
  endif()
  set(${out_sass} "${sass}" PARENT_SCOPE)
  set(${out_ptx} "${ptx}" PARENT_SCOPE)
  set(${out_hot} "${hot}" PARENT_SCOPE)
endfunction()

# The rule that makes ${stem}.<virt>.ptx from a .cu module with nvcc -ptx, once
# per module and virtual architecture (ptxkit_add_kernel_modules' loop
# variables: stem, source, rel, ptx_of_arch).
function(_ptxkit_ptx_for virt out)
  set(file "${stem}.${virt}.ptx")
  if(NOT virt IN_LIST ptx_of_arch)
    add_custom_command(
      OUTPUT "${file}"
      COMMAND "${CUDAToolkit_NVCC_EXECUTABLE}" -ptx ${PTXKIT_NVCC_FLAGS} ${_ptxkit_kernel_defines} "-arch=${virt}"
              -I "${CMAKE_CURRENT_SOURCE_DIR}/kernels"
              -MD -MF "${file}.d" -MT "${file}"
              -o "${file}" "${source}"
      DEPFILE "${file}.d"
      DEPENDS "${source}"
      COMMENT "nvcc ${rel} -> ${virt}"
      VERBATIM)
    list(APPEND ptx_of_arch "${virt}")
    set(ptx_of_arch "${ptx_of_arch}" PARENT_SCOPE)
  endif()
  set(${out} "${file}" PARENT_SCOPE)
endfunction()

function(ptxkit_add_kernel_modules target)
  set(gen_dir "${CMAKE_CURRENT_BINARY_DIR}/kernels")
  file(MAKE_DIRECTORY "${gen_dir}")
  set(generated_sources "")
  set(module_symbols "")
  set(seen_names "")

  foreach(source IN LISTS ARGN)
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${source}")
    get_filename_component(ext "${source}" LAST_EXT)
    # kernels/gemm/sm90_bf16.cu -> module "gemm.sm90_bf16"
    string(REGEX REPLACE "^(kernels|ptx)/" "" name "${rel}")
    string(REGEX REPLACE "\\.(cu|ptx)$" "" name "${name}")
    string(REPLACE "/" "." name "${name}")
    if(name IN_LIST seen_names)
      message(FATAL_ERROR "two kernel sources map to module '${name}'; rename one of them")
    endif()
    list(APPEND seen_names "${name}")
    string(MAKE_C_IDENTIFIER "${name}" symbol)

    _ptxkit_parse_module_header("${source}" sass ptx hot)
    if(PTXKIT_PREBUILT_KERNELS_DIR)
      set(prebuilt "${PTXKIT_PREBUILT_KERNELS_DIR}/${symbol}.embedded.cpp")
      if(NOT EXISTS "${prebuilt}")
        message(FATAL_ERROR "PTXKIT_PREBUILT_KERNELS_DIR: ${prebuilt} is missing; build that tree first")
      endif()
      set_source_files_properties("${prebuilt}" PROPERTIES OBJECT_DEPENDS
                                  "${PTXKIT_PREBUILT_KERNELS_DIR}/${symbol}.fatbin")
      list(APPEND generated_sources "${prebuilt}")
      list(APPEND module_symbols "${symbol}")
      continue()
    endif()
    set(stem "${gen_dir}/${symbol}")
    set(images "")
    set(logs "")

    # A .cu module goes through nvcc's front end once per virtual architecture
    # (nvcc -ptx), and ptxas assembles that PTX to SASS: the same two steps
    # nvcc -cubin runs, without compiling the source again for the PTX that is
    # embedded (for JIT, or for ptxsim).
    set(ptx_of_arch "")  # the virtual architectures whose PTX has a rule already

    foreach(arch IN LISTS sass)
      set(cubin "${stem}.${arch}.cubin")
      set(log "${stem}.${arch}.ptxas.log")
      string(REGEX REPLACE "^sm_" "" sm "${arch}")
      if(ext STREQUAL ".cu")
        string(REGEX REPLACE "^sm_" "compute_" virt "${arch}")
        _ptxkit_ptx_for("${virt}" arch_ptx)
        # -lineinfo keeps the .loc lines of the PTX in the SASS, as nvcc
        # -lineinfo asks of ptxas.
        set(ptxas_lineinfo "")
        if("-lineinfo" IN_LIST PTXKIT_NVCC_FLAGS)
          set(ptxas_lineinfo "-lineinfo")
        endif()
        add_custom_command(
          OUTPUT "${cubin}" "${log}"
          COMMAND "${Python3_EXECUTABLE}" "${PTXKIT_KERNEL_TOOL}" compile --log "${log}" --
                  "${CUDAToolkit_BIN_DIR}/ptxas" -O3 ${ptxas_lineinfo} -v -warn-spills -warn-lmem-usage
                  "-arch=${arch}" -o "${cubin}" "${arch_ptx}"
          DEPENDS "${arch_ptx}" "${PTXKIT_KERNEL_TOOL}"
          COMMENT "ptxas ${rel} -> ${arch}"
          VERBATIM)
      else()
        add_custom_command(
          OUTPUT "${cubin}" "${log}"
          COMMAND "${Python3_EXECUTABLE}" "${PTXKIT_KERNEL_TOOL}" compile --log "${log}" --
                  "${CUDAToolkit_BIN_DIR}/ptxas" ${PTXKIT_PTXAS_FLAGS} -v -warn-spills -warn-lmem-usage
                  "-arch=${arch}" -o "${cubin}" "${source}"
          DEPENDS "${source}" "${PTXKIT_KERNEL_TOOL}"
          COMMENT "ptxas ${rel} -> ${arch}"
          VERBATIM)
      endif()
      list(APPEND images "--image" "elf:${sm}:${cubin}")
      list(APPEND logs "--log" "${arch}:${log}")
    endforeach()

    if(NOT ptx STREQUAL "none")
      string(REGEX REPLACE "^compute_" "" vsm "${ptx}")
      if(ext STREQUAL ".cu")
        _ptxkit_ptx_for("${ptx}" ptx_file)
      else()
        set(ptx_file "${source}")
      endif()
      list(APPEND images "--image" "ptx:${vsm}:${ptx_file}")
    endif()

    set(sim_images "")
    set(sim_embed_flags "")
    if(PTXKIT_SIM_FATBINS)
      list(APPEND sim_embed_flags --no-compress)
      if(ext STREQUAL ".cu")
        foreach(arch IN LISTS sass)
          string(REGEX REPLACE "^sm_" "compute_" virt "${arch}")
          if(virt STREQUAL ptx)
            continue()  # embedded already
          endif()
          string(REGEX REPLACE "^sm_" "" sm "${arch}")
          _ptxkit_ptx_for("${virt}" sim_ptx)
          list(APPEND sim_images "--extra-ptx" "${sm}:${sim_ptx}")
        endforeach()
      elseif(ptx STREQUAL "none")
        # A hand-written module is its own PTX, for the target it names.
        file(STRINGS "${source}" target_line REGEX "^[ \t]*\.target[ \t]+sm_[0-9]+a?" LIMIT_COUNT 1)
        if(NOT target_line MATCHES "sm_([0-9]+a?)")
          message(FATAL_ERROR "${source}: no .target directive to label its PTX with")
        endif()
        list(APPEND sim_images "--extra-ptx" "${CMAKE_MATCH_1}:${source}")
      endif()
    endif()

    set(cpp "${stem}.embedded.cpp")
    set(image_files "")
    foreach(item IN LISTS images)
      if(item MATCHES "^(elf|ptx):[0-9a]+:(.*)$")
        list(APPEND image_files "${CMAKE_MATCH_2}")
      endif()
    endforeach()
    foreach(item IN LISTS sim_images)
      if(item MATCHES "^[0-9]+a?:(.*)$")
        list(APPEND image_files "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    set(log_files "")
    foreach(item IN LISTS logs)
      if(item MATCHES "^sm_[0-9a]+:(.*)$")
        list(APPEND log_files "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    add_custom_command(
      OUTPUT "${cpp}" "${stem}.fatbin"
      COMMAND "${Python3_EXECUTABLE}" "${PTXKIT_KERNEL_TOOL}" embed
              --name "${name}" --symbol "${symbol}" --source "${rel}"
              --fatbinary "${CUDAToolkit_BIN_DIR}/fatbinary"
              --fatbin "${stem}.fatbin" --out "${cpp}" "--hot=${hot}" ${_ptxkit_embed_flags} ${sim_embed_flags}
              ${images} ${sim_images} ${logs}
      DEPENDS ${image_files} ${log_files} "${PTXKIT_KERNEL_TOOL}"
      COMMENT "fatbinary + embed module ${name}"
      VERBATIM)
    # The generated file pulls the fatbin in with .incbin: rebuild its object
    # whenever the fatbin changes, even though its own text does not.
    set_source_files_properties("${cpp}" PROPERTIES OBJECT_DEPENDS "${stem}.fatbin")
    list(APPEND generated_sources "${cpp}")
    list(APPEND module_symbols "${symbol}")
  endforeach()

  # The list of every embedded module, so that the registry can find them
  # without relying on static initialisers (which a static library drops).
  set(decls "")
  set(refs "")
  foreach(symbol IN LISTS module_symbols)
    string(APPEND decls "extern const EmbeddedModule module_${symbol};\n")
    string(APPEND refs "    &module_${symbol},\n")
  endforeach()
  list(LENGTH module_symbols count)
  set(list_cpp "${gen_dir}/embedded_module_list.cpp")
  file(CONFIGURE OUTPUT "${list_cpp}" CONTENT
"// Generated by cmake/PtxkitKernels.cmake: every embedded kernel module.
#include \"runtime/embedded_module.hpp\"

namespace ptxkit::detail::embedded {
@decls@
namespace {
const EmbeddedModule* const kModules[] = {
@refs@    nullptr,
};
}  // namespace

std::span<const EmbeddedModule* const> all_modules() noexcept {
    return {kModules, @count@};
}
}  // namespace ptxkit::detail::embedded
" @ONLY)

  add_library(${target} OBJECT ${generated_sources} "${list_cpp}")
  target_include_directories(${target} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_compile_features(${target} PRIVATE cxx_std_20)
endfunction()
