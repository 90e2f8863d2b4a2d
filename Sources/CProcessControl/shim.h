// prctl(2) is variadic, which Swift cannot call; these wrappers give it fixed signatures.
#include <sys/prctl.h>

/// Makes the process non-dumpable: /proc/<pid>/environ, mem and ptrace are closed to other
/// processes of the same user (scripts included). Returns 0 on success.
static inline int jobrunner_set_non_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

/// 1 when dumpable, 0 when not, -1 on error.
static inline int jobrunner_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>

/// A descriptor that refers to process `pid` for as long as it is open, even after the PID is
/// reused: signals sent through it reach that process or none. -1 with errno on error.
static inline int jobrunner_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/// Sends `signal` to the process `pidfd` refers to. 0 on success, -1 with errno.
static inline int jobrunner_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, (void *)0, 0);
}
