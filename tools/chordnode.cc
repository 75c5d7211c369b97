// chordnode: a real chordchat node on TCP.
//
//   chordnode chat --name NAME [--listen HOST:PORT] [--advertise HOST:PORT]
//                  [--bootstrap HOST:PORT]... [--config FILE] [--new-ring] [--json]
//   chordnode serve [--listen HOST:PORT] [--advertise HOST:PORT] [--bootstrap HOST:PORT]...
//                   [--config FILE] [--new-ring]
//
// `chat` joins, registers NAME#id and reads commands (ChatConsole: /find, /chat, /msg, ...)
// from stdin, one a line; end of input is a graceful /quit. `serve` is a headless node
// (a bootstrap node on a LAN server, say). SIGINT, SIGTERM and SIGHUP leave gracefully: the user's
// record is removed and the node's records are handed over first.
//
// Bootstrap endpoints come from --bootstrap, else the config file, else the built-in
// default (127.0.0.1:4500, a serve node on this machine); they are tried in random order
// and any live node can serve. Without --new-ring a node that cannot join says which
// endpoints it tried and exits 1: it never starts a ring of its own because nobody
// answered. Nothing about users or messages is written anywhere but stdout; diagnostics go
// to stderr with --verbose only. Exit codes: 0 done, 1 could not listen or join, 2 a bad
// command line or config file.
#include <langinfo.h>
#include <unistd.h>
#include <uv.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net_real/console.h"
#include "net_real/identity_file.h"
#include "net_real/line_editor.h"
#include "net_real/line_output.h"
#include "net_real/uv_node.h"

namespace {

using namespace std::chrono_literals;
using chord::Endpoint;

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr const char* default_bootstrap = "127.0.0.1:4500";
constexpr std::size_t input_line_bytes_max = 8192;
constexpr std::size_t input_lines_max = 10000;  // waiting to run; more are dropped
constexpr auto quit_wait = 10s;                 // for unacknowledged messages before leaving
constexpr auto leave_wait = 5s;                 // for the record removal and hand-over

struct Options {
  std::string mode;
  std::string name;
  std::string listen;
  std::string advertise;
  std::vector<std::string> bootstrap;
  std::string config;
  bool new_ring = false;
  bool json = false;
  bool verbose = false;
  double join_timeout_s = 15;
  double record_lease_s = 60;
  std::string identity_file;
};

struct UsageError {
  std::string message;
};

Endpoint parse_endpoint(const std::string& text, const char* what) {
  const auto endpoint = Endpoint::parse(text);
  const bool zone = text.find('%') != std::string::npos;
  const bool link_local = endpoint && endpoint->family == chord::AddressFamily::ipv6 &&
                          endpoint->address[0] == 0xfe && (endpoint->address[1] & 0xc0) == 0x80;
  if (zone || link_local) {
    // An endpoint is registered and passed around the ring; a zone (%eth0) means nothing on
    // another machine.
    throw UsageError{std::string(what) + " '" + text +
                     "': link-local IPv6 (fe80::/10) needs a zone and is not supported; use "
                     "a global or unique-local (fd00::/8) IPv6 address, or IPv4"};
  }
  if (!endpoint) {
    throw UsageError{std::string(what) + " '" + text + "': " + endpoint.error().detail +
                     " (write HOST:PORT, like 192.168.1.20:4500 or [::1]:4500)"};
  }
  return *endpoint;
}

// The config file: a YAML map of listen, advertise and bootstrap (a list). Command-line
// options win over it.
void read_config(Options& options) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(options.config);
  } catch (const YAML::BadFile&) {
    throw UsageError{"cannot read the config file " + options.config};
  } catch (const YAML::Exception& error) {
    throw UsageError{options.config + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg};
  }
  if (!root.IsMap()) throw UsageError{options.config + ": expected a map of settings"};
  const YAML::Node& config = root;  // const: lookups never insert
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const std::string where = options.config + ":" + std::to_string(it->first.Mark().line + 1);
    const YAML::Node value = it->second;  // a copy: the iterator hands out temporaries
    if (key == "listen" || key == "advertise") {
      if (!value.IsScalar()) throw UsageError{where + ": " + key + " takes HOST:PORT"};
      std::string& target = key == "listen" ? options.listen : options.advertise;
      if (target.empty()) target = value.Scalar();
    } else if (key == "bootstrap") {
      if (!value.IsSequence()) throw UsageError{where + ": bootstrap takes a list of HOST:PORT"};
      if (!options.bootstrap.empty()) continue;  // the command line's win
      for (const auto& item : value) {
        if (!item.IsScalar()) throw UsageError{where + ": bootstrap takes a list of HOST:PORT"};
        options.bootstrap.push_back(item.Scalar());
      }
    } else {
      throw UsageError{where + ": unknown key '" + key + "' (known: listen, advertise, bootstrap)"};
    }
  }
}

