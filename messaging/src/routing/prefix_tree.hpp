#pragma once
// A compressed prefix tree (radix tree) over byte strings: the core shared by the two
// subscription tries (mtrie at the publisher, trie at the subscriber).
//
// A node holds the bytes of the edge that leads to it and a value; its key is the
// concatenation of the edges from the root. Only nodes that hold a value or fork exist, so
// memory grows with the number of subscriptions, not with their length. A node finds its
// child by the child's first byte in a small byte string (memchr), never through a 256-slot
// table, so a sparse node costs a few bytes per child.
//
// Nothing here recurses: subscriptions come from peers, a peer may nest thousands of them
// ("a", "aa", "aaa", ...), and sockets are used from fibers with small stacks.
//
// V: default-constructible, nothrow-movable, with `bool empty() const noexcept`. A node whose
// value is empty is removed (or merged with its only child) by prune() and visit_all(). The
// tree stays correct if that clean-up cannot happen (out of memory): it only uses more memory.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::messaging::internal {

template <class V>
class prefix_tree {
public:
  prefix_tree() = default;
  prefix_tree(const prefix_tree&) = delete;
  prefix_tree& operator=(const prefix_tree&) = delete;
  ~prefix_tree() { destroy_children(root_); }

  /// No key holds a value.
  bool empty() const noexcept { return root_.value.empty() && root_.children.empty(); }

  /// The value at exactly `key`, or null.
  V* find(const std::byte* key, std::size_t size) noexcept {
    node* n = &root_;
    std::size_t pos = 0;
    while (pos < size) {
      node* c = child_on(*n, key, size, pos);
      if (!c) return nullptr;
      pos += c->edge.size();
      n = c;
    }
    return &n->value;
  }

  /// The value at `key`, made (empty) if missing.
  V& find_or_insert(const std::byte* key, std::size_t size) {
    node* n = &root_;
    std::size_t pos = 0;
    while (pos < size) {
      const std::size_t i = child_index(*n, key[pos]);
      if (i == npos) return add_leaf(*n, key + pos, size - pos).value;
      node* c = n->children[i].get();
      const std::size_t common = common_length(c->edge, key + pos, size - pos);
      if (common < c->edge.size()) c = split(*n, i, common);
      pos += common;
      n = c;
    }
    return n->value;
  }

  /// Calls f(const V&) for each non-empty value whose key is a prefix of [data, data + size),
  /// shortest key first, while f returns true. Allocation-free.
  template <class F>
  void for_each_prefix_of(const std::byte* data, std::size_t size, F&& f) const {
    const node* n = &root_;
    std::size_t pos = 0;
    for (;;) {
      if (!n->value.empty() && !f(n->value)) return;
      if (pos == size) return;
      const node* c = child_on(*n, data, size, pos);
      if (!c) return;
      pos += c->edge.size();
      n = c;
    }
  }

  /// After the value at `key` may have become empty: drops the node (or merges it with its
  /// only child), and its parent if that left the parent needless.
  void prune(const std::byte* key, std::size_t size) noexcept {
    node* grand = nullptr;  // the path's last three nodes: grand -> parent -> n
    std::size_t grand_index = 0;
    node* parent = nullptr;
    std::size_t index = 0;
    node* n = &root_;
    std::size_t pos = 0;
    while (pos < size) {
      node* c = child_on(*n, key, size, pos);
      if (!c) return;
      grand = parent;
      grand_index = index;
      parent = n;
      index = child_index(*n, key[pos]);
      pos += c->edge.size();
      n = c;
    }
    if (!parent || !n->value.empty()) return;
    if (!n->children.empty()) {
      tidy_child(*parent, index);
      return;
    }
    remove_child(*parent, index);
    // The parent lost a child: if that left it a value-less pass-through, merge it downwards.
    if (grand) tidy_child(*grand, grand_index);
  }

  /// Calls f(std::string_view key, V&) for every node, parents before children; afterwards
  /// removes the nodes whose value f left empty. Allocates (a stack and the key); cold paths only.
  template <class F>
  void visit_all(F&& f) {
    struct frame {
      node* n;
      std::size_t next;     // next child to visit
      std::size_t key_len;  // key length before this node's edge
    };
    std::vector<frame> stack;
    std::string key;
    f(std::string_view(key), root_.value);
    stack.push_back(frame{&root_, 0, 0});
    while (!stack.empty()) {
      frame& top = stack.back();
      if (top.next < top.n->children.size()) {
        node* c = top.n->children[top.next].get();
        const std::size_t len = key.size();
        key += c->edge;
        f(std::string_view(key), c->value);
        stack.push_back(frame{c, 0, len});  // `top` is invalid from here
        continue;
      }
      key.resize(top.key_len);
      stack.pop_back();
      if (stack.empty()) break;
      frame& parent = stack.back();
      // Post-order: the child's subtree is done; drop or merge it if needless.
      if (!tidy_child(*parent.n, parent.next)) ++parent.next;
    }
  }

private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct node {
    std::string edge;         // bytes from the parent (empty only at the root)
    std::string first_bytes;  // first byte of each child's edge, in the order of `children`
    std::vector<std::unique_ptr<node>> children;
    V value{};
  };

