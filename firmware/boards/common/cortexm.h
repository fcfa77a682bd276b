/*
 * Cortex-M core registers the board code touches (ARMv7-M Architecture Reference Manual,
 * B3: System Control Space). Identical on the M4 and M7; nothing vendor-specific here.
 */
#ifndef MDY_CORTEXM_H
#define MDY_CORTEXM_H

#include <stdint.h>

#define MDY_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* SysTick (B3.3) */
#define SYST_CSR MDY_REG(0xE000E010u)
#define SYST_RVR MDY_REG(0xE000E014u)
#define SYST_CVR MDY_REG(0xE000E018u)
#define SYST_RELOAD 0x00FFFFFFu
#define SYST_CSR_ENABLE_TICKINT_CPUCLK 0x7u

/* System control block (B3.2) */
#define SCB_CPACR MDY_REG(0xE000ED88u)
#define SCB_AIRCR MDY_REG(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ (0x05FAu << 16 | 1u << 2)
#define SCB_CCR MDY_REG(0xE000ED14u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define SCB_CFSR MDY_REG(0xE000ED28u)
#define SCB_HFSR MDY_REG(0xE000ED2Cu)
/* Cortex-M7 cache maintenance (ARMv7-M B3.2.17) */
#define SCB_CCSIDR MDY_REG(0xE000ED80u)
#define SCB_CSSELR MDY_REG(0xE000ED84u)
#define SCB_ICIALLU MDY_REG(0xE000EF50u)
#define SCB_DCISW MDY_REG(0xE000EF60u)

/* Debug: DWT cycle counter (C1.8), enabled through DEMCR.TRCENA (C1.6.5) */
#define DEMCR MDY_REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL MDY_REG(0xE0001000u)
#define DWT_CYCCNT MDY_REG(0xE0001004u)
#define DWT_LAR MDY_REG(0xE0001FB0u)   /* lock access (M7 keeps DWT locked until written) */
#define DWT_CTRL_CYCCNTENA 1u

#define MDY_STACK_PAINT 0xA5C3A5C3u

static inline void mdy_dsb_isb(void)
{
    __asm volatile("dsb\n isb" ::: "memory");
}

/* Polls SysTick wraps and DWT overflows: the counters the board timer extends to 64 bit. */
void mdy_timer_start(void);

#endif /* MDY_CORTEXM_H */
