/*
 * NUCLEO-F446RE (STM32F446RE, RM0390). Clock: HSE 8 MHz bypass (the ST-LINK's MCO) ->
 * PLL (M=4, N=180, P=2) = 180 MHz with over-drive, flash 5 wait states, APB1 = 45 MHz,
 * APB2 = 90 MHz. USART2 on PA2 (TX) / PA3 (RX), alternate function 7, reaches the host as
 * the ST-LINK virtual COM port. Not run here (no board attached): compiled and linked only.
 */
#include "board.h"
#include "cortexm.h"
#include "stm32f4_usart.h"

#define RCC_BASE 0x40023800u
#define RCC_CR MDY_REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR MDY_REG(RCC_BASE + 0x04u)
#define RCC_CFGR MDY_REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR MDY_REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR MDY_REG(RCC_BASE + 0x40u)
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
#define RCC_APB1ENR_USART2 (1u << 17)
#define RCC_APB1ENR_PWR (1u << 28)

#define PWR_CR MDY_REG(0x40007000u)
#define PWR_CSR MDY_REG(0x40007004u)
#define PWR_CR_VOS_SCALE1 (0x3u << 14)
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR MDY_REG(0x40023C00u)
#define FLASH_ACR_5WS 5u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER MDY_REG(GPIOA_BASE + 0x00u)
#define GPIOA_OSPEEDR MDY_REG(GPIOA_BASE + 0x08u)
#define GPIOA_AFRL MDY_REG(GPIOA_BASE + 0x20u)

#define APB1_HZ 45000000u

static void clock_init(void)
{
    if ((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL) {
        return;   /* fault path re-entry: already running from the PLL */
    }
    RCC_APB1ENR |= RCC_APB1ENR_PWR;
    PWR_CR |= PWR_CR_VOS_SCALE1;
    RCC_CR |= RCC_CR_HSEBYP | RCC_CR_HSEON;
    while ((RCC_CR & RCC_CR_HSERDY) == 0u) {
    }
    /* VCO in = 8 MHz / 4 = 2 MHz, VCO = 2 * 180 = 360 MHz, SYSCLK = 360 / 2; Q = 8, R = 2 */
    RCC_PLLCFGR = 4u | (180u << 6) | (0u << 16) | RCC_PLLCFGR_SRC_HSE | (8u << 24) | (2u << 28);
    RCC_CR |= RCC_CR_PLLON;
    PWR_CR |= PWR_CR_ODEN;    /* 180 MHz needs over-drive (RM0390 5.1.4) */
    while ((PWR_CSR & PWR_CSR_ODRDY) == 0u) {
    }
    PWR_CR |= PWR_CR_ODSWEN;
    while ((PWR_CSR & PWR_CSR_ODSWRDY) == 0u) {
    }
    while ((RCC_CR & RCC_CR_PLLRDY) == 0u) {
    }
    FLASH_ACR = FLASH_ACR_5WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    RCC_CFGR = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
    }
}

void board_init(void)
{
    clock_init();
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOA;
    RCC_APB1ENR |= RCC_APB1ENR_USART2;
    /* PA2, PA3: alternate function 7 (USART2), high speed */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);
    GPIOA_OSPEEDR |= 0xFu << 4;
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);
    stm32f4_usart_init(MDY_STM32F4_USART_BASE, APB1_HZ, MDY_UART_BAUD);
    mdy_timer_start();
}

const char *board_name(void)
{
    return "nucleo-f446re";
}
