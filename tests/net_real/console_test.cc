// ChatConsole: what a peer's text looks like on our terminal, and how commands fail.
#include "net_real/console.h"

#include <gtest/gtest.h>

#include "net_sim/simulator.h"

namespace chord::net {
namespace {

TEST(Printable, KeepsTextAndUtf8AsTheyAre) {
  EXPECT_EQ(printable("hello, bob"), "hello, bob");
  EXPECT_EQ(printable("gr\xC3\xBC\xC3\x9F dich \xE2\x9C\x93 \xF0\x9F\x98\x80"),
            "gr\xC3\xBC\xC3\x9F dich \xE2\x9C\x93 \xF0\x9F\x98\x80");
  EXPECT_EQ(printable("a\tb"), "a b");
}

TEST(Printable, NeutralisesControlsAndTerminalEscapes) {
  const std::string fffd = "\xEF\xBF\xBD";
  // ESC [ 2 J clears a screen; ESC ] 0 ; ... BEL sets a window title.
  EXPECT_EQ(printable("\x1b[2Jhi"), fffd + "[2Jhi");
  EXPECT_EQ(printable("\x1b]0;owned\x07"), fffd + "]0;owned" + fffd);
  EXPECT_EQ(printable("line\r\nforged"), "line" + fffd + fffd + "forged");
  EXPECT_EQ(printable("\x7f"), fffd);
  EXPECT_EQ(printable("\xC2\x9B"
                      "31m"),
            fffd + "31m");  // the one-byte CSI, as U+009B
  EXPECT_EQ(printable("\xE2\x80\xAE"
                      "txt.exe"),
            fffd + "txt.exe");  // right-to-left override
}

TEST(Printable, ReplacesInvalidUtf8ByteByByte) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(printable("\xff"), fffd);
  EXPECT_EQ(printable("a\xC3"), "a" + fffd);                            // truncated
  EXPECT_EQ(printable("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(printable("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(printable("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // past U+10FFFF
}

TEST(Printable, CapsTheLength) {
  const std::string long_text(chat_text_bytes_max + 100, 'x');
  const std::string shown = printable(long_text);
  EXPECT_EQ(shown, std::string(chat_text_bytes_max, 'x') + "\xE2\x80\xA6");
}

// A console on a one-node simulated ring, collecting what it prints.
struct ConsoleOnRing {
  explicit ConsoleOnRing(bool json) : sim(sim::SimConfig{}) {
    sim.create_ring(sim.add_node());
    console.emplace([this]() -> PeerNode& { return *sim.peer(0); }, json,
                    [this](const std::string& line) { lines.push_back(line); });
  }
  sim::Simulator sim;
  std::vector<std::string> lines;
  std::optional<ChatConsole> console;
};

TEST(ChatConsole, BadCommandsGiveAnErrorAndChangeNothing) {
  ConsoleOnRing ring(false);
  EXPECT_TRUE(ring.console->command("hello?"));
  EXPECT_TRUE(ring.console->command("/chat bob"));
  EXPECT_TRUE(ring.console->command("/frobnicate"));
  EXPECT_TRUE(ring.console->command("/end"));
  EXPECT_FALSE(ring.console->command("/quit"));
  ASSERT_EQ(ring.lines.size(), 4u);
  EXPECT_EQ(ring.lines[0], "! no chat open: /chat NAME#ID first (/help lists the commands)");
  EXPECT_EQ(ring.lines[1], "! expected NAME#ID (12 characters after '#'), like bob#k3xq2mabz7pd");
  EXPECT_EQ(ring.lines[2], "! unknown command /frobnicate (/help lists them)");
  EXPECT_EQ(ring.lines[3], "! no chat open");
  EXPECT_EQ(ring.console->outstanding(), 0u);
}

TEST(ChatConsole, JsonLinesEscapeWhatPeersSend) {
  ConsoleOnRing ring(true);
  ChatEvent event;
  event.kind = ChatEventKind::message;
  event.handle = "eve#abcdefghijkl";
  event.seq = 1;
  event.text = "\"quoted\" \x1b[31m";
  ring.console->on_chat(event);
  ASSERT_EQ(ring.lines.size(), 1u);
  EXPECT_EQ(ring.lines[0],
            "{\"event\":\"message\",\"from\":\"eve#abcdefghijkl\",\"seq\":1,\"text\":"
            "\"\\\"quoted\\\" \xEF\xBF\xBD[31m\"}");
}

}  // namespace
}  // namespace chord::net
