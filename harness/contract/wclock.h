/* wclock: the clocks every wsbridge program reads, in one place.
 *
 * wclock_real_us is wall-clock time (CLOCK_REALTIME) in microseconds since
 * the Unix epoch: what goes into ts_us and relay_us, and what a token's
 * expiry is checked against. The monotonic readings (CLOCK_MONOTONIC) never
 * jump with the wall clock: deadlines, timeouts and durations use them.
 * Nothing here allocates; everything is safe to call from any thread. */
#ifndef WSB_WCLOCK_H
#define WSB_WCLOCK_H

#include <stdint.h>

/* Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t wclock_real_us(void);

/* CLOCK_MONOTONIC in microseconds, milliseconds and seconds (one clock:
 * readings in different units can be compared after conversion). */
int64_t wclock_mono_us(void);
int64_t wclock_mono_ms(void);
double wclock_mono_s(void);

/* Sleeps ms milliseconds (nothing when ms <= 0), resuming after signals. */
void wclock_sleep_ms(int ms);

#endif
