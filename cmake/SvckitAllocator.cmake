# svckit_link_allocator(TARGET): links a service executable against tcmalloc (gperftools' minimal build).
#
# Why: on the bug tracker's POST /create path glibc malloc took ~15% of the CPU (buffers allocated on gRPC's
# threads and freed on io threads defeat its per-thread caches); with tcmalloc the same binaries serve
# ~15% more requests at a lower p99 (bench/RESULTS.md). Set SVCKIT_MALLOC=system to keep glibc's malloc;
# sanitizer builds always do (ASan and TSan bring their own allocators).
#
#   find_package(svckit CONFIG REQUIRED)
#   add_executable(mysvc main.cpp)
#   target_link_libraries(mysvc PRIVATE svckit::svckit)
#   svckit_link_allocator(mysvc)
set(SVCKIT_MALLOC "tcmalloc" CACHE STRING "allocator linked into service executables: tcmalloc or system")
set_property(CACHE SVCKIT_MALLOC PROPERTY STRINGS tcmalloc system)

function(svckit_link_allocator target)
  if(SVCKIT_MALLOC STREQUAL "system" OR SVCKIT_SANITIZE OR SVCKIT_TSAN)
    return()
  endif()
  if(NOT SVCKIT_MALLOC STREQUAL "tcmalloc")
    message(FATAL_ERROR "SVCKIT_MALLOC must be tcmalloc or system, not '${SVCKIT_MALLOC}'")
  endif()
  if(NOT TARGET PkgConfig::SVCKIT_TCMALLOC)
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(SVCKIT_TCMALLOC REQUIRED IMPORTED_TARGET GLOBAL libtcmalloc_minimal)
  endif()
  # Nothing references tcmalloc by name (it replaces malloc), so keep a linker that drops unused
  # libraries (--as-needed) from dropping it.
  target_link_options(${target} PRIVATE "LINKER:--no-as-needed")
  target_link_libraries(${target} PRIVATE PkgConfig::SVCKIT_TCMALLOC)
endfunction()
