# Nordic nRF52840-DK: nRF52840 (Cortex-M4F) at 64 MHz, UARTE0 on P0.06 (TX) / P0.08 (RX),
# the J-Link OB virtual COM port, DWT CYCCNT cycles. Flash 1 MiB at 0x0, RAM 256 KiB at
# 0x20000000.
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
mdy_cortexm_board(0x00000000 0x20000000
    ${MDY_CORTEXM_REAL} preload_none.c)
