/* MPS2 AN386 board: polled CMSDK UART and the PSRAM preload. Startup, the SysTick
 * instruction counter, semihosting exit and board_memory() come from common/. */
#include "board.h"
#include "cortexm.h"
#include "mps2_an386.h"

void board_init(void)
{
    MPS2_UART_BAUDDIV = 16u;
    MPS2_UART_CTRL = MPS2_UART_CTRL_TX_EN | MPS2_UART_CTRL_RX_EN;
    mdy_timer_start();
}

void board_uart_putc(uint8_t byte)
{
    while (MPS2_UART_STATE & MPS2_UART_STATE_TX_FULL) {
    }
    MPS2_UART_DATA = byte;
}

int board_uart_poll(void)
{
    if (MPS2_UART_STATE & MPS2_UART_STATE_RX_FULL) {
        return (int)(MPS2_UART_DATA & 0xFFu);
    }
    return -1;
}

const char *board_name(void)
{
    return MPS2_BOARD_NAME;
}

const uint8_t *board_preload_base(void)
{
    return (const uint8_t *)(uintptr_t)MPS2_PSRAM_BASE;
}

uint32_t board_preload_capacity(void)
{
    return MPS2_PSRAM_BYTES;
}
