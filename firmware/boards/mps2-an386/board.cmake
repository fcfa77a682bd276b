# MPS2 AN386 (Cortex-M4F under QEMU), constrained to RAM_SIZE / FLASH_SIZE.
set(BOARD_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/startup.c
    ${CMAKE_CURRENT_LIST_DIR}/board.c)
set(BOARD_INCLUDE_DIRS ${CMAKE_CURRENT_LIST_DIR})
set(BOARD_EXECUTABLE_SUFFIX ".elf")
set(MPS2_AN386_DIR ${CMAKE_CURRENT_LIST_DIR})

function(board_link target)
    set(linker_script ${CMAKE_CURRENT_BINARY_DIR}/mps2-an386.ld)
    configure_file(${MPS2_AN386_DIR}/mps2-an386.ld.in ${linker_script} @ONLY)
    target_link_options(${target} PRIVATE
        -T${linker_script}
        -nostartfiles
        -Wl,--gc-sections
        -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/firmware.map)
    set_target_properties(${target} PROPERTIES LINK_DEPENDS ${linker_script})
    target_link_libraries(${target} PRIVATE m)
endfunction()
