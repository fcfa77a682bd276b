/* Netduino Plus 2 (STM32F405) under QEMU: USART1, SysTick instruction counter,
 * semihosting exit. See board.cmake for what QEMU 7.2 models. */
#include "board.h"
#include "cortexm.h"
#include "stm32f4_usart.h"

#define APB2_HZ 84000000u   /* the real part's APB2 at 168 MHz; QEMU ignores BRR */

void board_init(void)
{
    stm32f4_usart_init(MDY_STM32F4_USART_BASE, APB2_HZ, MDY_UART_BAUD);
    mdy_timer_start();
}

const char *board_name(void)
{
    return "netduinoplus2";
}
