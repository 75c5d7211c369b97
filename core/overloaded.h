// Overloaded: the usual helper for std::visit with one lambda per alternative.
#pragma once

namespace chord {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace chord
