# ST NUCLEO-F446RE: STM32F446RE (Cortex-M4F) at 180 MHz, USART2 (PA2/PA3) on the ST-LINK
# virtual COM port, DWT CYCCNT cycles. Same STM32F4 USART driver and startup as the
# emulated netduinoplus2 target. Flash 512 KiB at 0x08000000, SRAM 128 KiB at 0x20000000.
add_compile_definitions(MDY_STM32F4_USART_BASE=0x40004400u)   # USART2
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
mdy_cortexm_board(0x08000000 0x20000000
    ${MDY_CORTEXM_REAL} preload_none.c uart_unbuffered.c
    stm32f4_usart.c stm32f4_board_uart.c)
