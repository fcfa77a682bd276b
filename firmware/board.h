/*
 * Board support interface: everything the device application needs from a board.
 * One implementation per folder in firmware/boards/<name>/.
 */
#ifndef MEDYATE_BOARD_H
#define MEDYATE_BOARD_H

#include <stdint.h>

/* Clocks, UART, timer. Called once, first thing in main(). */
void board_init(void);

/* Serial line. putc may buffer; flush pushes buffered bytes out (end of a frame). */
void board_uart_putc(uint8_t byte);
void board_uart_flush(void);
/* Blocking read of one byte; -1 when the line is closed for good (host board: EOF). */
int board_uart_getc(void);
/* Non-blocking: one byte, or -1 when none is waiting. */
int board_uart_poll(void);

/* Monotonic counter of work done, in board_timer_unit() units ("instructions",
 * "cycles" or "ns"). */
uint64_t board_timer_read(void);
const char *board_timer_unit(void);

const char *board_name(void);

/* Ends the program (semihosting SYS_EXIT under QEMU, exit() on the host). */
void board_exit(int status) __attribute__((noreturn));

typedef struct {
    uint32_t ram_bytes;         /* SRAM the linker script allows (0 if unknown) */
    uint32_t data_bytes;        /* .data */
    uint32_t bss_bytes;         /* .bss (includes static arenas and buffers) */
    uint32_t stack_bytes;       /* reserved stack */
    uint32_t stack_used_bytes;  /* high-water mark from the painted stack */
    uint8_t stack_measured;     /* 0 when the board cannot measure the stack */
} board_memory_t;

void board_memory(board_memory_t *out);

/* Dataset preloaded into memory by the emulator (QEMU -device loader), or NULL. */
const uint8_t *board_preload_base(void);
uint32_t board_preload_capacity(void);

/* Implemented by the application: called by the board's fault handlers after they
 * re-initialised the UART, before board_exit(). kind: 3 HardFault, 4 MemManage,
 * 5 BusFault, 6 UsageFault. */
void app_report_fault(uint32_t kind, uint32_t pc, uint32_t cfsr, uint32_t hfsr);

#endif /* MEDYATE_BOARD_H */
