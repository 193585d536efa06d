// SPDX-License-Identifier: GPL-2.0
/*
 * Running another program (kexec-tools, systemctl, update-grub) and
 * waiting for it: no shell, the environment as it is.
 */
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>

#include "run.h"

extern char **environ;

/*
 * Run @tool (a path, or a name looked up in PATH) with @argv and wait.
 * -errno when it cannot start (-ENOENT: not found); -EIO when it ran and
 * failed, with its exit status (128 + signal) in *@exit_status.
 */
int kh_run(const char *tool, char *const argv[], int *exit_status)
{
	int ret, status;
	pid_t pid;

	ret = posix_spawnp(&pid, tool, NULL, NULL, argv, environ);
	if (ret)
		return -ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
					   128 + WTERMSIG(status);
	return *exit_status ? -EIO : 0;
}
