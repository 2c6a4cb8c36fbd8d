# Embeds the SQL migrations of one backend into a generated C++ source.
#
# The .sql files stay the source of truth (readable, reviewable, runnable with the sqlite3 or
# psql shell); the build turns src/persistence/migrations/<dialect>/ into
# <build>/src/persistence/<dialect>_migrations.cpp with the text as raw string literals. The
# generator re-runs when a file changes; adding a file re-runs the configure step
# (CONFIGURE_DEPENDS).
#
# In a CMakeLists: include() this file, then gf_embed_migrations(sqlite OUT_VAR) gives the
# generated source to add to the library. As a script (cmake -P) it does the generation:
#   cmake -DDIALECT=sqlite -DINPUT_DIR=<dir> -DOUTPUT=<file.cpp> -DHEADER=<embedded_migrations.hpp>
#         -P embed_migrations.cmake
#
# Rules it checks: files are NNN_name.sql numbered 1, 2, 3... without gaps; schema_version.sql
# is the bookkeeping table's DDL; no file contains the raw-string delimiter.

if(CMAKE_SCRIPT_MODE_FILE)
  set(delimiter "gf_sql")
  file(GLOB files RELATIVE "${INPUT_DIR}" "${INPUT_DIR}/*.sql")
  list(SORT files)
  set(entries "")
  set(expected 1)
  set(bootstrap "")
  foreach(file IN LISTS files)
    file(READ "${INPUT_DIR}/${file}" sql)
    string(FIND "${sql}" ")${delimiter}\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${file}: contains the raw string delimiter )${delimiter}\"")
    endif()
    if(file STREQUAL "schema_version.sql")
      set(bootstrap "${sql}")
      continue()
    endif()
    if(NOT file MATCHES "^([0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
      message(FATAL_ERROR "${INPUT_DIR}/${file}: migrations are named NNN_name.sql")
    endif()
    string(REGEX REPLACE "^0+" "" version "${CMAKE_MATCH_1}")
    if(NOT version EQUAL expected)
      message(FATAL_ERROR "${INPUT_DIR}/${file}: expected migration number ${expected}")
    endif()
    math(EXPR expected "${expected} + 1")
    string(REGEX REPLACE "\\.sql$" "" name "${file}")
    string(APPEND entries "    {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
  endforeach()
  if(bootstrap STREQUAL "")
    message(FATAL_ERROR "${INPUT_DIR}: schema_version.sql is missing")
  endif()
  if(entries STREQUAL "")
    message(FATAL_ERROR "${INPUT_DIR}: no migrations")
  endif()
  set(content "// Generated from ${INPUT_DIR} by embed_migrations.cmake. Do not edit.
#include \"${HEADER}\"

namespace galfriday::persistence {
namespace {

constexpr Migration kMigrations[] = {
${entries}};

constexpr std::string_view kSchemaVersionSql = R\"${delimiter}(${bootstrap})${delimiter}\";

}  // namespace

EmbeddedMigrations ${DIALECT}_migrations() { return {kSchemaVersionSql, kMigrations}; }

}  // namespace galfriday::persistence
")
  file(WRITE "${OUTPUT}" "${content}")
  return()
endif()

set(GF_EMBED_MIGRATIONS_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")

# gf_embed_migrations(DIALECT OUT_VAR): sets OUT_VAR to the generated source of that dialect.
function(gf_embed_migrations dialect out_var)
  set(input_dir "${CMAKE_CURRENT_SOURCE_DIR}/persistence/migrations/${dialect}")
  set(output "${CMAKE_CURRENT_BINARY_DIR}/persistence/${dialect}_migrations.cpp")
  set(header "${CMAKE_CURRENT_SOURCE_DIR}/persistence/embedded_migrations.hpp")
  file(GLOB sql_files CONFIGURE_DEPENDS "${input_dir}/*.sql")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DDIALECT=${dialect} -DINPUT_DIR=${input_dir} -DOUTPUT=${output}
            -DHEADER=${header} -P "${GF_EMBED_MIGRATIONS_SCRIPT}"
    DEPENDS ${sql_files} "${GF_EMBED_MIGRATIONS_SCRIPT}" "${header}"
    COMMENT "Embedding ${dialect} migrations"
    VERBATIM)
  set(${out_var} "${output}" PARENT_SCOPE)
endfunction()
