#pragma once
/// Everything of the actor layer.

#include <troupe/actors/actor.hpp>
#include <troupe/actors/codec.hpp>
#include <troupe/actors/dot.hpp>
#include <troupe/actors/graph.hpp>
#include <troupe/actors/graph_file.hpp>
#include <troupe/actors/json_source_map.hpp>
#include <troupe/actors/port.hpp>
#include <troupe/actors/registry.hpp>
