#include "salesos/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace salesos::metrics {
namespace internal {

size_t ShardIndex() {
  static std::atomic<size_t> next{0};
  thread_local size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

void AtomicAdd(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace internal

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool ValidName(std::string_view n, bool label) {
  if (n.empty() || (label && n.starts_with("__"))) {
    return false;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (!label && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  return true;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kCounter: return "counter";
    case Kind::kGauge: return "gauge";
    case Kind::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} (with `extra` = `le="0.5"` appended), or nothing when there are no labels.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra = {}) {
  if (names.empty() && extra.empty()) {
    return;
  }
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) {
      out += ',';
    }
    out += extra;
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view value,
                  std::string_view extra = {}) {
  out += name;
  AppendLabels(out, names, values, extra);
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  // As Go's strconv.FormatFloat(v, 'g', -1, 64), which the Go client writes bucket bounds with
  // (le values must be spelled alike): the shortest digits that read back as `v`, in plain
  // notation unless the exponent is below -4 or at least 6 ("0.0005", "10", "1e+06").
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, ec == std::errc() ? p : buf);
  int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (exp < -4 || exp >= 6) {
    return sci;
  }
  auto [q, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, ec2 == std::errc() ? q : buf);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const Cell& c : cells_) {
    total += c.value.load(std::memory_order_relaxed);
  }
  return total;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    Fail("histogram bounds must be strictly ascending");
  }
  for (Shard& s : shards_) {
    s.counts = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      s.counts[i].store(0, std::memory_order_relaxed);
    }
  }
}

void Histogram::Observe(double v) {
  size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                      bounds_.begin());
  Shard& s = shards_[internal::ShardIndex()];
  s.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  internal::AtomicAdd(s.sum, v);
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot snap;
  snap.bounds = bounds_;
  std::vector<uint64_t> counts(bounds_.size() + 1, 0);
  for (const Shard& s : shards_) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      counts[i] += s.counts[i].load(std::memory_order_relaxed);
    }
    snap.sum += s.sum.load(std::memory_order_relaxed);
  }
  uint64_t running = 0;
  for (uint64_t c : counts) {
    running += c;
    snap.cumulative.push_back(running);
  }
  snap.count = running;
  return snap;
}

FamilyBase::FamilyBase(std::string name, std::string help, Kind kind,
                       std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), kind_(kind),
      label_names_(std::move(label_names)) {}

void FamilyBase::CheckArity(size_t n) const {
  if (n != label_names_.size()) {
    Fail(name_ + ": " + std::to_string(n) + " label values for " +
         std::to_string(label_names_.size()) + " label names");
  }
}

template <>
void Family<Counter>::WriteSamples(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, c] : children_) {
    AppendSample(out, name(), label_names(), values, std::to_string(c->Value()));
  }
}

template <>
void Family<Gauge>::WriteSamples(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, g] : children_) {
    AppendSample(out, name(), label_names(), values, FormatValue(g->Value()));
  }
}

template <>
void Family<Histogram>::WriteSamples(std::string& out) const {
  std::shared_lock lock(mu_);
  std::string bucket_name = name() + "_bucket";
  for (const auto& [values, h] : children_) {
    Histogram::Snapshot snap = h->Collect();
    for (size_t i = 0; i <= snap.bounds.size(); ++i) {
      std::string le = "le=\"" +
                       (i < snap.bounds.size() ? FormatValue(snap.bounds[i]) : std::string("+Inf")) +
                       "\"";
      AppendSample(out, bucket_name, label_names(), values, std::to_string(snap.cumulative[i]),
                   le);
    }
    AppendSample(out, name() + "_sum", label_names(), values, FormatValue(snap.sum));
    AppendSample(out, name() + "_count", label_names(), values, std::to_string(snap.count));
  }
}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
    other.id_ = 0;
  }
  return *this;
}

void CollectorHandle::Reset() {
  if (registry_ != nullptr) {
    registry_->RemoveCollector(id_);
    registry_ = nullptr;
  }
}

