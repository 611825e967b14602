# BLAS through CMake's FindBLAS and the standard CBLAS interface; defines hopcap_blas, an
# INTERFACE target with the libraries, and HOPCAP_BLAS_* variables for src/blas.cpp.
#
# BLA_VENDOR is the user's choice (-DBLA_VENDOR=FLAME for BLIS, Intel10_64lp, OpenBLAS, Generic,
# ...; on a Cray, the compiler wrappers link LibSci and -DBLA_VENDOR=All finds it). Without it,
# OpenBLAS is preferred, and its OpenMP build where the system keeps one apart (Debian and
# Ubuntu: libopenblas-openmp-dev): it runs single-threaded inside hopcap's own OpenMP regions
# and shares their thread pool, so BLAS and OpenMP threads never oversubscribe the cores. Any
# other BLAS is the fallback.
include(CheckFunctionExists)

set(_hopcap_saved_library_path "${CMAKE_LIBRARY_PATH}")
if(DEFINED BLA_VENDOR)
  find_package(BLAS REQUIRED)
else()
  if(CMAKE_LIBRARY_ARCHITECTURE)
    foreach(_root IN ITEMS /lib /usr/lib /usr/local/lib)
      if(IS_DIRECTORY ${_root}/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp)
        list(PREPEND CMAKE_LIBRARY_PATH ${_root}/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp)
      endif()
    endforeach()
  endif()
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS QUIET)
  unset(BLA_VENDOR)
  if(NOT BLAS_FOUND)
    find_package(BLAS REQUIRED)
  endif()
endif()
set(CMAKE_LIBRARY_PATH "${_hopcap_saved_library_path}")

# The library that provides the BLAS symbols (through symlinks such as Debian's alternatives),
# which names the vendor and where its headers are.
set(HOPCAP_BLAS_LIBRARY "")
foreach(_lib IN LISTS BLAS_LIBRARIES)
  if(IS_ABSOLUTE "${_lib}" AND EXISTS "${_lib}")
    get_filename_component(HOPCAP_BLAS_LIBRARY "${_lib}" REALPATH)
    break()
  endif()
endforeach()
get_filename_component(_blas_dir "${HOPCAP_BLAS_LIBRARY}" DIRECTORY)
get_filename_component(_blas_dir_name "${_blas_dir}" NAME)
get_filename_component(_blas_name "${HOPCAP_BLAS_LIBRARY}" NAME)

set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS})
set(CMAKE_REQUIRED_QUIET ON)
# Cached results are keyed by the library, so that changing BLA_VENDOR re-checks.
string(MAKE_C_IDENTIFIER "${BLAS_LIBRARIES}" _blas_key)
check_function_exists(cblas_dgemm HOPCAP_HAS_CBLAS_${_blas_key})
set(HOPCAP_CBLAS_LIBRARIES "")
if(NOT HOPCAP_HAS_CBLAS_${_blas_key})
  # Reference BLAS and some vendors keep the C interface in a library of its own.
  find_library(HOPCAP_CBLAS_LIBRARY NAMES cblas HINTS "${_blas_dir}")
  if(NOT HOPCAP_CBLAS_LIBRARY)
    message(FATAL_ERROR "BLAS (${BLAS_LIBRARIES}) has no cblas_dgemm and no libcblas was found; "
                        "install a CBLAS or choose another BLA_VENDOR")
  endif()
  set(HOPCAP_CBLAS_LIBRARIES ${HOPCAP_CBLAS_LIBRARY})
  list(APPEND CMAKE_REQUIRED_LIBRARIES ${HOPCAP_CBLAS_LIBRARY})
endif()

# Library-specific extras (thread count and build description) where they exist; MKL is
# recognised only for its header, mkl_cblas.h.
check_function_exists(openblas_get_parallel HOPCAP_HAS_OPENBLAS_API_${_blas_key})
check_function_exists(bli_thread_get_num_threads HOPCAP_HAS_BLIS_API_${_blas_key})
check_function_exists(mkl_get_max_threads HOPCAP_HAS_MKL_API_${_blas_key})
unset(CMAKE_REQUIRED_LIBRARIES)
unset(CMAKE_REQUIRED_QUIET)
set(HOPCAP_BLAS_DEFINITIONS "")
set(_header cblas.h)
if(HOPCAP_HAS_OPENBLAS_API_${_blas_key})
  set(HOPCAP_BLAS_VENDOR OpenBLAS)
  list(APPEND HOPCAP_BLAS_DEFINITIONS HOPCAP_BLAS_OPENBLAS)
  set(_suffixes openblas-openmp openblas-pthread openblas)
elseif(HOPCAP_HAS_BLIS_API_${_blas_key})
  set(HOPCAP_BLAS_VENDOR BLIS)
  list(APPEND HOPCAP_BLAS_DEFINITIONS HOPCAP_BLAS_BLIS)
  set(_suffixes blis-openmp blis-pthread blis-serial blis)
elseif(HOPCAP_HAS_MKL_API_${_blas_key})
  set(HOPCAP_BLAS_VENDOR MKL)
  set(_header mkl_cblas.h)
  set(_suffixes mkl)
else()
  set(HOPCAP_BLAS_VENDOR "generic CBLAS")
  set(_suffixes "")
endif()

# The header that matches the library: Debian keeps one per build beside the multiarch
# include directory, named as the library's directory (openblas-openmp, blis-openmp, ...).
set(_hints "${_blas_dir}/../include")
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _hints "${_blas_dir}/../../include/${CMAKE_LIBRARY_ARCHITECTURE}/${_blas_dir_name}")
endif()
if(DEFINED ENV{MKLROOT})
  list(APPEND _hints "$ENV{MKLROOT}/include")
endif()
find_path(HOPCAP_CBLAS_INCLUDE_DIR_${_blas_key} NAMES ${_header} HINTS ${_hints}
  PATH_SUFFIXES ${_suffixes})
if(NOT HOPCAP_CBLAS_INCLUDE_DIR_${_blas_key})
  message(FATAL_ERROR "${_header} not found for ${BLAS_LIBRARIES}; set "
                      "HOPCAP_CBLAS_INCLUDE_DIR_${_blas_key} to its directory")
endif()
set(HOPCAP_CBLAS_INCLUDE_DIR ${HOPCAP_CBLAS_INCLUDE_DIR_${_blas_key}})
list(APPEND HOPCAP_BLAS_DEFINITIONS "HOPCAP_CBLAS_HEADER=<${_header}>"
  "HOPCAP_BLAS_LIBRARY_NAME=\"${_blas_name}\"")

add_library(hopcap_blas INTERFACE)
target_link_libraries(hopcap_blas INTERFACE ${HOPCAP_CBLAS_LIBRARIES} BLAS::BLAS)
message(STATUS "BLAS: ${HOPCAP_BLAS_VENDOR} (${BLAS_LIBRARIES}${HOPCAP_CBLAS_LIBRARIES}; "
               "header ${HOPCAP_CBLAS_INCLUDE_DIR}/${_header})")
if(HOPCAP_BLAS_VENDOR STREQUAL "OpenBLAS" AND NOT _blas_dir_name MATCHES "openmp")
  message(STATUS "BLAS: this OpenBLAS may be the pthread build, which spins threads of its own "
                 "beside hopcap's (Debian: libopenblas-openmp-dev); the job templates set OPENBLAS_NUM_THREADS=1")
endif()
