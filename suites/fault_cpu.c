/* fault_cpu: CPU pressure over a window from /proc/pressure/cpu (see
 * fault_cpu.h). The "some" line's total is cumulative stall time in µs. */
#include "fault_cpu.h"

#include <stdio.h>

#include "wclock.h"

static int64_t stall_us(void)
{
    FILE *f = fopen("/proc/pressure/cpu", "r");
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

void fcpu_begin(fcpu_window *w)
{
    w->stall0_us = stall_us();
    w->t0_us = wclock_mono_us();
}

double fcpu_end(const fcpu_window *w)
{
    int64_t s1 = stall_us();
    int64_t dt = wclock_mono_us() - w->t0_us;
    if (w->stall0_us < 0 || s1 < w->stall0_us || dt <= 0)
        return -1;
    double share = (double)(s1 - w->stall0_us) / (double)dt;
    return share > 1 ? 1 : share;
}
