/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The local APIC in xAPIC mode (Intel SDM vol. 3A, chapter 11): its ID,
 * interprocessor interrupts, and the timer as the guest's clock.
 */
#include "guest.h"

	.code32
	.text

/*
 * lapic_init(): software-enable the BSP's LAPIC (the SVR enable bit is
 * clear after reset) and mask LINT0, where firmware such as SeaBIOS
 * routes the legacy PIC: only our own timer may interrupt the guest.
 */
	.global lapic_init
lapic_init:
	movl $(LAPIC_SVR_ENABLE | VECTOR_SPURIOUS), LAPIC_BASE + LAPIC_SVR
	movl $0, LAPIC_BASE + LAPIC_TPR
	movl $LAPIC_LVT_MASKED, LAPIC_BASE + LAPIC_LVT_LINT0
	movl $LAPIC_LVT_MASKED, LAPIC_BASE + LAPIC_LVT_ERROR
	movl $LAPIC_LVT_MASKED, LAPIC_BASE + LAPIC_LVT_TIMER
	ret

/* lapic_id() -> EAX = this CPU's APIC ID */
	.global lapic_id
lapic_id:
	mov LAPIC_BASE + LAPIC_ID, %eax
	shr $LAPIC_ID_SHIFT, %eax
	ret

/*
 * lapic_send_ipi(EAX = destination APIC ID, EDX = ICR low word): wait
 * until the previous IPI left, then send this one. Writing the low word
 * sends, so the destination goes first.
 */
	.global lapic_send_ipi
lapic_send_ipi:
	push %eax
	mov $LAPIC_ICR_POLL_MAX, %ecx
1:	testl $LAPIC_ICR_BUSY, LAPIC_BASE + LAPIC_ICR_LO
	jz 2f
	pause
	loop 1b
2:	pop %eax
	shl $LAPIC_ID_SHIFT, %eax
	mov %eax, LAPIC_BASE + LAPIC_ICR_HI
	mov %edx, LAPIC_BASE + LAPIC_ICR_LO
	ret

/*
 * delay_us(EAX = microseconds, at most DELAY_MAX_US): busy wait on the
 * LAPIC timer, one-shot and masked, at divide 1 (1 count = 1 ns).
 */
	.global delay_us
delay_us:
	imul $LAPIC_COUNTS_PER_US, %eax
	movl $(LAPIC_LVT_MASKED | VECTOR_TIMER), LAPIC_BASE + LAPIC_LVT_TIMER
	movl $LAPIC_TIMER_DIV_1, LAPIC_BASE + LAPIC_TIMER_DIV
	mov %eax, LAPIC_BASE + LAPIC_TIMER_INIT
1:	pause
	cmpl $0, LAPIC_BASE + LAPIC_TIMER_CUR
	jne 1b
	ret
