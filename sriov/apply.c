// SPDX-License-Identifier: GPL-2.0-only
/*
 * One change to one VF as a transaction: read, write each attribute that
 * differs (one message each, so a refusal names its attribute), read back,
 * and on an error or a value that did not stick, put back what was written.
 */
#include "sriov/sriov.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!buf || !len)
		return;
	used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void describe(const struct sriov_apply_result *res, const struct sriov_vf_config *want,
		     int r, char *err, size_t errlen)
{
	char what[160];

	if (!err || !errlen)
		return;
	err[0] = '\0';
	if (res->failed < 0) {
		append(err, errlen, "cannot read the VF's attributes back: %s", strerror(-r));
	} else {
		enum sriov_attr a = (enum sriov_attr)res->failed;

		sriov_attr_describe(a, &res->before, want, what, sizeof(what));
		if (res->mismatch) {
			char got[160];

			sriov_attr_describe(a, want, &res->after, got, sizeof(got));
			append(err, errlen, "the driver accepted %s but reports %s", what, got);
		} else {
			append(err, errlen, "the driver refused %s: %s", what, strerror(-r));
		}
	}

	if (!res->written && !res->rollback_error) {
		append(err, errlen, "; nothing was changed");
		return;
	}
	for (int a = 0, first = 1; a < _SRIOV_ATTR_MAX; a++) {
		if (!(res->restored & SRIOV_ATTR_BIT(a)))
			continue;
		sriov_attr_describe((enum sriov_attr)a, want, &res->before, what, sizeof(what));
		append(err, errlen, "%s%s", first ? "; restored " : ", ", what);
		first = 0;
	}
	if (res->rollback_error)
		append(err, errlen, "; restoring the previous values failed too (%s), check with "
				    "'partvm sriov set' and fix by hand",
		       strerror(-res->rollback_error));
}

/* Put back the attributes in MASK in reverse order, then check that every
 * attribute in CHECK reads as it did before. */
static void rollback(struct sriov_nl *nl, int ifindex, unsigned vf, uint32_t mask, uint32_t check,
		     struct sriov_apply_result *res)
{
	int r;

	for (int a = _SRIOV_ATTR_MAX - 1; a >= 0; a--) {
		if (!(mask & SRIOV_ATTR_BIT(a)))
			continue;
		r = sriov_nl_write(nl, ifindex, vf, (enum sriov_attr)a, &res->before);
		if (r < 0) {
			if (!res->rollback_error)
				res->rollback_error = r;
			continue;
		}
		res->restored |= SRIOV_ATTR_BIT(a);
	}

	r = sriov_nl_read_vf(nl, ifindex, vf, &res->after);
	if (r < 0) {
		if (!res->rollback_error)
			res->rollback_error = r;
		return;
	}
	for (int a = 0; a < _SRIOV_ATTR_MAX; a++) {
		if (!(check & SRIOV_ATTR_BIT(a)))
			continue;
		if (sriov_attr_equal((enum sriov_attr)a, &res->before, &res->after))
			continue;
		res->restored &= ~SRIOV_ATTR_BIT(a);
		if (!res->rollback_error)
			res->rollback_error = -EIO;
	}
}

int sriov_vf_set(struct sriov_nl *nl, int ifindex, unsigned vf, const struct sriov_settings *s,
		 struct sriov_apply_result *res, char *err, size_t errlen)
{
	struct sriov_vf_config want;
	uint32_t check;
	int r;

	memset(res, 0, sizeof(*res));
	res->failed = -1;
	if (err && errlen)
		err[0] = '\0';

	r = sriov_nl_read_vf(nl, ifindex, vf, &res->before);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the VF's attributes: %s", strerror(-r));
		return r;
	}
	res->after = res->before;
	sriov_settings_merge(s, &res->before, &want);
	r = sriov_config_check(&want, err, errlen);
	if (r < 0) {
		res->bad_input = true;
		return r;
	}

	for (int a = 0; a < _SRIOV_ATTR_MAX; a++) {
		if (!(sriov_attr_keys((enum sriov_attr)a) & s->keys))
			continue;
		if (sriov_attr_equal((enum sriov_attr)a, &res->before, &want))
			continue;
		r = sriov_nl_write(nl, ifindex, vf, (enum sriov_attr)a, &want);
		if (r < 0) {
			res->failed = a;
			goto fail;
		}
		res->written |= SRIOV_ATTR_BIT(a);
	}
	if (!res->written)
		return 0;

	r = sriov_nl_read_vf(nl, ifindex, vf, &res->after);
	if (r < 0)
		goto fail;
	for (int a = 0; a < _SRIOV_ATTR_MAX; a++) {
		if (!(res->written & SRIOV_ATTR_BIT(a)))
			continue;
		if (!sriov_attr_equal((enum sriov_attr)a, &res->after, &want)) {
			res->failed = a;
			res->mismatch = true;
			r = -EIO;
			goto fail;
		}
	}
	return 0;

fail:
	/* A refused attribute is not written back (the driver would refuse
	 * its old value too), but it is checked: it must read as before. */
	check = res->written;
	if (res->failed >= 0)
		check |= SRIOV_ATTR_BIT(res->failed);
	rollback(nl, ifindex, vf, res->written, check, res);
	describe(res, &want, r, err, errlen);
	res->written = 0;
	return r;
}
