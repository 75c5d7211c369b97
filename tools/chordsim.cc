// chordsim: runs a Chord scenario (scenarios/*.yaml) in the deterministic simulator and
// reports it: a summary on stdout, summary.json, CSV time series and histograms, and plots.
//
//   chordsim SCENARIO.yaml [--seed N] [--out DIR] [--set key=value]... [--quiet] [--json]
//   chordsim validate SCENARIO.yaml [--set key=value]...
//
// Exit codes: 0 done; 1 the run failed (out of memory) or could not write its results; 2 a
// bad command line, scenario, output directory, or a run too big for this machine's memory
// (reported before anything runs, with file:line:column where there is one). The wall clock is read
// here, for the progress line and the host figures only; the run itself is a function of the
// scenario and seed.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "net_sim/experiment.h"
#include "net_sim/report.h"
#include "net_sim/scenario.h"

namespace {

namespace fs = std::filesystem;
using chord::sim::Scenario;

constexpr int exit_input = 2;
constexpr int exit_output = 1;

constexpr const char* examples = R"(Examples:
  chordsim scenarios/churn.yaml                       run, write results/churn/
  chordsim scenarios/churn.yaml --seed 7 --out /tmp/c7
  chordsim scenarios/steady.yaml --set nodes.initial=4096 --set workload.lookups=100/s
  chordsim validate scenarios/mass-crash.yaml         check the file, run nothing
  for n in 256 1024 4096; do chordsim scenarios/path-length.yaml --set nodes.initial=$n \
      --out results/sweep/n$n --quiet; done
  tools/chordsim_sweep.py -x nodes.initial -o results/sweep/hops results/sweep/n*

--set takes one key=value (dotted path into the scenario; list items by index, e.g.
events.0.at=3m) and may be repeated. Output in --out (default results/NAME):
summary.json, timeseries.csv, hops.csv, latency.csv, events.csv and PNG plots.)";

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

// Makes `dir` and checks a file can be written in it, before the run spends any time.
bool prepare_output(const fs::path& dir, std::string& why) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    why = "cannot create the output directory " + dir.string() + ": " + error.message();
    return false;
  }
  const fs::path probe = dir / ".chordsim-write-test";
  {
    std::ofstream out(probe);
    if (!out || !(out << "x") || !out.flush()) {
      why = "cannot write in the output directory " + dir.string() + " (permissions?)";
      return false;
    }
  }
  fs::remove(probe, error);
  return true;
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.flush();
  if (!out) {
    std::fprintf(stderr, "chordsim: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

// The plot script: $CHORDSIM_PLOT, else tools/chordsim_plot.py of the source tree.
fs::path plot_script() {
  if (const char* path = std::getenv("CHORDSIM_PLOT")) return path;
  return fs::path(CHORDCHAT_TOOLS_DIR) / "chordsim_plot.py";
}

// Runs the plot script on `dir` (no shell); says why when it cannot.
void draw_plots(const fs::path& dir) {
  const fs::path script = plot_script();
  if (!fs::exists(script)) {
    std::fprintf(stderr, "chordsim: plots not drawn: %s not found\n", script.c_str());
    return;
  }
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    // The script lists the files it wrote; chordsim names them once in its summary.
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execl(script.c_str(), script.c_str(), dir.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "chordsim: cannot run %s\n", script.c_str());
    _exit(127);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::fprintf(stderr,
                 "chordsim: plots not drawn (%s failed; it needs python3-matplotlib: "
                 "bash tools/install-deps.sh)\n",
                 script.c_str());
  }
}

// "1h02m", "3m07s", "42s": virtual time done, as the progress line shows it.
std::string clock_text(chord::Duration d) {
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60));
  } else if (total >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(total));
  }
  return text;
}

