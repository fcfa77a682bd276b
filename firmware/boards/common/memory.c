/* board_memory(): linker-script sizes and the painted stack's high-water mark. */
#include "board.h"
#include "cortexm.h"

extern uint32_t _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern uint32_t __ram_size;   /* linker-script symbol: its address is the value */

void board_memory(board_memory_t *out)
{
    const uint32_t *word = &_sstack;
    while (word < &_estack && *word == MDY_STACK_PAINT) {
        ++word;
    }
    out->ram_bytes = (uint32_t)(uintptr_t)&__ram_size;
    out->data_bytes = (uint32_t)((uintptr_t)&_edata - (uintptr_t)&_sdata);
    out->bss_bytes = (uint32_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss);
    out->stack_bytes = (uint32_t)((uintptr_t)&_estack - (uintptr_t)&_sstack);
    out->stack_used_bytes = (uint32_t)((uintptr_t)&_estack - (uintptr_t)word);
    out->stack_measured = 1u;
}
