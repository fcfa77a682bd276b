/* Netduino Plus 2 (STM32F405) under QEMU: USART1, SysTick instruction counter,
 * semihosting exit. See board.cmake for what QEMU 7.2 models. */
#include "board.h"
#include "cortexm.h"
#include "stm32f4_usart.h"

#define USART1_BASE 0x40011000u
#define APB2_HZ 84000000u   /* the real part's APB2 at 168 MHz; QEMU ignores BRR */

void board_init(void)
{
    stm32f4_usart_init(USART1_BASE, APB2_HZ, MDY_UART_BAUD);
    mdy_timer_start();
}

void board_uart_putc(uint8_t byte)
{
    stm32f4_usart_putc(USART1_BASE, byte);
}

void board_uart_flush(void)
{
}

int board_uart_poll(void)
{
    return stm32f4_usart_poll(USART1_BASE);
}

int board_uart_getc(void)
{
    int byte;
    while ((byte = board_uart_poll()) < 0) {
    }
    return byte;
}

const char *board_name(void)
{
    return "netduinoplus2";
}
