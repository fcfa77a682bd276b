/*
 * Cycle counter of a real core: DWT CYCCNT (32 bit) extended to 64 bit. SysTick wraps
 * every 2^24 cycles and its handler folds CYCCNT overflows into the high word, so the
 * 32-bit counter is always sampled well within its 2^32-cycle period (~20 s at 216 MHz).
 * QEMU does not model CYCCNT (it reads 0): emulated boards use timer_icount.c instead.
 */
#include "board.h"
#include "cortexm.h"

static volatile uint32_t cycles_high;
static volatile uint32_t cycles_last;

static uint64_t sample_cycles(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    const uint32_t now = DWT_CYCCNT;
    if (now < cycles_last) {
        cycles_high++;
    }
    cycles_last = now;
    const uint64_t value = ((uint64_t)cycles_high << 32) | now;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    return value;
}

void SysTick_Handler(void)
{
    (void)sample_cycles();
}

void mdy_timer_start(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = 0xC5ACCE55u;
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
    cycles_high = 0u;
    cycles_last = 0u;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_ENABLE_TICKINT_CPUCLK;
}

uint64_t board_timer_read(void)
{
    return sample_cycles();
}

const char *board_timer_unit(void)
{
    return "cycles";
}
