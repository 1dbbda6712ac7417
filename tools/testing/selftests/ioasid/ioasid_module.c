// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/ioasid character device and the module's lifetime: who may open
 * it, that every open is a context released with its last file reference
 * (close or process death), and that the module stays while a file is open.
 *
 * IOASID_MODULE, when set, names the ioasid.ko to reload after an unload,
 * with the parameters IOASID_MODULE_PARAMS gives (those it was loaded with).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <linux/ioasid.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"

#define NOBODY 65534

static int delete_ioasid_module(void)
{
	return syscall(__NR_delete_module, "ioasid", O_NONBLOCK);
}

FIXTURE(ioasid_file) {
	long contexts;
};

FIXTURE_SETUP(ioasid_file)
{
	if (access(IOASID_DEV, F_OK))
		SKIP(return, "%s: %s (is ioasid.ko loaded?)", IOASID_DEV,
		     strerror(errno));
	self->contexts = ioasid_counter("contexts");
	if (self->contexts < 0)
		SKIP(return, "%s unreadable (is debugfs mounted?)",
		     IOASID_COUNTERS);
}

FIXTURE_TEARDOWN(ioasid_file)
{
	/* Whatever a test opened, it gave back. */
	ASSERT_EQ(self->contexts, ioasid_counter("contexts"));
}

TEST_F(ioasid_file, node_is_root_only_misc_device)
{
	char want[32], sysfs_dev[32];
	struct stat st;

	ASSERT_EQ(0, stat(IOASID_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(0U, st.st_uid);
	ASSERT_EQ(0U, st.st_gid);

	/* The node is the misc device the module registered. */
	ASSERT_LT(0, ioasid_read_file("/sys/class/misc/ioasid/dev", sysfs_dev,
				      sizeof(sysfs_dev)));
	snprintf(want, sizeof(want), "%u:%u\n", major(st.st_rdev),
		 minor(st.st_rdev));
	ASSERT_STREQ(want, sysfs_dev);
}

TEST_F(ioasid_file, each_open_is_a_context)
{
	int fd1, fd2;

	fd1 = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(self->contexts + 1, ioasid_counter("contexts"));

	fd2 = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(self->contexts + 2, ioasid_counter("contexts"));

	ASSERT_EQ(0, close(fd1));
	ASSERT_EQ(self->contexts + 1, ioasid_counter("contexts"));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(self->contexts, ioasid_counter("contexts"));
}

TEST_F(ioasid_file, context_lives_until_last_file_reference)
{
	int fd, dup_fd;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(self->contexts + 1, ioasid_counter("contexts"));

	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(self->contexts + 1, ioasid_counter("contexts"));
	ASSERT_EQ(0, close(dup_fd));
	ASSERT_EQ(self->contexts, ioasid_counter("contexts"));
}

TEST_F(ioasid_file, open_refused_to_unprivileged_user)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(2);
		fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 0: EACCES as expected, 1: opened or another errno, 2: setup */
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(ioasid_file, killed_process_releases_its_contexts)
{
	int pipefd[2], status, i;
	char ready;
	pid_t pid;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < 3; i++)
			if (open(IOASID_DEV, O_RDWR) < 0)
				_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &ready, 1));
	close(pipefd[0]);
	ASSERT_EQ(self->contexts + 3, ioasid_counter("contexts"));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(self->contexts, ioasid_counter("contexts"));
}

TEST_F(ioasid_file, unknown_ioctl_is_enotty)
{
	int fd;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ioctl(fd, _IO(IOASID_TYPE, IOASID_CMD_BASE + 0x7f)));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, close(fd));
}

TEST_F(ioasid_file, unload_refused_while_open)
{
	long refcnt;
	int fd, fd2;

	refcnt = ioasid_module_refcnt();
	ASSERT_LE(0, refcnt);
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(refcnt + 1, ioasid_module_refcnt());

	ASSERT_EQ(-1, delete_ioasid_module());
	ASSERT_EQ(EWOULDBLOCK, errno);

	/* The device keeps working. */
	fd2 = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(self->contexts + 2, ioasid_counter("contexts"));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(refcnt, ioasid_module_refcnt());
}

TEST_F(ioasid_file, unload_and_reload)
{
	const char *params = getenv("IOASID_MODULE_PARAMS") ?: "";
	const char *ko = getenv("IOASID_MODULE");
	int ko_fd, fd;

	if (!ko)
		SKIP(return, "IOASID_MODULE does not name an ioasid.ko to reload");
	ko_fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ko_fd);

	ASSERT_EQ(0, delete_ioasid_module());
	ASSERT_EQ(-1, access(IOASID_DEV, F_OK));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, access(IOASID_SYSFS_MODULE, F_OK));
	ASSERT_EQ(-1, access(IOASID_COUNTERS, F_OK));

	ASSERT_EQ(0, syscall(__NR_finit_module, ko_fd, params, 0));
	close(ko_fd);
	ASSERT_EQ(0, ioasid_module_refcnt());
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, ioasid_counter("contexts"));
	ASSERT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
