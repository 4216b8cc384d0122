#pragma once
// A quadric fitted to a part's own vertices, so a cap over a large hole can
// bring back the hidden side of a sphere, cylinder or cone the part was cut
// from (private to the generator; see fair in part_caps.cpp).
#include <Eigen/Dense>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "h3dpart/mesh.h"
#include "h3dpart/surface_query.h"
#include "part_caps.h"

namespace h3d::detail {

struct Quadric {
  // q(p) = p'Ap + g'p + k in coordinates centred on `centre` and scaled by 1/scale
  std::array<double, 10> c{};
  Vec3 centre{0, 0, 0};
  double scale = 1.0;
  double value(const Vec3& p) const;
  // smallest t >= 0 with q(from + t dir) = 0, if any
  std::optional<double> hit(const Vec3& from, const Vec3& dir) const;
};

// The algebraic least-squares quadric through `points`; none when their mean
// distance to it is over `tolerance` times the size of their box (a box's
// corner, a torus, a free-form part).
std::optional<Quadric> fitQuadric(const std::vector<Vec3>& points, double tolerance);

// A cap whose exposure is at most this share of its vertices' distances from
// the border is taken (followInside then moves it in) before flatter ones.
inline constexpr double kNearlyHidden = 0.01;

// The cap's free vertices `x` (rows) moved out along `normal` onto the
// quadric fitted to the part's surface (vertices below firstNew, reached
// from the border over `surfaceNeighbours`) within a border radius of it; returns the check's
// figure for them, or infinity (`x` as it may be) when that surface fits no quadric or a vertex
// would not meet it within a few border radii.
double onPartQuadric(const std::vector<std::uint32_t>& border, const std::vector<Vec3>& vertices,
                     const std::vector<std::vector<std::uint32_t>>& surfaceNeighbours,
                     std::uint32_t firstNew, const NearestPoints& borderIndex, const Vec3& normal,
                     const CapCheck& check, Eigen::MatrixXd& x);

}  // namespace h3d::detail
