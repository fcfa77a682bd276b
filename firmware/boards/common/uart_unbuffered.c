/* board_uart_flush() of a UART that sends each byte at once: nothing is buffered. */
#include "board.h"

void board_uart_flush(void)
{
}
