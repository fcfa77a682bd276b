/*
 * RCC, PWR, FLASH_ACR and GPIO registers shared by the STM32F4 (RM0390) and STM32F7
 * (RM0385): same addresses and bits on both (the F7 calls PWR_CR/PWR_CSR PWR_CR1/PWR_CSR1).
 * Bits that differ between the families (FLASH_ACR caches vs ART) stay in the boards.
 */
#ifndef MDY_STM32_RCC_H
#define MDY_STM32_RCC_H

#include <stdint.h>

#include "cortexm.h"

#define RCC_BASE 0x40023800u
#define RCC_CR MDY_REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR MDY_REG(RCC_BASE + 0x04u)
#define RCC_CFGR MDY_REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR MDY_REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR MDY_REG(RCC_BASE + 0x40u)
#define RCC_APB2ENR MDY_REG(RCC_BASE + 0x44u)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PPRE1_DIV4 (0x5u << 10)
#define RCC_CFGR_PPRE2_DIV2 (0x4u << 13)
#define RCC_AHB1ENR_GPIOA (1u << 0)
#define RCC_AHB1ENR_GPIOB (1u << 1)
#define RCC_APB1ENR_USART2 (1u << 17)
#define RCC_APB1ENR_PWR (1u << 28)
#define RCC_APB2ENR_USART1 (1u << 4)

#define PWR_CR MDY_REG(0x40007000u)
#define PWR_CSR MDY_REG(0x40007004u)
#define PWR_CR_VOS_SCALE1 (0x3u << 14)
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR MDY_REG(0x40023C00u)
#define FLASH_ACR_PRFTEN (1u << 8)

#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define GPIO_MODER(base) MDY_REG((base) + 0x00u)
#define GPIO_OSPEEDR(base) MDY_REG((base) + 0x08u)
#define GPIO_AFRL(base) MDY_REG((base) + 0x20u)
#define GPIO_AFRH(base) MDY_REG((base) + 0x24u)

/* SYSCLK from the PLL fed by the HSE, at voltage scale 1 with over-drive (needed above
 * 168 MHz on the F446, 180 MHz on the F7: RM0390 5.1.4, RM0385 4.1.4): hse_bits is
 * RCC_CR_HSEON, | RCC_CR_HSEBYP for an external clock; pllcfgr, flash_acr (wait states)
 * and cfgr (APB prescalers | RCC_CFGR_SW_PLL) are the board's. Returns at once when
 * SYSCLK already runs from the PLL (the fault handlers re-run board_init()). Inline: each
 * board calls it once with constants, which then fold into the register writes. */
static inline void stm32_clock_pll_overdrive(uint32_t hse_bits, uint32_t pllcfgr,
                                             uint32_t flash_acr, uint32_t cfgr)
{
    if ((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL) {
        return;   /* fault path re-entry: already running from the PLL */
    }
    RCC_APB1ENR |= RCC_APB1ENR_PWR;
    PWR_CR |= PWR_CR_VOS_SCALE1;
    RCC_CR |= hse_bits;
    while ((RCC_CR & RCC_CR_HSERDY) == 0u) {
    }
    RCC_PLLCFGR = pllcfgr;
    RCC_CR |= RCC_CR_PLLON;
    PWR_CR |= PWR_CR_ODEN;
    while ((PWR_CSR & PWR_CSR_ODRDY) == 0u) {
    }
    PWR_CR |= PWR_CR_ODSWEN;
    while ((PWR_CSR & PWR_CSR_ODSWRDY) == 0u) {
    }
    while ((RCC_CR & RCC_CR_PLLRDY) == 0u) {
    }
    FLASH_ACR = flash_acr;
    RCC_CFGR = cfgr;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
    }
}

#endif /* MDY_STM32_RCC_H */
