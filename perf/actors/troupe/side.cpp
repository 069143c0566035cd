#include "../common/workloads.hpp"

const char* const perf_actors::side_name = "troupe";
