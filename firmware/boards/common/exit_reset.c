/* board_exit() on a real board: no debugger to stop, so the core resets (AIRCR
 * SYSRESETREQ) and the firmware greets the next session with a fresh hello.
 * (A semihosting BKPT without a debugger attached would lock the core up.) */
#include "board.h"
#include "cortexm.h"

void board_exit(int status)
{
    (void)status;
    board_uart_flush();
    mdy_dsb_isb();
    SCB_AIRCR = SCB_AIRCR_SYSRESETREQ;
    mdy_dsb_isb();
    for (;;) {
    }
}
