// SPDX-License-Identifier: GPL-2.0
/*
 * MISC_CHECK and script execution. A script runs without a shell, as the
 * configured user, in its own process group (so a timeout kills whatever
 * it started too), with nothing inherited but its argv and environment.
 * Exit 0 = up; with misc_dynamic, 2..255 = up with weight status - 2 and 1
 * = down (keepalived's convention); anything else, a signal or the
 * timeout = down.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "chk_priv.h"
#include "evloop.h"
#include "log.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A running script. It outlives its check if the target is freed first:
 * the loop still owes it a reap, and then finds c == NULL. */
struct chk_script {
	struct chk_check *c;
	pid_t pid;
};

static struct chk_script_policy policy;
static bool policy_set;

void chk_set_script_policy(const struct chk_script_policy *p)
{
	policy = *p;
	policy_set = true;
}

const struct chk_script_policy *chk_get_script_policy(void)
{
	if (!policy_set) {
		policy.uid = getuid();
		policy.gid = getgid();
		policy.enforce_security = false;
		policy_set = true;
	}
	return &policy;
}

/* ---- script security ---- */

/* One file or directory: owned by root or uid, not writable by others. */
static int node_secure(const char *path, uid_t uid, char *why, size_t why_len)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_uid != 0 && st.st_uid != uid) {
		snprintf(why, why_len, "%s is owned by uid %u", path, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_len, "%s is writable by %s", path,
			 st.st_mode & S_IWOTH ? "others" : "its group");
		return -EPERM;
	}
	return 0;
}

/* path (absolute) and every directory above it. */
static int chain_secure(const char *path, uid_t uid, char *why, size_t why_len)
{
	char buf[PATH_MAX];
	char *slash;
	int err;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (;;) {
		err = node_secure(buf, uid, why, why_len);
		if (err)
			return err;
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			break;
		*slash = '\0';
	}
	return node_secure("/", uid, why, why_len);
}

int chk_script_secure(const char *path, uid_t uid, char *why, size_t why_len)
{
	char abs[PATH_MAX], real[PATH_MAX], dummy[8];
	int err;

	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	if (path[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= (int)sizeof(abs))
			return -ENAMETOOLONG;
	}
	/* as written: whoever can change a directory on the way can swap
	 * a symlink; after resolving: whoever can change the real file */
	err = chain_secure(abs, uid, why, why_len);
	if (err)
		return err;
	if (!realpath(abs, real))
		return -errno;
	return chain_secure(real, uid, why, why_len);
}

/* ---- spawning ---- */

