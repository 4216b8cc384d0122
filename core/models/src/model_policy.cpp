// Which models leave the device (and host RAM) so that another fits: the
// policies (sequential, keep, budget) as victim lists; no weights move here.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_set>
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "model_manager_impl.h"

namespace h3d {

using namespace manager_detail;

bool ModelManager::Impl::evictable(std::size_t i, std::size_t except) const {
  const Model& m = *models[i];
  return i != except && m.handles == 0 && !m.busy;
}

bool ModelManager::Impl::mayCache(const Model& m, std::vector<Victim>& victims,
                                  std::size_t except) {
  if (cfg.policy != Policy::Budget && !sequentialCaches()) return false;
  const std::uint64_t need = m.loadedHostBytes();
  std::uint64_t cached = hostCacheBytes();
  for (const auto& v : victims)
    if (!v.drop) cached += models[v.index]->loadedHostBytes();
  const std::uint64_t budget = ramBudget();
  if (need > budget) return false;
  // Drop least recently used cached models until it fits.
  while (cached + need > budget) {
    Model* lru = nullptr;
    std::size_t lruIndex = 0;
    for (std::size_t i = 0; i < models.size(); ++i) {
      Model& c = *models[i];
      if (!evictable(i, except) || &c == &m || c.anyOn(Where::Device) || !c.anyOn(Where::Host))
        continue;
      if (!lru || c.lastUse < lru->lastUse) {
        lru = &c;
        lruIndex = i;
      }
    }
    if (!lru) return false;
    cached -= lru->loadedHostBytes();
    markBusy(*lru, ModelState::Unloading);
    victims.push_back({lruIndex, true});
  }
  return true;
}

void ModelManager::Impl::addVictim(std::size_t i, bool forceDrop, std::vector<Victim>& victims,
                                   std::size_t except) {
  Model& m = *models[i];
  const bool drop = forceDrop || !mayCache(m, victims, except);
  markBusy(m, ModelState::Unloading);
  victims.push_back({i, drop});
}

std::vector<Victim> ModelManager::Impl::selectOthers(std::size_t except, bool forceDrop) {
  std::vector<Victim> victims;
  for (std::size_t i = 0; i < models.size(); ++i) {
    Model& m = *models[i];
    if (!evictable(i, except)) continue;
    if (m.anyOn(Where::Device) || (forceDrop && m.anyLoaded()))
      addVictim(i, forceDrop, victims, except);
  }
  return victims;
}

std::vector<Victim> ModelManager::Impl::selectForBudget(std::size_t except, std::uint64_t need,
                                                        std::uint64_t budget) {
  std::vector<Victim> victims;
  std::uint64_t resident = primaryDeviceBytes();
  while (resident + need > budget) {
    std::size_t best = models.size();
    for (std::size_t i = 0; i < models.size(); ++i) {
      Model& m = *models[i];
      if (!evictable(i, except) || m.fallback || !m.anyOn(Where::Device)) continue;
      if (best == models.size() || m.lastUse < models[best]->lastUse) best = i;
    }
    if (best == models.size()) break;
    resident -= models[best]->bytesOn(Where::Device);
    addVictim(best, false, victims, except);
  }
  return victims;
}

std::vector<Victim> ModelManager::Impl::planPlacement(std::size_t index, std::uint64_t need,
                                                      std::uint64_t budget) {
  switch (cfg.policy) {
    case Policy::Sequential:
      // Others leave the device; with the host cache their weights may stay in RAM.
      return selectOthers(index, !sequentialCaches());
    case Policy::Budget:
      return selectForBudget(index, need, budget);
    case Policy::Keep:
      break;
  }
  return {};
}

std::uint64_t ModelManager::Impl::effectiveBudget() {
  std::uint64_t configured;
  std::uint64_t headroom;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (cfg.policy != Policy::Budget) return 0;  // only Budget plans by bytes
    configured = cfg.vramBudget;
    headroom = cfg.headroomBytes;
  }
  if (configured) return configured;
  const std::uint64_t free = exec->freeForPlanning();
  std::uint64_t ours;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ours = primaryDeviceBytes();
  }
  const std::uint64_t total = free + ours;
  return total > headroom ? total - headroom : 0;
}

}  // namespace h3d
