# Nordic nRF52840-DK: nRF52840 (Cortex-M4F) at 64 MHz, UARTE0 on P0.06 (TX) / P0.08 (RX),
# the J-Link OB virtual COM port, DWT CYCCNT cycles. Flash 1 MiB at 0x0, RAM 256 KiB at
# 0x20000000.
set(FLASH_ORIGIN 0x00000000)
set(RAM_ORIGIN 0x20000000)
set(BOARD_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/board.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/startup.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/memory.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/exit_reset.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/timer_dwt.c)
set(BOARD_INCLUDE_DIRS ${CMAKE_CURRENT_LIST_DIR}/../common)
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
