/*
 * bench_uart: decimal text over board_uart_putc for the bench firmwares (see bench_uart.h).
 */
#include "bench_uart.h"

#include "board.h"

void put_str(const char *s)
{
    while (*s) {
        board_uart_putc((uint8_t)*s++);
    }
}

void put_u64(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    while (n) {
        board_uart_putc((uint8_t)buf[--n]);
    }
}

void app_report_fault(uint32_t kind, uint32_t pc, uint32_t cfsr, uint32_t hfsr)
{
    put_str("FAULT ");
    put_u64(kind);
    put_str(" ");
    put_u64(pc);
    put_str(" ");
    put_u64(cfsr);
    put_str(" ");
    put_u64(hfsr);
    put_str("\n");
}
