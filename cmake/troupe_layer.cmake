# One helper per layer: the library (explicit sources, alias troupe::<layer>), its install
# rules, and its doctest suite registered with CTest under the layer's label.

function(troupe_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference)
  if(TROUPE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# troupe_add_layer(<layer> SOURCES <files...> [DEPENDS <targets...>])
function(troupe_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  set(target troupe_${layer})
  if(ARG_SOURCES)
    add_library(${target} ${ARG_SOURCES})
    target_include_directories(${target}
      PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
      PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_DEPENDS})
    troupe_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target}
      INTERFACE $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
    target_link_libraries(${target} INTERFACE ${ARG_DEPENDS})
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${layer} OUTPUT_NAME troupe_${layer})
  add_library(troupe::${layer} ALIAS ${target})
  install(TARGETS ${target} EXPORT troupe_targets
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION include)
endfunction()

# troupe_add_tests(<layer> SOURCES <files...> [DEPENDS <targets...>] [LABELS <labels...>])
# One doctest binary per layer; each TEST_CASE becomes a CTest test labelled with the
# layer, any extra labels, and its doctest test-suite name.
function(troupe_add_tests layer)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPENDS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(target ${layer}_tests)
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE troupe::${layer} doctest::doctest ${ARG_DEPENDS})
  target_compile_definitions(${target} PRIVATE DOCTEST_CONFIG_SUPER_FAST_ASSERTS)
  troupe_warnings(${target})
  doctest_discover_tests(${target}
    ADD_LABELS 1
    PROPERTIES LABELS "${layer};${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  add_test(NAME ${layer}.test_names
    COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:${target}> -P ${PROJECT_SOURCE_DIR}/cmake/check_test_names.cmake)
  set_tests_properties(${layer}.test_names PROPERTIES LABELS "${layer};meta")
endfunction()
