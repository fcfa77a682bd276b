# Netduino Plus 2 under QEMU 7.2: STM32F405 (Cortex-M4F), USART1 at 0x40011000 with the
# same STM32F4 USART driver and startup code as nucleo-f446re, 128 KiB RAM enforced by the
# linker script (QEMU maps 192 KiB). QEMU 7.2 leaves RCC/PWR/FLASH unimplemented (reads
# 0), so this board does no clock set-up and never waits on a ready bit. DWT CYCCNT is not
# emulated: SysTick on the 168 MHz CPU clock counts instructions (1e9/168e6 = 125/21 ns).
add_compile_definitions(MDY_ICOUNT_NS_PER_TICK_NUM=125u MDY_ICOUNT_NS_PER_TICK_DEN=21u)
add_compile_definitions(MDY_STM32F4_USART_BASE=0x40011000u)   # USART1
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortexm.cmake)
mdy_cortexm_board(0x08000000 0x20000000
    ${MDY_CORTEXM_QEMU} preload_none.c uart_unbuffered.c
    stm32f4_usart.c stm32f4_board_uart.c)
