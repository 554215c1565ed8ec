// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: lbctl's argument parsing - the shared parsers of
 * user/cmd_util.c (parse_u32, parse_proto, parse_service), lb_addr_parse,
 * and the argument lists of `vip add|del` and `backend add|del|set`
 * (parse_vip_args, parse_be_args and the ADDR[:PORT] parser, static in
 * their files, which are included here for that). Nothing that opens a
 * map or a socket is called: the parsers stop before that.
 *
 * Input: byte 0 picks the parser and its options; the rest is the
 * argument vector, one argument per line (NUL also ends one).
 *
 * Properties, beyond "no crash, no sanitizer report":
 *  - parse_u32 takes exactly the decimal numbers min..max, without sign
 *    or blanks (it refuses "+5" and "-5", so " +5" must not pass either),
 *    and returns their value;
 *  - lb_addr_parse takes what inet_pton takes, and its text form parses
 *    back to the same address;
 *  - an accepted service, backend or VIP argument list gives values in
 *    range (family, port 1-65535, tcp/udp, weight 0-65535, a prime table
 *    size, a backend of the VIP's family on the VIP's port), and an
 *    accepted ADDR[:PORT] is not one that was cut to fit a buffer;
 *  - a refusal is a usage error (exit status 2);
 *  - in JSON mode (-j) the error document on stdout is valid JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "fuzz_common.h"

/* The parsers are static in their command files. */
#include "../user/cmd_vip.c"
#include "../user/cmd_backend.c"

FZ_REPORT_DEFINE;

#define MAX_ARGS	12

/* ---- a strict JSON reader (RFC 8259), enough to say valid or not ---- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'u') {
				int k;

				for (k = 0; k < 4; k++, p++)
					if (!isxdigit((unsigned char)*p))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return NULL;
			}
		}
	}
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

static const char *js_list(const char *p, char close, bool obj, int depth)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = js_string(js_ws(p));
			if (!p || *(p = js_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = js_value(p, depth + 1);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = js_ws(p);
	switch (*p) {
	case '{': return js_list(p, '}', true, depth);
	case '[': return js_list(p, ']', false, depth);
	case '"': return js_string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return js_number(p);
	}
}

/* Zero or more JSON documents, each followed by a newline. */
static bool json_valid(const char *s)
{
	while (*(s = js_ws(s))) {
		s = js_value(s, 0);
		if (!s)
			return false;
	}
	return true;
}

/* ARG with C escapes for non-printable bytes, for messages. */
static const char *esc(const char *s)
{
	static char buf[512];
	size_t n = 0;

	for (; s && *s && n + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
	}
	buf[n] = 0;
	return s ? buf : "(null)";
}

/* ---- reference models ---- */

/* What parse_u32 should take: [0-9]+ in min..max. */
static bool ref_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static const struct { uint32_t min, max; } ranges[] = {
	{ 1, 65535 }, { 0, 65535 }, { 1, 86400 * 365 }, { 3, LB_MAGLEV_SIZE_MAX },
	{ 0, UINT32_MAX }, { 5, 5 },
};

/* Numbers in an accepted argument list must be numbers for the model too. */
static void check_num(const char *what, const char *val, uint32_t min, uint32_t max,
		      uint32_t got)
{
	uint32_t want;

	if (!ref_u32(val, min, max, &want)) {
		FZ_ASSERT(false, "%s \"%s\" accepted as %u", what,
				esc(val), got);
		return;
	}
	FZ_ASSERT(want == got, "%s \"%s\" read as %u", what, esc(val), got);
}

static void check_key(const struct lb_svc_key *k)
{
	char buf[96];

	FZ_ASSERT(k->family == LB_AF_INET || k->family == LB_AF_INET6, "family %u", k->family);
	FZ_ASSERT(k->port != 0, "port 0");
	FZ_ASSERT(k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP, "proto %u", k->proto);
	if (k->family == LB_AF_INET)
		FZ_ASSERT(!k->addr[1] && !k->addr[2] && !k->addr[3], "IPv4 key with high bytes");
	svc_str(k, buf, sizeof(buf));
	FZ_ASSERT(strlen(buf) > 0, "empty svc_str");
}

