/* board_uart_putc/poll over the STM32F4 USART at MDY_STM32F4_USART_BASE, which the
 * board's board.cmake defines (USART1 on netduinoplus2, USART2 on nucleo-f446re). */
#include "board.h"
#include "stm32f4_usart.h"

#ifndef MDY_STM32F4_USART_BASE
#error "define MDY_STM32F4_USART_BASE (the board's USART) in board.cmake"
#endif

void board_uart_putc(uint8_t byte)
{
    stm32f4_usart_putc(MDY_STM32F4_USART_BASE, byte);
}

int board_uart_poll(void)
{
    return stm32f4_usart_poll(MDY_STM32F4_USART_BASE);
}
