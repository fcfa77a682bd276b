# ST STM32F746G-DISCO: STM32F746NG (Cortex-M7, FPv5-SP) at 216 MHz, USART1 (PA9 TX,
# PB7 RX) on the ST-LINK virtual COM port, DWT CYCCNT cycles, I- and D-cache on.
# Flash 1 MiB at 0x08000000 (AXIM), SRAM 320 KiB contiguous at 0x20000000 (DTCM 64 KiB +
# SRAM1 240 KiB + SRAM2 16 KiB).
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
mdy_cortexm_board(0x08000000 0x20000000
    ${MDY_CORTEXM_REAL} preload_none.c uart_unbuffered.c)