static void check_addr(const char *s)
{
	uint8_t addr[16], again[16], want[16];
	char text[64];
	int family, fam2, rc;

	rc = lb_addr_parse(s, &family, addr);
	memset(want, 0, sizeof(want));
	if (inet_pton(AF_INET, s, want) == 1) {
		FZ_ASSERT(!rc && family == LB_AF_INET && !memcmp(addr, want, 16),
			  "IPv4 '%s' not parsed as inet_pton does", s);
	} else if (inet_pton(AF_INET6, s, want) == 1) {
		FZ_ASSERT(!rc && family == LB_AF_INET6 && !memcmp(addr, want, 16),
			  "IPv6 '%s' not parsed as inet_pton does", s);
	} else {
		FZ_ASSERT(rc == -EINVAL, "'%s' accepted (%d)", s, rc);
		return;
	}
	lb_addr_str(family, addr, text, sizeof(text));
	FZ_ASSERT(!lb_addr_parse(text, &fam2, again) && fam2 == family &&
		  !memcmp(addr, again, 16), "'%s' -> '%s' does not parse back", s, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { .prog = "lbctl" };
	char *argv[MAX_ARGS + 1] = { 0 }, *buf, *p, *out = NULL;
	size_t out_len = 0;
	FILE *mem = NULL, *saved;
	uint8_t sel;
	int argc = 0, rc = 0;
	uint32_t v, rv;

	fz_init();
	saved = stdout;
	if (!size)
		return 0;
	sel = data[0];
	buf = malloc(size);
	FZ_ASSERT(buf, "out of memory");
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	/* split into arguments at newlines (NUL ends one too) */
	for (p = buf; argc < MAX_ARGS && p < buf + size - 1;) {
		char *nl = memchr(p, '\n', (size_t)(buf + size - 1 - p));

		if (nl)
			*nl = 0;
		argv[argc++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	argv[argc] = NULL;

	c.json = sel & 0x80;
	if (c.json) {
		mem = open_memstream(&out, &out_len);
		FZ_ASSERT(mem, "open_memstream");
		stdout = mem;
	}

	switch (sel & 7) {
	case 0: {	/* parse_u32 against the model */
		int r = parse_u32(argv[0], ranges[(sel >> 3) % 6].min, ranges[(sel >> 3) % 6].max, &v);
		bool want = ref_u32(argv[0], ranges[(sel >> 3) % 6].min,
				    ranges[(sel >> 3) % 6].max, &rv);

		FZ_ASSERT(!r == want, "parse_u32(\"%s\", %u, %u) = %d, expected %s", esc(argv[0]),
			  ranges[(sel >> 3) % 6].min, ranges[(sel >> 3) % 6].max, r,
			  want ? "accepted" : "refused");
		if (!r && want)
			FZ_ASSERT(v == rv, "parse_u32(\"%s\") = %u, expected %u", esc(argv[0]), v, rv);
		break;
	}
	case 1: {
		uint8_t proto = 0;
		int r = parse_proto(argv[0], &proto);

		if (!r)
			FZ_ASSERT(proto == IPPROTO_TCP || proto == IPPROTO_UDP, "proto %u", proto);
		else
			FZ_ASSERT(r == -EINVAL, "parse_proto %d", r);
		break;
	}
	case 2:
		if (argv[0])
			check_addr(argv[0]);
		break;
	case 3: {
		struct lb_svc_key k;

		if (argc < 3)
			break;
		rc = parse_service(&c, argv, &k);
		if (!rc) {
			check_key(&k);
			check_num("port", argv[1], 1, 65535, ntohs(k.port));
		}
		break;
	}
	case 4:
	case 5: {	/* backend add|set (weight) / del */
		struct be_args a;
		bool with_weight = (sel & 7) == 4;

		rc = parse_be_args(&c, argc, argv, &a, with_weight);
		if (rc)
			break;
		check_key(&a.key);
		check_num("port", argv[1], 1, 65535, ntohs(a.key.port));
		/* walk the options as the parser does; the last weight counts */
		{
			const char *w = NULL;
			int i;

			for (i = 4; i < argc; i++) {
				if (streq(argv[i], "weight") && with_weight)
					w = argv[++i];
				else if (streq(argv[i], "dev"))
					i++;
			}
			if (w)
				check_num("weight", w, 0, 65535, a.weight);
		}
		FZ_ASSERT(a.family == a.key.family, "backend family %d, VIP %u", a.family,
			  a.key.family);
		FZ_ASSERT(a.weight <= 65535, "weight %u", a.weight);
		/* del takes [weight N] as DESIGN's grammar has it, and ignores it */
		FZ_ASSERT(with_weight || !a.sorry, "sorry taken by del");
		FZ_ASSERT(strlen(argv[3]) < 80, "ADDR[:PORT] of %zu bytes accepted: \"%s\"",
			  strlen(argv[3]), esc(argv[3]));
		break;
	}
	case 6:
	case 7: {	/* vip add / del */
		struct vip_args a;
		bool with_opts = (sel & 7) == 6;

		rc = parse_vip_args(&c, argc, argv, &a, with_opts);
		if (rc)
			break;
		check_key(&a.key);
		check_num("port", argv[1], 1, 65535, ntohs(a.key.port));
		{
			const char *t = NULL, *ts = NULL;
			int i;

			for (i = 3; i < argc; i++) {
				if (streq(argv[i], "dev") || (with_opts && streq(argv[i], "sched")))
					i++;
				else if (with_opts && (streq(argv[i], "persistence") ||
						       streq(argv[i], "timeout")))
					t = argv[++i];
				else if (with_opts && streq(argv[i], "table-size"))
					ts = argv[++i];
			}
			if (t)
				check_num("timeout", t, 1, 86400 * 365, a.opts.timeout_s);
			if (ts)
				check_num("table-size", ts, 3, LB_MAGLEV_SIZE_MAX, a.opts.table_size);
		}
		FZ_ASSERT(!a.opts.table_size || (a.opts.table_size >= 3 &&
						 a.opts.table_size <= LB_MAGLEV_SIZE_MAX &&
						 maglev_is_prime(a.opts.table_size)),
			  "table size %u", a.opts.table_size);
		FZ_ASSERT(a.opts.timeout_s <= 86400 * 365, "timeout %u", a.opts.timeout_s);
		FZ_ASSERT(with_opts || (!a.opts.table_size && !a.opts.timeout_s &&
					!a.opts.flags), "options taken by del");
		break;
	}
	}
	FZ_ASSERT(rc == 0 || rc == EXIT_USAGE, "parser returned %d, not a usage error", rc);

	if (mem) {
		stdout = saved;
		fclose(mem);
		FZ_ASSERT(json_valid(out), "invalid JSON on stdout: %s", out);
		if (rc)
			FZ_ASSERT(strstr(out, "{\"error\":"), "JSON error document missing: %s", out);
		free(out);
	}
	free(buf);
	return 0;
}
