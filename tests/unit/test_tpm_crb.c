// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CRB register model (PTP 6.5.3) as a guest drives it: locality
 * request/relinquish, INTF_ID, the control area's addresses and size, the
 * cmdReady/goIdle/start/cancel handshake, accesses of every width and
 * alignment, and commands whose size field is hostile.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/tpm/crb.h"
#include "core/vm/layout.h"
#include "core/tpm/tpm2_cmd.h"

struct fake_backend {
	unsigned submitted, canceled;
	uint32_t seq;
	size_t len;
	uint8_t cmd[TPM_CRB_BUFFER_SIZE];
};

static void fake_submit(void *opaque, uint32_t seq, const uint8_t *cmd, size_t len)
{
	struct fake_backend *b = opaque;

	b->submitted++;
	b->seq = seq;
	b->len = len;
	memcpy(b->cmd, cmd, len);
}

static void fake_cancel(void *opaque)
{
	((struct fake_backend *)opaque)->canceled++;
}

static const struct tpm_crb_ops fake_ops = { fake_submit, fake_cancel };

struct fixture {
	struct tpm_crb crb;
	struct fake_backend be;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(tpm_crb_init(&f.crb, LAYOUT_TPM_CRB_START, TPM_CRB_BUFFER_SIZE,
				      &fake_ops, &f.be), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tpm_crb_destroy(&f->crb);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
	return (uint32_t)tpm_crb_read(&f->crb, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
	tpm_crb_write(&f->crb, off, 4, v);
}

/* Write LEN bytes at the data buffer, a dword at a time like memcpy_toio. */
static void put_buffer(struct fixture *f, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4 && i + j < len; j++)
			v |= (uint32_t)p[i + j] << (8 * j);
		wr(f, TPM_CRB_DATA_BUFFER + i, v);
	}
}

static void locality0(struct fixture *f)
{
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST_ACCESS);
}

/* A TPM2_Startup command whose header claims SIZE bytes. */
static void startup_claiming(uint8_t *cmd, uint32_t size)
{
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	tpm_put_be32(cmd + 2, size);
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	/* Registers valid, no locality, not established (bit reads 1). */
	assert_int_equal(rd(f, CRB_LOC_STATE),
			 CRB_LOC_STATE_REG_VALID | CRB_LOC_STATE_TPM_ESTABLISHED);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
	assert_int_equal(rd(f, CRB_CTRL_STS), CRB_CTRL_STS_IDLE);
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	tpm_crb_reset(&f->crb, true);
	assert_int_equal(rd(f, CRB_LOC_STATE), CRB_LOC_STATE_REG_VALID);
}

static void test_intf_id(void **state)
{
	struct fixture *f = *state;
	uint64_t id = tpm_crb_read(&f->crb, CRB_INTF_ID, 8);

	assert_int_equal(id & 0xf, 1);                /* InterfaceType: CRB */
	assert_int_equal((id >> 4) & 0xf, 1);         /* InterfaceVersion */
	assert_int_equal((id >> 8) & 1, 0);           /* CapLocality: 0 only */
	assert_int_equal((id >> 14) & 1, 1);          /* CapCRB */
	assert_int_equal((id >> 13) & 1, 0);          /* CapFIFO */
	assert_int_equal((id >> 17) & 3, 1);          /* InterfaceSelector: CRB */
	assert_int_equal((id >> 19) & 1, 1);          /* IntfSelLock */
	assert_int_equal((id >> 32) & 0xffff, 0x1014);
	/* A write cannot move the selector. */
	tpm_crb_write(&f->crb, CRB_INTF_ID, 8, 0);
	assert_true(tpm_crb_read(&f->crb, CRB_INTF_ID, 8) == id);
}

static void test_control_area(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = LAYOUT_TPM_CRB_START + TPM_CRB_DATA_BUFFER;

	/* The ACPI TPM2 table points here (control area at base + 0x40). */
	assert_int_equal(CRB_CTRL_REQ, TPM_CRB_CTRL_AREA);
	assert_int_equal(rd(f, CRB_CTRL_CMD_SIZE), TPM_CRB_BUFFER_SIZE);
	assert_int_equal(rd(f, CRB_CTRL_RSP_SIZE), TPM_CRB_BUFFER_SIZE);
	assert_int_equal(rd(f, CRB_CTRL_CMD_LADDR), (uint32_t)buf);
	assert_int_equal(rd(f, CRB_CTRL_CMD_HADDR), (uint32_t)(buf >> 32));
	assert_true(tpm_crb_read(&f->crb, CRB_CTRL_RSP_ADDR, 8) == buf);
	/* The buffer ends with the locality's page. */
	assert_int_equal(TPM_CRB_DATA_BUFFER + TPM_CRB_BUFFER_SIZE, TPM_CRB_LOCALITY_SIZE);
	/* Read-only: a guest cannot point the buffer elsewhere. */
	wr(f, CRB_CTRL_CMD_SIZE, 0xffffffff);
	wr(f, CRB_CTRL_CMD_LADDR, 0x1000);
	assert_int_equal(rd(f, CRB_CTRL_CMD_SIZE), TPM_CRB_BUFFER_SIZE);
	assert_int_equal(rd(f, CRB_CTRL_CMD_LADDR), (uint32_t)buf);
}

