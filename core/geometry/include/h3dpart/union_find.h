#pragma once
// Disjoint sets over 0..n-1 with path halving; unite keeps the smaller index
// as the root, so roots are stable and deterministic.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace h3d::detail {

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t find(std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void unite(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

}  // namespace h3d::detail
