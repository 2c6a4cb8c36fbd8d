# One static library per module (DESIGN.md). Headers live in include/galfriday/<module>/,
# sources in src/<module>/; a module lists the modules it depends on, which must be lower.

set(GF_COMPILE_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion
                        -Wno-sign-conversion)
# GCC 12 reports false -Wrestrict positives inside std::string at -O3 (GCC bugs 105329,
# 105651); the warning stays off until the compiler is fixed. At -O2 it also reports false
# -Wmaybe-uninitialized positives for std::variant members (GCC bug 80635): they stay
# warnings, not errors. Its -Warray-bounds reports the same kind of false positive inside
# std::string's inlined memcpy (GCC bug 106199): also a warning, not an error.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND GF_COMPILE_WARNINGS -Wno-restrict -Wno-error=maybe-uninitialized
                                  -Wno-error=array-bounds)
endif()
if(GF_WERROR)
  list(APPEND GF_COMPILE_WARNINGS -Werror)
endif()

add_library(gf_options INTERFACE)
target_compile_options(gf_options INTERFACE ${GF_COMPILE_WARNINGS})
if(GF_SANITIZE)
  target_compile_options(gf_options INTERFACE -fsanitize=address,undefined
                                              -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(gf_options INTERFACE -fsanitize=address,undefined)
endif()

# gf_module(NAME SOURCES files... DEPS targets... PRIVATE_DEPS targets...)
function(gf_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gf_${name} STATIC ${ARG_SOURCES})
  target_include_directories(gf_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(gf_${name} PUBLIC gf_options ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# GF_PCH: the GoogleTest/GoogleMock headers are parsed once per build (a precompiled header in
# gf_test_pch that every gf_test reuses) instead of once per test source: about 3 s of CPU less
# per test source at -O2. Off by default because ccache caches sources that use a precompiled
# header only with CCACHE_SLOPPINESS=pch_defines,time_macros (scripts/build.sh sets it);
# scripts/test.sh turns it on.
option(GF_PCH "Precompile the GoogleTest/GoogleMock headers for the tests" OFF)

# gf_test(NAME SOURCES files... DEPS targets...) — one GoogleTest binary registered with CTest.
function(gf_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    GF_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GF_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/../shared/kraken/samples")
  # The header is compiled with gf_options (warnings, sanitizers), so only tests that get those
  # options through a gf_ module can use it.
  if(GF_PCH AND "${ARG_DEPS}" MATCHES "(^|;)gf_")
    gf_reuse_test_pch(${name})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

# Makes target `name` use the shared GoogleTest/GoogleMock precompiled header. The header is
# built with the same options as the tests (gf_options), which GCC requires to use it; a
# mismatch is an error (-Winvalid-pch with -Werror), never a silent fallback.
function(gf_reuse_test_pch name)
  if(NOT TARGET gf_test_pch)
    set(anchor ${PROJECT_BINARY_DIR}/gf_test_pch.cpp)
    if(NOT EXISTS ${anchor})
      file(WRITE ${anchor} "// Anchor source of the precompiled GoogleTest/GoogleMock header.\n")
    endif()
    add_library(gf_test_pch OBJECT ${anchor})
    target_link_libraries(gf_test_pch PRIVATE gf_options GTest::gtest GTest::gmock)
    target_precompile_headers(gf_test_pch PRIVATE <gtest/gtest.h> <gmock/gmock.h>)
  endif()
  target_precompile_headers(${name} REUSE_FROM gf_test_pch)
endfunction()
