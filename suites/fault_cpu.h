/* fault_cpu: how much of a window this machine's runnable tasks spent
 * waiting for a CPU (the kernel's pressure stall information,
 * /proc/pressure/cpu "some" total). On a quiet machine that is a few per cent;
 * on a shared one running other test suites it goes to 50-100 %, and every
 * process of the bridge (bot, fault proxy, dashboard, harness) then waits for
 * its turn at each hop. The slow_subscriber check reports it per window and
 * allows latency for what it grew by in the slow phase. Host-wide; in a
 * container it is the host's. */
#ifndef WSB_FAULT_CPU_H
#define WSB_FAULT_CPU_H

#include <stdint.h>

typedef struct fcpu_window {
    int64_t stall0_us; /* -1: no pressure information on this kernel */
    int64_t t0_us;
} fcpu_window;

void fcpu_begin(fcpu_window *w);
/* The share (0..1) of the window since fcpu_begin during which some runnable
 * task waited for a CPU; -1 when the kernel does not tell. */
double fcpu_end(const fcpu_window *w);

#endif
