#pragma once
// Conversions from the core's mesh values to VTK data, and VTK glue shared by
// the viewer's parts (private to the viewer).
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include <cstdint>
#include <vector>

#include "h3dpart/mesh.h"
#include "h3dpart/pipeline.h"

namespace h3d::ui::scene {

// The triangles `faces` of `mesh` (all when null) as polydata with
// area-weighted point normals, vertices compacted.
vtkSmartPointer<vtkPolyData> toPolyData(const Mesh& mesh,
                                        const std::vector<std::uint32_t>* faces = nullptr);

struct LabelledFaces {
  int label = 0;  // -1 = unassigned
  std::vector<std::uint32_t> faces;
};
// Face indices grouped by segmentation label, in label order, unassigned last.
std::vector<LabelledFaces> groupByLabel(const Segmentation& segmentation, std::size_t faceCount);

// Calls `fn(object, event, clientData, callData)` on each `event` of `object`.
using Callback = void (*)(vtkObject*, unsigned long, void* clientData, void* callData);
void observe(vtkObject* object, unsigned long event, Callback fn, void* clientData);

// A square grid of lines in the plane y = box.lo.y, a little larger than the box.
vtkSmartPointer<vtkPolyData> floorGrid(const Box3& box, int divisions = 20);

}  // namespace h3d::ui::scene
