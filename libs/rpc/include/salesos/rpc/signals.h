#pragma once

namespace salesos::rpc {

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread and every thread it starts later. Call
// first thing in main, before any thread exists, so the signals reach WaitForTermination.
void BlockTerminationSignals();
// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTermination();

}  // namespace salesos::rpc
