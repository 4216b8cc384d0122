#include "h3dpart/marching.h"
#include "h3dpart/union_find.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <unordered_map>
#include <utility>

namespace h3d::detail {

void ScalarGrid::closeBorder(float value) {
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i)
        if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1)
          values[index(i, j, k)] = value;
}

namespace {

// Cell corners by bit: x = 1, y = 2, z = 4. The Kuhn tetrahedra: 0, then one
// axis step, then two, then corner 7, for each order of the three axes.
constexpr std::array<std::array<int, 4>, 6> kTets = {{
    {0, 1, 3, 7},
    {0, 1, 5, 7},
    {0, 2, 3, 7},
    {0, 2, 6, 7},
    {0, 4, 5, 7},
    {0, 4, 6, 7},
}};

class Builder {
 public:
  explicit Builder(const ScalarGrid& g) : g_(g) {}

  // The vertex on grid edge (a, b), a < b, created on first use.
  std::uint32_t edgeVertex(std::size_t a, std::size_t b, const Vec3& pa, const Vec3& pb, float va,
                           float vb) {
    const std::uint64_t key = static_cast<std::uint64_t>(a) * g_.values.size() + b;
    auto [it, inserted] = map_.try_emplace(key, 0u);
    if (inserted) {
      const float t = std::clamp(va / (va - vb), 1e-3f, 1.f - 1e-3f);
      it->second = static_cast<std::uint32_t>(mesh.vertices.size());
      mesh.vertices.push_back(pa + (pb - pa) * t);
    }
    return it->second;
  }

  Mesh mesh;

 private:
  const ScalarGrid& g_;
  std::unordered_map<std::uint64_t, std::uint32_t> map_;
};

}  // namespace

Mesh marchTetrahedra(const ScalarGrid& g) {
  Builder b(g);
  if (g.nx < 2 || g.ny < 2 || g.nz < 2) return {};
  b.mesh.vertices.reserve(g.values.size() / 8);
  std::array<std::size_t, 8> idx{};
  std::array<Vec3, 8> pos{};
  std::array<float, 8> val{};
  auto vertexOn = [&](int c0, int c1) {
    // the edge's vertex, keyed by the two grid vertices (smaller first)
    std::size_t a = idx[c0], bb = idx[c1];
    float va = val[c0], vb = val[c1];
    Vec3 pa = pos[c0], pb = pos[c1];
    if (a > bb) {
      std::swap(a, bb);
      std::swap(va, vb);
      std::swap(pa, pb);
    }
    return b.edgeVertex(a, bb, pa, pb, va, vb);
  };
  for (int k = 0; k + 1 < g.nz; ++k) {
    for (int j = 0; j + 1 < g.ny; ++j) {
      for (int i = 0; i + 1 < g.nx; ++i) {
        int inside = 0;
        for (int c = 0; c < 8; ++c) {
          const int di = c & 1, dj = (c >> 1) & 1, dk = (c >> 2) & 1;
          idx[c] = g.index(i + di, j + dj, k + dk);
          val[c] = g.values[idx[c]];
          inside += val[c] < 0.f ? 1 : 0;
        }
        if (inside == 0 || inside == 8) continue;
        for (int c = 0; c < 8; ++c)
          pos[c] = g.position(i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
        for (const auto& tet : kTets) {
          std::array<int, 4> in{}, out{};
          int ni = 0, no = 0;
          for (int c : tet) {
            if (val[c] < 0.f)
              in[ni++] = c;
            else
              out[no++] = c;
          }
          if (ni == 0 || no == 0) continue;
          Vec3 ci{0, 0, 0}, co{0, 0, 0};
          for (int q = 0; q < ni; ++q) ci += pos[in[q]];
          for (int q = 0; q < no; ++q) co += pos[out[q]];
          const Vec3 grad = co / static_cast<float>(no) - ci / static_cast<float>(ni);
          auto emit = [&](std::uint32_t v0, std::uint32_t v1, std::uint32_t v2) {
            const auto& V = b.mesh.vertices;
            const Vec3 n = cross(V[v1] - V[v0], V[v2] - V[v0]);
            if (dot(n, grad) < 0.f) std::swap(v1, v2);
            b.mesh.faces.push_back({v0, v1, v2});
          };
          if (ni == 1) {
            emit(vertexOn(in[0], out[0]), vertexOn(in[0], out[1]), vertexOn(in[0], out[2]));
          } else if (no == 1) {
            emit(vertexOn(out[0], in[0]), vertexOn(out[0], in[1]), vertexOn(out[0], in[2]));
          } else {
            // quad in cyclic order: (in0,out0) (in0,out1) (in1,out1) (in1,out0)
            const std::uint32_t q0 = vertexOn(in[0], out[0]);
            const std::uint32_t q1 = vertexOn(in[0], out[1]);
            const std::uint32_t q2 = vertexOn(in[1], out[1]);
            const std::uint32_t q3 = vertexOn(in[1], out[0]);
            emit(q0, q1, q2);
            emit(q0, q2, q3);
          }
        }
      }
    }
  }
  return std::move(b.mesh);
}

std::size_t removeSmallComponents(Mesh& mesh, double minFraction) {
  if (mesh.faces.empty()) return 0;
  UnionFind uf(mesh.vertices.size());
  for (const auto& t : mesh.faces) {
    uf.unite(t[0], t[1]);
    uf.unite(t[1], t[2]);
  }
  std::unordered_map<std::uint32_t, double> area;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f)
    area[uf.find(mesh.faces[f][0])] += mesh.faceArea(f);
  double largest = 0;
  for (const auto& [root, a] : area) largest = std::max(largest, a);
  std::size_t removed = 0;
  for (const auto& [root, a] : area) removed += a < minFraction * largest ? 1 : 0;
  if (removed == 0) return 0;
  std::vector<Triangle> kept;
  kept.reserve(mesh.faces.size());
  for (const auto& t : mesh.faces)
    if (area[uf.find(t[0])] >= minFraction * largest) kept.push_back(t);
  mesh.faces = std::move(kept);
  mesh.dropUnusedVertices();
  return removed;
}