// Standard output: at most this much queued for a reader that does not keep up, and this
// long for it to go out at exit.
constexpr std::size_t output_queued_max = std::size_t{4} << 20;
constexpr std::uint64_t output_close_ms = 2000;

// One process, one node: the loop, the node, stdin, signals and the way out.
class App {
 public:
  App(const Options& options, chord::net::NetConfig net, std::optional<chord::Identity> identity)
      : options_(options),
        identity_(std::move(identity)),
        node_(*uv_default_loop(), node_config(options), net, seed()) {}

  int run() {
    loop_ = uv_default_loop();
    uv_timer_init(loop_, &join_timer_);  // stopped when the node joins, whichever way
    join_timer_.data = this;
    timers_.push_back(&join_timer_);
    if (identity_) {  // chats run over TLS with a certificate made from the user's key
      const std::string handle = chord::handle_for(options_.name, identity_->public_key());
      if (const auto error = node_.set_identity(*identity_, handle)) {
        std::fprintf(stderr, "chordnode: cannot set up TLS for chats: %s\n", error->c_str());
        return exit_failed;
      }
    }
    if (const auto error = node_.start()) {
      // What to do about it: for a port we cannot have, another port.
      const bool port = error->rfind("cannot listen", 0) == 0;
      std::fprintf(stderr, "chordnode: %s%s\n", error->c_str(),
                   port ? " (choose another --listen HOST:PORT)" : "");
      close_node();
      uv_run(loop_, UV_RUN_DEFAULT);  // lets the node's handles close
      return exit_failed;
    }
    // Standard output never blocks the node: a reader that stops reading loses lines (and
    // is told how many), not the ring its node serves (net_real/line_output.h).
    output_ = std::make_unique<chord::net::LineOutput>(
        *loop_, STDOUT_FILENO, output_queued_max, [this](std::uint64_t dropped) {
          return console_->error_line(std::to_string(dropped) +
                                      " lines of output dropped: standard output was not read");
        });
    console_ = std::make_unique<chord::net::ChatConsole>(
        [this]() -> chord::PeerNode& { return node_.peer(); }, options_.json,
        [this](const std::string& line) {
          if (editor_ && editor_->active()) {
            editor_->print(line);  // above the line being typed
            return;
          }
          output_->write_line(line);
        });
    wire_callbacks();
    watch_signals();
    if (options_.new_ring) {
      node_.peer().create_ring();
    } else {
      for (const std::string& text : options_.bootstrap)
        bootstrap_.push_back(parse_endpoint(text, "bootstrap"));
      node_.peer().join(bootstrap_);
      uv_timer_start(
          &join_timer_, [](uv_timer_t* t) { static_cast<App*>(t->data)->join_timed_out(); },
          static_cast<std::uint64_t>(options_.join_timeout_s * 1000), 0);
    }
    uv_run(loop_, UV_RUN_DEFAULT);
    return exit_code_;
  }

