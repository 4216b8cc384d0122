#include "h3dpart/simplify.h"

#include <OpenMesh/Core/Mesh/TriMesh_ArrayKernelT.hh>
#include <OpenMesh/Tools/Decimater/DecimaterT.hh>
#include <OpenMesh/Tools/Decimater/ModNormalFlippingT.hh>
#include <OpenMesh/Tools/Decimater/ModQuadricT.hh>

#include <vector>

#include "h3dpart/marching.h"

namespace h3d::detail {

namespace {

struct Traits : public OpenMesh::DefaultTraits {
  using Point = OpenMesh::Vec3d;
  using Normal = OpenMesh::Vec3d;
  VertexAttributes(OpenMesh::Attributes::Status);
  EdgeAttributes(OpenMesh::Attributes::Status);
  FaceAttributes(OpenMesh::Attributes::Status | OpenMesh::Attributes::Normal);
};
using OMesh = OpenMesh::TriMesh_ArrayKernelT<Traits>;

}  // namespace

std::size_t simplifyToBudget(Mesh& mesh, std::size_t maxFaces) {
  if (mesh.faces.size() <= maxFaces || maxFaces < 4) return mesh.faces.size();
  const bool wasClosed = isClosedManifold(mesh);
  OMesh om;
  std::vector<OMesh::VertexHandle> handles;
  handles.reserve(mesh.vertices.size());
  for (const Vec3& p : mesh.vertices) handles.push_back(om.add_vertex(OMesh::Point(p.x, p.y, p.z)));
  for (const Triangle& t : mesh.faces) {
    const OMesh::FaceHandle f = om.add_face(handles[t[0]], handles[t[1]], handles[t[2]]);
    if (!f.is_valid()) return mesh.faces.size();  // not a manifold OpenMesh can hold
  }
  om.update_face_normals();
  OpenMesh::Decimater::DecimaterT<OMesh> decimater(om);
  OpenMesh::Decimater::ModQuadricT<OMesh>::Handle quadric;
  OpenMesh::Decimater::ModNormalFlippingT<OMesh>::Handle flipping;
  decimater.add(quadric);
  decimater.add(flipping);
  decimater.module(quadric).unset_max_err();
  decimater.module(flipping).set_max_normal_deviation(75.0);
  if (!decimater.initialize()) return mesh.faces.size();
  decimater.decimate_to_faces(0, maxFaces);
  om.garbage_collection();
  Mesh out;
  out.vertices.reserve(om.n_vertices());
  for (const auto v : om.vertices()) {
    const auto& p = om.point(v);
    out.vertices.push_back(
        Vec3{static_cast<float>(p[0]), static_cast<float>(p[1]), static_cast<float>(p[2])});
  }
  out.faces.reserve(om.n_faces());
  for (const auto f : om.faces()) {
    Triangle t{};
    int i = 0;
    for (const auto v : om.fv_range(f))
      t[static_cast<std::size_t>(i++)] = static_cast<std::uint32_t>(v.idx());
    out.faces.push_back(t);
  }
  if (wasClosed && !isClosedManifold(out)) return mesh.faces.size();
  mesh = std::move(out);
  return mesh.faces.size();
}

}  // namespace h3d::detail