// Progress on stderr: on a terminal, one line redrawn five times a second; otherwise (a
// log file, a pipe) a plain line every minute of wall time, so a long run in the
// background says how far it has got. Output files are not affected.
class ProgressLine {
 public:
  ProgressLine(bool enabled, bool terminal) : enabled_(enabled), terminal_(terminal) {}
  void update(const chord::sim::ExperimentProgress& p, bool last) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto pace = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(60000);
    if (!terminal_ && (last || now - start_ < pace)) return;  // short runs print nothing
    if (!last && now - shown_ < pace) return;
    shown_ = now;
    const double wall = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%s%s of %s virtual | %.1f s wall | %.0f k events/s | %zu live%s",
                 terminal_ ? "\r\033[K" : "chordsim: ", clock_text(p.now).c_str(),
                 clock_text(p.end).c_str(), wall,
                 wall > 0 ? static_cast<double>(p.events) / wall / 1e3 : 0.0, p.live_nodes,
                 terminal_ ? "" : "\n");
    if (last) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point shown_{};
};

int load(const std::string& path, const std::vector<std::string>& sets,
         std::optional<std::uint64_t> seed, Scenario& scenario) {
  auto loaded = chord::sim::load_scenario(path, sets, seed);
  if (const auto* error = std::get_if<chord::sim::ScenarioError>(&loaded)) {
    std::fprintf(stderr, "chordsim: %s\n", error->message().c_str());
    return exit_input;
  }
  scenario = std::move(std::get<Scenario>(loaded));
  return 0;
}

// Memory a virtual node may cost, all simulator state included, with a margin: the
// heaviest measured is million.yaml (every node's maintenance every second) at 2.9 KiB a
// node at 10^6 nodes (peak RSS / N, bench/RESULTS.md); SimGrid's workload takes 2 KiB.
constexpr double bytes_per_node_estimate = 4 * 1024.0;

double mem_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) return std::strtod(line.c_str() + 13, nullptr) * 1024;
  }
  return 0;  // unknown: no check
}

// Refuses, before it starts, a run that cannot fit in memory (instead of the OOM killer).
bool memory_suffices(const Scenario& scenario, std::string& why) {
  const double nodes = static_cast<double>(chord::sim::nodes_bound(scenario));
  const double needed = nodes * bytes_per_node_estimate;
  const double available = mem_available_bytes();
  if (available == 0 || needed <= available) return true;
  char text[256];
  std::snprintf(text, sizeof text,
                "%.0f nodes need about %.1f GiB (about %.0f KiB each); this machine has "
                "%.1f GiB available: use fewer nodes",
                nodes, needed / (1u << 30), bytes_per_node_estimate / 1024, available / (1u << 30));
  why = text;
  return false;
}

struct Options {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
  bool quiet = false;
  bool json = false;
  bool no_plots = false;
};

int run(const Options& options) {
  Scenario scenario;
  if (const int code = load(options.scenario, options.sets, options.seed, scenario)) return code;
  const fs::path out =
      options.out.empty() ? fs::path("results") / scenario.name : fs::path(options.out);
  std::string why;
  if (!prepare_output(out, why)) {
    std::fprintf(stderr, "chordsim: %s\n", why.c_str());
    return exit_input;
  }
  if (!memory_suffices(scenario, why)) {
    std::fprintf(stderr, "chordsim: %s\n", why.c_str());
    return exit_input;
  }
  chord::sim::Experiment experiment(scenario);
  ProgressLine progress(!options.quiet, isatty(STDERR_FILENO) == 1);
  const auto start = std::chrono::steady_clock::now();
  experiment.run(
      [&](const chord::sim::ExperimentProgress& p) { progress.update(p, p.now >= p.end); });
  chord::sim::HostFigures host;
  host.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  host.peak_rss_mib = peak_rss_mib();
  host.hostname = host_name();
  const auto& results = experiment.results();
  const std::string json = chord::sim::summary_json(scenario, results, host);
  const bool written = write_file(out / "summary.json", json) &&
                       write_file(out / "timeseries.csv", chord::sim::timeseries_csv(results)) &&
                       write_file(out / "hops.csv", chord::sim::hops_csv(results)) &&
                       write_file(out / "latency.csv", chord::sim::latency_csv(results)) &&
                       write_file(out / "events.csv", chord::sim::events_csv(results));
  if (!written) return exit_output;
  std::string files = "summary.json, timeseries.csv, hops.csv, latency.csv, events.csv";
  if (!options.no_plots) {
    for (const char* png : {"timeline.png", "hops.png", "latency.png"})
      fs::remove(out / png);  // a plot left from an earlier run must not pass for this one's
    draw_plots(out);
    for (const char* png : {"timeline.png", "hops.png", "latency.png"}) {
      if (fs::exists(out / png)) files += std::string(", ") + png;
    }
  }
  if (options.json) {
    std::fputs(json.c_str(), stdout);
  } else if (!options.quiet) {
    std::fputs(chord::sim::summary_text(scenario, results, host).c_str(), stdout);
    std::printf("  output     %s/ (%s)\n", out.c_str(), files.c_str());
  }
  return 0;
}

