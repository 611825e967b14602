# HOPCAP_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on every target of the project
# (library, CLI, tests, benchmarks), set before any target exists so none is missed.
# -fno-sanitize-recover=all turns every UBSan report into an abort, so a report fails the test
# that triggered it instead of scrolling past; the frame pointer keeps the reports' stacks whole.
if(HOPCAP_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "HOPCAP_SANITIZE needs GCC or Clang (found ${CMAKE_CXX_COMPILER_ID})")
  endif()
  set(HOPCAP_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  add_compile_options(${HOPCAP_SANITIZE_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "Sanitizers: AddressSanitizer + UndefinedBehaviorSanitizer")
endif()
