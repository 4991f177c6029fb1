# floe's layers as build targets. docs/architecture.md ("Layers the build enforces") has the picture.
#
#   floe_layer(NAME [DEPENDS layer...] [PUBLIC_HEADERS path...] [LIBRARIES target...])
#
# compiles src/NAME/**/*.cpp as the OBJECT library floe_NAME, whose objects become part of the one
# library `floe` (static, or shared with BUILD_SHARED_LIBS) that embedders link and install.
#
# Enforcement: a layer does not see src/ or include/ as a whole. It gets its own include root,
# ${PROJECT_BINARY_DIR}/layers/NAME, made of symbolic links: NAME -> src/NAME (its implementation
# headers, included as "NAME/x.hpp") and one link per public header it owns (PUBLIC_HEADERS, paths
# below include/, e.g. floe/stun or floe/certificate.hpp). DEPENDS links the lower layers, whose
# roots come with them (transitively), and nothing else. So `#include "ice/agent.hpp"` in src/stun,
# or <floe/configuration.hpp> in src/dtls, is "No such file or directory": the build fails.
# tests/unit/layers proves it on deliberately bad files.
#
# Declare lower layers first. A new layer is one call, e.g. the TURN client:
#   floe_layer(turn DEPENDS stun)
set(FLOE_LAYER_ROOT ${PROJECT_BINARY_DIR}/layers)

function(floe_layer name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS;PUBLIC_HEADERS;LIBRARIES")
    set(target floe_${name})
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
    add_library(${target} OBJECT ${sources})

    set(root ${FLOE_LAYER_ROOT}/${name})
    file(MAKE_DIRECTORY ${root})
    # Links are created, or removed one by one, never recursively (that could follow one into src/).
    set(links)
    if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${name})
        list(APPEND links "${PROJECT_SOURCE_DIR}/src/${name}|${root}/${name}")
    endif()
    foreach(header IN LISTS arg_PUBLIC_HEADERS)
        if(NOT EXISTS ${PROJECT_SOURCE_DIR}/include/${header})
            message(FATAL_ERROR "floe_layer(${name}): no include/${header}")
        endif()
        list(APPEND links "${PROJECT_SOURCE_DIR}/include/${header}|${root}/${header}")
    endforeach()
    set(wanted)
    foreach(link IN LISTS links)
        string(REPLACE "|" ";" pair "${link}")
        list(GET pair 0 from)
        list(GET pair 1 to)
        list(APPEND wanted ${to})
        if(NOT IS_SYMLINK ${to})
            get_filename_component(parent ${to} DIRECTORY)
            file(MAKE_DIRECTORY ${parent})
            file(CREATE_LINK ${from} ${to} SYMBOLIC)
        endif()
    endforeach()
    # A header no longer listed must not stay visible: remove its link (the link alone; the glob
    # does not follow links into src/ or include/).
    file(GLOB_RECURSE entries LIST_DIRECTORIES true ${root}/*)
    foreach(entry IN LISTS entries)
        if(IS_SYMLINK ${entry} AND NOT entry IN_LIST wanted)
            file(REMOVE ${entry})
        endif()
    endforeach()

    target_include_directories(${target} PUBLIC ${root})
    list(TRANSFORM arg_DEPENDS PREPEND floe_ OUTPUT_VARIABLE depends)
    target_link_libraries(${target} PUBLIC ${depends} ${arg_LIBRARIES}
                                    PRIVATE $<BUILD_INTERFACE:floe_build_flags>)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    # The objects, not the target: `floe` stays one self-contained library for install(EXPORT).
    target_sources(floe PRIVATE $<TARGET_OBJECTS:${target}>)
    set_property(GLOBAL APPEND PROPERTY FLOE_LAYERS ${name})
endfunction()

# Called after the last floe_layer(): a directory of src/ that is not a layer would not be built
# at all (its code missing from floe, found only as undefined references at link time). Say so.
function(floe_check_layers)
    get_property(layers GLOBAL PROPERTY FLOE_LAYERS)
    file(GLOB entries LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/src/*)
    foreach(entry IN LISTS entries)
        get_filename_component(name ${entry} NAME)
        if(IS_DIRECTORY ${entry} AND NOT name IN_LIST layers)
            message(FATAL_ERROR "src/${name} is not a layer: add floe_layer(${name} DEPENDS ...) "
                                "to CMakeLists.txt, after the layers it uses")
        endif()
    endforeach()
endfunction()