 private:
  // The protocol's defaults, but for the user record's lease (renewed every third of it)
  // and adaptive maintenance: a quiet ring backs its 1 s periods off to 32 s, and returns
  // to 1 s at the first change (ChordConfig::quiet_backoff_max), so an idle node costs
  // little. A crashed neighbour is noticed at once all the same: its connections end
  // (UvNode tells the core), so only a silent host failure waits for a round.
  static chord::NodeConfig node_config(const Options& options) {
    chord::NodeConfig config;
    config.chord.quiet_backoff_max = 32;
    // After a total outage (every node lost its ring and nobody lets anyone rejoin), former
    // members re-form rings after 10 failed rounds and merge them; never on a first start.
    config.chord.reform_after_rounds = 10;
    // Expired records are never served (reads check the lease); the sweep only frees them.
    config.dht.lease_sweep_period = std::chrono::seconds(30);
    const auto lease = std::chrono::duration_cast<chord::Duration>(
        std::chrono::duration<double>(options.record_lease_s));
    config.chat.register_lease = lease;
    config.chat.renew_period = lease / 3;
    return config;
  }

  static std::uint64_t seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }

  void verbose(const std::string& text) {
    if (options_.verbose) std::fprintf(stderr, "chordnode: %s\n", text.c_str());
  }

  void wire_callbacks() {
    node_.on_chat = [this](const chord::ChatEvent& event) {
      console_->on_chat(event);
      update_prompt();
      if (event.kind == chord::ChatEventKind::registered && !ready_) {
        ready_ = true;
        drain_input();
      }
    };
    node_.on_notice = [this](chord::NodeNotice notice) {
      console_->on_notice(notice);
      if (notice == chord::NodeNotice::joined && !joined_) {
        joined_ = true;
        uv_timer_stop(&join_timer_);
        verbose("member of the ring at " + node_.endpoint().to_string());
        if (options_.mode == "chat" && identity_) {
          console_->start_user(options_.name, std::move(*identity_));
          identity_.reset();
          start_input();
        }
      } else if (notice == chord::NodeNotice::left) {
        close_when_flushed();  // the hand-over and Leave messages are still being written
      }
    };
  }

  template <typename F>
  void start_timer(uv_timer_t* timer, double seconds, F callback) {
    uv_timer_init(loop_, timer);
    timer->data = this;
    uv_timer_start(timer, callback, static_cast<std::uint64_t>(seconds * 1000), 0);
    timers_.push_back(timer);
  }

  void join_timed_out() {
    if (joined_) return;
    std::string tried;
    for (const Endpoint& endpoint : bootstrap_)
      tried += (tried.empty() ? "" : ", ") + endpoint.to_string();
    std::fprintf(stderr,
                 "chordnode: could not join through %s: none answered within %.0f s; check "
                 "the addresses, or start a new ring with --new-ring\n",
                 tried.c_str(), options_.join_timeout_s);
    exit_code_ = exit_failed;
    close_node();
  }

  void watch_signals() {
    // SIGHUP: the terminal went away (or a hang-up from a supervisor): leave gracefully too,
    // rather than die as a crash the ring has to detect.
    const std::pair<uv_signal_t*, int> signals[] = {
        {&sigint_, SIGINT}, {&sigterm_, SIGTERM}, {&sighup_, SIGHUP}};
    for (const auto& [signal, number] : signals) {
      uv_signal_init(loop_, signal);
      signal->data = this;
      uv_signal_start(
          signal, [](uv_signal_t* s, int) { static_cast<App*>(s->data)->quit(false); }, number);
    }
  }

  // ---- Input: one command a line, from a terminal, a pipe or a file ----

  void start_input() {
    const uv_handle_type type = uv_guess_handle(0);
    if (type == UV_TTY && !options_.json && isatty(STDOUT_FILENO) != 0 && start_editor()) return;
    if (type == UV_FILE) {
      file_request_.data = this;
      read_file();
      return;
    }
    uv_stream_t* stream = nullptr;
    if (type == UV_TTY) {
      if (uv_tty_init(loop_, &tty_, 0, 1) != 0) return input_ended();  // no usable stdin
      stream = reinterpret_cast<uv_stream_t*>(&tty_);
    } else {
      uv_pipe_init(loop_, &pipe_, 0);
      stream = reinterpret_cast<uv_stream_t*>(&pipe_);
      stream->data = this;
      input_ = stream;                                         // initialised: closed with the rest
      if (uv_pipe_open(&pipe_, 0) != 0) return input_ended();  // stdin closed, or not a pipe
    }
    stream->data = this;
    input_ = stream;
    const int reading = uv_read_start(
        stream,
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
          App* app = static_cast<App*>(handle->data);
          *buffer = uv_buf_init(app->read_buffer_, sizeof app->read_buffer_);
        },
        [](uv_stream_t* s, ssize_t count, const uv_buf_t* buffer) {
          App* app = static_cast<App*>(s->data);
          if (count < 0) {
            uv_read_stop(s);
            app->input_ended();
            return;
          }
          app->take_input(buffer->base, static_cast<std::size_t>(count));
        });
    if (reading != 0) input_ended();
  }

  // A person at a terminal: line editing, and messages printed above the line being typed.
  bool start_editor() {
    use_utf8_characters();
    editor_ = std::make_unique<chord::net::LineEditor>(
        loop_, stdin, stdout,
        [this](std::string line) {
          if (lines_.size() < input_lines_max) lines_.push_back(std::move(line));
          drain_input();
          update_prompt();
        },
        [this] { input_ended(); });
    if (!editor_->start()) {
      editor_.reset();
      return false;
    }
    update_prompt();
    uv_signal_init(loop_, &sigwinch_);
    sigwinch_.data = this;
    uv_signal_start(
        &sigwinch_,
        [](uv_signal_t* s, int) {
          App* app = static_cast<App*>(s->data);
          if (app->editor_) app->editor_->resized();
        },
        SIGWINCH);
    return true;
  }

  // The editor reads and shows UTF-8: the user's locale if it is UTF-8, else C.UTF-8.
  static void use_utf8_characters() {
    if (std::setlocale(LC_CTYPE, "") != nullptr && std::string(nl_langinfo(CODESET)) == "UTF-8")
      return;
    std::setlocale(LC_CTYPE, "C.UTF-8");
  }

  // The prompt names the chat plain lines go to.
  void update_prompt() {
    if (!editor_) return;
    const auto chat = console_->current_chat();
    editor_->set_prompt(chat ? *chat + "> " : "> ");
  }

  void read_file() {
    uv_buf_t buffer = uv_buf_init(read_buffer_, sizeof read_buffer_);
    uv_fs_read(loop_, &file_request_, 0, &buffer, 1, -1, [](uv_fs_t* request) {
      App* app = static_cast<App*>(request->data);
      const auto count = request->result;
      uv_fs_req_cleanup(request);
      if (count <= 0) {
        app->input_ended();
        return;
      }
      app->take_input(app->read_buffer_, static_cast<std::size_t>(count));
      if (!app->quitting_) app->read_file();
    });
  }

  void take_input(const char* bytes, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (bytes[i] != '\n') {
        if (partial_.size() < input_line_bytes_max) partial_ += bytes[i];
        continue;
      }
      if (lines_.size() < input_lines_max) lines_.push_back(std::move(partial_));
      partial_.clear();
    }
    drain_input();
  }

  void input_ended() {
    if (!partial_.empty()) lines_.push_back(std::move(partial_));
    input_done_ = true;
    drain_input();
  }

  // Runs queued lines once the user is registered, in order; end of input is /quit.
  void drain_input() {
    if (!ready_ || quitting_) return;
    while (!lines_.empty()) {
      std::string line = std::move(lines_.front());
      lines_.pop_front();
      if (line.size() >= input_line_bytes_max) {
        console_->error("line too long: ignored");
        continue;
      }
      if (!console_->command(line)) {
        quit(true);
        return;
      }
    }
    if (input_done_) quit(true);
  }

  // ---- The way out ----

  // Graceful: waits (bounded) for messages in flight, then removes the user's record,
  // hands records over and leaves; the node closes when it says it has left.
  void quit(bool wait_for_messages) {
    if (quitting_) {
      if (!wait_for_messages) close_node();  // a second signal: leave now
      return;
    }
    quitting_ = true;
    if (input_ != nullptr) uv_read_stop(input_);
    if (editor_) editor_->stop();  // the terminal as it was
    if (!joined_) {
      close_node();
      return;
    }
    quit_deadline_ =
        uv_now(loop_) + static_cast<std::uint64_t>(std::chrono::milliseconds(quit_wait).count());
    if (!wait_for_messages) quit_deadline_ = 0;
    start_timer(&quit_timer_, 0, [](uv_timer_t* t) { static_cast<App*>(t->data)->try_leave(); });
  }

  void try_leave() {
    if (console_->outstanding() > 0 && uv_now(loop_) < quit_deadline_) {
      uv_timer_start(
          &quit_timer_, [](uv_timer_t* t) { static_cast<App*>(t->data)->try_leave(); }, 50, 0);
      return;
    }
    verbose("leaving the ring");
    node_.peer().leave();
    if (closing_ || flush_deadline_ != 0) return;  // it left at once (nothing to hand over)
    start_timer(&leave_timer_, std::chrono::duration<double>(leave_wait).count(),
                [](uv_timer_t* t) { static_cast<App*>(t->data)->close_node(); });
  }

  // Closes once every queued byte is written (bounded by leave_wait): closing a socket with
  // unsent data would lose the records and Leave messages just handed to it.
  void close_when_flushed() {
    if (closing_) return;
    if (flush_deadline_ == 0) {
      flush_deadline_ =
          uv_now(loop_) + static_cast<std::uint64_t>(std::chrono::milliseconds(leave_wait).count());
      uv_timer_init(loop_, &flush_timer_);
      flush_timer_.data = this;
      timers_.push_back(&flush_timer_);
    }
    if (node_.queued_bytes() == 0 || uv_now(loop_) >= flush_deadline_) {
      close_node();
      return;
    }
    uv_timer_start(
        &flush_timer_, [](uv_timer_t* t) { static_cast<App*>(t->data)->close_when_flushed(); }, 10,
        0);
  }

  void close_node() {
    if (closing_) return;
    closing_ = true;
    for (uv_timer_t* timer : timers_) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(timer))) {
        uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
      }
    }
    for (uv_signal_t* signal : {&sigint_, &sigterm_, &sighup_}) {
      if (signal->data != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(signal), nullptr);
    }
    if (input_ != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(input_), nullptr);
    if (editor_) editor_->stop();
    if (sigwinch_.data != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(&sigwinch_), nullptr);
    node_.close([this] {
      // What is still queued for standard output gets a moment to go out.
      if (output_) {
        output_->close([this] { uv_stop(loop_); }, output_close_ms);
      } else {
        uv_stop(loop_);
      }
    });
  }

  const Options& options_;
  std::optional<chord::Identity> identity_;  // the user's key, until the session starts
  chord::net::UvNode node_;
  uv_loop_t* loop_ = nullptr;
  std::unique_ptr<chord::net::LineOutput> output_;
  std::unique_ptr<chord::net::ChatConsole> console_;
  std::vector<Endpoint> bootstrap_;
  uv_timer_t join_timer_{}, quit_timer_{}, leave_timer_{}, flush_timer_{};
  std::uint64_t flush_deadline_ = 0;
  std::vector<uv_timer_t*> timers_;
  uv_signal_t sigint_{}, sigterm_{}, sighup_{}, sigwinch_{};
  std::unique_ptr<chord::net::LineEditor> editor_;  // on a terminal
  uv_tty_t tty_{};
  uv_pipe_t pipe_{};
  uv_stream_t* input_ = nullptr;
  uv_fs_t file_request_{};
  char read_buffer_[4096];
  std::string partial_;
  std::deque<std::string> lines_;  // read, not yet run (queued until registered)
  bool joined_ = false, ready_ = false, input_done_ = false, quitting_ = false, closing_ = false;
  std::uint64_t quit_deadline_ = 0;
  int exit_code_ = 0;
};