  static std::size_t child_index(const node& n, std::byte b) noexcept {
    if (n.first_bytes.empty()) return npos;
    const void* hit = std::memchr(n.first_bytes.data(), static_cast<int>(b), n.first_bytes.size());
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - n.first_bytes.data()) : npos;
  }

  // The child of `n` whose whole edge matches data[pos...], or null.
  static node* child_on(const node& n, const std::byte* data, std::size_t size, std::size_t pos) noexcept {
    const std::size_t i = child_index(n, data[pos]);
    if (i == npos) return nullptr;
    node* c = n.children[i].get();
    const std::size_t len = c->edge.size();
    if (len > size - pos || std::memcmp(c->edge.data(), data + pos, len) != 0) return nullptr;
    return c;
  }

  static std::size_t common_length(const std::string& edge, const std::byte* key, std::size_t size) noexcept {
    const std::size_t n = edge.size() < size ? edge.size() : size;
    std::size_t i = 0;
    while (i < n && static_cast<std::byte>(edge[i]) == key[i]) ++i;
    return i;
  }

  static node& add_leaf(node& parent, const std::byte* rest, std::size_t size) {
    auto leaf = std::make_unique<node>();
    leaf->edge.assign(reinterpret_cast<const char*>(rest), size);
    parent.first_bytes.push_back(leaf->edge.front());
    try {
      parent.children.push_back(std::move(leaf));
    } catch (...) {
      parent.first_bytes.pop_back();
      throw;
    }
    return *parent.children.back();
  }

  // Splits parent.children[i] after `at` bytes of its edge; returns the new middle node.
  static node* split(node& parent, std::size_t i, std::size_t at) {
    std::unique_ptr<node>& slot = parent.children[i];
    auto mid = std::make_unique<node>();
    mid->edge.assign(slot->edge, 0, at);
    mid->first_bytes.push_back(slot->edge[at]);
    mid->children.reserve(1);
    slot->edge.erase(0, at);  // from here on nothing throws
    mid->children.push_back(std::move(slot));
    slot = std::move(mid);
    return slot.get();
  }

  static void remove_child(node& parent, std::size_t i) noexcept {
    const std::size_t last = parent.children.size() - 1;
    std::unique_ptr<node> gone = std::move(parent.children[i]);
    if (i != last) {
      parent.children[i] = std::move(parent.children[last]);
      parent.first_bytes[i] = parent.first_bytes[last];
    }
    parent.children.pop_back();
    parent.first_bytes.pop_back();
    destroy_children(*gone);
  }

  // Drops parent.children[i] if it holds nothing, or merges it with its only child. True if
  // the slot now holds another (unvisited) child or none.
  static bool tidy_child(node& parent, std::size_t i) noexcept {
    node& c = *parent.children[i];
    if (!c.value.empty()) return false;
    if (c.children.empty()) {
      remove_child(parent, i);
      return true;
    }
    if (c.children.size() == 1) {
      try {
        std::string edge = c.edge + c.children[0]->edge;
        std::unique_ptr<node> only = std::move(c.children[0]);
        c.edge = std::move(edge);
        c.value = std::move(only->value);
        c.first_bytes = std::move(only->first_bytes);
        c.children = std::move(only->children);
      } catch (...) {
        // Out of memory: keep the pass-through node; the tree is still correct.
      }
    }
    return false;
  }

  // Frees a subtree without recursion.
  static void destroy_children(node& n) noexcept {
    std::vector<std::unique_ptr<node>> pending = std::move(n.children);
    n.first_bytes.clear();
    while (!pending.empty()) {
      std::unique_ptr<node> x = std::move(pending.back());
      pending.pop_back();
      for (auto& c : x->children) {
        try {
          pending.push_back(std::move(c));
        } catch (...) {
          destroy_children(*c);  // out of memory: fall back to a (bounded) nested free
          c.reset();
        }
      }
    }
  }

  node root_;
};

}  // namespace troupe::messaging::internal
