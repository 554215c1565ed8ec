// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: send a flood of TCP SYNs or UDP datagrams with random spoofed
 * source addresses and ports to one destination, for e2e_faults.sh.
 *
 *   synflood -d DST -p PORT [-t tcp|udp] [-n COUNT] [-s NET/PREFIX] [-r PPS]
 *
 * A raw IPv4 socket (IPPROTO_RAW, so IP_HDRINCL) routes each packet like any
 * other to DST (so the frames go to the MAC the sender's neighbour table has
 * for DST, i.e. the balancer's), with a source picked at random in
 * NET/PREFIX (default 198.18.0.0/15, the benchmarking range, unrouted in the
 * test) and a random source port; TCP and UDP checksums are correct, so a
 * real server that gets them treats them as real. Batches of 64 through
 * sendmmsg; -r paces to PPS packets per second (0, the default: as fast as
 * it goes). Prints "sent N packets in T s (R pps)" on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64
#define PKTLEN	64

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 2685821657736338717ull) >> 32;
}

static uint32_t sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;

	while (len > 1) {
		s += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)b[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

/* Checksum of an L4 header + payload over the IPv4 pseudo-header. */
static uint16_t l4_csum(const struct iphdr *ip, const void *l4, size_t len)
{
	uint32_t s = 0;

	s = sum16(&ip->saddr, 4, s);
	s = sum16(&ip->daddr, 4, s);
	s += ip->protocol;
	s += len;
	s = sum16(l4, len, s);
	return fold(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t build(uint8_t *buf, int udp, uint32_t net, uint32_t mask, uint32_t dst,
		    uint16_t dport)
{
	struct iphdr *ip = (struct iphdr *)buf;
	size_t l4len;

	memset(buf, 0, PKTLEN);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->id = htons(rnd() & 0xffff);
	ip->saddr = htonl((net & mask) | (rnd() & ~mask));
	ip->daddr = dst;
	if (udp) {
		struct udphdr *u = (struct udphdr *)(ip + 1);
		uint8_t *pl = (uint8_t *)(u + 1);

		ip->protocol = IPPROTO_UDP;
		l4len = sizeof(*u) + 8;
		u->source = htons(1024 + rnd() % 64000);
		u->dest = dport;
		u->len = htons(l4len);
		memcpy(pl, "flood!!\n", 8);
		u->check = l4_csum(ip, u, l4len);
		if (!u->check)
			u->check = 0xffff;
	} else {
		struct tcphdr *t = (struct tcphdr *)(ip + 1);

		ip->protocol = IPPROTO_TCP;
		l4len = sizeof(*t);
		t->source = htons(1024 + rnd() % 64000);
		t->dest = dport;
		t->seq = htonl(rnd());
		t->doff = 5;
		t->syn = 1;
		t->window = htons(64240);
		t->check = l4_csum(ip, t, l4len);
	}
	ip->tot_len = htons(sizeof(*ip) + l4len);
	ip->check = fold(sum16(ip, sizeof(*ip), 0));
	return sizeof(*ip) + l4len;
}

static void usage(void)
{
	fprintf(stderr, "usage: synflood -d DST -p PORT [-t tcp|udp] [-n COUNT] "
		"[-s NET/PREFIX] [-r PPS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint8_t bufs[BATCH][PKTLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	const char *src = "198.18.0.0/15";
	unsigned long count = 200000, sent = 0, errs = 0, pps = 0;
	int udp = 0, prefix, fd, opt, i, n;
	uint32_t net, mask;
	uint16_t dport = 0;
	char snet[32], *slash;
	struct in_addr a;
	double t0, t;

	while ((opt = getopt(argc, argv, "d:p:t:n:s:r:")) != -1) {
		switch (opt) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &to.sin_addr) != 1)
				usage();
			break;
		case 'p':
			dport = htons(atoi(optarg));
			break;
		case 't':
			udp = !strcmp(optarg, "udp");
			if (!udp && strcmp(optarg, "tcp"))
				usage();
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			src = optarg;
			break;
		case 'r':
			pps = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!to.sin_addr.s_addr || !dport)
		usage();
	snprintf(snet, sizeof(snet), "%s", src);
	slash = strchr(snet, '/');
	if (!slash)
		usage();
	*slash = 0;
	prefix = atoi(slash + 1);
	if (inet_pton(AF_INET, snet, &a) != 1 || prefix < 0 || prefix > 32)
		usage();
	net = ntohl(a.s_addr);
	mask = prefix ? ~0u << (32 - prefix) : 0;
	rng_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	t0 = now_s();
	while (sent < count) {
		n = count - sent < BATCH ? count - sent : BATCH;
		for (i = 0; i < n; i++)
			iov[i].iov_len = build(bufs[i], udp, net, mask, to.sin_addr.s_addr, dport);
		i = sendmmsg(fd, msgs, n, 0);
		if (i < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				errs++;
				usleep(100);
				continue;
			}
			perror("synflood: sendmmsg");
			return 1;
		}
		sent += i;
		if (pps) {
			double due = t0 + (double)sent / pps;

			t = now_s();
			if (due > t)
				usleep((due - t) * 1e6);
		}
	}
	t = now_s() - t0;
	printf("sent %lu packets in %.2f s (%.0f pps, %lu send retries)\n", sent, t,
	       t > 0 ? sent / t : 0.0, errs);
	return 0;
}
