/* wclock: wall-clock and monotonic readings and a plain sleep (see wclock.h). */
#include "wclock.h"

#include <errno.h>
#include <time.h>

static int64_t wclock_us(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wclock_real_us(void)
{
    return wclock_us(CLOCK_REALTIME);
}

int64_t wclock_mono_us(void)
{
    return wclock_us(CLOCK_MONOTONIC);
}

int64_t wclock_mono_ms(void)
{
    return wclock_us(CLOCK_MONOTONIC) / 1000;
}

double wclock_mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wclock_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    if (ms <= 0)
        return;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
