#pragma once
// The runner's torch helpers shared by its sources.
#include <torch/script.h>

#include <exception>
#include <string>

#include "h3dpart/model_package.h"
#include "h3dpart/tensor.h"

namespace h3d::runner_detail {

// The line of a TorchScript error that says what went wrong.
std::string torchMessage(const std::exception& e);
// Runs a component on a tiny input built from its contract and checks the
// outputs' ranks, fixed dimensions and dtypes (ModelError when it fails).
void dryRun(const PackageManifest& m, const ComponentSpec& spec, torch::jit::Module& module);

c10::ScalarType scalarTypeOf(DType dtype);
// false for a torch dtype the protocol has no name for.
bool dtypeOf(c10::ScalarType type, DType& out);

}  // namespace h3d::runner_detail
