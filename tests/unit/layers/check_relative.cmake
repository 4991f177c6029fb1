# Include roots per layer (cmake/layers.cmake) cannot stop `#include "../ice/agent.hpp"`: no file
# in src/ or apps/ may include through a parent directory.
file(GLOB_RECURSE files ${SOURCE_DIR}/src/*.cpp ${SOURCE_DIR}/src/*.hpp
     ${SOURCE_DIR}/apps/*.cpp ${SOURCE_DIR}/apps/*.hpp)
set(bad)
foreach(file IN LISTS files)
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][^\">]*\\.\\./")
    foreach(line IN LISTS lines)
        file(RELATIVE_PATH rel ${SOURCE_DIR} ${file})
        list(APPEND bad "${rel}: ${line}")
    endforeach()
endforeach()
if(bad)
    string(REPLACE ";" "\n" bad "${bad}")
    message(FATAL_ERROR "includes through a parent directory bypass the layering:\n${bad}")
endif()
list(LENGTH files count)
message(STATUS "${count} files, no relative include")