/* argv[0] as execv wants it: itself if it has a '/', else found in PATH. */
static int resolve_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	const char *p, *end;
	struct stat st;

	if (strchr(name, '/')) {
		if (snprintf(out, len, "%s", name) >= (int)len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		if (snprintf(out, len, "%.*s/%s", (int)(end - p), p, name) >= (int)len)
			continue;
		if (!stat(out, &st) && S_ISREG(st.st_mode) && !access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int drop_privileges(const struct chk_script_policy *p)
{
	if (p->uid == geteuid() && p->gid == getegid())
		return 0;
	if (setgroups(1, &p->gid) < 0 && errno != EPERM)
		return -errno;
	if (setgid(p->gid) < 0 || setuid(p->uid) < 0)
		return -errno;
	/* a setuid that "worked" but left us root would be a quiet escalation */
	if (p->uid != 0 && (geteuid() == 0 || getuid() == 0))
		return -EPERM;
	return 0;
}

/* Every fd from 3 up but keep goes at exec. */
static void cloexec_from(int first)
{
	long max, fd;

	if (!close_range(first, ~0U, CLOSE_RANGE_CLOEXEC))
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = first; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* In the child: never returns. Failures go back as an errno on errfd. */
static void __attribute__((noreturn))
spawn_child(const char *path, char *const argv[], const struct chk_script_policy *p, int errfd)
{
	sigset_t none;
	int sig, fd, err;

	/* stdio is about to be replaced: keep errfd clear of 0..2 */
	if (errfd < 3)
		errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
	setpgid(0, 0);
	/* the loop blocks signals and may have handlers; the script gets neither */
	for (sig = 1; sig < _NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		goto fail;
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		goto fail;
	if (fd > 2)
		close(fd);
	cloexec_from(3);
	if (chdir("/") < 0)
		goto fail;
	err = drop_privileges(p);
	if (err) {
		errno = -err;
		goto fail;
	}
	execv(path, argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* chk_spawn, saying why a script was refused as insecure. */
static pid_t spawn(const struct cfg_cmd *cmd, const struct chk_script_policy *p,
		   char *why, size_t why_len)
{
	char path[PATH_MAX];
	int pfd[2], err, child_err;
	ssize_t n;
	pid_t pid;

	if (!cmd || !cmd->argv || !cmd->argv[0])
		return -EINVAL;
	if (!p)
		p = chk_get_script_policy();
	err = resolve_path(cmd->argv[0], path, sizeof(path));
	if (err)
		return err;
	if (p->enforce_security) {
		err = chk_script_secure(path, p->uid, why, why_len);
		if (err == -EPERM)
			pr_debug("script %s refused: %s", path, why);
		if (err)
			return err;
	}
	/* the pipe closes at a successful exec; anything else sends an errno */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0)
		spawn_child(path, cmd->argv, p, pfd[1]);
	close(pfd[1]);
	do {
		n = read(pfd[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(child_err)) {
		/* it is exiting right now; nobody else will reap it */
		waitpid(pid, NULL, 0);
		return -child_err;
	}
	return pid;
}

pid_t chk_spawn(const struct cfg_cmd *cmd, const struct chk_script_policy *p)
{
	char why[PATH_MAX + 64];

	return spawn(cmd, p, why, sizeof(why));
}

/* ---- MISC_CHECK ---- */

static const char *script_name(const struct chk_check *c)
{
	return c->cfg.misc_path.argv[0];
}

static void misc_result(struct chk_check *c, int status, int timed_out)
{
	int code;

	if (timed_out) {
		chk_done(c, false, -1, "MISC_CHECK %s: timed out after %.1f s",
			 script_name(c), c->cfg.misc_timeout_us / 1e6);
		return;
	}
	if (WIFSIGNALED(status)) {
		chk_done(c, false, -1, "MISC_CHECK %s: killed by signal %d",
			 script_name(c), WTERMSIG(status));
		return;
	}
	code = WEXITSTATUS(status);
	if (code == 0)
		chk_done(c, true, -1, "MISC_CHECK %s: exit status 0", script_name(c));
	else if (c->cfg.misc_dynamic && code >= 2)
		chk_done(c, true, code - 2, "MISC_CHECK %s: exit status %d, weight %d",
			 script_name(c), code, code - 2);
	else
		chk_done(c, false, -1, "MISC_CHECK %s: exit status %d", script_name(c), code);
}

static void misc_exited(struct evloop *loop, pid_t pid, int status, int timed_out, void *arg)
{
	struct chk_script *s = arg;
	struct chk_check *c = s->c;

	free(s);
	if (!c)
		return;		/* its target was freed meanwhile */
	c->script = NULL;
	chk_enter(c);
	misc_result(c, status, timed_out);
	chk_leave(c);
}

static void misc_start(struct chk_check *c)
{
	const struct chk_script_policy *p = chk_get_script_policy();
	struct chk_script *s;
	char why[PATH_MAX + 64] = "";
	pid_t pid;
	int err;

	pid = spawn(&c->cfg.misc_path, p, why, sizeof(why));
	if (pid == -EPERM && why[0]) {
		chk_done(c, false, -1, "MISC_CHECK %s: insecure: %s", script_name(c), why);
		return;
	}
	if (pid < 0) {
		chk_done(c, false, -1, "MISC_CHECK %s: %s", script_name(c), strerror(-pid));
		return;
	}
	s = calloc(1, sizeof(*s));
	err = s ? ev_child_add(chk_loop(c), pid, c->cfg.misc_timeout_us * CHK_NSEC_PER_USEC,
			       misc_exited, s) : -ENOMEM;
	if (err) {
		/* unwatched, it would be reaped and ignored by the loop */
		kill(-pid, SIGKILL);
		free(s);
		chk_done(c, false, -1, "MISC_CHECK %s: %s", script_name(c), strerror(-err));
		return;
	}
	s->c = c;
	s->pid = pid;
	c->script = s;
}

/* The loop enforces misc_timeout (ev_child_add); the check's own timer is
 * not armed while a script runs, so this only covers a stray expiry. */
static void misc_timeout(struct chk_check *c)
{
	chk_done(c, false, -1, "MISC_CHECK %s: timed out", script_name(c));
}

static void misc_reset(struct chk_check *c)
{
	if (!c->script)
		return;
	kill(-c->script->pid, SIGKILL);
	c->script->c = NULL;
	c->script = NULL;
}

const struct chk_ops chk_misc_ops = {
	.name = "MISC_CHECK",
	.start = misc_start,
	.timeout = misc_timeout,
	.reset = misc_reset,
};
