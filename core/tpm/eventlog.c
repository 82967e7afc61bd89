// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/eventlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"

/* PC Client PFP 10.4.5.1, TCG_EfiSpecIDEventStruct. */
static const char spec_id_signature[16] = "Spec ID Event03";
#define SPEC_PLATFORM_CLIENT  0
#define SPEC_VERSION_MAJOR    2
#define SPEC_VERSION_MINOR    0
#define SPEC_ERRATA           0
#define SPEC_UINTN_SIZE_64    2       /* UINTN is 64 bits */
#define SHA1_DIGEST_SIZE      20      /* TCG_PCR_EVENT's digest */

const char *tpm_event_type_name(uint32_t type)
{
	switch (type) {
	case EV_NO_ACTION: return "EV_NO_ACTION";
	case EV_SEPARATOR: return "EV_SEPARATOR";
	case EV_S_CRTM_VERSION: return "EV_S_CRTM_VERSION";
	case EV_PLATFORM_CONFIG_FLAGS: return "EV_PLATFORM_CONFIG_FLAGS";
	case EV_IPL: return "EV_IPL";
	default: return NULL;
	}
}

/* A bounded little-endian writer: after an overflow it only counts. */
struct writer {
	uint8_t *buf;
	size_t cap, pos;
};

static void put(struct writer *w, const void *p, size_t len)
{
	if (w->pos <= w->cap && len <= w->cap - w->pos)
		memcpy(w->buf + w->pos, p, len);
	w->pos += len;
}

static void put_le(struct writer *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, bytes);
}

int tpm_eventlog_write(const struct tpm_banks *banks, const struct tpm_event *ev, size_t n,
		       uint8_t *buf, size_t cap)
{
	static const uint8_t zero[SHA1_DIGEST_SIZE];
	struct writer w = { buf, cap, 0 };

	if (!banks->n || banks->n > TPM_MAX_BANKS)
		return -EINVAL;
	for (unsigned i = 0; i < banks->n; i++)
		if (!tpm_alg_size(banks->alg[i]))
			return -EOPNOTSUPP;

	/* The header, TCG_PCR_EVENT: PCR 0, EV_NO_ACTION, a zero SHA-1. */
	put_le(&w, 0, 4);
	put_le(&w, EV_NO_ACTION, 4);
	put(&w, zero, sizeof(zero));
	put_le(&w, sizeof(spec_id_signature) + 4 + 4 + 4 + 4 * banks->n + 1, 4);
	put(&w, spec_id_signature, sizeof(spec_id_signature));
	put_le(&w, SPEC_PLATFORM_CLIENT, 4);
	put_le(&w, SPEC_VERSION_MINOR, 1);
	put_le(&w, SPEC_VERSION_MAJOR, 1);
	put_le(&w, SPEC_ERRATA, 1);
	put_le(&w, SPEC_UINTN_SIZE_64, 1);
	put_le(&w, banks->n, 4);
	for (unsigned i = 0; i < banks->n; i++) {
		put_le(&w, banks->alg[i], 2);
		put_le(&w, tpm_alg_size(banks->alg[i]), 2);
	}
	put_le(&w, 0, 1);                       /* vendorInfoSize */

	/* TCG_PCR_EVENT2: PCR, type, TPML_DIGEST_VALUES, size, data. */
	for (size_t e = 0; e < n; e++) {
		put_le(&w, ev[e].pcr, 4);
		put_le(&w, ev[e].type, 4);
		put_le(&w, banks->n, 4);
		for (unsigned i = 0; i < banks->n; i++) {
			put_le(&w, banks->alg[i], 2);
			put(&w, ev[e].digest[i], tpm_alg_size(banks->alg[i]));
		}
		put_le(&w, ev[e].len, 4);
		put(&w, ev[e].data, ev[e].len);
	}
	if (w.pos > cap || w.pos > INT32_MAX)
		return -ENOSPC;
	return (int)w.pos;
}

/* A bounded little-endian reader: every get fails once the data runs out. */
struct reader {
	const uint8_t *buf;
	size_t len, pos;
};

static bool get(struct reader *r, const uint8_t **p, size_t len)
{
	if (len > r->len - r->pos)
		return false;
	*p = r->buf + r->pos;
	r->pos += len;
	return true;
}

