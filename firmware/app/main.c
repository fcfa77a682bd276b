#include "app.h"
#include "board.h"

void session_run(void);

int main(void)
{
    board_init();
    app_init();
    session_run();
    return 0;
}
