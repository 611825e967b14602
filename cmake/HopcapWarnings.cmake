# hopcap_warnings: an INTERFACE target carrying the project's warning flags.
add_library(hopcap_warnings INTERFACE)
target_compile_options(hopcap_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wconversion -Wno-sign-conversion>)
if(HOPCAP_WERROR)
  target_compile_options(hopcap_warnings INTERFACE -Werror)
endif()
