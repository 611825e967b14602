#include "hopcap/sweep/interrupt.hpp"

#include <csignal>

namespace hopcap::sweep {
namespace {

volatile std::sig_atomic_t received = 0;
struct sigaction previous_term {}, previous_int {};

void record(int signal) {
  if (received != 0) {
    // Second signal: the user insists; restore the default action and deliver it again.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  received = signal;
}

}  // namespace

InterruptHandlers::InterruptHandlers() {
  received = 0;
  struct sigaction action {};
  action.sa_handler = record;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, &previous_term);
  sigaction(SIGINT, &action, &previous_int);
}

InterruptHandlers::~InterruptHandlers() {
  sigaction(SIGTERM, &previous_term, nullptr);
  sigaction(SIGINT, &previous_int, nullptr);
}

int interrupt_signal() { return received; }

}  // namespace hopcap::sweep
