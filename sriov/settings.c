// SPDX-License-Identifier: GPL-2.0-only
/*
 * The key=value parser shared by `partvm sriov set`, a partition's
 * [sriov "name"] sections and the host config, and the small tables that
 * map keys to the netlink attributes that carry them.
 */
#include "sriov/sriov.h"
#include "sriov/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util/cleanup.h"

static const char *const key_names[_SRIOV_KEY_MAX] = {
	[SRIOV_KEY_MAC] = "mac",
	[SRIOV_KEY_VLAN] = "vlan",
	[SRIOV_KEY_QOS] = "qos",
	[SRIOV_KEY_VLAN_PROTO] = "vlan-proto",
	[SRIOV_KEY_SPOOFCHK] = "spoofchk",
	[SRIOV_KEY_TRUST] = "trust",
	[SRIOV_KEY_LINK_STATE] = "link-state",
	[SRIOV_KEY_MIN_RATE] = "min-rate",
	[SRIOV_KEY_MAX_RATE] = "max-rate",
	[SRIOV_KEY_QUERY_RSS] = "query-rss",
};

/* 802.1Q: VLAN 4095 is reserved, the PCP field has 3 bits. */
#define VLAN_ID_MAX 4094
#define QOS_MAX 7

static const char *const link_state_names[] = {
	[IFLA_VF_LINK_STATE_AUTO] = "auto",
	[IFLA_VF_LINK_STATE_ENABLE] = "enable",
	[IFLA_VF_LINK_STATE_DISABLE] = "disable",
};

const char *sriov_key_name(enum sriov_key k)
{
	return k < _SRIOV_KEY_MAX ? key_names[k] : "?";
}

const char *sriov_link_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(link_state_names) ? link_state_names[state] : "unknown";
}

const char *sriov_vlan_proto_name(uint16_t proto)
{
	switch (proto) {
	case ETH_P_8021Q:
		return "802.1Q";
	case ETH_P_8021AD:
		return "802.1ad";
	default:
		return "unknown";
	}
}

