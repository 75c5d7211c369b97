// Messages in flight in the simulator, one pool per alternative of Message.
//
// A Message variant is as big as its largest alternative (a GetStateReply with room for 32
// peers: 1,352 bytes), and most messages in flight are small (requests, pongs, lookup
// replies). Each alternative has its own slots, so a Ping in flight costs what a Ping
// weighs. A slot is addressed by (type, index); freed slots are reused, last freed first,
// so the pools grow to the peak number in flight of each type and no further, and nothing
// is allocated per message once they have grown (except the strings of records and chat).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "core/messages.h"

namespace chord::sim {

class FlightPool {
 public:
  // Who sent a message.
  struct Header {
    std::uint32_t from_node = 0;
  };
  struct Taken {
    Header header;
    Message message;
  };

  // Stores `message`; returns its slot within the pool of its type (message.index()).
  std::uint32_t put(const Header& header, Message&& message) {
    return std::visit(
        [&](auto&& alternative) {
          using T = std::decay_t<decltype(alternative)>;
          return std::get<Slots<T>>(pools_).put(header, std::move(alternative));
        },
        std::move(message));
  }

  // Takes the message out of slot `slot` of type `type` and frees the slot.
  // REQUIRES: (type, slot) came from put() and was not taken since.
  Taken take(std::size_t type, std::uint32_t slot) { return takers[type](pools_, slot); }
  // Starts loading slot `slot` of type `type` into the cache (a hint; no effect otherwise).
  void prefetch(std::size_t type, std::uint32_t slot) const { prefetchers[type](pools_, slot); }

  // Slots held (in use or free), over all types, and their bytes: the pools' footprint.
  std::size_t slots_held() const {
    return std::apply([](const auto&... pool) { return (pool.items.size() + ...); }, pools_);
  }
  std::size_t bytes_held() const {
    return std::apply(
        [](const auto&... pool) {
          return ((pool.items.capacity() * sizeof(pool.items[0]) +
                   pool.free.capacity() * sizeof(std::uint32_t)) +
                  ...);
        },
        pools_);
  }

 private:
  template <typename T>
  struct Slots {
    struct Item {
      Header header;
      T message;
    };
    std::vector<Item> items;
    std::vector<std::uint32_t> free;

    std::uint32_t put(const Header& header, T&& message) {
      std::uint32_t slot;
      if (!free.empty()) {
        slot = free.back();
        free.pop_back();
        items[slot].header = header;
        items[slot].message = std::move(message);
      } else {
        slot = static_cast<std::uint32_t>(items.size());
        items.push_back(Item{header, std::move(message)});
      }
      return slot;
    }
  };

  template <typename Variant>
  struct PoolsOf;
  template <typename... Ts>
  struct PoolsOf<std::variant<Ts...>> {
    using type = std::tuple<Slots<Ts>...>;
  };
  using Pools = PoolsOf<Message>::type;

  template <std::size_t I>
  static Taken take_from(Pools& pools, std::uint32_t slot) {
    auto& pool = std::get<I>(pools);
    auto& item = pool.items[slot];
    Taken taken{item.header, Message(std::in_place_index<I>, std::move(item.message))};
    pool.free.push_back(slot);
    return taken;
  }
  template <std::size_t I>
  static void prefetch_in(const Pools& pools, std::uint32_t slot) {
    const auto& items = std::get<I>(pools).items;
    if (slot >= items.size()) return;
    // The whole message is read (copied out): every line of it, up to the size of a
    // lookup reply or a state reply with 8 peers (the room beyond is rarely used).
    const char* item = reinterpret_cast<const char*>(&items[slot]);
    const std::size_t bytes = std::min(sizeof(items[slot]), prefetch_bytes_max);
    for (std::size_t offset = 0; offset < bytes; offset += 64)
      __builtin_prefetch(item + offset);
  }
  static constexpr std::size_t prefetch_bytes_max = 6 * 64;
  using Prefetcher = void (*)(const Pools&, std::uint32_t);
  static constexpr auto prefetchers = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Prefetcher, sizeof...(I)>{&prefetch_in<I>...};
  }
  (std::make_index_sequence<std::variant_size_v<Message>>{});

  using Taker = Taken (*)(Pools&, std::uint32_t);
  static constexpr auto takers = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Taker, sizeof...(I)>{&take_from<I>...};
  }
  (std::make_index_sequence<std::variant_size_v<Message>>{});

  Pools pools_;
};

}  // namespace chord::sim