static bool get_le(struct reader *r, unsigned bytes, uint64_t *v)
{
	const uint8_t *p;

	if (!get(r, &p, bytes))
		return false;
	*v = 0;
	for (unsigned i = 0; i < bytes; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return true;
}

static int bad(const char **why, const char *msg)
{
	*why = msg;
	return -EBADMSG;
}

static int parse_header(struct reader *r, struct tpm_banks *banks, const char **why)
{
	const uint8_t *digest, *sig;
	uint64_t pcr, type, size, nalg, v;
	struct reader spec;

	if (!get_le(r, 4, &pcr) || !get_le(r, 4, &type) || !get(r, &digest, SHA1_DIGEST_SIZE) ||
	    !get_le(r, 4, &size))
		return bad(why, "truncated header event");
	if (pcr != 0 || type != EV_NO_ACTION)
		return bad(why, "the first event is not the EV_NO_ACTION header of PCR 0");
	for (unsigned i = 0; i < SHA1_DIGEST_SIZE; i++)
		if (digest[i])
			return bad(why, "the header event's digest is not zero");
	if (size > r->len - r->pos)
		return bad(why, "the header event runs past the end of the log");
	spec = (struct reader){ r->buf + r->pos, size, 0 };
	r->pos += size;

	if (!get(&spec, &sig, sizeof(spec_id_signature)) ||
	    memcmp(sig, spec_id_signature, sizeof(spec_id_signature)))
		return bad(why, "no Spec ID Event03 (not a crypto-agile TCG2 log)");
	/* platformClass, version minor/major, errata, uintnSize. */
	if (!get_le(&spec, 4, &v) || !get_le(&spec, 4, &v) || !get_le(&spec, 4, &nalg))
		return bad(why, "truncated Spec ID event");
	if (nalg == 0 || nalg > TPM_MAX_BANKS)
		return bad(why, "the Spec ID event lists no algorithms, or too many");
	banks->n = 0;
	for (unsigned i = 0; i < nalg; i++) {
		uint64_t alg, dsize;

		if (!get_le(&spec, 2, &alg) || !get_le(&spec, 2, &dsize))
			return bad(why, "truncated Spec ID algorithm list");
		if (!tpm_alg_size((uint16_t)alg)) {
			*why = "the log has a bank whose algorithm partvm cannot hash";
			return -EOPNOTSUPP;
		}
		if (dsize != tpm_alg_size((uint16_t)alg))
			return bad(why, "the Spec ID event gives a wrong digest size");
		for (unsigned j = 0; j < banks->n; j++)
			if (banks->alg[j] == alg)
				return bad(why, "the Spec ID event lists an algorithm twice");
		banks->alg[banks->n++] = (uint16_t)alg;
	}
	if (!get_le(&spec, 1, &v) || v > spec.len - spec.pos)
		return bad(why, "truncated Spec ID vendor information");
	return 0;
}

/* One TCG_PCR_EVENT2; returns 1 at the zero padding that ends the log. */
static int parse_event(struct reader *r, const struct tpm_banks *banks, struct tpm_event *ev,
		       const char **why)
{
	uint64_t pcr, type, count, len;
	bool seen[TPM_MAX_BANKS] = { false };

	if (r->len - r->pos < 12) {
		for (size_t i = r->pos; i < r->len; i++)
			if (r->buf[i])
				return bad(why, "truncated event");
		return 1;
	}
	if (!get_le(r, 4, &pcr) || !get_le(r, 4, &type) || !get_le(r, 4, &count))
		return bad(why, "truncated event");
	if (type == 0 && count == 0)
		return 1;
	if (pcr >= TPM_MAX_PCRS)
		return bad(why, "an event names a PCR above 23");
	if (count != banks->n)
		return bad(why, "an event does not have one digest per bank");
	memset(ev, 0, sizeof(*ev));
	ev->pcr = (uint32_t)pcr;
	ev->type = (uint32_t)type;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *d;
		uint64_t alg;
		unsigned b;

		if (!get_le(r, 2, &alg))
			return bad(why, "truncated digest");
		for (b = 0; b < banks->n && banks->alg[b] != alg; b++)
			;
		if (b == banks->n || seen[b])
			return bad(why, "an event has a digest for a bank the header does not list, or two");
		seen[b] = true;
		if (!get(r, &d, tpm_alg_size((uint16_t)alg)))
			return bad(why, "truncated digest");
		memcpy(ev->digest[b], d, tpm_alg_size((uint16_t)alg));
	}
	if (!get_le(r, 4, &len) || !get(r, &ev->data, len))
		return bad(why, "an event's data runs past the end of the log");
	ev->len = (uint32_t)len;
	return 0;
}

int tpm_eventlog_parse(const uint8_t *buf, size_t len, struct tpm_eventlog *log,
		       const char **why)
{
	struct reader r = { buf, len, 0 };
	size_t cap = 0;
	int ret;

	memset(log, 0, sizeof(*log));
	ret = parse_header(&r, &log->banks, why);
	if (ret < 0)
		return ret;
	for (;;) {
		struct tpm_event ev;
		size_t start = r.pos;

		ret = parse_event(&r, &log->banks, &ev, why);
		if (ret < 0) {
			tpm_eventlog_free(log);
			return ret;
		}
		if (ret == 1) {
			r.pos = start;
			break;
		}
		if (log->n == cap) {
			struct tpm_event *p;

			cap = cap ? 2 * cap : 16;
			p = reallocarray(log->ev, cap, sizeof(*p));
			if (!p) {
				tpm_eventlog_free(log);
				return -ENOMEM;
			}
			log->ev = p;
		}
		log->ev[log->n++] = ev;
	}
	log->size = r.pos;
	return 0;
}

void tpm_eventlog_free(struct tpm_eventlog *log)
{
	free(log->ev);
	log->ev = NULL;
	log->n = 0;
}

int tpm_eventlog_replay(const struct tpm_event *ev, size_t n, unsigned bank, uint16_t alg,
			uint32_t pcr, uint8_t *out)
{
	/* One load for every extend below. */
	_cleanup_(gcrypt_unloadp) struct gcrypt g = { 0 };
	int r;

	if (bank >= TPM_MAX_BANKS || !tpm_alg_size(alg))
		return -EINVAL;
	r = gcrypt_load(&g);
	if (r < 0)
		return r;
	memset(out, 0, tpm_alg_size(alg));
	for (size_t i = 0; i < n; i++) {
		if (ev[i].pcr != pcr || ev[i].type == EV_NO_ACTION)
			continue;
		r = tpm_extend(alg, out, ev[i].digest[bank]);
		if (r < 0)
			return r;
	}
	return 0;
}
