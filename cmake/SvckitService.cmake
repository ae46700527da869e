# svckit_service_library(TARGET PROTO file.proto [TRANSPORT grpc|http|both] [DMW] [TEST test_target] [GRPC_STUBS])
#
# Generates a service's bindings from its .proto on every build (protoc + protoc-gen-svckit; see
# docs/generator.md) and builds them, with the protobuf messages, into the static library TARGET:
#   <name>.pb.h        the messages (protoc)
#   <name>.svckit.h    service interface, endpoints, HTTP/gRPC server bindings, clients (protoc-gen-svckit)
# DMW wraps every endpoint in the default logging and metrics middleware. TEST also builds the generated
# GoogleTest suite into the executable test_target (it needs make_service(): link your service into it).
# GRPC_STUBS also generates grpc_cpp_plugin's classic stubs (<name>.grpc.pb.h), for code that wants them.
#
#   find_package(svckit CONFIG REQUIRED)
#   svckit_service_library(greeter_api PROTO proto/greeter.proto TRANSPORT both DMW TEST greeter_api_test)
#   add_executable(greeter main.cpp service.cpp)
#   target_link_libraries(greeter PRIVATE greeter_api)
function(svckit_service_library target)
  cmake_parse_arguments(ARG "DMW;GRPC_STUBS" "PROTO;TRANSPORT;TEST" "" ${ARGN})
  if(NOT ARG_PROTO)
    message(FATAL_ERROR "svckit_service_library(${target}): PROTO file.proto is required")
  endif()
  if(NOT ARG_TRANSPORT)
    set(ARG_TRANSPORT both)
  endif()
  if(NOT ARG_TRANSPORT MATCHES "^(grpc|http|both)$")
    message(FATAL_ERROR "svckit_service_library(${target}): TRANSPORT must be grpc, http or both, not '${ARG_TRANSPORT}'")
  endif()
  # The plugin: built in this tree, or installed next to svckit (bin/protoc-gen-svckit).
  if(TARGET protoc-gen-svckit)
    set(plugin $<TARGET_FILE:protoc-gen-svckit>)
    set(plugin_dep protoc-gen-svckit)
  else()
    find_program(SVCKIT_PROTOC_GEN_SVCKIT protoc-gen-svckit HINTS ${SVCKIT_BIN_DIR} REQUIRED)
    set(plugin ${SVCKIT_PROTOC_GEN_SVCKIT})
    set(plugin_dep ${SVCKIT_PROTOC_GEN_SVCKIT})
  endif()

  get_filename_component(abs ${ARG_PROTO} ABSOLUTE)
  get_filename_component(dir ${abs} DIRECTORY)
  get_filename_component(name ${abs} NAME_WE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  file(MAKE_DIRECTORY ${out})
  set(params transport=${ARG_TRANSPORT})
  if(ARG_DMW)
    string(APPEND params ",dmw")
  endif()
  set(gen ${out}/${name}.pb.cc ${out}/${name}.pb.h ${out}/${name}.svckit.cc ${out}/${name}.svckit.h)
  if(ARG_TEST)
    string(APPEND params ",test")
    list(APPEND gen ${out}/${name}.svckit_test.cc)
  endif()
  set(stub_args)
  set(stub_srcs)
  if(ARG_GRPC_STUBS)
    find_program(SVCKIT_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
    set(stub_srcs ${out}/${name}.grpc.pb.cc)
    list(APPEND gen ${out}/${name}.grpc.pb.cc ${out}/${name}.grpc.pb.h)
    set(stub_args --grpc_out=${out} --plugin=protoc-gen-grpc=${SVCKIT_GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${gen}
    COMMAND protobuf::protoc --cpp_out=${out} --plugin=protoc-gen-svckit=${plugin} --svckit_out=${params}:${out}
            ${stub_args} -I ${dir} -I ${SVCKIT_PROTO_INCLUDE_DIR} ${abs}
    DEPENDS ${abs} ${plugin_dep} protobuf::protoc
    COMMENT "protoc-gen-svckit ${name}.proto (${params})"
    VERBATIM)
  add_library(${target} STATIC ${out}/${name}.pb.cc ${out}/${name}.svckit.cc ${stub_srcs})
  target_include_directories(${target} PUBLIC ${out})
  # What the bindings use: the App and discovery, HTTP (the App's debug listener is HTTP), gRPC if served.
  # Registry backends and trace exporters are the executable's choice (svckit::etcd, svckit::zipkin).
  target_link_libraries(${target} PUBLIC svckit::app protobuf::libprotobuf)
  if(NOT ARG_TRANSPORT STREQUAL "http")
    target_link_libraries(${target} PUBLIC svckit::grpc)
  endif()
  if(ARG_TEST)
    find_package(GTest REQUIRED)
    add_executable(${ARG_TEST} ${out}/${name}.svckit_test.cc)
    target_link_libraries(${ARG_TEST} PRIVATE ${target} GTest::gtest GTest::gtest_main)
  endif()
endfunction()