bool isClosedManifold(const Mesh& mesh) {
  if (mesh.faces.empty()) return false;
  const std::uint64_t n = mesh.vertices.size();
  // directed half-edges (a, b) as a * n + b, sorted, each with the third
  // vertex of its face: a vertex's outgoing half-edges are one run
  struct HalfEdge {
    std::uint64_t key;
    std::uint32_t third;
  };
  std::vector<HalfEdge> edges;
  edges.reserve(mesh.faces.size() * 3);
  for (const auto& t : mesh.faces) {
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2]) return false;
    for (int e = 0; e < 3; ++e) edges.push_back({t[e] * n + t[(e + 1) % 3], t[(e + 2) % 3]});
  }
  std::sort(edges.begin(), edges.end(),
            [](const HalfEdge& x, const HalfEdge& y) { return x.key < y.key; });
  auto find = [&](std::uint64_t key) {
    auto it = std::lower_bound(edges.begin(), edges.end(), key,
                               [](const HalfEdge& x, std::uint64_t k) { return x.key < k; });
    return it != edges.end() && it->key == key ? it : edges.end();
  };
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (i > 0 && edges[i].key == edges[i - 1].key) return false;  // edge used twice the same way
    const std::uint64_t key = edges[i].key;
    if (find((key % n) * n + key / n) == edges.end()) return false;  // border edge
  }
  // one fan per vertex: walking outgoing half-edges around the vertex visits them all
  for (std::size_t begin = 0; begin < edges.size();) {
    const std::uint64_t v = edges[begin].key / n;
    std::size_t end = begin;
    while (end < edges.size() && edges[end].key / n == v) ++end;
    const std::size_t outs = end - begin;
    // face (v, b, c): the next outgoing edge around v is (v, c)
    const auto first = static_cast<std::uint32_t>(edges[begin].key % n);
    std::uint32_t cur = first;
    std::size_t steps = 0;
    do {
      auto it = std::lower_bound(edges.begin() + static_cast<long>(begin),
                                 edges.begin() + static_cast<long>(end), v * n + cur,
                                 [](const HalfEdge& x, std::uint64_t k) { return x.key < k; });
      if (it == edges.begin() + static_cast<long>(end) || it->key != v * n + cur) return false;
      cur = it->third;
      ++steps;
      if (steps > outs) return false;
    } while (cur != first);
    if (steps != outs) return false;
    begin = end;
  }
  return true;
}

}  // namespace h3d::detail
