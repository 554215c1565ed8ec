// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP_GET: for each url in turn, one connection, one
 * "GET path HTTP/1.1" with Connection: close, and the whole response read
 * into a buffer of at most CHK_HTTP_MAX bytes; the status code must match
 * (any 2xx when the config gives none) and, if a digest is configured, the
 * MD5 of the body too. All urls must pass. Each url has connect_timeout
 * for everything, connect to last byte, so a server that stalls or
 * trickles fails like one that does not answer.
 *
 * The response parser at the top is a pure function of the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "chk_priv.h"
#include "evloop.h"

#define HTTP_BUF_START	4096
/* a chunk size beyond this is nonsense for a 64 KiB-bounded reader */
#define HTTP_CHUNK_MAX	(1ull << 40)

/* ---- response parser ---- */

/*
 * The line starting at *pos, without its CR LF (a bare LF is accepted).
 * Returns its length and moves *pos past it; -1 while no LF has arrived.
 */
static long next_line(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **line)
{
	const uint8_t *lf = memchr(buf + *pos, '\n', len - *pos);
	size_t n;

	if (!lf)
		return -1;
	*line = buf + *pos;
	n = (size_t)(lf - *line);
	if (n && (*line)[n - 1] == '\r')
		n--;
	*pos = (size_t)(lf - buf) + 1;
	return (long)n;
}

static bool is_digit(uint8_t ch)
{
	return ch >= '0' && ch <= '9';
}

/* "HTTP/1.1 200 OK": the code, or -1 */
static int parse_status_line(const uint8_t *s, long n)
{
	if (n < 12 || memcmp(s, "HTTP/", 5) || !is_digit(s[5]) || s[6] != '.' ||
	    !is_digit(s[7]) || s[8] != ' ' || !is_digit(s[9]) || !is_digit(s[10]) ||
	    !is_digit(s[11]) || (n > 12 && s[12] != ' '))
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

static bool name_is(const uint8_t *name, size_t n, const char *want)
{
	return n == strlen(want) && !strncasecmp((const char *)name, want, n);
}

/* Does a Transfer-Encoding value end with the "chunked" coding? */
static bool te_chunked(const uint8_t *v, size_t n)
{
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n >= 7 && !strncasecmp((const char *)v + n - 7, "chunked", 7) &&
	       (n == 7 || v[n - 8] == ',' || v[n - 8] == ' ' || v[n - 8] == '\t');
}

static int parse_content_length(const uint8_t *v, size_t n, int64_t *out)
{
	int64_t cl = 0;
	size_t i;

	if (!n)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (!is_digit(v[i]) || cl > (INT64_MAX - 9) / 10)
			return -EBADMSG;
		cl = cl * 10 + (v[i] - '0');
	}
	/* repeated headers must agree (RFC 9112 6.3) */
	if (*out >= 0 && *out != cl)
		return -EBADMSG;
	*out = cl;
	return 0;
}

static int parse_header(const uint8_t *s, size_t n, struct chk_http_resp *r)
{
	const uint8_t *colon = memchr(s, ':', n);
	size_t name_len, vlen;
	const uint8_t *v;

	if (s[0] == ' ' || s[0] == '\t')
		return 0;		/* obsolete line folding: nothing we use */
	if (!colon || colon == s)
		return -EBADMSG;
	name_len = (size_t)(colon - s);
	if (s[name_len - 1] == ' ' || s[name_len - 1] == '\t')
		return -EBADMSG;
	v = colon + 1;
	vlen = n - name_len - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(s, name_len, "Content-Length"))
		return parse_content_length(v, vlen, &r->content_length);
	if (name_is(s, name_len, "Transfer-Encoding"))
		r->chunked = te_chunked(v, vlen);
	return 0;
}

/* Status line and headers of one response from *pos: 1 done, 0 more, <0 bad. */
static int parse_head(const uint8_t *buf, size_t len, size_t *pos, struct chk_http_resp *r)
{
	const uint8_t *line;
	long n;
	int err;

	r->content_length = -1;
	r->chunked = false;
	n = next_line(buf, len, pos, &line);
	if (n < 0) {
		size_t have = len - *pos < 5 ? len - *pos : 5;

		/* give up on garbage early, not at the size bound */
		return memcmp(buf + *pos, "HTTP/", have) ? -EBADMSG : 0;
	}
	r->status = parse_status_line(line, n);
	if (r->status < 100)
		return -EBADMSG;
	for (;;) {
		n = next_line(buf, len, pos, &line);
		if (n < 0)
			return 0;
		if (n == 0)
			return 1;
		err = parse_header(line, (size_t)n, r);
		if (err)
			return err;
	}
}

