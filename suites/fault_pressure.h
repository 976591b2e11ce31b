/* fault_pressure: how much of a window this machine's tasks spent waiting
 * for a CPU, and for I/O (the kernel's pressure stall information,
 * /proc/pressure/cpu and /proc/pressure/io, "some" totals). On a quiet
 * machine that is a few per cent; on a shared one running other test suites
 * or image builds it goes to 50-100 %. Both reach the bridge: every process
 * (bot, fault proxy, dashboard, harness) waits for its CPU turn at each hop,
 * and the dashboard's journal fdatasync, on its event loop every --fsync-ms,
 * holds every subscriber while the disk is busy. The slow_subscriber check
 * reports both per window and allows latency for what they grew by in the
 * slow phase. Host-wide; in a container it is the host's. */
#ifndef WSB_FAULT_PRESSURE_H
#define WSB_FAULT_PRESSURE_H

#include <stdint.h>

typedef struct fpressure_window {
    int64_t cpu0_us, io0_us; /* -1: no pressure information on this kernel */
    int64_t t0_us;
} fpressure_window;

typedef struct fpressure {
    double cpu, io; /* shares 0..1 of the window; -1 when the kernel does not tell */
} fpressure;

void fpressure_begin(fpressure_window *w);
/* The shares of the window since fpressure_begin during which some task
 * waited for a CPU, for I/O. */
fpressure fpressure_end(const fpressure_window *w);

#endif
