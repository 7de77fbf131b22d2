#pragma once

// Prometheus metrics: counters, gauges and histograms in families with labels, collectors whose
// samples are computed at scrape time, and the text exposition format 0.0.4 of a whole registry.
//
//   auto& calls = metrics::DefaultRegistry().AddCounter(
//       "salesos_widgets_total", "Widgets made, by colour.", {"colour"});
//   metrics::Counter& red = calls.WithLabels({"red"});  // keep it: the lookup takes a lock
//   red.Inc();                                           // lock-free, a few nanoseconds
//
// Thread-safety: everything here may be used from any thread. Increments, Set and Observe are
// lock-free (counters and histograms are sharded per thread, so concurrent writers do not share
// a cache line); WithLabels takes a shared lock (an exclusive one the first time a label set is
// seen). References returned by Add* and WithLabels stay valid as long as the registry.
//
// Registering a name again with the same kind and label names returns the existing family, so
// every user of a metric may register it; the same name with another kind or other labels is a
// programming error and aborts. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__"); label values are any UTF-8 text, escaped on
// output. Keep label values to a bounded set (a method, a route template, a status code), never
// ids or raw paths: every label set is a series kept for the life of the process.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace salesos::metrics {

namespace internal {
inline constexpr size_t kShards = 8;
// This thread's shard (threads are spread round-robin over kShards).
size_t ShardIndex();
void AtomicAdd(std::atomic<double>& a, double v);
}  // namespace internal

// Latency buckets in seconds: 0.5 ms … 10 s.
inline const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,     2.5,
                                                    5,      10};

// A monotonically increasing count of events.
class Counter {
 public:
  void Inc(uint64_t n = 1) {
    cells_[internal::ShardIndex()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  std::array<Cell, internal::kShards> cells_;
};

// A value that goes up and down (connections open, requests in flight).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { internal::AtomicAdd(value_, v); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in fixed buckets (upper bounds, inclusive), with their sum and count.
class Histogram {
 public:
  // `bounds` ascending; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Collect() const;

 private:
  struct alignas(64) Shard {
    std::unique_ptr<std::atomic<uint64_t>[]> counts;  // bounds.size() + 1
    std::atomic<double> sum{0};
  };
  std::vector<double> bounds_;
  std::array<Shard, internal::kShards> shards_;
};

enum class Kind { kCounter, kGauge, kHistogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Kind kind, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Kind kind() const { return kind_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends the sample lines (no HELP/TYPE) to `out`.
  virtual void WriteSamples(std::string& out) const = 0;

 protected:
  void CheckArity(size_t n) const;

 private:
  std::string name_;
  std::string help_;
  Kind kind_;
  std::vector<std::string> label_names_;
};

// The children of a family, one per label value set.
template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Kind kind, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make)
      : FamilyBase(std::move(name), std::move(help), kind, std::move(label_names)),
        make_(std::move(make)) {}

  // The child for these label values (in the order of the label names); made on first use.
  T& WithLabels(const std::vector<std::string>& values) {
    CheckArity(values.size());
    {
      std::shared_lock lock(mu_);
      auto it = children_.find(values);
      if (it != children_.end()) {
        return *it->second;
      }
    }
    std::unique_lock lock(mu_);
    auto& slot = children_[values];
    if (!slot) {
      slot = make_();
    }
    return *slot;
  }
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string>(values.begin(), values.end()));
  }
  // The child of a family without labels.
  T& Get() { return WithLabels(std::vector<std::string>{}); }

  void WriteSamples(std::string& out) const override;

 private:
  std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

template <>
void Family<Counter>::WriteSamples(std::string& out) const;
template <>
void Family<Gauge>::WriteSamples(std::string& out) const;
template <>
void Family<Histogram>::WriteSamples(std::string& out) const;

// One sample of a collector: label values (in the order of its label names) and the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};
using Collect = std::function<std::vector<Sample>()>;

class Registry;

// Keeps a collector registered; unregisters it when destroyed (waiting for a scrape that is
// calling it). Must not outlive its registry.
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  CollectorHandle(CollectorHandle&& other) noexcept { *this = std::move(other); }
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  ~CollectorHandle() { Reset(); }
  void Reset();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = kLatencyBuckets);

  // Samples computed at scrape time (a queue's depth, memory in use). `kind` is kCounter or
  // kGauge. Several collectors may share a name (each stream consumer reports its own stream):
  // their samples are merged under one HELP/TYPE, and they must agree on kind and labels.
  // `collect` runs on the scraping thread with the registry's collector lock held: keep it quick
  // (cache what is expensive) and never register metrics from it.
  [[nodiscard]] CollectorHandle AddCollector(const std::string& name, const std::string& help,
                                             Kind kind, std::vector<std::string> label_names,
                                             Collect collect);

  // The whole registry in the Prometheus text format 0.0.4, families sorted by name.
  std::string Serialize() const;

 private:
  friend class CollectorHandle;
  struct CollectorEntry {
    std::string name;
    std::string help;
    Kind kind;
    std::vector<std::string> label_names;
    Collect collect;
  };
  FamilyBase* Find(const std::string& name, Kind kind, const std::vector<std::string>& labels);
  void RemoveCollector(uint64_t id);

  mutable std::mutex mu_;  // families_
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  mutable std::mutex collectors_mu_;
  std::map<uint64_t, CollectorEntry> collectors_;
  uint64_t next_collector_id_ = 1;
};

// The registry of the process: what /metrics serves.
Registry& DefaultRegistry();

// The content type of Serialize's output.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Exposition helpers (exposed for tests and collectors).
// `v` as Prometheus writes numbers: shortest round-trip text, +Inf, -Inf, NaN.
std::string FormatValue(double v);
// A label value with \, " and newline escaped.
std::string EscapeLabelValue(std::string_view v);

}  // namespace salesos::metrics
