# Every ```cpp block in the documentation pages below is a complete program. Each one is
# extracted at configure time, built against troupe::actors, troupe::messaging and troupe::framework with the
# project's warnings, and run as a CTest test (label "docs"), so the docs cannot drift from the
# headers. A fragment that is not a whole program must use another fence (```text, ```cmake).
#
# Pages: docs/user-guide.md, and every page of docs/sockets/ and docs/transports/.
# Tests are named docs.<page>.example_<n>: docs.user_guide.example_3,
# docs.sockets.pub.example_1, docs.transports.inproc.example_2, ...

set(fence "```")

# Adds one test per cpp block of `page`: tests docs.<id>.example_<n>, executables
# <exe_prefix>_example_<n>.
function(troupe_doc_examples page id exe_prefix)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${page})
  file(READ ${page} text)
  set(index 0)
  while(TRUE)
    string(FIND "${text}" "${fence}cpp\n" start)
    if(start EQUAL -1)
      break()
    endif()
    math(EXPR start "${start} + 7")
    string(SUBSTRING "${text}" ${start} -1 text)
    string(FIND "${text}" "${fence}" end)
    if(end EQUAL -1)
      message(FATAL_ERROR "${page}: unterminated cpp code block")
    endif()
    string(SUBSTRING "${text}" 0 ${end} code)
    string(SUBSTRING "${text}" ${end} -1 text)

    math(EXPR index "${index} + 1")
    set(name ${exe_prefix}_example_${index})
    set(source ${CMAKE_CURRENT_BINARY_DIR}/docs_examples/${name}.cpp)
    file(CONFIGURE OUTPUT ${source} CONTENT "${code}" @ONLY)  # rewritten only when changed
    add_executable(${name} ${source})
    target_link_libraries(${name} PRIVATE troupe::actors troupe::messaging troupe::framework)
    troupe_warnings(${name})
    add_test(NAME docs.${id}.example_${index} COMMAND ${name})
    set_tests_properties(docs.${id}.example_${index} PROPERTIES LABELS "docs" TIMEOUT 60)
  endwhile()
  set(examples_found ${index} PARENT_SCOPE)
endfunction()

# The user guide keeps its historical names (user_guide_example_<n>).
troupe_doc_examples(${PROJECT_SOURCE_DIR}/docs/user-guide.md user_guide user_guide)
if(examples_found EQUAL 0)
  message(FATAL_ERROR "docs/user-guide.md: no cpp code blocks found")
endif()

foreach(dir sockets transports)
  file(GLOB pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/${dir}/*.md)
  list(SORT pages)
  foreach(page ${pages})
    get_filename_component(stem ${page} NAME_WE)
    string(REPLACE "-" "_" stem "${stem}")
    troupe_doc_examples(${page} ${dir}.${stem} docs_${dir}_${stem})
  endforeach()
endforeach()
