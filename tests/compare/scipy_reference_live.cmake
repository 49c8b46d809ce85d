# cmake -DPYTHON=... -DSCRIPT=... -DOUTPUT=... -DTEST_BINARY=... -P scipy_reference_live.cmake
# Fails with a clear message when the python lacks scipy.
execute_process(COMMAND ${PYTHON} -c "import scipy, numpy" RESULT_VARIABLE no_scipy ERROR_VARIABLE why)
if(no_scipy)
  message(FATAL_ERROR "${PYTHON} cannot import scipy (${why}): install Debian's python3-scipy "
                      "(apt-get install python3-scipy; setup.sh does) to check the statistics against it")
endif()
execute_process(COMMAND ${PYTHON} ${SCRIPT} OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "${SCRIPT} failed (${failed})")
endif()
set(ENV{POISONLAB_SCIPY_REFERENCE} ${OUTPUT})
execute_process(COMMAND ${TEST_BINARY} --gtest_filter=ScipyReference.* RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "the C++ statistics disagree with scipy (${OUTPUT})")
endif()
