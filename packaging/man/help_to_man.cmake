# A manual page from a program's own --help, so the two never disagree
# (cmake -P: nothing beyond the build's own tools).
#   cmake -DPROGRAM=path/to/checker -DNAME=checker -DSECTION=1 -DVERSION=1.0
#         -DSUMMARY="one line" -DSUBCOMMANDS=ON -DSEE_ALSO="checkerd(8)"
#         -DOUT=checker.1 -P help_to_man.cmake
# The page: NAME (SUMMARY), then the --help text verbatim; with SUBCOMMANDS,
# one subsection per command that --help lists under "commands:", with
# `PROGRAM help COMMAND`; then FILES and SEE ALSO. No date: the same
# program gives the same bytes.
foreach(var PROGRAM NAME SECTION VERSION SUMMARY OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "help_to_man.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_help out_var)
  execute_process(COMMAND ${PROGRAM} ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "help_to_man.cmake: ${PROGRAM} ${ARGN} failed (${rc}): ${err}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Text for roff, shown as it is: backslashes and minus signs escaped, a
# line that starts with a control character made plain text.
function(verbatim out_var text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  set(${out_var} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

string(TOUPPER "${NAME}" upper)
string(REPLACE "-" "\\-" summary "${SUMMARY}")
set(page ".TH ${upper} ${SECTION} \"\" \"${NAME} ${VERSION}\"\n.SH NAME\n${NAME} \\- ${summary}\n.SH SYNOPSIS\n")
run_help(help --help)
verbatim(body "${help}")
string(APPEND page "${body}")

if(SUBCOMMANDS)
  string(REGEX MATCH "\ncommands:\n(  [^\n]+\n)+" listing "${help}")
  string(REGEX MATCHALL "\n  [a-z][a-z-]+ " names "${listing}")
  if(names STREQUAL "")
    message(FATAL_ERROR "help_to_man.cmake: no 'commands:' in ${PROGRAM} --help")
  endif()
  string(APPEND page ".SH COMMANDS\n")
  foreach(name IN LISTS names)
    string(STRIP "${name}" name)
    run_help(command_help help ${name})
    verbatim(body "${command_help}")
    string(REPLACE "-" "\\-" title "${name}")
    string(APPEND page ".SS ${title}\n${body}")
  endforeach()
endif()

string(APPEND page ".SH FILES\n.TP\n/etc/checker/settings.cfg\nthe default config\n"
       ".TP\n/usr/share/doc/checker/\nREADME.md, cli.md (the output and exit codes scripts may rely on), "
       "configuration.md (every key), architecture.md, decisions.md\n")
if(DEFINED SEE_ALSO)
  string(REPLACE "-" "\\-" see_also "${SEE_ALSO}")
  string(APPEND page ".SH SEE ALSO\n${see_also}\n")
endif()
file(WRITE "${OUT}" "${page}")
