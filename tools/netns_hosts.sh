# Sourced by bash scripts (tests/actors/netns.sh, perf/run_distributed.sh): "hosts" made of
# Linux network namespaces, each with its own address on a veth pair, joined by a bridge that
# lives in a namespace of its own, so nothing is added to the real host's network and several
# sets (different prefixes) never meet. Needs root.
#
#   netns_switch SW              make namespace SW holding bridge br0
#   netns_host SW NS ADDR/LEN    make namespace NS with eth0 at ADDR on SW's bridge, lo up
#   netns_wait_listen NS PORT PID
#                                wait (up to ~30 s) until a tcp socket listens on PORT in NS,
#                                or process PID ended; fails if nothing listens
#   netns_cleanup                delete every namespace made (their links and bridge go too)
# Each function prints what failed on stderr and returns non-zero.

netns_spaces=()

netns_switch() {
  ip netns add "$1" || { echo "cannot create network namespace $1" >&2; return 1; }
  netns_spaces+=("$1")
  ip -n "$1" link set lo up && ip -n "$1" link add br0 type bridge && ip -n "$1" link set br0 up ||
    { echo "cannot create a bridge in network namespace $1" >&2; return 1; }
}

netns_host() {
  local sw=$1 ns=$2 addr=$3 peer="p${#netns_spaces[@]}"
  ip netns add "$ns" || { echo "cannot create network namespace $ns" >&2; return 1; }
  netns_spaces+=("$ns")
  # Both ends made inside the namespaces: no interface name is taken in the root namespace.
  ip -n "$ns" link add eth0 type veth peer name "$peer" netns "$sw" &&
    ip -n "$sw" link set "$peer" master br0 up &&
    ip -n "$ns" addr add "$addr" dev eth0 &&
    ip -n "$ns" link set eth0 up &&
    ip -n "$ns" link set lo up || { echo "cannot give namespace $ns the address $addr on the bridge of $sw" >&2; return 1; }
}

netns_wait_listen() {
  local ns=$1 port=$2 pid=$3
  for _ in $(seq 1 3000); do
    ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
  echo "nothing listens on port $port in namespace $ns" >&2
  return 1
}

netns_cleanup() {
  local ns
  for ns in "${netns_spaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  netns_spaces=()
}
