/* STM32F4 USART, polled (register map in stm32f4_usart.h). */
#include "stm32f4_usart.h"

#include "cortexm.h"

void stm32f4_usart_init(uint32_t base, uint32_t pclk_hz, uint32_t baud)
{
    MDY_REG(base + STM32F4_USART_CR1) = 0u;
    MDY_REG(base + STM32F4_USART_CR2) = 0u;   /* 1 stop bit */
    MDY_REG(base + STM32F4_USART_CR3) = 0u;   /* no flow control */
    /* OVER8 = 0: BRR = mantissa.fraction(4 bit) = pclk / baud, rounded */
    MDY_REG(base + STM32F4_USART_BRR) = (pclk_hz + baud / 2u) / baud;
    MDY_REG(base + STM32F4_USART_CR1) =
        STM32F4_USART_CR1_UE | STM32F4_USART_CR1_TE | STM32F4_USART_CR1_RE;
}

void stm32f4_usart_putc(uint32_t base, uint8_t byte)
{
    while ((MDY_REG(base + STM32F4_USART_SR) & STM32F4_USART_SR_TXE) == 0u) {
    }
    MDY_REG(base + STM32F4_USART_DR) = byte;
}

int stm32f4_usart_poll(uint32_t base)
{
    const uint32_t status = MDY_REG(base + STM32F4_USART_SR);
    if (status & (STM32F4_USART_SR_RXNE | STM32F4_USART_SR_ORE)) {
        const uint32_t data = MDY_REG(base + STM32F4_USART_DR);   /* clears RXNE and ORE */
        if (status & STM32F4_USART_SR_RXNE) {
            return (int)(data & 0xFFu);
        }
    }
    return -1;
}
