/* Registers of the MPS2 AN386 image (Cortex-M4F) that the board code touches. */
#ifndef MPS2_AN386_H
#define MPS2_AN386_H

#include <stdint.h>

#define MPS2_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* CMSDK APB UART0 */
#define MPS2_UART0_BASE 0x40004000u
#define MPS2_UART_DATA MPS2_REG(MPS2_UART0_BASE + 0x00u)
#define MPS2_UART_STATE MPS2_REG(MPS2_UART0_BASE + 0x04u)
#define MPS2_UART_CTRL MPS2_REG(MPS2_UART0_BASE + 0x08u)
#define MPS2_UART_BAUDDIV MPS2_REG(MPS2_UART0_BASE + 0x10u)
#define MPS2_UART_STATE_TX_FULL 0x1u
#define MPS2_UART_STATE_RX_FULL 0x2u
#define MPS2_UART_CTRL_TX_EN 0x1u
#define MPS2_UART_CTRL_RX_EN 0x2u   /* without it QEMU never delivers input */

/* PSRAM where the host may preload a dataset (QEMU -device loader). */
#ifndef MPS2_PSRAM_BASE   /* AN500 (mps2-an500/board.cmake) has it at 0x60000000 */
#define MPS2_PSRAM_BASE 0x21000000u
#endif
#ifndef MPS2_BOARD_NAME
#define MPS2_BOARD_NAME "mps2-an386"
#endif
#define MPS2_PSRAM_BYTES (16u * 1024u * 1024u)

#endif /* MPS2_AN386_H */
