#include "cap_quadric.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace h3d::detail {

namespace {

std::array<double, 10> monomials(double x, double y, double z) {
  return {x * x, y * y, z * z, x * y, x * z, y * z, x, y, z, 1.0};
}

// rounds of reweighting, and the share of points that must lie on the fit
constexpr int kRounds = 6;
constexpr double kInlierShare = 0.7;
// how well the surface near the border must fit (share of its size), how
// far from the border that surface reaches and how far out a cap may go
// (border radii)
constexpr double kTolerance = 0.005;
constexpr double kNear = 1.0;
constexpr double kReach = 3.0;

}  // namespace

double Quadric::value(const Vec3& p) const {
  const auto m =
      monomials((p[0] - centre[0]) / scale, (p[1] - centre[1]) / scale, (p[2] - centre[2]) / scale);
  double q = 0;
  for (int i = 0; i < 10; ++i) q += c[i] * m[i];
  return q;
}

std::optional<double> Quadric::hit(const Vec3& from, const Vec3& dir) const {
  const double x = (from[0] - centre[0]) / scale, y = (from[1] - centre[1]) / scale,
               z = (from[2] - centre[2]) / scale;
  const double u = dir[0], v = dir[1], w = dir[2];  // a unit direction, unscaled
  // q(x + s d) = a s^2 + b s + k, s in scaled units
  const double a =
      c[0] * u * u + c[1] * v * v + c[2] * w * w + c[3] * u * v + c[4] * u * w + c[5] * v * w;
  const double b = 2 * (c[0] * x * u + c[1] * y * v + c[2] * z * w) + c[3] * (x * v + y * u) +
                   c[4] * (x * w + z * u) + c[5] * (y * w + z * v) + c[6] * u + c[7] * v + c[8] * w;
  const double k = value(from);
  double s = -1;
  if (std::abs(a) < 1e-12) {
    if (std::abs(b) > 1e-12) s = -k / b;
  } else {
    const double disc = b * b - 4 * a * k;
    if (disc < 0) return std::nullopt;
    const double r = std::sqrt(disc);
    const double s0 = std::min((-b - r) / (2 * a), (-b + r) / (2 * a));
    const double s1 = std::max((-b - r) / (2 * a), (-b + r) / (2 * a));
    s = s0 >= 0 ? s0 : s1;
  }
  if (s < 0) return std::nullopt;
  return s * scale;
}

std::optional<Quadric> fitQuadric(const std::vector<Vec3>& vertices, double tolerance) {
  const std::size_t count = vertices.size();
  if (count < 20) return std::nullopt;
  Quadric q;
  Vec3 lo = vertices[0], hi = vertices[0];
  for (std::size_t i = 0; i < count; ++i)
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], vertices[i][a]);
      hi[a] = std::max(hi[a], vertices[i][a]);
    }
  q.centre = (lo + hi) * 0.5f;
  const Vec3 extent = hi - lo;
  const double size = std::sqrt(dot(extent, extent));
  if (!(size > 0)) return std::nullopt;
  q.scale = 0.5 * size;
  // distance of each point to the quadric to first order (|q| / |grad q|), scaled units
  std::vector<double> distance(count), weight(count, 1.0);
  auto distances = [&] {
    const auto& c = q.c;
    for (std::size_t i = 0; i < count; ++i) {
      const Vec3& p = vertices[i];
      const double x = (p[0] - q.centre[0]) / q.scale, y = (p[1] - q.centre[1]) / q.scale,
                   z = (p[2] - q.centre[2]) / q.scale;
      const double gx = 2 * c[0] * x + c[3] * y + c[4] * z + c[6];
      const double gy = 2 * c[1] * y + c[3] * x + c[5] * z + c[7];
      const double gz = 2 * c[2] * z + c[4] * x + c[5] * y + c[8];
      const double g = std::sqrt(gx * gx + gy * gy + gz * gz);
      distance[i] = g < 1e-9 ? INFINITY : std::abs(q.value(p)) / g;
    }
  };
  // reweighted a few times, so the points off the main surface (a cylinder's
  // flat end) stop pulling the fit
  const double sigma = tolerance * size / q.scale;
  for (int round = 0; round < kRounds; ++round) {
    Eigen::Matrix<double, 10, 10> m = Eigen::Matrix<double, 10, 10>::Zero();
    for (std::size_t i = 0; i < count; ++i) {
      const Vec3& p = vertices[i];
      const auto d = monomials((p[0] - q.centre[0]) / q.scale, (p[1] - q.centre[1]) / q.scale,
                               (p[2] - q.centre[2]) / q.scale);
      const Eigen::Map<const Eigen::Matrix<double, 10, 1>> dv(d.data());
      m.noalias() += weight[i] * dv * dv.transpose();
    }
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 10, 10>> eig(m);
    if (eig.info() != Eigen::Success) return std::nullopt;
    for (int k = 0; k < 10; ++k) q.c[static_cast<std::size_t>(k)] = eig.eigenvectors()(k, 0);
    distances();
    for (std::size_t i = 0; i < count; ++i) {
      const double r = distance[i] / (2 * sigma);
      weight[i] = 1.0 / (1.0 + r * r);
    }
  }
  std::size_t close = 0;
  for (double d : distance) close += d < sigma ? 1 : 0;
  if (static_cast<double>(close) < kInlierShare * static_cast<double>(count)) return std::nullopt;
  return q;
}

double onPartQuadric(const std::vector<std::uint32_t>& border, const std::vector<Vec3>& vertices,
                     const std::vector<std::vector<std::uint32_t>>& surfaceNeighbours,
                     std::uint32_t firstNew, const NearestPoints& borderIndex, const Vec3& normal,
                     const CapCheck& check, Eigen::MatrixXd& x) {
  if (border.empty()) return INFINITY;
  Vec3 mid{0, 0, 0};
  for (std::uint32_t v : border) mid += vertices[v] * (1.f / static_cast<float>(border.size()));
  float radius = 0;
  for (std::uint32_t v : border) radius = std::max(radius, length(vertices[v] - mid));
  // the part's vertices within kNear radii of the border, reached over the
  // surface from it (a walk, not a scan of the whole part: a part may have
  // thousands of small caps)
  std::vector<Vec3> near;
  std::unordered_set<std::uint32_t> seen(border.begin(), border.end());
  std::vector<std::uint32_t> todo(border.begin(), border.end());
  while (!todo.empty()) {
    const std::uint32_t v = todo.back();
    todo.pop_back();
    near.push_back(vertices[v]);
    for (std::uint32_t u : surfaceNeighbours[v])
      if (u < firstNew && seen.insert(u).second &&
          borderIndex.distance(vertices[u]) < kNear * radius)
        todo.push_back(u);
  }
  const auto quadric = fitQuadric(near, kTolerance);
  if (!quadric) return INFINITY;
  std::vector<Vec3> points(static_cast<std::size_t>(x.rows()));
  std::vector<float> toBorder(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto r = static_cast<long>(i);
    Vec3 p{static_cast<float>(x(r, 0)), static_cast<float>(x(r, 1)), static_cast<float>(x(r, 2))};
    const auto t = quadric->hit(p, normal);
    if (!t || *t >= kReach * radius) return INFINITY;
    p += normal * static_cast<float>(*t);
    for (int a = 0; a < 3; ++a) x(r, a) = p[a];
    points[i] = p;
    toBorder[i] = borderIndex.distance(p);
  }
  return check(points, toBorder);
}

}  // namespace h3d::detail
