# MPS2 AN500 (Cortex-M7 under QEMU): the mps2-an386 board code built for the M7
# (-mcpu=cortex-m7 -mfpu=fpv5-sp-d16 from host_tools/boards.py), so the M7 build is run,
# not only compiled. Same CMSDK UART and 25 MHz SysTick; PSRAM sits at 0x60000000.
set(MPS2_DIR ${CMAKE_CURRENT_LIST_DIR}/../mps2-an386)
include(${MPS2_DIR}/board.cmake)
add_compile_definitions(MPS2_BOARD_NAME="mps2-an500" MPS2_PSRAM_BASE=0x60000000u)
