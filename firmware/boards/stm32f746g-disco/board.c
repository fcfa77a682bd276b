/*
 * STM32F746G-DISCO (STM32F746NG, RM0385). Clock: HSE 25 MHz crystal -> PLL (M=25,
 * N=432, P=2) = 216 MHz with over-drive, flash 7 wait states + ART, APB1 = 54 MHz,
 * APB2 = 108 MHz. USART1 (APB2) on PA9 (TX) / PB7 (RX), alternate function 7: the
 * ST-LINK virtual COM port. The F7 USART has the newer register map (ISR/ICR/RDR/TDR).
 * I- and D-caches are enabled (the firmware does no DMA, so no cache maintenance).
 * Not run here (no board attached): compiled and linked only.
 */
#include "board.h"
#include "cortexm.h"
#include "stm32_rcc.h"

/* F7-only FLASH_ACR bits */
#define FLASH_ACR_7WS 7u
#define FLASH_ACR_ARTEN (1u << 9)

#define USART1_BASE 0x40011000u
#define USART_CR1 MDY_REG(USART1_BASE + 0x00u)
#define USART_CR2 MDY_REG(USART1_BASE + 0x04u)
#define USART_CR3 MDY_REG(USART1_BASE + 0x08u)
#define USART_BRR MDY_REG(USART1_BASE + 0x0Cu)
#define USART_ISR MDY_REG(USART1_BASE + 0x1Cu)
#define USART_ICR MDY_REG(USART1_BASE + 0x20u)
#define USART_RDR MDY_REG(USART1_BASE + 0x24u)
#define USART_TDR MDY_REG(USART1_BASE + 0x28u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_ORE (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TXE (1u << 7)
#define USART_ICR_ORECF (1u << 3)
#define APB2_HZ 108000000u

static void caches_enable(void)
{
    if (SCB_CCR & SCB_CCR_IC) {
        return;
    }
    mdy_dsb_isb();
    SCB_ICIALLU = 0u;
    mdy_dsb_isb();
    SCB_CCR |= SCB_CCR_IC;
    mdy_dsb_isb();
    /* invalidate the L1 data cache by set/way (level 0), then enable it */
    SCB_CSSELR = 0u;
    mdy_dsb_isb();
    const uint32_t ccsidr = SCB_CCSIDR;
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    for (uint32_t set = 0; set < sets; ++set) {
        for (uint32_t way = 0; way < ways; ++way) {
            SCB_DCISW = (set << 5) | (way << 30);
        }
    }
    mdy_dsb_isb();
    SCB_CCR |= SCB_CCR_DC;
    mdy_dsb_isb();
}

static void clock_init(void)
{
    /* HSE 25 MHz crystal. VCO in = 25 MHz / 25 = 1 MHz, VCO = 432 MHz,
     * SYSCLK = 432 / 2 = 216 MHz; Q = 9 */
    stm32_clock_pll_overdrive(
        RCC_CR_HSEON,
        25u | (432u << 6) | (0u << 16) | RCC_PLLCFGR_SRC_HSE | (9u << 24),
        FLASH_ACR_7WS | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN,
        RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL);
}

void board_init(void)
{
    caches_enable();
    clock_init();
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOA | RCC_AHB1ENR_GPIOB;
    RCC_APB2ENR |= RCC_APB2ENR_USART1;
    /* PA9 (TX) and PB7 (RX): alternate function 7, high speed */
    GPIO_MODER(GPIOA_BASE) = (GPIO_MODER(GPIOA_BASE) & ~(0x3u << 18)) | (0x2u << 18);
    GPIO_OSPEEDR(GPIOA_BASE) |= 0x3u << 18;
    GPIO_AFRH(GPIOA_BASE) = (GPIO_AFRH(GPIOA_BASE) & ~(0xFu << 4)) | (0x7u << 4);
    GPIO_MODER(GPIOB_BASE) = (GPIO_MODER(GPIOB_BASE) & ~(0x3u << 14)) | (0x2u << 14);
    GPIO_AFRL(GPIOB_BASE) = (GPIO_AFRL(GPIOB_BASE) & ~(0xFu << 28)) | (0x7u << 28);
    USART_CR1 = 0u;
    USART_CR2 = 0u;
    USART_CR3 = 0u;
    USART_BRR = (APB2_HZ + MDY_UART_BAUD / 2u) / MDY_UART_BAUD;   /* oversampling by 16 */
    USART_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
    mdy_timer_start();
}

void board_uart_putc(uint8_t byte)
{
    while ((USART_ISR & USART_ISR_TXE) == 0u) {
    }
    USART_TDR = byte;
}

int board_uart_poll(void)
{
    const uint32_t status = USART_ISR;
    if (status & USART_ISR_ORE) {
        USART_ICR = USART_ICR_ORECF;   /* the lost byte shows as a damaged frame: resent */
    }
    if (status & USART_ISR_RXNE) {
        return (int)(USART_RDR & 0xFFu);
    }
    return -1;
}

const char *board_name(void)
{
    return "stm32f746g-disco";
}
