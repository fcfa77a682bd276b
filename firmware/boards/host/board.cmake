# Native POSIX build: serial line = stdin/stdout.
set(BOARD_SOURCES ${CMAKE_CURRENT_LIST_DIR}/board.c)
set(BOARD_INCLUDE_DIRS ${CMAKE_CURRENT_LIST_DIR})
set(BOARD_EXECUTABLE_SUFFIX "")

function(board_link target)
    target_link_libraries(${target} PRIVATE m)
endfunction()
