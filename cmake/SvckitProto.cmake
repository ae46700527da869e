# svckit_proto_library(TARGET PROTOS a.proto ... [GRPC])
# Runs protoc once per target (an explicit custom command, not protobuf_generate) and builds the generated
# C++ into a static library. GRPC also generates the gRPC stubs (needed only by clients that want the
# classic generated stub; svckit's own transports use the messages alone).
function(svckit_proto_library target)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  file(MAKE_DIRECTORY ${out})
  set(srcs)
  set(hdrs)
  set(include_dirs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(name ${abs} NAME_WE)
    list(APPEND include_dirs ${dir})
    set(gen ${out}/${name}.pb.cc ${out}/${name}.pb.h)
    set(cmd_args --cpp_out=${out})
    if(ARG_GRPC)
      find_program(SVCKIT_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
      list(APPEND gen ${out}/${name}.grpc.pb.cc ${out}/${name}.grpc.pb.h)
      list(APPEND cmd_args --grpc_out=${out} --plugin=protoc-gen-grpc=${SVCKIT_GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc ${cmd_args} -I ${dir} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${name}.proto"
      VERBATIM)
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${out})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()
