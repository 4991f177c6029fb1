// The one place that includes <usrsctp.h>: its structs end in flexible array members, which
// -Wpedantic rejects in C++, so the warning is silenced for this include only.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <usrsctp.h>
#pragma GCC diagnostic pop
