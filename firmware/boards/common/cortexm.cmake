# Shared link step of the Cortex-M boards: the board's linker script from
# common/cortexm.ld.in (FLASH_ORIGIN / RAM_ORIGIN set by the board.cmake that includes
# this file), a map file, and the flashable images firmware.hex / firmware.bin.
set(MDY_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BOARD_EXECUTABLE_SUFFIX ".elf")

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
