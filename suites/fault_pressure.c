/* fault_pressure: CPU and I/O pressure over a window from /proc/pressure
 * (see fault_pressure.h). The "some" line's total is cumulative stall time
 * in µs. */
#include "fault_pressure.h"

#include <stdio.h>

#include "wclock.h"

static int64_t stall_us(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long long total = -1;
    char line[256];
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "some avg10=%*f avg60=%*f avg300=%*f total=%lld", &total) == 1)
            break;
    fclose(f);
    return total;
}

void fpressure_begin(fpressure_window *w)
{
    w->cpu0_us = stall_us("/proc/pressure/cpu");
    w->io0_us = stall_us("/proc/pressure/io");
    w->t0_us = wclock_mono_us();
}

static double share(int64_t s0, int64_t s1, int64_t dt)
{
    if (s0 < 0 || s1 < s0 || dt <= 0)
        return -1;
    double v = (double)(s1 - s0) / (double)dt;
    return v > 1 ? 1 : v;
}

fpressure fpressure_end(const fpressure_window *w)
{
    int64_t c1 = stall_us("/proc/pressure/cpu"), i1 = stall_us("/proc/pressure/io");
    int64_t dt = wclock_mono_us() - w->t0_us;
    fpressure p = {share(w->cpu0_us, c1, dt), share(w->io0_us, i1, dt)};
    return p;
}