static int hex_val(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "1a;ext=x" -> 26 */
static int parse_chunk_size(const uint8_t *s, long n, uint64_t *size)
{
	long i = 0;

	*size = 0;
	for (; i < n && hex_val(s[i]) >= 0; i++) {
		*size = *size * 16 + hex_val(s[i]);
		if (*size > HTTP_CHUNK_MAX)
			return -EBADMSG;
	}
	if (i == 0)
		return -EBADMSG;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] != ';')
		return -EBADMSG;
	return 0;
}

/*
 * Walk a chunked body from pos; feed the data to md5 if given. 1 when the
 * last chunk and the trailers are in (end and body_len set), 0 for more.
 */
static int walk_chunks(const uint8_t *buf, size_t len, size_t pos, struct chk_md5 *md5,
		       size_t *end, size_t *body_len)
{
	const uint8_t *line;
	uint64_t size;
	size_t body = 0;
	long n;
	int err;

	for (;;) {
		n = next_line(buf, len, &pos, &line);
		if (n < 0)
			return 0;
		err = parse_chunk_size(line, n, &size);
		if (err)
			return err;
		if (size == 0)
			break;
		if (len - pos < size)
			return 0;
		if (md5)
			chk_md5_update(md5, buf + pos, size);
		body += size;
		pos += size;
		/* the data must be followed by an empty line */
		n = next_line(buf, len, &pos, &line);
		if (n < 0)
			return len - pos > 2 ? -EBADMSG : 0;
		if (n != 0)
			return -EBADMSG;
	}
	/* trailer fields, up to an empty line */
	do {
		n = next_line(buf, len, &pos, &line);
		if (n < 0)
			return 0;
	} while (n > 0);
	*end = pos;
	*body_len = body;
	return 1;
}

int chk_http_parse(const uint8_t *buf, size_t len, bool eof, struct chk_http_resp *r)
{
	size_t pos = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	/* interim 1xx responses (103 Early Hints, ...) precede the real one */
	do {
		rc = parse_head(buf, len, &pos, r);
		if (rc <= 0)
			return rc;
	} while (r->status < 200 && r->status != 101);
	r->head_len = pos;

	if (r->status < 200 || r->status == 204 || r->status == 304) {
		r->end = pos;
		return 1;
	}
	if (r->chunked)
		return walk_chunks(buf, len, pos, NULL, &r->end, &r->body_len);
	if (r->content_length >= 0) {
		if ((uint64_t)(len - pos) < (uint64_t)r->content_length)
			return 0;
		r->body_len = (size_t)r->content_length;
		r->end = pos + r->body_len;
		return 1;
	}
	/* neither: the body runs to the close of the connection */
	if (!eof)
		return 0;
	r->body_len = len - pos;
	r->end = len;
	return 1;
}

