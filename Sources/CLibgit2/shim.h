#include <git2.h>
#include <git2/sys/stream.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// libgit2 1.5 (Debian 12) has no server timeout (GIT_OPT_SET_SERVER_TIMEOUT came in 1.7): a remote
// that accepts a connection and never answers blocks a fetch or push forever. This socket stream,
// registered for every plain connection (and under every TLS one, which libgit2 builds on it),
// gives up when connecting, reading or writing makes no progress for the timeout.

static int jobrunner_git_timeout_milliseconds = 30000;
/// When the operation running on this thread must end (CLOCK_MONOTONIC milliseconds; 0: never).
/// libgit2's network work runs on the calling thread, so each fetch or push sets its own.
static _Thread_local long long jobrunner_git_deadline = 0;

static inline long long jobrunner_git_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/// The fetch or push about to start on this thread gives up `milliseconds` from now.
static inline void jobrunner_git_begin_operation(long long milliseconds) {
    jobrunner_git_deadline = jobrunner_git_now() + milliseconds;
}

typedef struct {
    git_stream parent;
    int fd;
    char *host;
    char *port;
} jobrunner_socket_stream;

static inline int jobrunner_past_deadline(const char *host) {
    if (jobrunner_git_deadline == 0 || jobrunner_git_now() < jobrunner_git_deadline) return 0;
    char message[256];
    snprintf(message, sizeof message, "%s was still sending at the deadline of the operation (JOBRUNNER_GIT_DEADLINE)", host);
    git_error_set_str(GIT_ERROR_NET, message);
    return 1;
}

static inline int jobrunner_socket_wait(int fd, short events, const char *host) {
    struct pollfd entry = {.fd = fd, .events = events};
    int ready;
    int wait = jobrunner_git_timeout_milliseconds;
    if (jobrunner_past_deadline(host)) return -1;
    long long left = jobrunner_git_deadline - jobrunner_git_now();
    if (jobrunner_git_deadline > 0 && left < wait) wait = left > 0 ? (int)left : 0;
    do {
        ready = poll(&entry, 1, wait);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0 && jobrunner_past_deadline(host)) return -1;
    if (ready == 0) {
        char message[256];
        snprintf(message, sizeof message, "%s did not answer for %d ms (JOBRUNNER_GIT_TIMEOUT)", host,
                 jobrunner_git_timeout_milliseconds);
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    if (ready < 0) {
        git_error_set_str(GIT_ERROR_NET, strerror(errno));
        return -1;
    }
    return 0;
}

static inline int jobrunner_socket_connect(git_stream *stream) {
    jobrunner_socket_stream *socket_stream = (jobrunner_socket_stream *)stream;
    struct addrinfo hints, *found = NULL, *candidate;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int status = getaddrinfo(socket_stream->host, socket_stream->port, &hints, &found);
    if (status != 0) {
        git_error_set_str(GIT_ERROR_NET, gai_strerror(status));
        return -1;
    }
    int fd = -1;
    int last = 0;
    for (candidate = found; candidate; candidate = candidate->ai_next) {
        fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, candidate->ai_protocol);
        if (fd < 0) { last = errno; continue; }
        if (connect(fd, candidate->ai_addr, candidate->ai_addrlen) == 0) break;
        last = errno;
        if (errno == EINPROGRESS) {
            if (jobrunner_socket_wait(fd, POLLOUT, socket_stream->host) == 0) {
                int error = 0;
                socklen_t length = sizeof error;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                if (error == 0) break;
                last = error;
            } else {
                close(fd);
                freeaddrinfo(found);
                return -1;
            }
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0) {
        char message[256];
        snprintf(message, sizeof message, "cannot connect to %s:%s: %s", socket_stream->host, socket_stream->port, strerror(last));
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    socket_stream->fd = fd;
    return 0;
}

static inline ssize_t jobrunner_socket_read(git_stream *stream, void *data, size_t length) {
    jobrunner_socket_stream *socket_stream = (jobrunner_socket_stream *)stream;
    if (jobrunner_past_deadline(socket_stream->host)) return -1;
    for (;;) {
        ssize_t count = recv(socket_stream->fd, data, length, 0);
        if (count >= 0) return count;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (jobrunner_socket_wait(socket_stream->fd, POLLIN, socket_stream->host) < 0) return -1;
            continue;
        }
        git_error_set_str(GIT_ERROR_NET, strerror(errno));
        return -1;
    }
}

static inline ssize_t jobrunner_socket_write(git_stream *stream, const char *data, size_t length, int flags) {
    (void)flags;
    jobrunner_socket_stream *socket_stream = (jobrunner_socket_stream *)stream;
    size_t written = 0;
    if (jobrunner_past_deadline(socket_stream->host)) return -1;
    while (written < length) {
        ssize_t count = send(socket_stream->fd, data + written, length - written, MSG_NOSIGNAL);
        if (count >= 0) { written += (size_t)count; continue; }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (jobrunner_socket_wait(socket_stream->fd, POLLOUT, socket_stream->host) < 0) return -1;
            continue;
        }
        git_error_set_str(GIT_ERROR_NET, strerror(errno));
        return -1;
    }
    return (ssize_t)written;
}

static inline int jobrunner_socket_close(git_stream *stream) {
    jobrunner_socket_stream *socket_stream = (jobrunner_socket_stream *)stream;
    if (socket_stream->fd >= 0) close(socket_stream->fd);
    socket_stream->fd = -1;
    return 0;
}

static inline void jobrunner_socket_free(git_stream *stream) {
    jobrunner_socket_stream *socket_stream = (jobrunner_socket_stream *)stream;
    if (socket_stream->fd >= 0) close(socket_stream->fd);
    free(socket_stream->host);
    free(socket_stream->port);
    free(socket_stream);
}

static inline int jobrunner_socket_new(git_stream **out, const char *host, const char *port) {
    jobrunner_socket_stream *stream = calloc(1, sizeof *stream);
    if (!stream) return -1;
    stream->parent.version = GIT_STREAM_VERSION;
    stream->parent.connect = jobrunner_socket_connect;
    stream->parent.read = jobrunner_socket_read;
    stream->parent.write = jobrunner_socket_write;
    stream->parent.close = jobrunner_socket_close;
    stream->parent.free = jobrunner_socket_free;
    stream->fd = -1;
    stream->host = strdup(host);
    stream->port = strdup(port);
    *out = (git_stream *)stream;
    return 0;
}

/// Every connection libgit2 makes from now on gives up after `milliseconds` without progress.
static inline int jobrunner_git_set_timeout(int milliseconds) {
    jobrunner_git_timeout_milliseconds = milliseconds;
    git_stream_registration registration;
    memset(&registration, 0, sizeof registration);
    registration.version = GIT_STREAM_VERSION;
    registration.init = jobrunner_socket_new;
    return git_stream_register(GIT_STREAM_STANDARD, &registration);
}