const char *sriov_format_mac(const uint8_t mac[ETH_ALEN], char buf[SRIOV_MAC_STRLEN])
{
	snprintf(buf, SRIOV_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

int sriov_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int sriov_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	if (strlen(s) != SRIOV_MAC_STRLEN - 1)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0 || (i < ETH_ALEN - 1 && p[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_number_key(const char *key, const char *value, uint64_t max, const char *what,
			    uint64_t *out, char *err, size_t errlen)
{
	int r = sriov_parse_uint(value, max, out);

	if (r == -ERANGE)
		return sriov_fail(err, errlen, -EINVAL, "%s: %s is above %" PRIu64 "%s", key, value, max,
			    what);
	if (r < 0)
		return sriov_fail(err, errlen, -EINVAL, "%s: '%s' is not a number%s", key, value, what);
	return 0;
}

static int find_key(const char *key)
{
	for (int k = 0; k < _SRIOV_KEY_MAX; k++)
		if (!strcmp(key, key_names[k]))
			return k;
	return -ENOENT;
}

int sriov_parse_setting(struct sriov_settings *s, const char *key, const char *value,
			char *err, size_t errlen)
{
	struct sriov_vf_config *c = &s->cfg;
	char macbuf[SRIOV_MAC_STRLEN];
	uint64_t v;
	int k, b, r;

	k = find_key(key);
	if (k < 0)
		return sriov_fail(err, errlen, -ENOENT,
			    "unknown key '%s' (known: mac, vlan, qos, vlan-proto, spoofchk, trust, "
			    "link-state, min-rate, max-rate, query-rss)",
			    key);

	switch (k) {
	case SRIOV_KEY_MAC:
		if (parse_mac(value, c->mac) < 0)
			return sriov_fail(err, errlen, -EINVAL,
				    "mac: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", value);
		if (!memcmp(c->mac, "\xff\xff\xff\xff\xff\xff", ETH_ALEN))
			return sriov_fail(err, errlen, -EINVAL, "mac: %s is the broadcast address",
				    sriov_format_mac(c->mac, macbuf));
		/* IEEE 802: the I/G bit (bit 0 of the first octet) marks a group address. */
		if (c->mac[0] & 0x01)
			return sriov_fail(err, errlen, -EINVAL, "mac: %s is a multicast address",
				    sriov_format_mac(c->mac, macbuf));
		break;
	case SRIOV_KEY_VLAN:
		r = parse_number_key(key, value, VLAN_ID_MAX, "", &v, err, errlen);
		if (r < 0)
			return r;
		c->vlan = (uint16_t)v;
		break;
	case SRIOV_KEY_QOS:
		r = parse_number_key(key, value, QOS_MAX, "", &v, err, errlen);
		if (r < 0)
			return r;
		c->qos = (uint8_t)v;
		break;
	case SRIOV_KEY_VLAN_PROTO:
		if (!strcasecmp(value, "802.1Q"))
			c->vlan_proto = ETH_P_8021Q;
		else if (!strcasecmp(value, "802.1ad"))
			c->vlan_proto = ETH_P_8021AD;
		else
			return sriov_fail(err, errlen, -EINVAL,
				    "vlan-proto: '%s' is neither 802.1Q nor 802.1ad", value);
		break;
	case SRIOV_KEY_SPOOFCHK:
	case SRIOV_KEY_TRUST:
	case SRIOV_KEY_QUERY_RSS:
		b = parse_bool(value);
		if (b < 0)
			return sriov_fail(err, errlen, -EINVAL,
				    "%s: '%s' is not a boolean (on/off, yes/no, true/false, 1/0)",
				    key, value);
		if (k == SRIOV_KEY_SPOOFCHK)
			c->spoofchk = (int8_t)b;
		else if (k == SRIOV_KEY_TRUST)
			c->trust = (int8_t)b;
		else
			c->query_rss = (int8_t)b;
		break;
	case SRIOV_KEY_LINK_STATE:
		for (b = 0; b < (int)ARRAY_SIZE(link_state_names); b++)
			if (!strcasecmp(value, link_state_names[b]))
				break;
		if (b == (int)ARRAY_SIZE(link_state_names))
			return sriov_fail(err, errlen, -EINVAL,
				    "link-state: '%s' is not auto, enable or disable", value);
		c->link_state = (uint32_t)b;
		break;
	case SRIOV_KEY_MIN_RATE:
	case SRIOV_KEY_MAX_RATE:
		r = parse_number_key(key, value, UINT32_MAX, " (Mbit/s)", &v, err, errlen);
		if (r < 0)
			return r;
		if (k == SRIOV_KEY_MIN_RATE)
			c->min_rate = (uint32_t)v;
		else
			c->max_rate = (uint32_t)v;
		break;
	}
	s->keys |= SRIOV_KEY_BIT(k);
	return 0;
}

int sriov_parse_assignment(struct sriov_settings *s, const char *word, char *err, size_t errlen)
{
	const char *eq = strchr(word, '=');
	_cleanup_free_ char *key = NULL;

	if (!eq || eq == word)
		return sriov_fail(err, errlen, -EINVAL, "'%s' is not key=value", word);
	key = strndup(word, (size_t)(eq - word));
	if (!key)
		return sriov_fail(err, errlen, -ENOMEM, "out of memory");
	return sriov_parse_setting(s, key, eq + 1, err, errlen);
}

void sriov_settings_merge(const struct sriov_settings *s, const struct sriov_vf_config *cur,
			  struct sriov_vf_config *out)
{
	const struct sriov_vf_config *n = &s->cfg;
	struct sriov_vf_config o = *cur;

#define TAKE(key, field)                            \
	do {                                        \
		if (s->keys & SRIOV_KEY_BIT(key))   \
			o.field = n->field;         \
	} while (0)
	if (s->keys & SRIOV_KEY_BIT(SRIOV_KEY_MAC))
		memcpy(o.mac, n->mac, ETH_ALEN);
	TAKE(SRIOV_KEY_VLAN, vlan);
	TAKE(SRIOV_KEY_QOS, qos);
	TAKE(SRIOV_KEY_VLAN_PROTO, vlan_proto);
	TAKE(SRIOV_KEY_SPOOFCHK, spoofchk);
	TAKE(SRIOV_KEY_TRUST, trust);
	TAKE(SRIOV_KEY_LINK_STATE, link_state);
	TAKE(SRIOV_KEY_MIN_RATE, min_rate);
	TAKE(SRIOV_KEY_MAX_RATE, max_rate);
	TAKE(SRIOV_KEY_QUERY_RSS, query_rss);
#undef TAKE
	*out = o;
}

int sriov_config_check(const struct sriov_vf_config *c, char *err, size_t errlen)
{
	/* A max-rate of 0 means "no limit", so any guarantee fits under it. */
	if (c->max_rate && c->min_rate > c->max_rate)
		return sriov_fail(err, errlen, -EINVAL, "min-rate: %u is above max-rate %u (Mbit/s)",
			    c->min_rate, c->max_rate);
	return 0;
}

void sriov_settings_neutral(struct sriov_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->keys = SRIOV_KEY_BIT(SRIOV_KEY_MAC) | SRIOV_KEY_BIT(SRIOV_KEY_VLAN) |
		  SRIOV_KEY_BIT(SRIOV_KEY_QOS) | SRIOV_KEY_BIT(SRIOV_KEY_VLAN_PROTO) |
		  SRIOV_KEY_BIT(SRIOV_KEY_TRUST) | SRIOV_KEY_BIT(SRIOV_KEY_SPOOFCHK) |
		  SRIOV_KEY_BIT(SRIOV_KEY_MIN_RATE) | SRIOV_KEY_BIT(SRIOV_KEY_MAX_RATE);
	s->cfg.vlan_proto = ETH_P_8021Q;
	s->cfg.trust = 0;
	s->cfg.spoofchk = 1;
}

static int format_bool(int8_t b, char *buf, size_t len)
{
	return snprintf(buf, len, "%s", b < 0 ? "unsupported" : b ? "on" : "off");
}

int sriov_format_key(const struct sriov_vf_config *c, enum sriov_key k, char *buf, size_t len)
{
	char mac[SRIOV_MAC_STRLEN];
	int n;

	switch (k) {
	case SRIOV_KEY_MAC:
		n = snprintf(buf, len, "%s", sriov_format_mac(c->mac, mac));
		break;
	case SRIOV_KEY_VLAN:
		n = snprintf(buf, len, "%u", c->vlan);
		break;
	case SRIOV_KEY_QOS:
		n = snprintf(buf, len, "%u", c->qos);
		break;
	case SRIOV_KEY_VLAN_PROTO:
		n = snprintf(buf, len, "%s", sriov_vlan_proto_name(c->vlan_proto));
		break;
	case SRIOV_KEY_SPOOFCHK:
		n = format_bool(c->spoofchk, buf, len);
		break;
	case SRIOV_KEY_TRUST:
		n = format_bool(c->trust, buf, len);
		break;
	case SRIOV_KEY_QUERY_RSS:
		n = format_bool(c->query_rss, buf, len);
		break;
	case SRIOV_KEY_LINK_STATE:
		n = snprintf(buf, len, "%s", sriov_link_state_name(c->link_state));
		break;
	case SRIOV_KEY_MIN_RATE:
		n = snprintf(buf, len, "%u", c->min_rate);
		break;
	case SRIOV_KEY_MAX_RATE:
		n = snprintf(buf, len, "%u", c->max_rate);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

uint32_t sriov_attr_keys(enum sriov_attr a)
{
	switch (a) {
	case SRIOV_ATTR_MAC:
		return SRIOV_KEY_BIT(SRIOV_KEY_MAC);
	case SRIOV_ATTR_VLAN:
		return SRIOV_KEY_BIT(SRIOV_KEY_VLAN) | SRIOV_KEY_BIT(SRIOV_KEY_QOS) |
		       SRIOV_KEY_BIT(SRIOV_KEY_VLAN_PROTO);
	case SRIOV_ATTR_SPOOFCHK:
		return SRIOV_KEY_BIT(SRIOV_KEY_SPOOFCHK);
	case SRIOV_ATTR_TRUST:
		return SRIOV_KEY_BIT(SRIOV_KEY_TRUST);
	case SRIOV_ATTR_LINK_STATE:
		return SRIOV_KEY_BIT(SRIOV_KEY_LINK_STATE);
	case SRIOV_ATTR_RATE:
		return SRIOV_KEY_BIT(SRIOV_KEY_MIN_RATE) | SRIOV_KEY_BIT(SRIOV_KEY_MAX_RATE);
	case SRIOV_ATTR_QUERY_RSS:
		return SRIOV_KEY_BIT(SRIOV_KEY_QUERY_RSS);
	default:
		return 0;
	}
}

static bool key_equal(enum sriov_key k, const struct sriov_vf_config *x,
		      const struct sriov_vf_config *y)
{
	char a[SRIOV_MAC_STRLEN], b[SRIOV_MAC_STRLEN];

	/* Compare what the user sees: two configs are equal when every key
	 * formats the same. */
	if (sriov_format_key(x, k, a, sizeof(a)) < 0 || sriov_format_key(y, k, b, sizeof(b)) < 0)
		return false;
	return !strcmp(a, b);
}

bool sriov_attr_equal(enum sriov_attr a, const struct sriov_vf_config *x,
		      const struct sriov_vf_config *y)
{
	uint32_t keys = sriov_attr_keys(a);

	for (int k = 0; k < _SRIOV_KEY_MAX; k++)
		if ((keys & SRIOV_KEY_BIT(k)) && !key_equal((enum sriov_key)k, x, y))
			return false;
	return true;
}

void sriov_attr_describe(enum sriov_attr a, const struct sriov_vf_config *from,
			 const struct sriov_vf_config *to, char *buf, size_t len)
{
	uint32_t keys = sriov_attr_keys(a), differ = 0;
	size_t used = 0;

	for (int k = 0; k < _SRIOV_KEY_MAX; k++)
		if ((keys & SRIOV_KEY_BIT(k)) && !key_equal((enum sriov_key)k, from, to))
			differ |= SRIOV_KEY_BIT(k);
	if (!differ)
		differ = keys;
	if (len)
		buf[0] = '\0';
	for (int k = 0; k < _SRIOV_KEY_MAX && used < len; k++) {
		char val[SRIOV_MAC_STRLEN];
		int n;

		if (!(differ & SRIOV_KEY_BIT(k)))
			continue;
		if (sriov_format_key(to, (enum sriov_key)k, val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "?");
		n = snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "", key_names[k], val);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
