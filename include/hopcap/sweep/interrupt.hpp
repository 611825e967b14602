#pragma once
// SIGTERM and SIGINT during `hopcap run` (a batch system's warning before the wall time, a
// user's Ctrl-C): while an InterruptHandlers object lives, the signal is only recorded, and the
// run's coordinator, which polls interrupt_signal(), commits what is finished, marks the file
// interrupted and ends the job. A second signal ends the process at once, as usual.

namespace hopcap::sweep {

class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
};

/// The signal received since the handlers were installed, or 0.
int interrupt_signal();

/// Exit code of a run ended by a signal (documented: `--resume` continues it).
inline constexpr int kInterruptedExitCode = 3;

}  // namespace hopcap::sweep
