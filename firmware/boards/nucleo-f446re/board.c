/*
 * NUCLEO-F446RE (STM32F446RE, RM0390). Clock: HSE 8 MHz bypass (the ST-LINK's MCO) ->
 * PLL (M=4, N=180, P=2) = 180 MHz with over-drive, flash 5 wait states, APB1 = 45 MHz,
 * APB2 = 90 MHz. USART2 on PA2 (TX) / PA3 (RX), alternate function 7, reaches the host as
 * the ST-LINK virtual COM port. Not run here (no board attached): compiled and linked only.
 */
#include "board.h"
#include "cortexm.h"
#include "stm32_rcc.h"
#include "stm32f4_usart.h"

/* F4-only FLASH_ACR bits (the F7 has the ART accelerator there instead) */
#define FLASH_ACR_5WS 5u
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define APB1_HZ 45000000u

static void clock_init(void)
{
    /* HSE 8 MHz bypass. VCO in = 8 MHz / 4 = 2 MHz, VCO = 2 * 180 = 360 MHz,
     * SYSCLK = 360 / 2; Q = 8, R = 2 */
    stm32_clock_pll_overdrive(
        RCC_CR_HSEBYP | RCC_CR_HSEON,
        4u | (180u << 6) | (0u << 16) | RCC_PLLCFGR_SRC_HSE | (8u << 24) | (2u << 28),
        FLASH_ACR_5WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN,
        RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL);
}

void board_init(void)
{
    clock_init();
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOA;
    RCC_APB1ENR |= RCC_APB1ENR_USART2;
    /* PA2, PA3: alternate function 7 (USART2), high speed */
    GPIO_MODER(GPIOA_BASE) = (GPIO_MODER(GPIOA_BASE) & ~(0xFu << 4)) | (0xAu << 4);
    GPIO_OSPEEDR(GPIOA_BASE) |= 0xFu << 4;
    GPIO_AFRL(GPIOA_BASE) = (GPIO_AFRL(GPIOA_BASE) & ~(0xFFu << 8)) | (0x77u << 8);
    stm32f4_usart_init(MDY_STM32F4_USART_BASE, APB1_HZ, MDY_UART_BAUD);
    mdy_timer_start();
}

const char *board_name(void)
{
    return "nucleo-f446re";
}
