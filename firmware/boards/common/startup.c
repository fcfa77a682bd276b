/*
 * Cortex-M startup shared by the STM32 and nRF boards (the mps2 boards keep their own):
 * vector table, FPU enable, .data/.bss set-up, stack painting for the measured high-water
 * mark, fault handlers that report over the UART (re-initialised first) and end the run.
 * The UART is polled, so every external interrupt goes to Default_Handler.
 */
#include <stdint.h>

#include "board.h"
#include "cortexm.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern int main(void);

void Reset_Handler(void);
void reset_c(void);
void Default_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SysTick_Handler(void);
void fault_report_c(const uint32_t *stacked, uint32_t kind);

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used))
const vector_t vector_table[16 + 16] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler,      /* NMI */
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    Default_Handler,      /* SVC */
    Default_Handler,      /* DebugMon */
    0,
    Default_Handler,      /* PendSV */
    SysTick_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
};

/* The FPU must be on before the first VFP instruction, which the compiler may place in
 * any C prologue: so this part is assembly. */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm volatile(
        "ldr r0, =0xE000ED88\n"   /* CPACR: CP10/CP11 full access */
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        "b reset_c\n");
}

void reset_c(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = &_sstack; (uint32_t)(uintptr_t)p < sp - 64u; ++p) {
        *p = MDY_STACK_PAINT;
    }
    (void)main();
    board_exit(0);
}

void Default_Handler(void)
{
    fault_report_c(0, 2);
}

#define FAULT_ENTRY(name, kind)                          \
    __attribute__((naked)) void name(void)               \
    {                                                    \
        __asm volatile("tst lr, #4\n"                    \
                       "ite eq\n"                        \
                       "mrseq r0, msp\n"                 \
                       "mrsne r0, psp\n"                 \
                       "mov r1, #" #kind "\n"            \
                       "b fault_report_c\n");            \
    }

FAULT_ENTRY(HardFault_Handler, 3)
FAULT_ENTRY(MemManage_Handler, 4)
FAULT_ENTRY(BusFault_Handler, 5)
FAULT_ENTRY(UsageFault_Handler, 6)

void fault_report_c(const uint32_t *stacked, uint32_t kind)
{
    const uint32_t pc = stacked ? stacked[6] : 0u;
    board_init();   /* the UART may be in any state: re-initialise before reporting */
    app_report_fault(kind, pc, SCB_CFSR, SCB_HFSR);
    board_exit(128 + (int)kind);
}
