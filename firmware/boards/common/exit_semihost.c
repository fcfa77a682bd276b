/* board_exit() under QEMU: semihosting SYS_EXIT_EXTENDED ends QEMU with the status. */
#include "board.h"

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
