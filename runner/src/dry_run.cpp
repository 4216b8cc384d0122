// The contract check a component passes after it is loaded: a dry run on a
// tiny input built from its manifest, and readable TorchScript errors.
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <set>
#include <string>
#include <vector>

#include "h3dpart/errors.h"
#include "torch_detail.h"

namespace h3d::runner_detail {

namespace {

std::string firstLine(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

c10::ScalarType scalarType(const std::string& dtype) {
  if (dtype == "float32") return torch::kFloat32;
  if (dtype == "float16") return torch::kFloat16;
  if (dtype == "bfloat16") return torch::kBFloat16;
  if (dtype == "float64") return torch::kFloat64;
  if (dtype == "int64") return torch::kInt64;
  if (dtype == "int32") return torch::kInt32;
  if (dtype == "int16") return torch::kInt16;
  if (dtype == "int8") return torch::kInt8;
  if (dtype == "uint8") return torch::kUInt8;
  return torch::kBool;
}

std::string dtypeName(c10::ScalarType t) {
  switch (t) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat16:
      return "float16";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat64:
      return "float64";
    case torch::kInt64:
      return "int64";
    case torch::kInt32:
      return "int32";
    case torch::kInt16:
      return "int16";
    case torch::kInt8:
      return "int8";
    case torch::kUInt8:
      return "uint8";
    case torch::kBool:
      return "bool";
    default:
      return c10::toString(t);
  }
}

std::string shapeText(const std::vector<std::string>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + shape[i];
  return s + "]";
}

std::string shapeText(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

bool isNumber(const std::string& dim) {
  return !dim.empty() && std::isdigit(static_cast<unsigned char>(dim.front()));
}

}  // namespace

std::string torchMessage(const std::exception& e) {
  std::string text;
  if (auto c10err = dynamic_cast<const c10::Error*>(&e))
    text = c10err->what_without_backtrace();
  else
    text = e.what();
  const std::string interp = "The following operation failed in the TorchScript interpreter";
  if (text.rfind(interp, 0) == 0) {
    // The interpreter's preamble and traceback, then the error itself last.
    std::string last;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (line.find_first_not_of(" \t") != std::string::npos) last = line;
      start = end + 1;
    }
    return last;
  }
  return firstLine(text);
}

void dryRun(const PackageManifest& m, const ComponentSpec& spec, torch::jit::Module& module) {
  auto refuse = [&](const std::string& check, const std::string& why) {
    throw ModelError(packageErrorMessage(m.name, spec.file, check, spec.name + ": " + why));
  };
  std::set<std::string> inputSymbols;
  std::vector<torch::jit::IValue> inputs;
  torch::manual_seed(0);
  for (const auto& in : spec.inputs) {
    std::vector<std::int64_t> sizes;
    for (const auto& d : in.shape) {
      if (isNumber(d)) {
        sizes.push_back(std::stoll(d));
      } else {
        sizes.push_back(m.dryRunSymbols.at(d));
        inputSymbols.insert(d);
      }
    }
    const auto type = scalarType(in.dtype);
    torch::Tensor t;
    if (c10::isFloatingType(type)) {
      t = torch::rand(sizes, torch::TensorOptions().dtype(torch::kFloat32))
              .mul_(2)
              .sub_(1)
              .to(type);
    } else if (type == torch::kBool) {
      t = torch::zeros(sizes, torch::TensorOptions().dtype(type));
    } else {
      // Small valid indices: 0..K-1 when the package names a K, else zeros.
      const auto k = m.dryRunSymbols.count("K") ? m.dryRunSymbols.at("K") : 1;
      std::int64_t numel = 1;
      for (auto s : sizes) numel *= s;
      t = torch::arange(numel, torch::TensorOptions().dtype(torch::kInt64))
              .remainder(k)
              .reshape(sizes)
              .to(type);
    }
    inputs.emplace_back(std::move(t));
  }
  torch::jit::IValue result;
  try {
    torch::NoGradGuard noGrad;
    // As run() does: no graph optimisation, so the tiny input is not profiled
    // and compiled for (a tenth of a second the real calls never use).
    torch::jit::GraphOptimizerEnabledGuard noOpt(false);
    result = module.forward(inputs);
  } catch (const std::exception& e) {
    refuse("dry run", torchMessage(e));
  }
  std::vector<torch::Tensor> outputs;
  if (result.isTensor()) {
    outputs.push_back(result.toTensor());
  } else if (result.isTuple()) {
    for (const auto& v : result.toTupleRef().elements()) {
      if (!v.isTensor())
        refuse("output type", "tuple element is " + v.tagKind() + ", not a tensor");
      outputs.push_back(v.toTensor());
    }
  } else {
    refuse("output type", "forward returned " + result.tagKind() + ", not a tensor or a tuple");
  }
  if (outputs.size() != spec.outputs.size())
    refuse("output count", "forward returned " + std::to_string(outputs.size()) +
                               " tensors, the manifest declares " +
                               std::to_string(spec.outputs.size()));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& want = spec.outputs[i];
    const auto& got = outputs[i];
    const std::string what = "output \"" + want.name + "\" is " + shapeText(got.sizes()) + " " +
                             dtypeName(got.scalar_type()) + ", the manifest declares " +
                             shapeText(want.shape) + " " + want.dtype;
    if (got.dim() != std::int64_t(want.shape.size())) refuse("output shape", what);
    for (std::size_t d = 0; d < want.shape.size(); ++d) {
      const auto& dim = want.shape[d];
      std::int64_t expected = -1;
      if (isNumber(dim))
        expected = std::stoll(dim);
      else if (inputSymbols.count(dim))
        expected = m.dryRunSymbols.at(dim);
      if (expected >= 0 && got.size(std::int64_t(d)) != expected) refuse("output shape", what);
    }
    if (got.scalar_type() != scalarType(want.dtype)) refuse("output dtype", what);
  }
}

c10::ScalarType scalarTypeOf(DType dtype) {
  return scalarType(dtypeName(dtype));
}

bool dtypeOf(c10::ScalarType type, DType& out) {
  return parseDType(dtypeName(type), out);
}

}  // namespace h3d::runner_detail
