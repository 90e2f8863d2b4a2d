#include "sqlite_wal_buffer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/// Larger runs of frames are written out in pieces of this size.
#define WAL_BUFFER_LIMIT (4 * 1024 * 1024)

/// What both wrappers begin with: SQLite's view of the file, then the underlying VFS's file
/// (in the memory right after the wrapper) to which every call not handled here goes.
typedef struct WrappedFile {
    sqlite3_file base;
    sqlite3_file *real;
} WrappedFile;

typedef struct DatabaseFile DatabaseFile;

typedef struct WalBufferFile {
    WrappedFile wrapped;
    /// The connection's database file, which flushes this log before publishing a commit.
    DatabaseFile *database;
    unsigned char *bytes;
    /// File offset of bytes[0]; `length` bytes are held.
    sqlite3_int64 start;
    int length;
    int capacity;
    int writesThrough;
    JobrunnerWALWrites counts;
} WalBufferFile;

/// A connection's main database file: the underlying file, and the connection's log. SQLite
/// makes a commit visible to other connections by writing the log's index in shared memory,
/// on either side of an xShmBarrier on this file; the log is written out in that barrier, so
/// no connection can see a frame that is not in the file (whatever `synchronous` says).
struct DatabaseFile {
    WrappedFile wrapped;
    /// The name SQLite opened it by: the same pointer `sqlite3_filename_database` gives for the
    /// connection's log, which is how the two are paired.
    sqlite3_filename name;
    WalBufferFile *wal;
    DatabaseFile *next;
};

/// Database files open now, for pairing a log being opened with its connection's database file.
static DatabaseFile *openDatabases;
static pthread_mutex_t openDatabasesLock = PTHREAD_MUTEX_INITIALIZER;

static sqlite3_vfs *underlying;
static sqlite3_vfs walBufferVfs;
/// Bytes of a wrapper, rounded so the underlying file after it is aligned.
static size_t wrapperBytes;

static sqlite3_file *realOf(sqlite3_file *handle) { return ((WrappedFile *)handle)->real; }

// Calls both wrappers pass straight to the underlying file.

static int wrappedRead(sqlite3_file *handle, void *out, int amount, sqlite3_int64 offset) {
    return realOf(handle)->pMethods->xRead(realOf(handle), out, amount, offset);
}

static int wrappedWrite(sqlite3_file *handle, const void *data, int amount, sqlite3_int64 offset) {
    return realOf(handle)->pMethods->xWrite(realOf(handle), data, amount, offset);
}

static int wrappedTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    return realOf(handle)->pMethods->xTruncate(realOf(handle), size);
}

static int wrappedSync(sqlite3_file *handle, int flags) { return realOf(handle)->pMethods->xSync(realOf(handle), flags); }

static int wrappedFileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    return realOf(handle)->pMethods->xFileSize(realOf(handle), size);
}

static int wrappedLock(sqlite3_file *handle, int level) { return realOf(handle)->pMethods->xLock(realOf(handle), level); }

static int wrappedUnlock(sqlite3_file *handle, int level) { return realOf(handle)->pMethods->xUnlock(realOf(handle), level); }

static int wrappedCheckReservedLock(sqlite3_file *handle, int *reserved) {
    return realOf(handle)->pMethods->xCheckReservedLock(realOf(handle), reserved);
}

static int wrappedFileControl(sqlite3_file *handle, int op, void *argument) {
    return realOf(handle)->pMethods->xFileControl(realOf(handle), op, argument);
}

static int wrappedSectorSize(sqlite3_file *handle) { return realOf(handle)->pMethods->xSectorSize(realOf(handle)); }

static int wrappedDeviceCharacteristics(sqlite3_file *handle) {
    return realOf(handle)->pMethods->xDeviceCharacteristics(realOf(handle));
}

/// Opens the underlying file after the wrapper in `handle`; on failure nothing is left open and
/// SQLite sees no methods to call.
static int wrappedOpen(sqlite3_filename name, sqlite3_file *handle, int flags, int *outFlags, const sqlite3_io_methods *methods) {
    WrappedFile *file = (WrappedFile *)handle;
    sqlite3_file *real = (sqlite3_file *)((char *)handle + wrapperBytes);
    memset(handle, 0, wrapperBytes);
    int rc = underlying->xOpen(underlying, name, real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (real->pMethods != NULL) real->pMethods->xClose(real);
        return rc;
    }
    file->real = real;
    file->base.pMethods = methods;
    return SQLITE_OK;
}

// The write-ahead log: runs of writes gathered, written out before anything looks at the file.

/// The unix VFS writes at most the low 17 bits of a length in one pwrite(2) and reports a disk
/// full when that comes to 0 (a multiple of 128 KiB), so longer runs go out in pieces this size.
#define WAL_WRITE_PIECE (64 * 1024)

