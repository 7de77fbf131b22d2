# Helpers shared by every folder of the build.

# salesos_add_library(<name> SOURCES ... DEPS ...)
# Makes the static library salesos_<name> (alias salesos::<name>) with public headers under
# libs/<name>/include.
function(salesos_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(salesos_${name} STATIC ${ARG_SOURCES})
  add_library(salesos::${name} ALIAS salesos_${name})
  target_include_directories(salesos_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(salesos_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# salesos_embed_migrations(<target> <dir>)
# Compiles every <dir>/NNN_name.sql into the target as salesos::store::Migration records,
# reachable through the function `const std::vector<salesos::store::Migration>& <target>_migrations()`
# declared in the generated header <target>_migrations.h.
function(salesos_embed_migrations target dir)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(out_cpp ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cpp)
  set(out_h ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.h)
  add_custom_command(
    OUTPUT ${out_cpp} ${out_h}
    COMMAND ${CMAKE_COMMAND} -DOUT_CPP=${out_cpp} -DOUT_H=${out_h} -DFUNC=${target}_migrations
            -DFILES="${sql_files}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    COMMENT "Embedding migrations of ${target}")
  target_sources(${target} PRIVATE ${out_cpp})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
endfunction()

# salesos_add_service(<name> SOURCES ... DEPS ...)
# <name>_lib holds the service's code (tests link it); salesos-<name> is main.cpp plus that.
function(salesos_add_service name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name}_lib STATIC ${ARG_SOURCES})
  target_include_directories(${name}_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name}_lib PUBLIC ${ARG_DEPS})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
    salesos_embed_migrations(${name}_lib ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
  endif()
  string(REPLACE "_" "-" bin ${name})
  add_executable(salesos-${bin} main.cpp)
  target_link_libraries(salesos-${bin} PRIVATE ${name}_lib)
  set_target_properties(salesos-${bin} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# salesos_add_test(<name> SOURCES ... DEPS ... [LABELS ...])
# A Catch2 test binary; each TEST_CASE becomes a ctest test.
function(salesos_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE salesos_test_main ${ARG_DEPS})
  # Labels go through as one list argument: escape the separators so they stay one property.
  string(REPLACE ";" "\\;" labels "${ARG_LABELS}")
  catch_discover_tests(${name}
    TEST_PREFIX "${name}: "
    PROPERTIES LABELS "${labels}"
               SKIP_REGULAR_EXPRESSION "skipped: (SALESOS_TEST_POSTGRES_URL is not set|no browser)"
    ENVIRONMENT "SALESOS_BIN_DIR=${PROJECT_BINARY_DIR}/bin")
endfunction()
