/*
 * Instruction counter under QEMU -icount shift=0 (1 instruction = 1 ns of virtual time):
 * SysTick on the CPU clock counts ticks, extended to 64 bit by its wrap interrupt, and
 * ticks * MDY_ICOUNT_NS_PER_TICK_NUM / _DEN are nanoseconds = instructions.
 * The board's cmake gives the ratio from the emulated CPU clock.
 */
#include "board.h"
#include "cortexm.h"

#if !defined(MDY_ICOUNT_NS_PER_TICK_NUM) || !defined(MDY_ICOUNT_NS_PER_TICK_DEN)
#error "define MDY_ICOUNT_NS_PER_TICK_NUM/_DEN (1e9 / emulated CPU clock) in board.cmake"
#endif

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void mdy_timer_start(void)
{
    if ((SYST_CSR & 1u) == 0u) {   /* the fault path re-runs board_init: keep counting */
        SYST_RVR = SYST_RELOAD;
        SYST_CVR = 0u;
        SYST_CSR = SYST_CSR_ENABLE_TICKINT_CPUCLK;
    }
}

uint64_t board_timer_read(void)
{
    uint32_t wraps_before, wraps_after, value;
    do {
        wraps_before = systick_wraps;
        value = SYST_CVR;
        wraps_after = systick_wraps;
    } while (wraps_before != wraps_after);
    const uint64_t ticks = ((uint64_t)wraps_before << 24) + (SYST_RELOAD - value);
    return ticks * MDY_ICOUNT_NS_PER_TICK_NUM / MDY_ICOUNT_NS_PER_TICK_DEN;
}

const char *board_timer_unit(void)
{
    return "instructions";
}
