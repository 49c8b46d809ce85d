# The dashboard's site assets (reports/dashboard): bundled with esbuild by
# reports/dashboard/build.mjs into ${CMAKE_BINARY_DIR}/dashboard-assets, as
# part of `all`, when node and reports/node_modules (npm ci) are there.
# `poisonlab dashboard` finds them through a compile definition; without
# them it says how to build them.
include_guard(GLOBAL)

set(POISONLAB_DASHBOARD_ASSETS_DIR ${CMAKE_BINARY_DIR}/dashboard-assets)
set(dashboard_src ${CMAKE_SOURCE_DIR}/reports/dashboard)
find_program(POISONLAB_NODE node)
set_property(SOURCE ${CMAKE_SOURCE_DIR}/runner/cli/dashboard_command.cpp TARGET_DIRECTORY pl_run APPEND
             PROPERTY COMPILE_DEFINITIONS POISONLAB_DASHBOARD_ASSETS_DIR="${POISONLAB_DASHBOARD_ASSETS_DIR}")

if(POISONLAB_NODE AND EXISTS ${CMAKE_SOURCE_DIR}/reports/node_modules/esbuild
   AND EXISTS ${CMAKE_SOURCE_DIR}/reports/node_modules/chart.js)
  file(GLOB_RECURSE dashboard_sources CONFIGURE_DEPENDS ${dashboard_src}/src/*.js)
  set(dashboard_outputs ${POISONLAB_DASHBOARD_ASSETS_DIR}/index.html ${POISONLAB_DASHBOARD_ASSETS_DIR}/dashboard.js
                        ${POISONLAB_DASHBOARD_ASSETS_DIR}/styles.css)
  add_custom_command(
    OUTPUT ${dashboard_outputs}
    COMMAND ${POISONLAB_NODE} ${dashboard_src}/build.mjs ${POISONLAB_DASHBOARD_ASSETS_DIR}
    DEPENDS ${dashboard_sources} ${dashboard_src}/build.mjs ${dashboard_src}/index.html ${dashboard_src}/styles.css
            ${CMAKE_SOURCE_DIR}/reports/package-lock.json
    COMMENT "Bundling the dashboard's assets (esbuild)"
    VERBATIM)
  add_custom_target(pl_dashboard_assets ALL DEPENDS ${dashboard_outputs})
  add_dependencies(poisonlab pl_dashboard_assets)
else()
  message(STATUS "Dashboard assets not built: needs node and `npm ci` in reports/ (setup.sh does both)")
endif()
