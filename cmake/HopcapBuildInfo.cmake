# hopcap_build_info: a small library whose source is regenerated on every build with the git sha,
# a dirty flag and the compiler, so a binary always reports the tree it was built from.
set(HOPCAP_BUILD_INFO_CPP ${PROJECT_BINARY_DIR}/generated/build_info.cpp)
add_custom_target(hopcap_build_info_gen
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DOUTPUT=${HOPCAP_BUILD_INFO_CPP}
    -DTEMPLATE=${PROJECT_SOURCE_DIR}/cmake/build_info.cpp.in
    -DVERSION=${PROJECT_VERSION}
    -DCOMPILER=${CMAKE_CXX_COMPILER_ID}-${CMAKE_CXX_COMPILER_VERSION}
    -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
    -P ${PROJECT_SOURCE_DIR}/cmake/write_build_info.cmake
  BYPRODUCTS ${HOPCAP_BUILD_INFO_CPP}
  COMMENT "Recording build provenance")
add_library(hopcap_build_info STATIC ${HOPCAP_BUILD_INFO_CPP})
add_dependencies(hopcap_build_info hopcap_build_info_gen)
target_include_directories(hopcap_build_info PUBLIC ${PROJECT_SOURCE_DIR}/include)
set_target_properties(hopcap_build_info PROPERTIES POSITION_INDEPENDENT_CODE ON)
