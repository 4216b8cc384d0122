// h3dpart_bench_prompt --models DIR MESH PROMPTS OUT
// PROMPTS: one point "x y z" a line (input coordinates). OUT: one line per
// prompt, one character per imported triangle ('1' = in the prompt's part).
// All prompts go through h3d::segmentPrompts in one segmenter run.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"

int main(int argc, char** argv) {
  if (argc != 6 || std::strcmp(argv[1], "--models") != 0) {
    std::cerr << "usage: h3dpart_bench_prompt --models DIR MESH PROMPTS OUT\n";
    return 2;
  }
  try {
    const h3d::Mesh mesh = h3d::importMesh(argv[3]);
    std::ifstream in(argv[4]);
    if (!in) throw h3d::InputError(argv[4], "cannot be read");
    std::vector<h3d::Vec3> prompts;
    float x = 0, y = 0, z = 0;
    while (in >> x >> y >> z) prompts.push_back(h3d::Vec3{x, y, z});
    if (prompts.empty()) throw h3d::InputError(argv[4], "no prompt points");
    h3d::ManagerConfig config;
    config.device = "cpu";
    h3d::ModelManager models(config);
    const auto problems = models.addPackages(argv[2]);
    if (!problems.empty()) throw h3d::ModelError(problems.front());
    h3d::Progress progress;
    const auto masks = h3d::segmentPrompts(mesh, prompts, models, h3d::SegmentOptions{}, progress);
    std::ofstream out(argv[5]);
    for (const auto& m : masks) {
      std::string line(m.size(), '0');
      for (std::size_t f = 0; f < m.size(); ++f)
        if (m[f]) line[f] = '1';
      out << line << '\n';
    }
    if (!out) throw h3d::OutputError(argv[5], "cannot be written");
  } catch (const h3d::Error& e) {
    std::cerr << "h3dpart_bench_prompt: " << e.what() << '\n';
    return static_cast<int>(e.exitCode());
  }
  return 0;
}
