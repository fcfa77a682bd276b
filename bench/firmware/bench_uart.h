/*
 * Text output of the bench firmwares over the board's UART (both modes: bench_main.c,
 * bench_s8.c), and the fault report the board's startup code calls.
 */
#ifndef BENCH_UART_H
#define BENCH_UART_H

#include <stdint.h>

void put_str(const char *s);
void put_u64(uint64_t v);

#endif
