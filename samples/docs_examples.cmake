# Every ```cpp block in docs/user-guide.md is a complete program. Each one is extracted at
# configure time, built against troupe::framework with the project's warnings, and run as a
# CTest test (label "docs"), so the guide cannot drift from the headers.

set(guide ${PROJECT_SOURCE_DIR}/docs/user-guide.md)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${guide})
file(READ ${guide} text)

set(fence "```")
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
    message(FATAL_ERROR "${guide}: unterminated cpp code block")
  endif()
  string(SUBSTRING "${text}" 0 ${end} code)
  string(SUBSTRING "${text}" ${end} -1 text)

  math(EXPR index "${index} + 1")
  set(name user_guide_example_${index})
  set(source ${CMAKE_CURRENT_BINARY_DIR}/docs_examples/${name}.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "${code}" @ONLY)  # rewritten only when changed
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE troupe::framework)
  troupe_warnings(${name})
  add_test(NAME docs.user_guide.example_${index} COMMAND ${name})
  set_tests_properties(docs.user_guide.example_${index} PROPERTIES LABELS "docs" TIMEOUT 60)
endwhile()

if(index EQUAL 0)
  message(FATAL_ERROR "${guide}: no cpp code blocks found")
endif()
