# Installing floe for other projects: headers, the library (static by default, shared with
# -DBUILD_SHARED_LIBS=ON), the CMake package (find_package(floe) -> floe::floe) and floe.pc for
# pkg-config. The README's "Embedding" section says how to use them; tests/package checks both
# kinds from a consumer project outside this tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_target_property(FLOE_LIBRARY_TYPE floe TYPE)

# libfloe.so.0 -> libfloe.so.0.1.0: the SONAME carries the major version.
set_target_properties(floe PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})

if(FLOE_LIBRARY_TYPE STREQUAL "SHARED_LIBRARY")
    # Only the public API leaves the shared library: every header under include/floe/ declares
    # its contents with default visibility (#pragma GCC visibility push(default)), everything else
    # (src/) is hidden. That keeps the ABI to what the headers promise and lets the compiler
    # inline and drop internal functions.
    # The code is compiled in the layers' object libraries (cmake/layers.cmake), so the settings
    # go on each of them as well as on floe.
    get_property(floe_layer_names GLOBAL PROPERTY FLOE_LAYERS)
    set(floe_compiled floe)
    foreach(layer IN LISTS floe_layer_names)
        list(APPEND floe_compiled floe_${layer})
    endforeach()
    set_target_properties(${floe_compiled} PROPERTIES
        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    # Asio's headers push default visibility around their own declarations; without this its
    # templates' statics and instantiations would be exported too.
    foreach(t IN LISTS floe_compiled)
        target_compile_definitions(${t} PRIVATE ASIO_DISABLE_VISIBILITY)
    endforeach()
    # With everything hidden GCC 12 inlines more, and then reports -Wmaybe-uninitialized inside
    # libstdc++ when a std::variant holding std::strings is moved (ice::Event): a false positive
    # of the kind GCC's meta-bug 24639 collects, in the standard library, not in our code. Limited
    # to GCC 12 and older, the compiler it was seen with, like the -Wrestrict one in CMakeLists.txt.
    foreach(t IN LISTS floe_compiled)
        target_compile_options(${t} PRIVATE
            $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-maybe-uninitialized>)
    endforeach()
    # The CLI, tests, fuzzers and benchmarks reach into src/ (the protocol cores), whose symbols
    # the shared library hides: they are built against the static library only.
    if(FLOE_BUILD_TESTS OR FLOE_BUILD_FUZZERS OR FLOE_BUILD_BENCH)
        message(FATAL_ERROR "BUILD_SHARED_LIBS=ON builds the library alone: add "
                            "-DFLOE_BUILD_TESTS=OFF -DFLOE_BUILD_FUZZERS=OFF -DFLOE_BUILD_BENCH=OFF "
                            "(the tests use the static build)")
    endif()
    set_target_properties(floe_cli PROPERTIES EXCLUDE_FROM_ALL ON)
else()
    install(TARGETS floe_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(TARGETS floe EXPORT floeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/floe DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- CMake package: floeConfig.cmake finds OpenSSL and Threads (and, for the static library,
# usrsctp through pkg-config) before it loads floeTargets.cmake.
install(EXPORT floeTargets NAMESPACE floe:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/floe)
if(FLOE_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
    set(FLOE_STATIC ON)
else()
    set(FLOE_STATIC OFF)
endif()
configure_package_config_file(cmake/floeConfig.cmake.in ${PROJECT_BINARY_DIR}/floeConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/floe)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/floeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/floeConfig.cmake ${PROJECT_BINARY_DIR}/floeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/floe)

# ---- pkg-config: floe.pc, relocatable (paths relative to the .pc file, so that
# `cmake --install --prefix DIR` works without reconfiguring). OpenSSL and usrsctp are private
# requirements: a shared libfloe brings them itself, `pkg-config --static` lists them.
file(RELATIVE_PATH FLOE_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" FLOE_PC_TO_PREFIX "${FLOE_PC_TO_PREFIX}")
configure_file(cmake/floe.pc.in ${PROJECT_BINARY_DIR}/floe.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/floe.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
