/*
 * nRF52840-DK (nRF52840 Product Specification v1.7). The core always runs at 64 MHz;
 * the external 32 MHz crystal (HFXO) is started for an accurate baud rate. UARTE0 moves
 * bytes by EasyDMA from RAM:
 *  - TX: putc fills tx_buffer; flush (end of frame, or a full buffer) sends it in one
 *    STARTTX and waits for ENDTX.
 *  - RX: one-byte transfers into a ring; the ENDRX->STARTRX shortcut restarts reception
 *    at once, and RXD.PTR (double-buffered, latched at RXSTARTED) is moved to the next
 *    ring slot each time a transfer starts, so no byte is dropped between transfers.
 * Not run here (no board attached): compiled and linked only.
 */
#include "board.h"
#include "cortexm.h"

#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART MDY_REG(CLOCK_BASE + 0x000u)
#define CLOCK_EVENTS_HFCLKSTARTED MDY_REG(CLOCK_BASE + 0x100u)

#define UARTE0_BASE 0x40002000u
#define UARTE_TASKS_STARTRX MDY_REG(UARTE0_BASE + 0x000u)
#define UARTE_TASKS_STARTTX MDY_REG(UARTE0_BASE + 0x008u)
#define UARTE_EVENTS_ENDRX MDY_REG(UARTE0_BASE + 0x110u)
#define UARTE_EVENTS_ENDTX MDY_REG(UARTE0_BASE + 0x120u)
#define UARTE_EVENTS_ERROR MDY_REG(UARTE0_BASE + 0x124u)
#define UARTE_EVENTS_RXSTARTED MDY_REG(UARTE0_BASE + 0x14Cu)
#define UARTE_SHORTS MDY_REG(UARTE0_BASE + 0x200u)
#define UARTE_ERRORSRC MDY_REG(UARTE0_BASE + 0x480u)
#define UARTE_ENABLE MDY_REG(UARTE0_BASE + 0x500u)
#define UARTE_PSEL_RTS MDY_REG(UARTE0_BASE + 0x508u)
#define UARTE_PSEL_TXD MDY_REG(UARTE0_BASE + 0x50Cu)
#define UARTE_PSEL_CTS MDY_REG(UARTE0_BASE + 0x510u)
#define UARTE_PSEL_RXD MDY_REG(UARTE0_BASE + 0x514u)
#define UARTE_BAUDRATE MDY_REG(UARTE0_BASE + 0x524u)
#define UARTE_RXD_PTR MDY_REG(UARTE0_BASE + 0x534u)
#define UARTE_RXD_MAXCNT MDY_REG(UARTE0_BASE + 0x538u)
#define UARTE_TXD_PTR MDY_REG(UARTE0_BASE + 0x544u)
#define UARTE_TXD_MAXCNT MDY_REG(UARTE0_BASE + 0x548u)
#define UARTE_CONFIG MDY_REG(UARTE0_BASE + 0x56Cu)
#define UARTE_ENABLE_ON 8u
#define UARTE_SHORTS_ENDRX_STARTRX (1u << 5)
#define UARTE_PSEL_DISCONNECTED 0xFFFFFFFFu
#define PIN_TXD 6u    /* P0.06 */
#define PIN_RXD 8u    /* P0.08 */

#define GPIO_P0_DIRSET MDY_REG(0x50000518u)
#define GPIO_P0_OUTSET MDY_REG(0x50000508u)

#define RX_RING 256u   /* power of two */
#define TX_BUFFER 64u

static volatile uint8_t rx_ring[RX_RING];
static uint32_t rx_head;       /* next slot the UARTE fills */
static uint32_t rx_tail;       /* next slot the application reads */
static uint32_t rx_armed;      /* slot latched for the transfer after the current one */
static uint8_t tx_buffer[TX_BUFFER];
static uint32_t tx_count;

/* BAUDRATE register values (PS v1.7, UARTE BAUDRATE). */
static uint32_t baud_register(uint32_t baud)
{
    switch (baud) {
    case 9600u: return 0x00275000u;
    case 57600u: return 0x00EB0000u;
    case 230400u: return 0x03B00000u;
    case 460800u: return 0x07400000u;
    case 921600u: return 0x0F000000u;
    case 1000000u: return 0x10000000u;
    default: return 0x01D60000u;   /* 115200 */
    }
}

void board_init(void)
{
    CLOCK_EVENTS_HFCLKSTARTED = 0u;
    CLOCK_TASKS_HFCLKSTART = 1u;
    while (CLOCK_EVENTS_HFCLKSTARTED == 0u) {
    }
    GPIO_P0_OUTSET = 1u << PIN_TXD;   /* idle high before the UARTE takes the pin */
    GPIO_P0_DIRSET = 1u << PIN_TXD;
    UARTE_ENABLE = 0u;
    UARTE_PSEL_TXD = PIN_TXD;
    UARTE_PSEL_RXD = PIN_RXD;
    UARTE_PSEL_RTS = UARTE_PSEL_DISCONNECTED;
    UARTE_PSEL_CTS = UARTE_PSEL_DISCONNECTED;
    UARTE_BAUDRATE = baud_register(MDY_UART_BAUD);
    UARTE_CONFIG = 0u;                /* 8N1, no flow control */
    UARTE_ENABLE = UARTE_ENABLE_ON;
    rx_head = rx_tail = 0u;
    tx_count = 0u;
    UARTE_EVENTS_ENDRX = 0u;
    UARTE_EVENTS_RXSTARTED = 0u;
    UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_ring[0];
    UARTE_RXD_MAXCNT = 1u;
    UARTE_SHORTS = UARTE_SHORTS_ENDRX_STARTRX;
    UARTE_TASKS_STARTRX = 1u;
    rx_armed = 0u;
    mdy_timer_start();
}

static void rx_service(void)
{
    if (UARTE_EVENTS_RXSTARTED) {
        /* the transfer into slot rx_armed runs: latch the following slot for the next */
        UARTE_EVENTS_RXSTARTED = 0u;
        rx_armed = (rx_armed + 1u) & (RX_RING - 1u);
        UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_ring[rx_armed];
    }
    if (UARTE_EVENTS_ENDRX) {
        UARTE_EVENTS_ENDRX = 0u;
        rx_head = (rx_head + 1u) & (RX_RING - 1u);
    }
    if (UARTE_EVENTS_ERROR) {   /* framing/overrun: the damaged frame is retransmitted */
        UARTE_EVENTS_ERROR = 0u;
        UARTE_ERRORSRC = UARTE_ERRORSRC;
    }
}

void board_uart_flush(void)
{
    if (tx_count == 0u) {
        return;
    }
    UARTE_EVENTS_ENDTX = 0u;
    UARTE_TXD_PTR = (uint32_t)(uintptr_t)tx_buffer;
    UARTE_TXD_MAXCNT = tx_count;
    UARTE_TASKS_STARTTX = 1u;
    while (UARTE_EVENTS_ENDTX == 0u) {
        rx_service();
    }
    tx_count = 0u;
}

void board_uart_putc(uint8_t byte)
{
    if (tx_count == TX_BUFFER) {
        board_uart_flush();
    }
    tx_buffer[tx_count++] = byte;
}

int board_uart_poll(void)
{
    rx_service();
    if (rx_tail == rx_head) {
        return -1;
    }
    const uint8_t byte = rx_ring[rx_tail];
    rx_tail = (rx_tail + 1u) & (RX_RING - 1u);
    return byte;
}

const char *board_name(void)
{
    return "nrf52840-dk";
}
