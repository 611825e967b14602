# Run with cmake -P: writes the man page OUTPUT of the executable HOPCAP with help2man, from
# `hopcap --help` and, in a COMMANDS section, every command's own --help.
#   -DHOPCAP=... -DHELP2MAN=... -DOUTPUT=... -DVERSION=... -DCOMMANDS=codes,retrieve,...
string(REPLACE "," ";" COMMANDS "${COMMANDS}")
set(include_file "${OUTPUT}.include")
set(text "[COMMANDS]\n")
foreach(command IN LISTS COMMANDS)
  execute_process(COMMAND ${HOPCAP} ${command} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "'hopcap ${command} --help' failed (${rc})")
  endif()
  # roff: a backslash is written \e; a line starting with . or ' would be a request.
  string(REPLACE "\\" "\\e" help "${help}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
  string(APPEND text ".SS \"hopcap ${command}\"\n.nf\n${help}.fi\n")
endforeach()
file(WRITE "${include_file}" "${text}")
execute_process(COMMAND ${HELP2MAN} --no-info --no-discard-stderr
    "--name=memory capacity of modern and kernelized Hopfield models"
    "--version-string=${VERSION}" "--include=${include_file}" "--output=${OUTPUT}" ${HOPCAP}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