// A large run reads node state at random across gigabytes, and with 4 KiB pages much of
// its time goes to TLB misses. glibc backs malloc's heap with transparent huge pages only
// when the glibc.malloc.hugetlb tunable is set, and reads tunables at start-up: so chordsim
// starts itself again (same pid, same arguments) with it added to GLIBC_TUNABLES. Leaves
// alone a GLIBC_TUNABLES that already names it; CHORDSIM_HUGE_PAGES=0 turns it off. No
// effect on results; if the exec fails, the run goes on with ordinary pages.
void use_huge_pages(char** argv) {
  const char* choice = std::getenv("CHORDSIM_HUGE_PAGES");
  if (choice != nullptr && std::string_view(choice) == "0") return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string value = tunables != nullptr ? tunables : "";
  if (value.find("glibc.malloc.hugetlb") != std::string::npos) return;
  if (!value.empty()) value += ':';
  value += "glibc.malloc.hugetlb=1";
  // The binary's own path, not /proc/self/exe: the process keeps its name (ps, top).
  std::array<char, 4096> path{};
  const ssize_t length = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (length <= 0) return;
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv(path.data(), argv);
}

}  // namespace

int main(int argc, char** argv) {
  use_huge_pages(argv);
  CLI::App app{"chordsim: run a Chord scenario in the deterministic simulator", "chordsim"};
  app.footer(examples);
  Options options;
  std::string seed_text;
  app.add_option("scenario", options.scenario, "scenario file (YAML)");
  auto* seed_option =
      app.add_option("--seed", seed_text, "seed in place of the scenario's (0 to 2^64-1)");
  app.add_option("--out", options.out, "output directory (default results/NAME)");
  app.add_option("--set", options.sets, "override a scenario field: key=value (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--quiet", options.quiet, "print nothing but errors (files are still written)");
  app.add_flag("--json", options.json, "print summary.json on stdout instead of the summary");
  app.add_flag("--no-plots", options.no_plots, "do not draw the PNG plots");
  CLI::App* validate = app.add_subcommand("validate", "check a scenario file; run nothing");
  std::string validate_path;
  std::vector<std::string> validate_sets;
  validate->add_option("scenario", validate_path, "scenario file (YAML)")->required();
  validate->add_option("--set", validate_sets, "override a field: key=value (repeatable)")
      ->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_input;
  }
  try {
    if (validate->parsed()) {
      Scenario scenario;
      // --set may stand before or after "validate"; CLI11 files it under either.
      std::vector<std::string> sets = options.sets;
      sets.insert(sets.end(), validate_sets.begin(), validate_sets.end());
      if (const int code = load(validate_path, sets, std::nullopt, scenario)) return code;
      std::printf("%s: valid (%s, %llu initial nodes, %s, %zu events)\n", validate_path.c_str(),
                  scenario.name.c_str(), static_cast<unsigned long long>(scenario.nodes.initial),
                  chord::sim::format_duration(scenario.duration).c_str(), scenario.events.size());
      return 0;
    }
    if (options.scenario.empty()) {
      std::fprintf(stderr, "chordsim: give a scenario file (chordsim --help shows examples)\n");
      return exit_input;
    }
    if (seed_option->count() > 0) {
      std::uint64_t seed = 0;
      const char* end = seed_text.data() + seed_text.size();
      const auto [at, error] = std::from_chars(seed_text.data(), end, seed);
      if (error != std::errc() || at != end) {
        std::fprintf(stderr, "chordsim: --seed takes a whole number from 0 to 2^64-1, not '%s'\n",
                     seed_text.c_str());
        return exit_input;
      }
      options.seed = seed;
    }
    return run(options);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "chordsim: out of memory: use fewer nodes or a shorter run\n");
    return exit_output;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "chordsim: %s\n", error.what());
    return exit_output;
  }
}
