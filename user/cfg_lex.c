// SPDX-License-Identifier: GPL-2.0
/*
 * keepalived.conf tokenizer. The whole input, includes expanded in place,
 * becomes one array of tokens (words, braces, line ends) that each carry
 * their file and line, so that every later message can say where.
 *
 * The language is line oriented: a keyword and its values sit on one line,
 * '{' and '}' open and close blocks anywhere on a line, '!' and '#' start a
 * comment anywhere outside quotes. "..." and '...' quote (the quotes go,
 * blanks inside stay, backslash escapes as keepalived.conf(5) lists them),
 * and a word may be partly quoted. A line whose first word is include
 * names files (glob patterns, relative to the including file's directory)
 * whose tokens replace it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_lex.h"
#include "log.h"

/* ---- diagnostics ---- */

/* Control bytes from a binary file must not reach a terminal. */
static void sanitise(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* False once CFG_MAX_ERRORS have been printed: the rest stays quiet. */
static bool count_error(struct cfg_lex *lx)
{
	if (lx->gave_up)
		return false;
	lx->gave_up = ++lx->n_errors >= CFG_MAX_ERRORS;
	return true;
}

/* A block read more than once (a virtual_server for each entry of its
 * group) must not say the same thing twice. Remembers what it said. */
static bool said_before(struct cfg_lex *lx, const char *line)
{
	char **said;
	int k;

	for (k = 0; k < lx->n_said; k++)
		if (!strcmp(lx->said[k], line))
			return true;
	said = realloc(lx->said, (lx->n_said + 1) * sizeof(*said));
	if (!said)
		return false;
	lx->said = said;
	said[lx->n_said] = strdup(line);
	if (said[lx->n_said])
		lx->n_said++;
	return false;
}

static void vdiag(struct cfg_lex *lx, bool warn, int file, int line,
		  const char *fmt, va_list ap)
{
	const char *name = file >= 0 && file < lx->n_files ? lx->files[file] : "?";
	char msg[512], key[600];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitise(msg);
	snprintf(key, sizeof(key), "%d:%d:%d:%s", warn, file, line, msg);
	if (said_before(lx, key))
		return;
	if (warn) {
		lx->n_warnings++;
		log_located(LOG_LVL_WARN, "%s:%d: warning: %s", name, line, msg);
		return;
	}
	if (!count_error(lx))
		return;
	log_located(LOG_LVL_ERR, "%s:%d: %s", name, line, msg);
	if (lx->gave_up)
		pr_err("%s: too many errors, stopping", lx->files[0]);
}

void cfg_error_at(struct cfg_lex *lx, int file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(lx, false, file, line, fmt, ap);
	va_end(ap);
}

void cfg_error(struct cfg_lex *lx, const struct cfg_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(lx, false, t->file, t->line, fmt, ap);
	va_end(ap);
}

void cfg_warn(struct cfg_lex *lx, const struct cfg_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(lx, true, t->file, t->line, fmt, ap);
	va_end(ap);
}

const char *cfg_tok_str(const struct cfg_tok *t)
{
	switch (t->type) {
	case TOK_WORD:	return t->text;
	case TOK_OPEN:	return "{";
	case TOK_CLOSE:	return "}";
	case TOK_EOL:	return "end of line";
	default:	return "end of file";
	}
}

/* ---- growing buffers ---- */

struct strbuf {
	char *p;
	size_t len, cap;
};

static int sb_putc(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap) {
		size_t cap = sb->cap ? sb->cap * 2 : 64;
		char *p = realloc(sb->p, cap);

		if (!p)
			return -ENOMEM;
		sb->p = p;
		sb->cap = cap;
	}
	sb->p[sb->len++] = c;
	sb->p[sb->len] = '\0';
	return 0;
}

/* Empties SB, keeping it a valid string ("" is a word too). */
static int sb_reset(struct strbuf *sb)
{
	if (!sb->p) {
		sb->p = malloc(64);
		if (!sb->p)
			return -ENOMEM;
		sb->cap = 64;
	}
	sb->len = 0;
	sb->p[0] = '\0';
	return 0;
}

