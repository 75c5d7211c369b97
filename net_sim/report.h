// Report: what chordsim writes about a finished Experiment.
//
// Everything but HostFigures is a function of the scenario and seed, so two runs of the
// same scenario and seed produce byte-identical text here, except the one line (text) or
// the one block (JSON, "host") that holds wall time, speed, memory and host name.
#pragma once

#include <string>

#include "net_sim/experiment.h"
#include "net_sim/scenario.h"

namespace chord::sim {

// Figures of the machine that ran the experiment: the only non-deterministic output.
struct HostFigures {
  double wall_s = 0;
  double peak_rss_mib = 0;
  std::string hostname;
};

// The readable summary (stdout).
std::string summary_text(const Scenario& scenario, const ExperimentResults& results,
                         const HostFigures& host);
// summary.json: the same figures, with the resolved scenario and seed that made them.
std::string summary_json(const Scenario& scenario, const ExperimentResults& results,
                         const HostFigures& host);
// timeseries.csv: one row per metrics window.
std::string timeseries_csv(const ExperimentResults& results);
// hops.csv (hops,count) and latency.csv (latency_ms_low,latency_ms_high,count).
std::string hops_csv(const ExperimentResults& results);
std::string latency_csv(const ExperimentResults& results);
// events.csv (time_s,event): the scenario's events as they happened, for plots.
std::string events_csv(const ExperimentResults& results);

}  // namespace chord::sim
