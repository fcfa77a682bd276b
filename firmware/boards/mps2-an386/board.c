/* MPS2 AN386 board: polled CMSDK UART, SysTick instruction counter, semihosting exit. */
#include "board.h"
#include "mps2_an386.h"

extern uint32_t _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern uint32_t __ram_size;   /* linker-script symbol: its address is the value */

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void board_init(void)
{
    MPS2_UART_BAUDDIV = 16u;
    MPS2_UART_CTRL = MPS2_UART_CTRL_TX_EN | MPS2_UART_CTRL_RX_EN;
    if ((MPS2_SYST_CSR & 1u) == 0u) {
        MPS2_SYST_RVR = MPS2_SYSTICK_RELOAD;
        MPS2_SYST_CVR = 0u;
        MPS2_SYST_CSR = 0x7u;   /* enable, interrupt on wrap, processor clock */
    }
}

void board_uart_putc(uint8_t byte)
{
    while (MPS2_UART_STATE & MPS2_UART_STATE_TX_FULL) {
    }
    MPS2_UART_DATA = byte;
}

void board_uart_flush(void)
{
}

int board_uart_poll(void)
{
    if (MPS2_UART_STATE & MPS2_UART_STATE_RX_FULL) {
        return (int)(MPS2_UART_DATA & 0xFFu);
    }
    return -1;
}

int board_uart_getc(void)
{
    int byte;
    while ((byte = board_uart_poll()) < 0) {
    }
    return byte;
}

uint64_t board_timer_read(void)
{
    uint32_t wraps_before, wraps_after, value;
    do {
        wraps_before = systick_wraps;
        value = MPS2_SYST_CVR;
        wraps_after = systick_wraps;
    } while (wraps_before != wraps_after);
    const uint64_t ticks = ((uint64_t)wraps_before << 24) + (MPS2_SYSTICK_RELOAD - value);
    return ticks * MPS2_INSTRUCTIONS_PER_TICK;
}

const char *board_timer_unit(void)
{
    return "instructions";
}

const char *board_name(void)
{
    return MPS2_BOARD_NAME;
}

static int semihost_call(int operation, void *argument)
{
    register int r0 __asm("r0") = operation;
    register void *r1 __asm("r1") = argument;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void board_exit(int status)
{
    enum { SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20, ADP_STOPPED_APPLICATION_EXIT = 0x20026 };
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost_call(SYS_EXIT_EXTENDED, block);
    semihost_call(SYS_EXIT, (void *)(uintptr_t)ADP_STOPPED_APPLICATION_EXIT);
    for (;;) {
    }
}

void board_memory(board_memory_t *out)
{
    const uint32_t *word = &_sstack;
    while (word < &_estack && *word == MPS2_STACK_PAINT) {
        ++word;
    }
    out->ram_bytes = (uint32_t)(uintptr_t)&__ram_size;
    out->data_bytes = (uint32_t)((uintptr_t)&_edata - (uintptr_t)&_sdata);
    out->bss_bytes = (uint32_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss);
    out->stack_bytes = (uint32_t)((uintptr_t)&_estack - (uintptr_t)&_sstack);
    out->stack_used_bytes = (uint32_t)((uintptr_t)&_estack - (uintptr_t)word);
    out->stack_measured = 1u;
}

const uint8_t *board_preload_base(void)
{
    return (const uint8_t *)(uintptr_t)MPS2_PSRAM_BASE;
}

uint32_t board_preload_capacity(void)
{
    return MPS2_PSRAM_BYTES;
}
