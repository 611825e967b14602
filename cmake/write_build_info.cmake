# Run with cmake -P: writes OUTPUT from TEMPLATE with the current git state.
# file(CONFIGURE) rewrites only when the content changes, so an unchanged tree recompiles nothing.
set(GIT_SHA "unknown")
set(GIT_DIRTY "false")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
    OUTPUT_VARIABLE sha RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    set(GIT_SHA "${sha}")
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
      WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE status ERROR_QUIET)
    if(NOT status STREQUAL "")
      set(GIT_DIRTY "true")
    endif()
  endif()
endif()
file(READ ${TEMPLATE} template)
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT "${template}" @ONLY)
