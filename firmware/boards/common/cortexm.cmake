# Shared link step of the Cortex-M boards: the board's linker script from
# common/cortexm.ld.in (FLASH_ORIGIN / RAM_ORIGIN set by the board.cmake that includes
# this file), a map file, and the flashable images firmware.hex / firmware.bin.
set(MDY_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BOARD_EXECUTABLE_SUFFIX ".elf")

# The common/ files every real board / every QEMU board takes (pass as ${...} below):
# startup, board_memory(), blocking getc, and DWT cycles + reset exit (real) or SysTick
# instructions + semihosting exit (QEMU).
set(MDY_CORTEXM_REAL startup.c memory.c uart_getc.c timer_dwt.c exit_reset.c)
set(MDY_CORTEXM_QEMU startup.c memory.c uart_getc.c timer_icount.c exit_semihost.c)

# One call per board.cmake: mdy_cortexm_board(<flash origin> <ram origin> <common files...>)
# sets FLASH_ORIGIN / RAM_ORIGIN (for the linker script) and BOARD_SOURCES = the board's own
# board.c + the named common/ files, and puts common/ and the board's folder on the
# include path.
function(mdy_cortexm_board flash_origin ram_origin)
    set(FLASH_ORIGIN ${flash_origin} PARENT_SCOPE)
    set(RAM_ORIGIN ${ram_origin} PARENT_SCOPE)
    set(board_dir ${CMAKE_CURRENT_LIST_DIR})   # the including board.cmake's folder
    set(sources ${board_dir}/board.c)
    foreach(name IN LISTS ARGN)
        list(APPEND sources ${MDY_COMMON_DIR}/${name})
    endforeach()
    set(BOARD_SOURCES ${sources} PARENT_SCOPE)
    set(BOARD_INCLUDE_DIRS ${MDY_COMMON_DIR} ${board_dir} PARENT_SCOPE)
endfunction()

function(board_link target)
    set(linker_script ${CMAKE_CURRENT_BINARY_DIR}/board.ld)
    configure_file(${MDY_COMMON_DIR}/cortexm.ld.in ${linker_script} @ONLY)
    target_link_options(${target} PRIVATE
        -T${linker_script}
        -nostartfiles
        -Wl,--gc-sections
        -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/firmware.map)
    set_target_properties(${target} PROPERTIES LINK_DEPENDS ${linker_script})
    target_link_libraries(${target} PRIVATE m)
    add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${CMAKE_OBJCOPY} -O ihex $<TARGET_FILE:${target}> ${CMAKE_CURRENT_BINARY_DIR}/firmware.hex
        COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${target}> ${CMAKE_CURRENT_BINARY_DIR}/firmware.bin
        VERBATIM)
endfunction()