FamilyBase* Registry::Find(const std::string& name, Kind kind,
                           const std::vector<std::string>& labels) {
  if (!ValidName(name, false)) {
    Fail("invalid metric name '" + name + "'");
  }
  for (const auto& l : labels) {
    if (!ValidName(l, true)) {
      Fail(name + ": invalid label name '" + l + "'");
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    return nullptr;
  }
  if (it->second->kind() != kind || it->second->label_names() != labels) {
    Fail(name + " registered twice with another kind or other labels");
  }
  return it->second.get();
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (FamilyBase* f = Find(name, Kind::kCounter, label_names)) {
    return static_cast<Family<Counter>&>(*f);
  }
  auto f = std::make_unique<Family<Counter>>(name, help, Kind::kCounter, std::move(label_names),
                                             [] { return std::make_unique<Counter>(); });
  auto& ref = *f;
  families_.emplace(name, std::move(f));
  return ref;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (FamilyBase* f = Find(name, Kind::kGauge, label_names)) {
    return static_cast<Family<Gauge>&>(*f);
  }
  auto f = std::make_unique<Family<Gauge>>(name, help, Kind::kGauge, std::move(label_names),
                                           [] { return std::make_unique<Gauge>(); });
  auto& ref = *f;
  families_.emplace(name, std::move(f));
  return ref;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  if (FamilyBase* f = Find(name, Kind::kHistogram, label_names)) {
    return static_cast<Family<Histogram>&>(*f);
  }
  // Checked once here rather than on every child.
  Histogram check(bounds);
  auto f = std::make_unique<Family<Histogram>>(
      name, help, Kind::kHistogram, std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  auto& ref = *f;
  families_.emplace(name, std::move(f));
  return ref;
}

CollectorHandle Registry::AddCollector(const std::string& name, const std::string& help,
                                       Kind kind, std::vector<std::string> label_names,
                                       Collect collect) {
  if (kind == Kind::kHistogram) {
    Fail(name + ": collectors report counters or gauges");
  }
  {
    std::lock_guard lock(mu_);
    if (Find(name, kind, label_names) != nullptr) {
      Fail(name + " is already a family; a collector needs a name of its own");
    }
  }
  std::lock_guard lock(collectors_mu_);
  for (const auto& [id, c] : collectors_) {
    if (c.name == name && (c.kind != kind || c.label_names != label_names)) {
      Fail(name + " collected twice with another kind or other labels");
    }
  }
  uint64_t id = next_collector_id_++;
  collectors_.emplace(id, CollectorEntry{name, help, kind, std::move(label_names),
                                         std::move(collect)});
  return CollectorHandle(this, id);
}

void Registry::RemoveCollector(uint64_t id) {
  std::lock_guard lock(collectors_mu_);
  collectors_.erase(id);
}

std::string Registry::Serialize() const {
  struct Section {
    std::string help;
    Kind kind;
    std::string body;
  };
  std::map<std::string, Section> sections;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, f] : families_) {
      Section& s = sections[name];
      s.help = f->help();
      s.kind = f->kind();
      f->WriteSamples(s.body);
    }
  }
  {
    std::lock_guard lock(collectors_mu_);
    for (const auto& [id, c] : collectors_) {
      Section& s = sections[c.name];
      s.help = c.help;
      s.kind = c.kind;
      for (const Sample& sample : c.collect()) {
        if (sample.label_values.size() != c.label_names.size()) {
          continue;  // a collector's mistake costs its sample, not the scrape
        }
        AppendSample(s.body, c.name, c.label_names, sample.label_values,
                     FormatValue(sample.value));
      }
    }
  }
  std::string out;
  for (const auto& [name, s] : sections) {
    out += "# HELP " + name + " " + EscapeHelp(s.help) + "\n";
    out += "# TYPE " + name + " " + KindName(s.kind) + "\n";
    out += s.body;
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace salesos::metrics