static void test_locality(void **state)
{
	struct fixture *f = *state;

	locality0(f);
	assert_int_equal(rd(f, CRB_LOC_STATE) & (CRB_LOC_STATE_LOC_ASSIGNED | CRB_LOC_STATE_REG_VALID),
			 CRB_LOC_STATE_LOC_ASSIGNED | CRB_LOC_STATE_REG_VALID);
	assert_int_equal((rd(f, CRB_LOC_STATE) >> CRB_LOC_STATE_ACTIVE_SHIFT) & 7, 0);
	assert_int_equal(rd(f, CRB_LOC_STS), CRB_LOC_STS_GRANTED);
	/* Two requests at once are no request; seize is not locality 0's. */
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST_ACCESS | CRB_LOC_CTRL_RELINQUISH);
	assert_int_equal(rd(f, CRB_LOC_STS), CRB_LOC_STS_GRANTED);
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	assert_int_equal(rd(f, CRB_LOC_STATE) & CRB_LOC_STATE_LOC_ASSIGNED, 0);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_SEIZE);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
	/* LOC_CTRL is write-only. */
	assert_int_equal(rd(f, CRB_LOC_CTRL), 0);
}

static void test_other_localities(void **state)
{
	struct fixture *f = *state;

	/* Localities 1-4 are not there: registers invalid, writes dropped. */
	for (unsigned l = 1; l < TPM_CRB_LOCALITIES; l++) {
		uint64_t base = l * TPM_CRB_LOCALITY_SIZE;

		wr(f, base + CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST_ACCESS);
		assert_int_equal(rd(f, base + CRB_LOC_STATE), 0);
		assert_int_equal(rd(f, base + CRB_LOC_STS), 0);
	}
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
}

static void test_access_widths(void **state)
{
	struct fixture *f = *state;
	uint64_t id = tpm_crb_read(&f->crb, CRB_INTF_ID, 8);

	/* Every width reads the same bytes, at any alignment. */
	for (unsigned off = 0; off < 8; off++) {
		assert_int_equal(tpm_crb_read(&f->crb, CRB_INTF_ID + off, 1),
				 (id >> (8 * off)) & 0xff);
		if (off <= 6)
			assert_int_equal(tpm_crb_read(&f->crb, CRB_INTF_ID + off, 2),
					 (id >> (8 * off)) & 0xffff);
	}
	assert_int_equal(tpm_crb_read(&f->crb, CRB_INTF_ID + 4, 4), id >> 32);
	assert_int_equal(tpm_crb_read(&f->crb, CRB_INTF_ID + 2, 4), (id >> 16) & 0xffffffff);

	/* A byte write requests the locality; a word write relinquishes it. */
	tpm_crb_write(&f->crb, CRB_LOC_CTRL, 1, CRB_LOC_CTRL_REQUEST_ACCESS);
	assert_int_equal(tpm_crb_read(&f->crb, CRB_LOC_STS, 1), CRB_LOC_STS_GRANTED);
	tpm_crb_write(&f->crb, CRB_LOC_CTRL, 2, CRB_LOC_CTRL_RELINQUISH);
	assert_int_equal(tpm_crb_read(&f->crb, CRB_LOC_STS, 2), 0);
	/* A write to the register's upper byte sets no request bit. */
	tpm_crb_write(&f->crb, CRB_LOC_CTRL + 1, 1, CRB_LOC_CTRL_REQUEST_ACCESS);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
	/* A qword write covering LOC_CTRL and LOC_STS acts on LOC_CTRL. */
	tpm_crb_write(&f->crb, CRB_LOC_CTRL, 8, CRB_LOC_CTRL_REQUEST_ACCESS);
	assert_int_equal(rd(f, CRB_LOC_STS), CRB_LOC_STS_GRANTED);

	/* The data buffer in bytes, words, dwords and qwords. */
	tpm_crb_write(&f->crb, TPM_CRB_DATA_BUFFER, 8, 0x0807060504030201ULL);
	tpm_crb_write(&f->crb, TPM_CRB_DATA_BUFFER + 8, 1, 0x09);
	tpm_crb_write(&f->crb, TPM_CRB_DATA_BUFFER + 9, 2, 0x0b0a);
	assert_int_equal(tpm_crb_read(&f->crb, TPM_CRB_DATA_BUFFER + 1, 4), 0x05040302);
	assert_true(tpm_crb_read(&f->crb, TPM_CRB_DATA_BUFFER + 3, 8) == 0x0b0a090807060504ULL);
	assert_int_equal(tpm_crb_read(&f->crb, TPM_CRB_DATA_BUFFER + 10, 1), 0x0b);
}

