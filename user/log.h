/* SPDX-License-Identifier: GPL-2.0 */
/* Logging for lbctl and the controller. Messages name the object and the
 * cause. Goes to stderr, or to syslog/log file once the controller has
 * daemonised (log_open). libbpf's own output is routed here too. */
#ifndef LB_LOG_H
#define LB_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_verbosity;	/* highest level printed; -v raises it */

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Send further output to FILE (append) with timestamps; NULL = stderr. */
int log_open(const char *path);
/* The first error logged since log_first_error_reset() ("" if none), so
 * that a command's answer can carry it, not only the log. */
void log_first_error_reset(void);
const char *log_first_error(void);
/* Route libbpf's printing through log_msg. */
void log_hook_libbpf(void);

/* Like log_msg, without the "error: "/"warning: " prefix: for messages
 * that carry their own location first, as FILE:LINE: message. */
void log_located(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
