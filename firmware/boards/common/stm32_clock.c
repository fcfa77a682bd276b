/* STM32F4/F7 HSE -> PLL clock start with over-drive (see stm32_rcc.h). */
#include "stm32_rcc.h"

void stm32_clock_pll_overdrive(uint32_t hse_bits, uint32_t pllcfgr, uint32_t flash_acr,
                               uint32_t cfgr)
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
