# kura_library(NAME SRCS a.cc b.cc DEPS x y)
# kura_test(NAME SRCS a_test.cc DEPS x y)
# Small helpers in the spirit of Abseil's absl_cc_library / LevelDB's leveldb_test.

# -Wnull-dereference is left out: g++ 12 at -O2 reports false positives inside
# inlined Boost.Asio and std::vector code (seen in http_server.cc and
# card_vault.cc), while clang and -O0 builds are clean.
set(KURA_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wformat=2)
if(KURA_WERROR)
  list(APPEND KURA_WARNINGS -Werror)
endif()

function(kura_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${KURA_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(kura_test name)
  if(NOT KURA_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${KURA_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "KURA_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
