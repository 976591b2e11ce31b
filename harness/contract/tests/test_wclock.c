/* test_wclock: CUnit tests of the clocks (harness/contract/wclock.c): the
 * real-time reading is epoch microseconds, the monotonic readings agree
 * across units and never go back, and a sleep lasts at least as asked. */
#include "wclock.h"

#include <CUnit/Basic.h>
#include "testkit.h"

static void test_real(void)
{
    int64_t a = wclock_real_us();
    int64_t b = wclock_real_us();

    CU_ASSERT_TRUE(a > 1600000000000000LL); /* after 2020 */
    CU_ASSERT_TRUE(b >= a);
}

static void test_mono_units(void)
{
    int64_t us = wclock_mono_us();
    int64_t ms = wclock_mono_ms();
    double s = wclock_mono_s();
    int64_t us2 = wclock_mono_us();

    CU_ASSERT_TRUE(us2 >= us);
    CU_ASSERT_TRUE(ms >= us / 1000 && ms <= us2 / 1000);
    CU_ASSERT_TRUE(s * 1e6 >= (double)us - 1 && s * 1e6 <= (double)us2 + 1);
}

static void test_sleep(void)
{
    int64_t t0 = wclock_mono_us();
    wclock_sleep_ms(30);
    int64_t dt = wclock_mono_us() - t0;
    CU_ASSERT_TRUE(dt >= 30000);
    CU_ASSERT_TRUE(dt < 5000000);
    t0 = wclock_mono_us();
    wclock_sleep_ms(0);
    wclock_sleep_ms(-5);
    CU_ASSERT_TRUE(wclock_mono_us() - t0 < 1000000);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"real time is epoch microseconds", test_real},
        {"monotonic units agree", test_mono_units},
        {"sleep lasts at least as asked", test_sleep},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"wclock", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