chord::net::NetConfig net_config(const Options& options) {
  chord::net::NetConfig net;
  const std::string listen = !options.listen.empty()
                                 ? options.listen
                                 : (options.mode == "serve" ? "127.0.0.1:4500" : "127.0.0.1:0");
  net.listen = parse_endpoint(listen, "--listen");
  if (!options.advertise.empty()) net.advertise = parse_endpoint(options.advertise, "--advertise");
  if (chord::net::is_wildcard(net.listen) && options.advertise.empty()) {
    throw UsageError{"--listen " + listen +
                     " is every interface: give --advertise HOST:PORT, the address other "
                     "nodes can reach (a wildcard must never be registered)"};
  }
  return net;
}

// The user's key: from --identity FILE (made there if missing), else a new one.
chord::Identity user_identity(const Options& options) {
  if (options.identity_file.empty()) return chord::net::generate_identity();
  auto file = chord::net::load_or_create_identity(options.identity_file);
  if (!file.identity) throw UsageError{"--identity " + file.error};
  if (file.created) {
    std::fprintf(stderr, "chordnode: created the key file %s (keep it: it is your name#id)\n",
                 options.identity_file.c_str());
  }
  return std::move(*file.identity);
}

void add_common(CLI::App& command, Options& options) {
  command.add_option("--listen", options.listen,
                     "HOST:PORT to listen on (chat: 127.0.0.1:0, serve: 127.0.0.1:4500)");
  command.add_option("--advertise", options.advertise,
                     "HOST:PORT other nodes reach us at (required with a wildcard --listen)");
  command.add_option("--bootstrap", options.bootstrap, "HOST:PORT of a ring member (repeatable)")
      ->allow_extra_args(false);
  command.add_option("--config", options.config, "YAML file: listen, advertise, bootstrap");
  command.add_flag("--new-ring", options.new_ring, "start a new ring instead of joining one");
  command
      .add_option("--join-timeout", options.join_timeout_s,
                  "seconds to keep trying the bootstrap list (default 15)")
      ->check(CLI::Range(1.0, 3600.0));
  command.add_flag("--verbose", options.verbose, "diagnostics on stderr");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error value, not a kill
  CLI::App app{"chordnode: a peer-to-peer chat node on a Chord ring", "chordnode"};
  app.footer(
      "Examples:\n"
      "  chordnode serve --listen 0.0.0.0:4500 --advertise 192.168.1.20:4500 --new-ring\n"
      "  chordnode chat --name alice --bootstrap 192.168.1.20:4500\n"
      "  printf '/find bob#k3xq2mabz7pd\\n' | chordnode chat --name carol --json\n");
  app.require_subcommand(1);
  Options options;
  CLI::App* chat =
      app.add_subcommand("chat", "join, register NAME#id, and chat (commands on stdin)");
  chat->add_option("--name", options.name, "your username (letters, digits, - _ .)")->required();
  chat->add_flag("--json", options.json, "one JSON event a line on stdout, for programs");
  chat->add_option("--identity", options.identity_file,
                   "key file: keep your name#id across sessions (created, mode 0600, if "
                   "missing); without it a new key, and id, each session");
  chat->add_option("--record-lease", options.record_lease_s,
                   "seconds a crashed session's record survives (default 60; renewed every "
                   "third of it while the session lives)")
      ->check(CLI::Range(3.0, 86400.0));
  add_common(*chat, options);
  CLI::App* serve = app.add_subcommand("serve", "a headless node (a bootstrap node, say)");
  add_common(*serve, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  options.mode = chat->parsed() ? "chat" : "serve";
  try {
    if (options.mode == "chat" && !chord::valid_username(options.name)) {
      throw UsageError{"--name: 1 to 32 letters, digits, '-', '_' or '.'"};
    }
    if (!options.config.empty()) read_config(options);
    if (options.bootstrap.empty()) options.bootstrap.push_back(default_bootstrap);
    for (const std::string& text : options.bootstrap)
      parse_endpoint(text, "--bootstrap");
    std::optional<chord::Identity> identity;
    if (options.mode == "chat") identity = user_identity(options);
    App node(options, net_config(options), std::move(identity));
    return node.run();
  } catch (const UsageError& error) {
    std::fprintf(stderr, "chordnode: %s\n", error.message.c_str());
    return exit_usage;
  }
}
