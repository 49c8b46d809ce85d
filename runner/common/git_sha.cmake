# Run at every build (cmake -P): writes git_sha.h with the checkout's
# revision, "-dirty" when the tree has uncommitted changes. configure_file
# leaves the header untouched when the revision is unchanged, so nothing
# recompiles then.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE POISONLAB_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT POISONLAB_GIT_SHA)
  set(POISONLAB_GIT_SHA "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    string(APPEND POISONLAB_GIT_SHA "-dirty")
  endif()
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
