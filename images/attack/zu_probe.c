/*
 * zu-probe: tries one privileged operation per argument and prints "<name> OK" or
 * "<name> <ERRNO>" per line. Built with `gcc -static` into the zu-attack image; used by the
 * container attack tests to show what the hardening floor refuses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <linux/keyctl.h>

static const char *errname(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EROFS: return "EROFS";
    case ESRCH: return "ESRCH";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EBUSY: return "EBUSY";
    default: return "EOTHER";
  }
}

static void report(const char *name, long ret) {
  if (ret < 0) printf("%s %s\n", name, errname(errno));
  else printf("%s OK\n", name);
  fflush(stdout);
}

static long try_ptrace_attach(void) {
  pid_t child = fork();
  if (child == 0) { pause(); _exit(0); }
  if (child < 0) return -1;
  long r = ptrace(PTRACE_ATTACH, child, 0, 0);
  int saved = errno;
  kill(child, SIGKILL);
  waitpid(child, 0, 0);
  errno = saved;
  return r;
}

static long try_clone_newuser(void) {
  long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, 0, 0);
  return r;
}

static long try_setns(void) {
  int fd = open("/proc/1/ns/net", O_RDONLY);
  if (fd < 0) fd = open("/proc/self/ns/net", O_RDONLY);
  if (fd < 0) return -1;
  long r = setns(fd, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

static long try_fork_bomb_one(void) {
  /* one fork; the bomb itself is a shell loop in the test */
  pid_t p = fork();
  if (p == 0) _exit(0);
  if (p > 0) waitpid(p, 0, 0);
  return p;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *n = argv[i];
    long r = 0;
    errno = 0;
    if (!strcmp(n, "ptrace_traceme")) r = ptrace(PTRACE_TRACEME, 0, 0, 0);
    else if (!strcmp(n, "ptrace_attach")) r = try_ptrace_attach();
    else if (!strcmp(n, "unshare_user")) r = unshare(CLONE_NEWUSER);
    else if (!strcmp(n, "unshare_ns")) r = unshare(CLONE_NEWNS);
    else if (!strcmp(n, "unshare_net")) r = unshare(CLONE_NEWNET);
    else if (!strcmp(n, "clone_newuser")) r = try_clone_newuser();
    else if (!strcmp(n, "setns")) r = try_setns();
    else if (!strcmp(n, "mount")) r = mount("none", "/tmp", "tmpfs", 0, 0);
    else if (!strcmp(n, "umount")) r = umount2("/tmp", MNT_DETACH);
    else if (!strcmp(n, "chroot")) r = chroot("/tmp");
    else if (!strcmp(n, "pivot_root")) r = syscall(SYS_pivot_root, "/tmp", "/tmp");
    else if (!strcmp(n, "keyctl")) r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    else if (!strcmp(n, "add_key")) r = syscall(SYS_add_key, "user", "zu", "x", 1, KEY_SPEC_PROCESS_KEYRING);
    else if (!strcmp(n, "bpf")) r = syscall(SYS_bpf, 0, 0, 0);
    else if (!strcmp(n, "perf_event_open")) r = syscall(SYS_perf_event_open, 0, 0, -1, -1, 0);
    else if (!strcmp(n, "userfaultfd")) r = syscall(SYS_userfaultfd, 0);
    else if (!strcmp(n, "init_module")) r = syscall(SYS_init_module, 0, 0, "");
    else if (!strcmp(n, "kexec_load")) r = syscall(SYS_kexec_load, 0, 0, 0, 0);
    else if (!strcmp(n, "acct")) r = syscall(SYS_acct, 0);
    else if (!strcmp(n, "swapon")) r = syscall(SYS_swapon, "/tmp/none", 0);
    else if (!strcmp(n, "open_by_handle_at")) r = syscall(SYS_open_by_handle_at, -1, 0, 0);
    else if (!strcmp(n, "raw_socket")) r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    else if (!strcmp(n, "setuid0")) r = setuid(0);
    else if (!strcmp(n, "chown_root")) {
      int fd = open("/tmp/zu-probe-owned", O_CREAT | O_WRONLY, 0600);
      if (fd >= 0) close(fd);
      r = chown("/tmp/zu-probe-owned", 0, 0);
    }
    else if (!strcmp(n, "write_root")) r = open("/zu-probe-root", O_CREAT | O_WRONLY, 0644);
    else if (!strcmp(n, "write_proc_sys")) r = open("/proc/sys/kernel/hostname", O_WRONLY);
    else if (!strcmp(n, "fork")) r = try_fork_bomb_one();
    else if (!strcmp(n, "uid")) { printf("uid %d euid %d\n", getuid(), geteuid()); fflush(stdout); continue; }
    else { printf("%s UNKNOWN\n", n); continue; }
    report(n, r);
  }
  return 0;
}
