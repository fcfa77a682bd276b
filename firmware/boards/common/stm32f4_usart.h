/*
 * STM32F4 USART (RM0090 section 30.6 / RM0390 section 25.6: same register block on the
 * F405 and F446), polled. Used by nucleo-f446re (USART2) and, under QEMU, by
 * netduinoplus2 (USART1), whose emulation (hw/char/stm32f2xx_usart.c) models SR/DR/CR1:
 * TXE is always set, RX bytes are delivered only while CR1.UE and CR1.RE are set.
 */
#ifndef MDY_STM32F4_USART_H
#define MDY_STM32F4_USART_H

#include <stdint.h>

#define STM32F4_USART_SR 0x00u
#define STM32F4_USART_DR 0x04u
#define STM32F4_USART_BRR 0x08u
#define STM32F4_USART_CR1 0x0Cu
#define STM32F4_USART_CR2 0x10u
#define STM32F4_USART_CR3 0x14u
#define STM32F4_USART_SR_ORE (1u << 3)
#define STM32F4_USART_SR_RXNE (1u << 5)
#define STM32F4_USART_SR_TXE (1u << 7)
#define STM32F4_USART_CR1_RE (1u << 2)
#define STM32F4_USART_CR1_TE (1u << 3)
#define STM32F4_USART_CR1_UE (1u << 13)

/* 8N1, oversampling by 16, no flow control; pclk_hz = the APB clock of this USART. */
void stm32f4_usart_init(uint32_t base, uint32_t pclk_hz, uint32_t baud);
void stm32f4_usart_putc(uint32_t base, uint8_t byte);
/* One received byte or -1. An overrun (ORE) is cleared by the SR-then-DR read; the lost
 * byte surfaces as a damaged frame the link retransmits. */
int stm32f4_usart_poll(uint32_t base);

#endif /* MDY_STM32F4_USART_H */
