# ST NUCLEO-F446RE: STM32F446RE (Cortex-M4F) at 180 MHz, USART2 (PA2/PA3) on the ST-LINK
# virtual COM port, DWT CYCCNT cycles. Same STM32F4 USART driver and startup as the
# emulated netduinoplus2 target. Flash 512 KiB at 0x08000000, SRAM 128 KiB at 0x20000000.
set(FLASH_ORIGIN 0x08000000)
set(RAM_ORIGIN 0x20000000)
set(BOARD_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/board.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/startup.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/memory.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/exit_reset.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/timer_dwt.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/stm32f4_usart.c)
set(BOARD_INCLUDE_DIRS ${CMAKE_CURRENT_LIST_DIR}/../common)
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