static void test_buffer_edges(void **state)
{
	struct fixture *f = *state;
	uint64_t last = TPM_CRB_DATA_BUFFER + TPM_CRB_BUFFER_SIZE - 1;

	locality0(f);
	/* A qword straddling the end of the page writes only the buffer's
	 * last byte, and reads zeros past it. */
	tpm_crb_write(&f->crb, last, 8, 0xffffffffffffffffULL);
	assert_int_equal(f->crb.buffer[TPM_CRB_BUFFER_SIZE - 1], 0xff);
	assert_true(tpm_crb_read(&f->crb, last, 8) == 0xff);
	/* Beyond the buffer and the window: nothing. */
	tpm_crb_write(&f->crb, TPM_CRB_LOCALITY_SIZE, 4, 0xdeadbeef);
	tpm_crb_write(&f->crb, TPM_CRB_LOCALITIES * TPM_CRB_LOCALITY_SIZE - 4, 4, 0xdeadbeef);
	assert_int_equal(rd(f, TPM_CRB_LOCALITY_SIZE), 0);
	assert_true(f->crb.buffer_size == TPM_CRB_BUFFER_SIZE);
	/* Without the locality the buffer cannot be written. */
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	tpm_crb_write(&f->crb, TPM_CRB_DATA_BUFFER, 4, 0x11223344);
	assert_int_equal(rd(f, TPM_CRB_DATA_BUFFER), 0);
	/* Width 0 or above 8 is refused outright. */
	tpm_crb_write(&f->crb, CRB_LOC_CTRL, 16, CRB_LOC_CTRL_REQUEST_ACCESS);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);
	assert_true(tpm_crb_read(&f->crb, CRB_INTF_ID, 0) == 0);
}

static void test_command_cycle(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[12], rsp[TPM2_HEADER_SIZE];

	locality0(f);
	wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
	/* Ready at once: the request bit reads 0 and tpmIdle is clear. */
	assert_int_equal(rd(f, CRB_CTRL_REQ), 0);
	assert_int_equal(rd(f, CRB_CTRL_STS), 0);
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	put_buffer(f, cmd, sizeof(cmd));
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	assert_int_equal(f->be.submitted, 1);
	assert_int_equal(f->be.len, sizeof(cmd));
	assert_memory_equal(f->be.cmd, cmd, sizeof(cmd));
	assert_int_equal(rd(f, CRB_CTRL_START), CRB_CTRL_START_INVOKE);
	/* While it runs: a second start, goIdle and relinquish are ignored. */
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE);
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	assert_int_equal(f->be.submitted, 1);
	assert_int_equal(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_IDLE, 0);
	assert_int_equal(rd(f, CRB_LOC_STS), CRB_LOC_STS_GRANTED);
	/* Cancel reaches the backend and reads back as written. */
	wr(f, CRB_CTRL_CANCEL, CRB_CTRL_CANCEL_INVOKE);
	assert_int_equal(f->be.canceled, 1);
	assert_int_equal(rd(f, CRB_CTRL_CANCEL), CRB_CTRL_CANCEL_INVOKE);
	wr(f, CRB_CTRL_CANCEL, 0);

	/* A late answer of an older command is dropped. */
	tpm2_build_error_response(rsp, 0x101);
	tpm_crb_complete(&f->crb, f->be.seq - 1, rsp, sizeof(rsp));
	assert_int_equal(rd(f, CRB_CTRL_START), CRB_CTRL_START_INVOKE);
	tpm2_build_error_response(rsp, TPM_RC_SUCCESS);
	tpm_crb_complete(&f->crb, f->be.seq, rsp, sizeof(rsp));
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	assert_int_equal(rd(f, CRB_CTRL_STS), 0);
	for (unsigned i = 0; i < sizeof(rsp); i++)
		assert_int_equal(tpm_crb_read(&f->crb, TPM_CRB_DATA_BUFFER + i, 1), rsp[i]);
	wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE);
	assert_int_equal(rd(f, CRB_CTRL_STS), CRB_CTRL_STS_IDLE);
}