static int walBufferFlush(WalBufferFile *file) {
    if (file->length == 0) return SQLITE_OK;
    int length = file->length;
    file->length = 0;
    for (int done = 0; done < length; done += WAL_WRITE_PIECE) {
        int piece = length - done < WAL_WRITE_PIECE ? length - done : WAL_WRITE_PIECE;
        file->counts.written += 1;
        int rc = wrappedWrite(&file->wrapped.base, file->bytes + done, piece, file->start + done);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

static int walBufferClose(sqlite3_file *handle) {
    WalBufferFile *file = (WalBufferFile *)handle;
    pthread_mutex_lock(&openDatabasesLock);
    if (file->database != NULL && file->database->wal == file) file->database->wal = NULL;
    file->database = NULL;
    pthread_mutex_unlock(&openDatabasesLock);
    int flushed = walBufferFlush(file);
    int closed = realOf(handle)->pMethods->xClose(realOf(handle));
    free(file->bytes);
    file->bytes = NULL;
    return flushed != SQLITE_OK ? flushed : closed;
}

static int walBufferReserve(WalBufferFile *file, int needed) {
    if (needed <= file->capacity) return SQLITE_OK;
    int capacity = file->capacity > 0 ? file->capacity : 64 * 1024;
    while (capacity < needed) capacity *= 2;
    unsigned char *grown = realloc(file->bytes, (size_t)capacity);
    if (grown == NULL) return SQLITE_NOMEM;
    file->bytes = grown;
    file->capacity = capacity;
    return SQLITE_OK;
}

/// A write that is not kept: what is held goes first, so the file sees them in order.
static int walBufferWriteThrough(WalBufferFile *file, const void *data, int amount, sqlite3_int64 offset) {
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    file->counts.written += 1;
    return wrappedWrite(&file->wrapped.base, data, amount, offset);
}

static int walBufferWrite(sqlite3_file *handle, const void *data, int amount, sqlite3_int64 offset) {
    WalBufferFile *file = (WalBufferFile *)handle;
    file->counts.requested += 1;
    if (file->writesThrough || amount > WAL_BUFFER_LIMIT) return walBufferWriteThrough(file, data, amount, offset);
    int follows = file->length > 0 && offset == file->start + file->length;
    if (!follows || file->length + amount > WAL_BUFFER_LIMIT) {
        int rc = walBufferFlush(file);
        if (rc != SQLITE_OK) return rc;
        file->start = offset;
    }
    // No memory for the buffer: written directly.
    if (walBufferReserve(file, file->length + amount) != SQLITE_OK) return walBufferWriteThrough(file, data, amount, offset);
    memcpy(file->bytes + file->length, data, (size_t)amount);
    file->length += amount;
    return SQLITE_OK;
}

/// Defines a log method that writes out what is held, then makes the underlying call.
#define WAL_FLUSHING(name, passed, parameters, arguments)                \
    static int name parameters {                                        \
        int rc = walBufferFlush((WalBufferFile *)handle);               \
        if (rc != SQLITE_OK) return rc;                                 \
        return passed arguments;                                        \
    }

WAL_FLUSHING(walBufferRead, wrappedRead, (sqlite3_file *handle, void *out, int amount, sqlite3_int64 offset),
             (handle, out, amount, offset))
WAL_FLUSHING(walBufferTruncate, wrappedTruncate, (sqlite3_file *handle, sqlite3_int64 size), (handle, size))
WAL_FLUSHING(walBufferSync, wrappedSync, (sqlite3_file *handle, int flags), (handle, flags))
WAL_FLUSHING(walBufferFileSize, wrappedFileSize, (sqlite3_file *handle, sqlite3_int64 *size), (handle, size))
// Size hints and the like look at the file as it is on disk.
WAL_FLUSHING(walBufferFileControl, wrappedFileControl, (sqlite3_file *handle, int op, void *argument), (handle, op, argument))

/// Version 1: a write-ahead log is never memory-mapped and has no shared memory of its own.
static const sqlite3_io_methods walBufferMethods = {
    1,
    walBufferClose,
    walBufferRead,
    walBufferWrite,
    walBufferTruncate,
    walBufferSync,
    walBufferFileSize,
    wrappedLock,
    wrappedUnlock,
    wrappedCheckReservedLock,
    walBufferFileControl,
    wrappedSectorSize,
    wrappedDeviceCharacteristics,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

// The main database file: every call is the underlying file's; the shared-memory barrier first
// writes out what the connection's log holds.

static int databaseClose(sqlite3_file *handle) {
    DatabaseFile *file = (DatabaseFile *)handle;
    pthread_mutex_lock(&openDatabasesLock);
    for (DatabaseFile **link = &openDatabases; *link != NULL; link = &(*link)->next) {
        if (*link == file) {
            *link = file->next;
            break;
        }
    }
    if (file->wal != NULL) file->wal->database = NULL;
    file->wal = NULL;
    pthread_mutex_unlock(&openDatabasesLock);
    return realOf(handle)->pMethods->xClose(realOf(handle));
}

static int databaseFileControl(sqlite3_file *handle, int op, void *argument) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (op == JOBRUNNER_SQLITE_FCNTL_WAL_WRITES) {
        JobrunnerWALWrites none = {0, 0};
        *(JobrunnerWALWrites *)argument = file->wal != NULL ? file->wal->counts : none;
        return SQLITE_OK;
    }
    return wrappedFileControl(handle, op, argument);
}

static int databaseShmMap(sqlite3_file *handle, int region, int size, int extend, void volatile **memory) {
    if (realOf(handle)->pMethods->iVersion < 2) return SQLITE_IOERR;
    return realOf(handle)->pMethods->xShmMap(realOf(handle), region, size, extend, memory);
}

static int databaseShmLock(sqlite3_file *handle, int offset, int count, int flags) {
    if (realOf(handle)->pMethods->iVersion < 2) return SQLITE_IOERR;
    return realOf(handle)->pMethods->xShmLock(realOf(handle), offset, count, flags);
}

static void databaseShmBarrier(sqlite3_file *handle) {
    DatabaseFile *file = (DatabaseFile *)handle;
    // Called by this connection only, which alone writes its log: no other thread touches it.
    // A failed write here surfaces at the log's next sync or write (the buffer is emptied
    // either way; SQLite's own log checksums reject frames that did not reach the file).
    if (file->wal != NULL) walBufferFlush(file->wal);
    if (realOf(handle)->pMethods->iVersion >= 2) realOf(handle)->pMethods->xShmBarrier(realOf(handle));
}

static int databaseShmUnmap(sqlite3_file *handle, int deleteFlag) {
    if (realOf(handle)->pMethods->iVersion < 2) return SQLITE_IOERR;
    return realOf(handle)->pMethods->xShmUnmap(realOf(handle), deleteFlag);
}

static int databaseFetch(sqlite3_file *handle, sqlite3_int64 offset, int amount, void **out) {
    if (realOf(handle)->pMethods->iVersion < 3) {
        *out = NULL;
        return SQLITE_OK;
    }
    return realOf(handle)->pMethods->xFetch(realOf(handle), offset, amount, out);
}

static int databaseUnfetch(sqlite3_file *handle, sqlite3_int64 offset, void *pointer) {
    if (realOf(handle)->pMethods->iVersion < 3) return SQLITE_OK;
    return realOf(handle)->pMethods->xUnfetch(realOf(handle), offset, pointer);
}

static const sqlite3_io_methods databaseMethods = {
    3,
    databaseClose,
    wrappedRead,
    wrappedWrite,
    wrappedTruncate,
    wrappedSync,
    wrappedFileSize,
    wrappedLock,
    wrappedUnlock,
    wrappedCheckReservedLock,
    databaseFileControl,
    wrappedSectorSize,
    wrappedDeviceCharacteristics,
    databaseShmMap,
    databaseShmLock,
    databaseShmBarrier,
    databaseShmUnmap,
    databaseFetch,
    databaseUnfetch,
};

static int walBufferOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *handle, int flags, int *outFlags) {
    (void)vfs;
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
        int rc = wrappedOpen(name, handle, flags, outFlags, &databaseMethods);
        if (rc != SQLITE_OK) return rc;
        DatabaseFile *file = (DatabaseFile *)handle;
        file->name = name;
        pthread_mutex_lock(&openDatabasesLock);
        file->next = openDatabases;
        openDatabases = file;
        pthread_mutex_unlock(&openDatabasesLock);
        return SQLITE_OK;
    }
    if ((flags & SQLITE_OPEN_WAL) == 0) {
        // Everything else is the underlying VFS's own file, in the same memory.
        return underlying->xOpen(underlying, name, handle, flags, outFlags);
    }
    int rc = wrappedOpen(name, handle, flags, outFlags, &walBufferMethods);
    if (rc != SQLITE_OK) return rc;
    WalBufferFile *file = (WalBufferFile *)handle;
    sqlite3_filename database = sqlite3_filename_database(name);
    pthread_mutex_lock(&openDatabasesLock);
    for (DatabaseFile *open = openDatabases; open != NULL; open = open->next) {
        if (open->name == database) {
            open->wal = file;
            file->database = open;
            break;
        }
    }
    pthread_mutex_unlock(&openDatabasesLock);
    // No database file of this connection to write it out before a commit is published
    // (SQLite opens a log only for a database it has open, so this is not expected): every
    // write goes straight through.
    file->writesThrough = file->database == NULL;
    return SQLITE_OK;
}

static int registration = SQLITE_ERROR;
static pthread_once_t registrationOnce = PTHREAD_ONCE_INIT;

static void walBufferRegisterOnce(void) {
    underlying = sqlite3_vfs_find(NULL);
    if (underlying == NULL) return;
    walBufferVfs = *underlying;
    walBufferVfs.pNext = NULL;
    walBufferVfs.zName = "jobrunner-wal-buffer";
    size_t wrapper = sizeof(WalBufferFile) > sizeof(DatabaseFile) ? sizeof(WalBufferFile) : sizeof(DatabaseFile);
    wrapperBytes = (wrapper + 15) / 16 * 16;
    walBufferVfs.szOsFile = (int)wrapperBytes + underlying->szOsFile;
    walBufferVfs.xOpen = walBufferOpen;
    registration = sqlite3_vfs_register(&walBufferVfs, 1);
}

int jobrunner_sqlite_wal_buffer_register(void) {
    pthread_once(&registrationOnce, walBufferRegisterOnce);
    return registration;
}

