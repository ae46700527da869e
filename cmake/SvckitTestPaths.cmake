# svckit_test_paths(TARGET DEFINITION...): a test's or benchmark's paths (the checkout, programs it runs)
# as definitions of one small source, tests/support/build_paths.cpp (read through build_paths.hpp), not of
# the whole target: the target's other sources carry no absolute path and stay shareable through the
# compiler cache with a checkout elsewhere (CCACHE_BASEDIR, top CMakeLists.txt). Called again for the same
# target, it adds definitions. The project's own build only: not installed.
function(svckit_test_paths target)
  if(NOT TARGET ${target}_paths)
    add_library(${target}_paths OBJECT ${PROJECT_SOURCE_DIR}/tests/support/build_paths.cpp)
    target_include_directories(${target}_paths PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(${target} PRIVATE ${target}_paths)
  endif()
  target_compile_definitions(${target}_paths PRIVATE ${ARGN})
endfunction()
