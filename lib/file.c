/*
 * The whole-file reader: open without waiting on a FIFO, look at what was
 * opened, read what fstat promised and one byte more to see a file that
 * grew meanwhile.
 */
#include "file.h"
#include "message.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

static void version_from_stat(const struct stat *st, mcp_file_version *v)
{
    v->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
                  st->st_mtim.tv_nsec;
    v->size = (uint64_t)st->st_size;
    v->inode = (uint64_t)st->st_ino;
    v->device = (uint64_t)st->st_dev;
}

static int open_failed(const char *what, const char *path, int error,
                       char *err, size_t errlen)
{
    const char *why;

    switch (error) {
    case ENOENT:
        why = "does not exist (No such file or directory)";
        break;
    case EACCES:
    case EPERM:
        why = "is unreadable (permission denied)";
        break;
    case ENOTDIR:
        why = "has a path component that is not a directory";
        break;
    case ELOOP:
        why = "has too many levels of symbolic links";
        break;
    case ENAMETOOLONG:
        why = "is a path that is too long";
        break;
    default:
        mcp_message(err, errlen, "%s '%s' cannot be opened (%s)", what, path,
                    strerror(error));
        return -1;
    }
    mcp_message(err, errlen, "%s '%s' %s", what, path, why);
    return -1;
}

static int refuse(int fd, char *buf, size_t size, char *err, size_t errlen,
                  const char *what, const char *path, const char *why)
{
    if (buf)
        OPENSSL_clear_free(buf, size);
    close(fd);
    mcp_message(err, errlen, "%s '%s' %s", what, path, why);
    return -1;
}

int mcp_file_read(const char *path, const char *what, size_t max,
                  int allow_empty, char **out, size_t *len,
                  mcp_file_version *version, char *err, size_t errlen)
{
    struct stat st;
    char *buf;
    size_t size, total = 0;
    int fd;

    *out = NULL;
    *len = 0;
    if (!path || !*path) {
        mcp_message(err, errlen, "no %s given", what);
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat on the
     * open descriptor then refuses anything but a regular file. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return open_failed(what, path, errno, err, errlen);
    if (fstat(fd, &st) != 0)
        return refuse(fd, NULL, 0, err, errlen, what, path,
                      "cannot be examined");
    if (S_ISDIR(st.st_mode))
        return refuse(fd, NULL, 0, err, errlen, what, path,
                      "is a directory, not a file");
    if (!S_ISREG(st.st_mode))
        return refuse(fd, NULL, 0, err, errlen, what, path,
                      "is not a regular file");
    if (st.st_size == 0 && !allow_empty)
        return refuse(fd, NULL, 0, err, errlen, what, path, "is empty");
    if ((uint64_t)st.st_size > max) {
        char why[96];
        if (max >= 1024 * 1024)
            mcp_message(why, sizeof(why), "is too large (over %zu MiB)",
                        max / (1024 * 1024));
        else
            mcp_message(why, sizeof(why), "is too large (over %zu bytes)",
                        max);
        return refuse(fd, NULL, 0, err, errlen, what, path, why);
    }
    if (version)
        version_from_stat(&st, version);
    /* One spare byte shows whether the file grew after fstat, and holds
     * the NUL. */
    size = (size_t)st.st_size + 1;
    buf = malloc(size);
    if (!buf)
        return refuse(fd, NULL, 0, err, errlen, what, path,
                      "cannot be read: out of memory");
    while (total < size) {
        ssize_t n = read(fd, buf + total, size - total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            char why[96];
            mcp_message(why, sizeof(why), "is unreadable (%s)",
                        strerror(errno));
            return refuse(fd, buf, size, err, errlen, what, path, why);
        }
        if (n == 0)
            break;
        total += (size_t)n;
    }
    if (total == size || (total == 0 && !allow_empty))
        return refuse(fd, buf, size, err, errlen, what, path,
                      total ? "changed while being read" : "is empty");
    close(fd);
    buf[total] = '\0';
    *out = buf;
    *len = total;
    return 0;
}

void mcp_file_free(char *buf, size_t len)
{
    if (buf)
        OPENSSL_clear_free(buf, len + 1);
}

int mcp_file_version_of(const char *path, mcp_file_version *version)
{
    struct stat st;
    memset(version, 0, sizeof(*version));
    if (stat(path, &st) != 0)
        return errno ? errno : EIO;
    version_from_stat(&st, version);
    return 0;
}

int mcp_file_same_version(const mcp_file_version *a,
                          const mcp_file_version *b)
{
    return a->mtime_ns == b->mtime_ns && a->size == b->size &&
           a->inode == b->inode && a->device == b->device;
}
