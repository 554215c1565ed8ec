// SPDX-License-Identifier: GPL-2.0
/*
 * MD5 as RFC 1321 defines it, for HTTP_GET's `digest` (keepalived's
 * genhash prints the same hex string). Small and dependency-free: the
 * digest is a content check here, not a security measure.
 */
#include <stdio.h>
#include <string.h>

#include "chk.h"

/* floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4 */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* per-round rotation amounts, four per round */
static const uint8_t md5_r[4][4] = {
	{ 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

static uint32_t rol(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

static void md5_block(uint32_t h[4], const uint8_t *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
	int i;

	/* the message is little-endian 32-bit words, whatever the host is */
	for (i = 0; i < 16; i++)
		w[i] = p[4 * i] | p[4 * i + 1] << 8 | p[4 * i + 2] << 16 |
		       (uint32_t)p[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		int round = i / 16;
		uint32_t f, tmp;
		int g;

		switch (round) {
		case 0:
			f = (b & c) | (~b & d);
			g = i;
			break;
		case 1:
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
			break;
		}
		tmp = d;
		d = c;
		c = b;
		b = b + rol(a + f + md5_k[i] + w[g], md5_r[round][i % 4]);
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void chk_md5_init(struct chk_md5 *m)
{
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->len = 0;
}

void chk_md5_update(struct chk_md5 *m, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used = m->len % 64;

	m->len += len;
	if (used) {
		size_t n = 64 - used < len ? 64 - used : len;

		memcpy(m->block + used, p, n);
		p += n;
		len -= n;
		if (used + n < 64)
			return;
		md5_block(m->h, m->block);
	}
	for (; len >= 64; p += 64, len -= 64)
		md5_block(m->h, p);
	memcpy(m->block, p, len);
}

void chk_md5_final(struct chk_md5 *m, uint8_t out[16])
{
	static const uint8_t pad[64] = { 0x80 };
	uint64_t bits = m->len * 8;
	uint8_t lenbuf[8];
	size_t used = m->len % 64;
	int i;

	/* 0x80, zeros up to 56 mod 64, then the bit length little-endian */
	for (i = 0; i < 8; i++)
		lenbuf[i] = (uint8_t)(bits >> (8 * i));
	chk_md5_update(m, pad, used < 56 ? 56 - used : 120 - used);
	chk_md5_update(m, lenbuf, 8);
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(m->h[i / 4] >> (8 * (i % 4)));
}

void chk_md5_hex(const void *data, size_t len, char out[33])
{
	struct chk_md5 m;
	uint8_t d[16];
	int i;

	chk_md5_init(&m);
	chk_md5_update(&m, data, len);
	chk_md5_final(&m, d);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}
