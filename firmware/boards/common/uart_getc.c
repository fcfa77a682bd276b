/* board_uart_getc(): blocks on the board's own non-blocking board_uart_poll(). */
#include "board.h"

int board_uart_getc(void)
{
    int byte;
    while ((byte = board_uart_poll()) < 0) {
    }
    return byte;
}
