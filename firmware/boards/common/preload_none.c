/* No emulator preloads data on these boards: samples come over the serial line.
 * (mps2-an386 has PSRAM for a preload and defines these two itself.) */
#include "board.h"

const uint8_t *board_preload_base(void)
{
    return 0;
}

uint32_t board_preload_capacity(void)
{
    return 0u;
}
