/*
 * POSIX "board": the serial line is stdin/stdout (binary), the timer is CLOCK_MONOTONIC
 * in nanoseconds, exit() ends the program. Used by the `host` target and the tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "board.h"

/* GNU ld defines these around the executable's own data and bss. */
extern char __data_start[], _edata[], __bss_start[], _end[];

enum { HOST_IO_CHUNK = 512 };

static uint8_t tx_buffer[HOST_IO_CHUNK];
static size_t tx_fill;
static uint8_t rx_buffer[HOST_IO_CHUNK];
static size_t rx_fill, rx_next;

void board_init(void)
{
}

void board_uart_flush(void)
{
    size_t written = 0;
    while (written < tx_fill) {
        const ssize_t n = write(STDOUT_FILENO, tx_buffer + written, tx_fill - written);
        if (n <= 0) {
            exit(1);   /* the host closed the line */
        }
        written += (size_t)n;
    }
    tx_fill = 0;
}

void board_uart_putc(uint8_t byte)
{
    if (tx_fill == sizeof tx_buffer) {
        board_uart_flush();
    }
    tx_buffer[tx_fill++] = byte;
}

static int refill(int timeout_ms)
{
    struct pollfd request = {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    if (timeout_ms >= 0 && poll(&request, 1, timeout_ms) <= 0) {
        return 0;
    }
    const ssize_t n = read(STDIN_FILENO, rx_buffer, sizeof rx_buffer);
    if (n <= 0) {
        return -1;
    }
    rx_fill = (size_t)n;
    rx_next = 0;
    return 1;
}

int board_uart_poll(void)
{
    if (rx_next == rx_fill && refill(0) <= 0) {
        return -1;
    }
    return rx_buffer[rx_next++];
}

int board_uart_getc(void)
{
    if (rx_next == rx_fill && refill(-1) <= 0) {
        return -1;
    }
    return rx_buffer[rx_next++];
}

uint64_t board_timer_read(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

const char *board_timer_unit(void)
{
    return "ns";
}

const char *board_name(void)
{
    return "host";
}

void board_exit(int status)
{
    board_uart_flush();
    exit(status);
}

void board_memory(board_memory_t *out)
{
    out->ram_bytes = 0;
    out->data_bytes = (uint32_t)(_edata - __data_start);
    out->bss_bytes = (uint32_t)(_end - __bss_start);
    out->stack_bytes = 0;
    out->stack_used_bytes = 0;
    out->stack_measured = 0;   /* the OS owns the stack: no painted region to scan */
}

const uint8_t *board_preload_base(void)
{
    return NULL;
}

uint32_t board_preload_capacity(void)
{
    return 0;
}
