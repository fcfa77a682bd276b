# MPS2 AN386 (Cortex-M4F under QEMU), constrained to RAM_SIZE / FLASH_SIZE: the common
# Cortex-M startup, linker script, semihosting exit and SysTick instruction counter
# (25 MHz SysTick = one tick per 40 ns = 40 instructions under -icount shift=0).
# board.c keeps the CMSDK UART and the PSRAM preload. mps2-an500 includes this file.
add_compile_definitions(MDY_ICOUNT_NS_PER_TICK_NUM=40u MDY_ICOUNT_NS_PER_TICK_DEN=1u)
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
mdy_cortexm_board(0x00000000 0x20000000
    ${MDY_CORTEXM_QEMU} uart_unbuffered.c)