static int push_tok(struct cfg_lex *lx, enum cfg_tok_type type, int file,
		    int line, const struct strbuf *word, bool quoted)
{
	struct cfg_tok *t;

	if (lx->n_toks == lx->cap_toks) {
		int cap = lx->cap_toks ? lx->cap_toks * 2 : 256;

		t = realloc(lx->toks, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		lx->toks = t;
		lx->cap_toks = cap;
	}
	t = &lx->toks[lx->n_toks];
	*t = (struct cfg_tok){ .type = type, .quoted = quoted,
			       .file = file, .line = line };
	if (type == TOK_WORD) {
		t->text = strndup(word->p ? word->p : "", word->len);
		if (!t->text)
			return -ENOMEM;
	}
	lx->n_toks++;
	return 0;
}

/* ---- one line ---- */

struct line {
	struct cfg_lex *lx;
	int file, lineno;
	const char *s;
	size_t n, i;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* After a backslash inside quotes: the escapes keepalived.conf(5) lists. */
static int unescape(struct line *l, struct strbuf *sb)
{
	static const char simple[] = "a\ab\bE\033e\033f\fn\nr\rt\tv\v";
	const char *s = l->s;
	const char *m;
	int v = 0, k;
	char c;

	if (l->i >= l->n)
		return sb_putc(sb, '\\');
	c = s[l->i++];
	m = strchr(simple, c);
	if (m && (m - simple) % 2 == 0)
		return sb_putc(sb, m[1]);
	if (c >= '0' && c <= '7') {
		v = c - '0';
		for (k = 1; k < 3 && l->i < l->n && s[l->i] >= '0' && s[l->i] <= '7'; k++)
			v = v * 8 + s[l->i++] - '0';
	} else if (c == 'x' && l->i < l->n && hexval(s[l->i]) >= 0) {
		for (k = 0; k < 2 && l->i < l->n && hexval(s[l->i]) >= 0; k++)
			v = v * 16 + hexval(s[l->i++]);
	} else if (c == 'c' && l->i < l->n) {
		v = toupper((unsigned char)s[l->i++]) ^ 0x40;
	} else {
		return sb_putc(sb, c);
	}
	v &= 0xff;
	if (!v) {
		cfg_error_at(l->lx, l->file, l->lineno,
			     "a NUL character cannot be part of a string");
		return 0;
	}
	return sb_putc(sb, (char)v);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips blanks; false at the end of the line or at a comment. */
static bool skip_blanks(struct line *l)
{
	while (l->i < l->n && is_blank(l->s[l->i]))
		l->i++;
	return l->i < l->n && l->s[l->i] != '#' && l->s[l->i] != '!';
}

/*
 * One word from l->i into SB. With BRACES, { and } end a word (they are
 * tokens of their own); include patterns keep them for brace globbing.
 */
static int scan_word(struct line *l, struct strbuf *sb, bool braces, bool *quoted)
{
	int err = sb_reset(sb);

	*quoted = false;
	while (!err && l->i < l->n) {
		char c = l->s[l->i];

		if (is_blank(c) || c == '#' || c == '!' ||
		    (braces && (c == '{' || c == '}')))
			break;
		l->i++;
		if (c != '"' && c != '\'') {
			err = sb_putc(sb, c);
			continue;
		}
		*quoted = true;
		while (!err && l->i < l->n && l->s[l->i] != c) {
			if (l->s[l->i] == '\\') {
				l->i++;
				err = unescape(l, sb);
			} else {
				err = sb_putc(sb, l->s[l->i++]);
			}
		}
		if (l->i >= l->n)
			cfg_error_at(l->lx, l->file, l->lineno,
				     "missing closing %c of a quoted string", c);
		else
			l->i++;
	}
	return err;
}

static int lex_path(struct cfg_lex *lx, const char *path, int from_file, int from_line);

static bool has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[{") != NULL;
}

/* Expands one include pattern relative to the directory of file FILE. */
static int lex_include(struct line *l, const char *pattern)
{
	struct cfg_lex *lx = l->lx;
	const char *cur = lx->files[l->file];
	const char *slash = strrchr(cur, '/');
	char *path = NULL;
	glob_t g = { 0 };
	int err = 0, rc;
	size_t k;

	if (pattern[0] == '/' || !slash)
		path = strdup(pattern);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - cur), cur, pattern) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;

	rc = glob(path, GLOB_BRACE | GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOSPACE) {
		err = -ENOMEM;
	} else if (rc == GLOB_NOMATCH && has_glob_magic(pattern)) {
		cfg_warn(lx, &(struct cfg_tok){ .file = l->file, .line = l->lineno },
			 "include %s matches no file", pattern);
	} else if (rc == GLOB_NOMATCH) {
		cfg_error_at(lx, l->file, l->lineno,
			     "cannot open include file %s: %s", path, strerror(ENOENT));
	} else if (rc) {
		cfg_error_at(lx, l->file, l->lineno,
			     "cannot read the directory of include %s", pattern);
	}
	for (k = 0; !rc && !err && k < g.gl_pathc && !lx->gave_up; k++)
		err = lex_path(lx, g.gl_pathv[k], l->file, l->lineno);
	globfree(&g);
	free(path);
	return err;
}

static bool is_include(const char *w)
{
	static const char *const names[] = {
		"include", "includer", "includem", "includew", "includeb", "includea",
	};
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (!strcmp(w, names[k]))
			return true;
	return false;
}

/* An include line: every word after the keyword is a pattern. */
static int lex_include_line(struct line *l, struct strbuf *sb)
{
	int err = 0, n = 0;
	bool quoted;

	while (!err && skip_blanks(l) && !l->lx->gave_up) {
		err = scan_word(l, sb, false, &quoted);
		if (!err && sb->len) {
			char *pat = strdup(sb->p);

			if (!pat)
				return -ENOMEM;
			err = lex_include(l, pat);
			free(pat);
			n++;
		}
	}
	if (!err && !n)
		cfg_error_at(l->lx, l->file, l->lineno, "include needs a file name");
	return err;
}

static int lex_line(struct cfg_lex *lx, int file, int lineno, const char *s, size_t n)
{
	struct line l = { .lx = lx, .file = file, .lineno = lineno, .s = s, .n = n };
	struct strbuf sb = { 0 };
	bool quoted, any = false;
	int err = 0;

	if (skip_blanks(&l) && s[l.i] != '{' && s[l.i] != '}') {
		size_t start = l.i;

		err = scan_word(&l, &sb, true, &quoted);
		if (!err && !quoted && is_include(sb.p)) {
			err = lex_include_line(&l, &sb);
			free(sb.p);
			return err;
		}
		l.i = start;
	}
	while (!err && skip_blanks(&l)) {
		char c = s[l.i];

		if (c == '{' || c == '}') {
			l.i++;
			err = push_tok(lx, c == '{' ? TOK_OPEN : TOK_CLOSE,
				       file, lineno, NULL, false);
		} else {
			err = scan_word(&l, &sb, true, &quoted);
			if (!err)
				err = push_tok(lx, TOK_WORD, file, lineno, &sb, quoted);
		}
		any = true;
	}
	if (!err && any)
		err = push_tok(lx, TOK_EOL, file, lineno, NULL, false);
	free(sb.p);
	return err;
}

/* ---- files ---- */

static int lex_buf(struct cfg_lex *lx, int file, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int lineno = 0, err = 0;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;		/* a UTF-8 byte order mark from some editors */
	while (!err && p < end && !lx->gave_up) {
		const char *nl = memchr(p, '\n', end - p);
		const char *eol = nl ? nl : end;

		lineno++;
		if (memchr(p, '\0', eol - p)) {
			cfg_error_at(lx, file, lineno,
				     "NUL byte: this is not a text file, stopped reading it");
			lx->truncated = true;
			break;
		}
		err = lex_line(lx, file, lineno, p, eol - p);
		p = eol + 1;
	}
	return err;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			char *b;

			if (cap >= CFG_MAX_FILE_SIZE) {
				free(buf);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 16384;
			b = realloc(buf, cap);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Reports a problem with opening PATH: at the include line, or for the
 * top file (which returns err); WHY defaults to err's text. */
static int open_fail_why(struct cfg_lex *lx, const char *path, int from_file,
			 int from_line, int err, const char *why)
{
	why = why ?: strerror(-err);
	if (from_file < 0) {
		pr_err("%s: %s", path, why);
		return err;
	}
	if (err == -ENOMEM)
		return err;
	cfg_error_at(lx, from_file, from_line, "cannot read include file %s: %s", path, why);
	return 0;
}

static int open_fail(struct cfg_lex *lx, const char *path, int from_file,
		     int from_line, int err)
{
	return open_fail_why(lx, path, from_file, from_line, err, NULL);
}

static int check_nesting(struct cfg_lex *lx, const struct stat *st,
			 const char *path, int from_file, int from_line)
{
	int k;

	for (k = 0; k < lx->depth; k++) {
		if (lx->stack[k].dev == st->st_dev && lx->stack[k].ino == st->st_ino) {
			cfg_error_at(lx, from_file, from_line,
				     "include loop: %s is already being read", path);
			return -ELOOP;
		}
	}
	if (lx->depth >= CFG_INCLUDE_DEPTH) {
		cfg_error_at(lx, from_file, from_line,
			     "includes nested more than %d deep", CFG_INCLUDE_DEPTH);
		return -ELOOP;
	}
	if (lx->n_reads >= CFG_MAX_READS) {
		cfg_error_at(lx, from_file, from_line,
			     "more than %d files included", CFG_MAX_READS);
		return -ELOOP;
	}
	return 0;
}

static int add_file(struct cfg_lex *lx, const char *path)
{
	char **f = realloc(lx->files, (lx->n_files + 1) * sizeof(*f));

	if (!f)
		return -ENOMEM;
	lx->files = f;
	f[lx->n_files] = strdup(path);
	if (!f[lx->n_files])
		return -ENOMEM;
	return lx->n_files++;
}

static int lex_path(struct cfg_lex *lx, const char *path, int from_file, int from_line)
{
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, err, file;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return open_fail(lx, path, from_file, from_line, -errno);
	err = fstat(fd, &st) ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
	if (!err && !S_ISREG(st.st_mode)) {
		close(fd);
		return open_fail_why(lx, path, from_file, from_line, -EINVAL,
				     "not a regular file");
	}
	if (!err && from_file >= 0 && check_nesting(lx, &st, path, from_file, from_line)) {
		close(fd);
		return 0;
	}
	if (!err)
		err = read_all(fd, &buf, &len);
	close(fd);
	if (err)
		return open_fail(lx, path, from_file, from_line, err);

	file = add_file(lx, path);
	if (file < 0) {
		free(buf);
		return file;
	}
	lx->n_reads++;
	lx->stack[lx->depth].dev = st.st_dev;
	lx->stack[lx->depth].ino = st.st_ino;
	lx->depth++;
	err = lex_buf(lx, file, buf, len);
	lx->depth--;
	free(buf);
	return err;
}

int cfg_lex_file(struct cfg_lex *lx, const char *path)
{
	int err = lex_path(lx, path, -1, 0);
	int file = 0, line = 1;

	if (err)
		return err;
	if (lx->n_toks) {
		file = lx->toks[lx->n_toks - 1].file;
		line = lx->toks[lx->n_toks - 1].line;
	}
	return push_tok(lx, TOK_EOF, file, line, NULL, false);
}

void cfg_lex_free(struct cfg_lex *lx)
{
	int k;

	for (k = 0; k < lx->n_toks; k++)
		free(lx->toks[k].text);
	free(lx->toks);
	for (k = 0; k < lx->n_files; k++)
		free(lx->files[k]);
	free(lx->files);
	for (k = 0; k < lx->n_said; k++)
		free(lx->said[k]);
	free(lx->said);
	*lx = (struct cfg_lex){ 0 };
}