void chk_http_body_md5(const uint8_t *buf, const struct chk_http_resp *r, char out[33])
{
	struct chk_md5 m;
	uint8_t d[16];
	size_t end, body;
	int i;

	chk_md5_init(&m);
	if (r->chunked)
		walk_chunks(buf, r->end, r->head_len, &m, &end, &body);
	else
		chk_md5_update(&m, buf + r->head_len, r->body_len);
	chk_md5_final(&m, d);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- the checker ---- */

static const struct cfg_url *cur_url(const struct chk_check *c)
{
	return &c->cfg.urls[c->url];
}

#define http_fail(c, fmt, ...)						\
	chk_done(c, false, -1, "HTTP_GET %s: " fmt, cur_url(c)->path, ##__VA_ARGS__)

static int build_request(struct chk_check *c)
{
	char host[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];
	const void *a;
	uint16_t port;
	int n;

	if (c->dst.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&c->dst;

		a = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&c->dst;

		a = &s4->sin_addr;
		port = ntohs(s4->sin_port);
	}
	inet_ntop(c->dst.ss_family, a, ip, sizeof(ip));
	if (c->dst.ss_family == AF_INET6)
		snprintf(host, sizeof(host), port == 80 ? "[%s]" : "[%s]:%u", ip, port);
	else
		snprintf(host, sizeof(host), port == 80 ? "%s" : "%s:%u", ip, port);
	free(c->req);
	n = asprintf(&c->req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
		     "User-Agent: lbctl\r\n\r\n", cur_url(c)->path,
		     c->cfg.virtualhost ? c->cfg.virtualhost : host);
	if (n < 0) {
		c->req = NULL;
		return -ENOMEM;
	}
	c->req_len = (size_t)n;
	c->req_off = 0;
	return 0;
}

static void http_reset(struct chk_check *c)
{
	chk_close_fd(c);
	free(c->req);
	c->req = NULL;
	free(c->buf);
	c->buf = NULL;
	c->buf_len = c->buf_cap = 0;
	c->sending = false;
}

static void http_start_url(struct chk_check *c);

/* A complete response for the current url: judge it, go on or finish. */
static void http_judge(struct chk_check *c, const struct chk_http_resp *r)
{
	const struct cfg_url *u = cur_url(c);
	char md5[33], want[128];

	if (!cfg_url_status_ok(u, r->status)) {
		http_fail(c, "status %d, expected %s", r->status,
			  cfg_url_status_str(u, want, sizeof(want)));
		return;
	}
	if (u->digest) {
		chk_http_body_md5(c->buf, r, md5);
		if (strcasecmp(md5, u->digest)) {
			http_fail(c, "digest mismatch, got %s", md5);
			return;
		}
	}
	if (c->url + 1 < c->cfg.n_urls) {
		c->url++;
		http_start_url(c);
		return;
	}
	if (c->cfg.n_urls > 1)
		chk_done(c, true, -1, "HTTP_GET: %d urls ok", c->cfg.n_urls);
	else
		chk_done(c, true, -1, "HTTP_GET %s: status %d", u->path, r->status);
}

/* Read what is there, within the bound. 1 = peer closed, 0 = would block. */
static int http_read(struct chk_check *c)
{
	for (;;) {
		ssize_t n;

		if (c->buf_len == c->buf_cap) {
			size_t cap = c->buf_cap ? c->buf_cap * 2 : HTTP_BUF_START;
			uint8_t *b;

			if (c->buf_cap >= CHK_HTTP_MAX)
				return 0;	/* full: the caller decides */
			if (cap > CHK_HTTP_MAX)
				cap = CHK_HTTP_MAX;
			b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->buf_cap = cap;
		}
		n = read(c->fd, c->buf + c->buf_len, c->buf_cap - c->buf_len);
		if (n > 0) {
			c->buf_len += (size_t)n;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -errno;
	}
}

static void http_receive(struct chk_check *c)
{
	struct chk_http_resp r;
	int eof, rc;

	eof = http_read(c);
	if (eof < 0) {
		http_fail(c, "read: %s", strerror(-eof));
		return;
	}
	rc = chk_http_parse(c->buf, c->buf_len, eof, &r);
	if (rc < 0)
		http_fail(c, "malformed response");
	else if (rc > 0)
		http_judge(c, &r);
	else if (c->buf_len >= CHK_HTTP_MAX)
		http_fail(c, "response exceeds %d bytes", CHK_HTTP_MAX);
	else if (eof && !c->buf_len)
		http_fail(c, "connection closed without a response");
	else if (eof)
		http_fail(c, "response cut short");
	/* else: wait for more */
}

static void http_send(struct chk_check *c)
{
	ssize_t n;
	int err;

	if (c->req_off == 0) {
		err = chk_sock_error(c->fd);
		if (err) {
			http_fail(c, "connect: %s", strerror(-err));
			return;
		}
	}
	n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			http_fail(c, "send: %s", strerror(errno));
		return;
	}
	c->req_off += (size_t)n;
	if (c->req_off < c->req_len)
		return;
	c->sending = false;
	err = ev_fd_mod(chk_loop(c), c->fd, EPOLLIN | EPOLLRDHUP);
	if (err)
		http_fail(c, "%s", strerror(-err));
}

static void http_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct chk_check *c = arg;

	chk_enter(c);
	if (c->sending)
		http_send(c);
	else
		http_receive(c);
	chk_leave(c);
}

static void http_start_url(struct chk_check *c)
{
	const char *what;
	int fd, err;

	chk_close_fd(c);
	c->buf_len = 0;
	err = build_request(c);
	if (err) {
		http_fail(c, "%s", strerror(-err));
		return;
	}
	fd = chk_connect(c, &what);
	if (fd < 0) {
		http_fail(c, "%s: %s", what, strerror(-fd));
		return;
	}
	c->fd = fd;
	c->sending = true;
	err = ev_fd_add(chk_loop(c), fd, EPOLLOUT, http_ready, c);
	if (err) {
		http_fail(c, "%s", strerror(-err));
		return;
	}
	/* each url gets the whole connect_timeout, connect to last byte */
	chk_arm_deadline(c, c->cfg.connect_timeout_us * CHK_NSEC_PER_USEC);
}

static void http_start(struct chk_check *c)
{
	c->url = 0;
	http_start_url(c);
}

static void http_timeout(struct chk_check *c)
{
	const char *stage = c->sending ? (c->req_off ? "sending" : "connect") : "response";

	http_fail(c, "%s: timed out after %.1f s", stage, c->cfg.connect_timeout_us / 1e6);
}

const struct chk_ops chk_http_ops = {
	.name = "HTTP_GET",
	.start = http_start,
	.timeout = http_timeout,
	.reset = http_reset,
};
