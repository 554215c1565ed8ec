/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to the config reader (cfg_lex.c, cfg_parse.c, cfg_util.c): the
 * token stream, diagnostics with file and line, and the value parsers the
 * keyword handlers share. Nothing outside cfg_*.c includes this.
 */
#ifndef LB_CFG_LEX_H
#define LB_CFG_LEX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"

#define CFG_INCLUDE_DEPTH	16	/* nested include levels */
#define CFG_MAX_READS		1024	/* files read in all, against include fan-out */
#define CFG_MAX_FILE_SIZE	(16 << 20)
#define CFG_MAX_ERRORS		100	/* then stop: the input is probably not a config */

enum cfg_tok_type {
	TOK_WORD,
	TOK_OPEN,			/* { */
	TOK_CLOSE,			/* } */
	TOK_EOL,			/* end of a line that held tokens */
	TOK_EOF,			/* always the last token */
};

struct cfg_tok {
	enum cfg_tok_type type;
	bool quoted;			/* some of it was quoted: never a keyword brace */
	int file;			/* index into cfg_lex.files */
	int line;
	char *text;			/* words only; NULL for the others */
};

struct cfg_lex {
	struct cfg_tok *toks;
	int n_toks, cap_toks;
	char **files;			/* every file read, as named in messages */
	int n_files;
	int n_errors, n_warnings;
	char **said;			/* diagnostics printed, each once */
	int n_said;
	bool gave_up;			/* CFG_MAX_ERRORS reached */
	bool oom;
	bool truncated;			/* a file was not read to its end */
	/* files being read, innermost last, for cycle detection */
	struct { dev_t dev; ino_t ino; } stack[CFG_INCLUDE_DEPTH + 1];
	int depth;
	int n_reads;
};

/*
 * Reads PATH and everything it includes into lx->toks, ending with one
 * TOK_EOF. Problems inside the text are counted in lx->n_errors; only a
 * top-level file that cannot be read returns -errno.
 */
int cfg_lex_file(struct cfg_lex *lx, const char *path);
void cfg_lex_free(struct cfg_lex *lx);
const char *cfg_tok_str(const struct cfg_tok *t);

/* "FILE:LINE: message" through pr_err / "FILE:LINE: warning: ..." through pr_warn. */
void cfg_error_at(struct cfg_lex *lx, int file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cfg_error(struct cfg_lex *lx, const struct cfg_tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_warn(struct cfg_lex *lx, const struct cfg_tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Value parsers: 0, or -EINVAL when S is not of the form, -ERANGE if too big. */
int cfg_parse_ll(const char *s, long long *out);
int cfg_parse_timer(const char *s, uint64_t *us);	/* "0.01" seconds -> 10000 */
int cfg_parse_bool(const char *s, bool *out);
int cfg_parse_addr(const char *s, struct cfg_addr *a);
/* Seconds for messages: 10000 -> "0.01", 60000000 -> "60". */
const char *cfg_fmt_timer(uint64_t us, char *buf, size_t len);
bool cfg_is_prime(uint32_t n);

/*
 * Splits S into words as sh(1) would (blanks, '...', "...", backslash) and
 * appends them to C. *shell is set when S uses operators (| ; & < > $ `
 * and the like) that only a shell would interpret. -EINVAL on an
 * unterminated quote, -ENOMEM.
 */
int cfg_cmd_append(struct cfg_cmd *c, const char *s, bool *shell);
void cfg_cmd_free(struct cfg_cmd *c);

#endif /* LB_CFG_LEX_H */
