#include "viewer/vtk_scene.h"

#include <vtkCallbackCommand.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>

#include <algorithm>
#include <map>

namespace h3d::ui::scene {

namespace {

vtkSmartPointer<vtkCellArray> cellsFrom(const std::vector<vtkIdType>& connectivity, int perCell) {
  const vtkIdType cells = vtkIdType(connectivity.size()) / perCell;
  auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
  offsets->SetNumberOfValues(cells + 1);
  for (vtkIdType c = 0; c <= cells; ++c) offsets->SetValue(c, c * perCell);
  auto conn = vtkSmartPointer<vtkIdTypeArray>::New();
  conn->SetNumberOfValues(vtkIdType(connectivity.size()));
  std::copy(connectivity.begin(), connectivity.end(), conn->GetPointer(0));
  auto array = vtkSmartPointer<vtkCellArray>::New();
  array->SetData(offsets, conn);
  return array;
}

}  // namespace

vtkSmartPointer<vtkPolyData> toPolyData(const Mesh& mesh, const std::vector<std::uint32_t>* faces) {
  const std::size_t faceCount = faces ? faces->size() : mesh.faces.size();
  // Compact the vertices this subset uses, in first-use order.
  constexpr std::uint32_t kUnused = 0xffffffffu;
  std::vector<std::uint32_t> remap(mesh.vertices.size(), kUnused);
  std::vector<std::uint32_t> used;
  used.reserve(faces ? faceCount * 3 / 2 : mesh.vertices.size());
  std::vector<vtkIdType> connectivity(faceCount * 3);
  for (std::size_t i = 0; i < faceCount; ++i) {
    const Triangle& t = mesh.faces[faces ? (*faces)[i] : i];
    for (int k = 0; k < 3; ++k) {
      std::uint32_t& id = remap[t[k]];
      if (id == kUnused) {
        id = std::uint32_t(used.size());
        used.push_back(t[k]);
      }
      connectivity[i * 3 + k] = id;
    }
  }

  auto coords = vtkSmartPointer<vtkFloatArray>::New();
  coords->SetNumberOfComponents(3);
  coords->SetNumberOfTuples(vtkIdType(used.size()));
  float* p = coords->GetPointer(0);
  for (std::size_t v = 0; v < used.size(); ++v) {
    const Vec3& q = mesh.vertices[used[v]];
    p[3 * v] = q.x;
    p[3 * v + 1] = q.y;
    p[3 * v + 2] = q.z;
  }

  // Area-weighted normals: the unnormalised face normal carries the weight.
  auto normals = vtkSmartPointer<vtkFloatArray>::New();
  normals->SetName("Normals");
  normals->SetNumberOfComponents(3);
  normals->SetNumberOfTuples(vtkIdType(used.size()));
  float* n = normals->GetPointer(0);
  std::fill(n, n + 3 * used.size(), 0.f);
  for (std::size_t i = 0; i < faceCount; ++i) {
    const vtkIdType* c = &connectivity[i * 3];
    const Vec3 a{p[3 * c[0]], p[3 * c[0] + 1], p[3 * c[0] + 2]};
    const Vec3 b{p[3 * c[1]], p[3 * c[1] + 1], p[3 * c[1] + 2]};
    const Vec3 d{p[3 * c[2]], p[3 * c[2] + 1], p[3 * c[2] + 2]};
    const Vec3 fn = cross(b - a, d - a);
    for (int k = 0; k < 3; ++k) {
      n[3 * c[k]] += fn.x;
      n[3 * c[k] + 1] += fn.y;
      n[3 * c[k] + 2] += fn.z;
    }
  }
  for (std::size_t v = 0; v < used.size(); ++v) {
    const Vec3 u = normalized(Vec3{n[3 * v], n[3 * v + 1], n[3 * v + 2]});
    n[3 * v] = u.x;
    n[3 * v + 1] = u.y;
    n[3 * v + 2] = u.z;
  }

  auto points = vtkSmartPointer<vtkPoints>::New();
  points->SetData(coords);
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(points);
  poly->SetPolys(cellsFrom(connectivity, 3));
  poly->GetPointData()->SetNormals(normals);
  return poly;
}

std::vector<LabelledFaces> groupByLabel(const Segmentation& segmentation, std::size_t faceCount) {
  std::map<int, std::vector<std::uint32_t>> groups;
  const std::size_t n = std::min(faceCount, segmentation.faceLabels.size());
  for (std::size_t f = 0; f < n; ++f) {
    const int label = segmentation.faceLabels[f];
    groups[label < 0 ? -1 : label].push_back(std::uint32_t(f));
  }
  // Faces past the end of the labels (should not happen) count as unassigned.
  for (std::size_t f = n; f < faceCount; ++f) groups[-1].push_back(std::uint32_t(f));
  std::vector<LabelledFaces> out;
  for (auto& [label, faces] : groups)
    if (label >= 0) out.push_back({label, std::move(faces)});
  if (auto it = groups.find(-1); it != groups.end()) out.push_back({-1, std::move(it->second)});
  return out;
}

vtkSmartPointer<vtkPolyData> floorGrid(const Box3& box, int divisions) {
  const Vec3 c = box.center();
  const Vec3 s = box.size();
  const float half = 0.75f * std::max({s.x, s.z, 1e-3f});
  const float y = box.lo.y;
  auto points = vtkSmartPointer<vtkPoints>::New();
  std::vector<vtkIdType> lines;
  for (int i = 0; i <= divisions; ++i) {
    const float t = -half + 2 * half * float(i) / float(divisions);
    lines.push_back(points->InsertNextPoint(c.x + t, y, c.z - half));
    lines.push_back(points->InsertNextPoint(c.x + t, y, c.z + half));
    lines.push_back(points->InsertNextPoint(c.x - half, y, c.z + t));
    lines.push_back(points->InsertNextPoint(c.x + half, y, c.z + t));
  }
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(points);
  poly->SetLines(cellsFrom(lines, 2));
  return poly;
}

void observe(vtkObject* object, unsigned long event, Callback fn, void* clientData) {
  vtkNew<vtkCallbackCommand> cb;
  cb->SetCallback(fn);
  cb->SetClientData(clientData);
  object->AddObserver(event, cb);
}

}  // namespace h3d::ui::scene