static void test_start_needs_locality(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[12];

	locality0(f);
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	put_buffer(f, cmd, sizeof(cmd));
	wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
	assert_int_equal(f->be.submitted, 0);
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	assert_int_equal(rd(f, CRB_CTRL_STS), CRB_CTRL_STS_IDLE);
}

/* Each hostile size gets TPM_RC_COMMAND_SIZE and never reaches swtpm. */
static void test_hostile_sizes(void **state)
{
	struct fixture *f = *state;
	static const uint32_t sizes[] = {
		0, 1, TPM2_HEADER_SIZE - 1, TPM_CRB_BUFFER_SIZE + 1, 4096, 0x7fffffff,
		0x80000000, 0xffffffff,
	};

	locality0(f);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t cmd[12], rsp[TPM2_HEADER_SIZE];
		uint32_t rc;

		startup_claiming(cmd, sizes[i]);
		put_buffer(f, cmd, sizeof(cmd));
		wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
		assert_int_equal(f->be.submitted, 0);
		assert_int_equal(rd(f, CRB_CTRL_START), 0);
		assert_int_equal(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, 0);
		for (unsigned j = 0; j < sizeof(rsp); j++)
			rsp[j] = (uint8_t)tpm_crb_read(&f->crb, TPM_CRB_DATA_BUFFER + j, 1);
		assert_int_equal(tpm2_response_code(rsp, sizeof(rsp), &rc), 0);
		assert_int_equal(rc, TPM_RC_COMMAND_SIZE);
	}
	/* The largest command that fits goes through whole. */
	startup_claiming(f->crb.buffer, TPM_CRB_BUFFER_SIZE);
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	assert_int_equal(f->be.submitted, 1);
	assert_int_equal(f->be.len, TPM_CRB_BUFFER_SIZE);
}

static void test_bad_responses(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[12], rsp[TPM_CRB_BUFFER_SIZE + 16];

	locality0(f);
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	put_buffer(f, cmd, sizeof(cmd));
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	/* Larger than the buffer: a fatal error, the buffer untouched. */
	memset(rsp, 0xaa, sizeof(rsp));
	tpm_put_be32(rsp + 2, sizeof(rsp));
	tpm_crb_complete(&f->crb, f->be.seq, rsp, sizeof(rsp));
	assert_int_equal(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, CRB_CTRL_STS_ERROR);
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	assert_memory_equal(f->crb.buffer, cmd, sizeof(cmd));
	/* After a fatal error no command starts, until a reset. */
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	assert_int_equal(f->be.submitted, 1);
	tpm_crb_reset(&f->crb, false);
	assert_int_equal(rd(f, CRB_CTRL_STS), CRB_CTRL_STS_IDLE);
	assert_int_equal(rd(f, CRB_LOC_STS), 0);

	/* A response whose header disagrees with its length. */
	locality0(f);
	put_buffer(f, cmd, sizeof(cmd));
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	tpm2_build_error_response(rsp, 0);
	tpm_crb_complete(&f->crb, f->be.seq, rsp, 9);
	assert_int_equal(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, CRB_CTRL_STS_ERROR);
}

static void test_backend_gone(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[12];

	locality0(f);
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	put_buffer(f, cmd, sizeof(cmd));
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	tpm_crb_fail(&f->crb);
	/* The guest sees the command end with an error, and never hangs. */
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	assert_int_equal(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, CRB_CTRL_STS_ERROR);
	wr(f, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	assert_int_equal(rd(f, CRB_CTRL_START), 0);
	assert_int_equal(f->be.submitted, 1);
}

static void test_init_checks(void **state)
{
	struct tpm_crb crb;

	(void)state;
	assert_int_equal(tpm_crb_init(&crb, 0, TPM_CRB_BUFFER_SIZE + 1, &fake_ops, NULL), -EINVAL);
	assert_int_equal(tpm_crb_init(&crb, 0, TPM2_HEADER_SIZE - 1, &fake_ops, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intf_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_localities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_needs_locality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_responses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_gone, setup, teardown),
		cmocka_unit_test(test_init_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
