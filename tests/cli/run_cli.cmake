# Runs the loyalty tool and checks its exit status and output.
#   -DTOOL=path  -DARGS="check|file.yaml" (| separates arguments)  -DWORKDIR=dir
#   -DEXPECT_EXIT=N
#   -DEXPECT_STDOUT_FILE=path   stdout must equal this file exactly
#   -DEXPECT_STDOUT_REGEX=re    stdout must match
#   -DEXPECT_STDERR_REGEX=re    stderr must match
string(REPLACE "|" ";" args "${ARGS}")
if(NOT WORKDIR)
  set(WORKDIR ".")
endif()
execute_process(
  COMMAND ${TOOL} ${args}
  WORKING_DIRECTORY ${WORKDIR}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)

set(failed FALSE)
if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  message(SEND_ERROR "exit status ${status}, expected ${EXPECT_EXIT}")
  set(failed TRUE)
endif()
if(EXPECT_STDOUT_FILE)
  file(READ ${EXPECT_STDOUT_FILE} expected)
  if(NOT out STREQUAL expected)
    message(SEND_ERROR "stdout differs from ${EXPECT_STDOUT_FILE}")
    set(failed TRUE)
  endif()
endif()
if(EXPECT_STDOUT_REGEX AND NOT out MATCHES "${EXPECT_STDOUT_REGEX}")
  message(SEND_ERROR "stdout does not match: ${EXPECT_STDOUT_REGEX}")
  set(failed TRUE)
endif()
if(EXPECT_STDERR_REGEX AND NOT err MATCHES "${EXPECT_STDERR_REGEX}")
  message(SEND_ERROR "stderr does not match: ${EXPECT_STDERR_REGEX}")
  set(failed TRUE)
endif()
if(failed)
  message("---- command: ${TOOL} ${args} (in ${WORKDIR})\n---- stdout:\n${out}---- stderr:\n${err}")
endif()
