#include "sqlite_wal_buffer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/// Larger runs of frames are written out in pieces of this size.
#define WAL_BUFFER_LIMIT (4 * 1024 * 1024)

typedef struct DatabaseFile DatabaseFile;

typedef struct WalBufferFile {
    sqlite3_file base;
    /// The underlying VFS's file, in the memory right after this struct.
    sqlite3_file *real;
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
    sqlite3_file base;
    sqlite3_file *real;
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
        int rc = file->real->pMethods->xWrite(file->real, file->bytes + done, piece, file->start + done);
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
    int closed = file->real->pMethods->xClose(file->real);
    free(file->bytes);
    file->bytes = NULL;
    return flushed != SQLITE_OK ? flushed : closed;
}

static int walBufferRead(sqlite3_file *handle, void *out, int amount, sqlite3_int64 offset) {
    WalBufferFile *file = (WalBufferFile *)handle;
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xRead(file->real, out, amount, offset);
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

static int walBufferWrite(sqlite3_file *handle, const void *data, int amount, sqlite3_int64 offset) {
    WalBufferFile *file = (WalBufferFile *)handle;
    file->counts.requested += 1;
    if (file->writesThrough) {
        file->counts.written += 1;
        return file->real->pMethods->xWrite(file->real, data, amount, offset);
    }
    int follows = file->length > 0 && offset == file->start + file->length;
    if (!follows || file->length + amount > WAL_BUFFER_LIMIT) {
        int rc = walBufferFlush(file);
        if (rc != SQLITE_OK) return rc;
        if (amount > WAL_BUFFER_LIMIT) {
            file->counts.written += 1;
            return file->real->pMethods->xWrite(file->real, data, amount, offset);
        }
        file->start = offset;
    }
    if (walBufferReserve(file, file->length + amount) != SQLITE_OK) {
        // No memory for the buffer: write what is held, then this, directly.
        int rc = walBufferFlush(file);
        if (rc != SQLITE_OK) return rc;
        file->counts.written += 1;
        return file->real->pMethods->xWrite(file->real, data, amount, offset);
    }
    memcpy(file->bytes + file->length, data, (size_t)amount);
    file->length += amount;
    return SQLITE_OK;
}

static int walBufferTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    WalBufferFile *file = (WalBufferFile *)handle;
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xTruncate(file->real, size);
}

static int walBufferSync(sqlite3_file *handle, int flags) {
    WalBufferFile *file = (WalBufferFile *)handle;
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xSync(file->real, flags);
}

static int walBufferFileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    WalBufferFile *file = (WalBufferFile *)handle;
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xFileSize(file->real, size);
}

static int walBufferLock(sqlite3_file *handle, int level) {
    WalBufferFile *file = (WalBufferFile *)handle;
    return file->real->pMethods->xLock(file->real, level);
}

static int walBufferUnlock(sqlite3_file *handle, int level) {
    WalBufferFile *file = (WalBufferFile *)handle;
    return file->real->pMethods->xUnlock(file->real, level);
}

static int walBufferCheckReservedLock(sqlite3_file *handle, int *reserved) {
    WalBufferFile *file = (WalBufferFile *)handle;
    return file->real->pMethods->xCheckReservedLock(file->real, reserved);
}

static int walBufferFileControl(sqlite3_file *handle, int op, void *argument) {
    WalBufferFile *file = (WalBufferFile *)handle;
    // Size hints and the like look at the file as it is on disk: write what is held first.
    int rc = walBufferFlush(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xFileControl(file->real, op, argument);
}

static int walBufferSectorSize(sqlite3_file *handle) {
    WalBufferFile *file = (WalBufferFile *)handle;
    return file->real->pMethods->xSectorSize(file->real);
}

static int walBufferDeviceCharacteristics(sqlite3_file *handle) {
    WalBufferFile *file = (WalBufferFile *)handle;
    return file->real->pMethods->xDeviceCharacteristics(file->real);
}

/// Version 1: a write-ahead log is never memory-mapped and has no shared memory of its own.
static const sqlite3_io_methods walBufferMethods = {
    1,
    walBufferClose,
    walBufferRead,
    walBufferWrite,
    walBufferTruncate,
    walBufferSync,
    walBufferFileSize,
    walBufferLock,
    walBufferUnlock,
    walBufferCheckReservedLock,
    walBufferFileControl,
    walBufferSectorSize,
    walBufferDeviceCharacteristics,
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
    return file->real->pMethods->xClose(file->real);
}

static int databaseRead(sqlite3_file *handle, void *out, int amount, sqlite3_int64 offset) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xRead(file->real, out, amount, offset);
}

static int databaseWrite(sqlite3_file *handle, const void *data, int amount, sqlite3_int64 offset) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

static int databaseTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xTruncate(file->real, size);
}

static int databaseSync(sqlite3_file *handle, int flags) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xSync(file->real, flags);
}

static int databaseFileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xFileSize(file->real, size);
}

static int databaseLock(sqlite3_file *handle, int level) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xLock(file->real, level);
}

static int databaseUnlock(sqlite3_file *handle, int level) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xUnlock(file->real, level);
}

static int databaseCheckReservedLock(sqlite3_file *handle, int *reserved) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xCheckReservedLock(file->real, reserved);
}

static int databaseFileControl(sqlite3_file *handle, int op, void *argument) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (op == JOBRUNNER_SQLITE_FCNTL_WAL_WRITES) {
        JobrunnerWALWrites none = {0, 0};
        *(JobrunnerWALWrites *)argument = file->wal != NULL ? file->wal->counts : none;
        return SQLITE_OK;
    }
    return file->real->pMethods->xFileControl(file->real, op, argument);
}

static int databaseSectorSize(sqlite3_file *handle) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xSectorSize(file->real);
}

static int databaseDeviceCharacteristics(sqlite3_file *handle) {
    DatabaseFile *file = (DatabaseFile *)handle;
    return file->real->pMethods->xDeviceCharacteristics(file->real);
}

static int databaseShmMap(sqlite3_file *handle, int region, int size, int extend, void volatile **memory) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_IOERR;
    return file->real->pMethods->xShmMap(file->real, region, size, extend, memory);
}

static int databaseShmLock(sqlite3_file *handle, int offset, int count, int flags) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_IOERR;
    return file->real->pMethods->xShmLock(file->real, offset, count, flags);
}

static void databaseShmBarrier(sqlite3_file *handle) {
    DatabaseFile *file = (DatabaseFile *)handle;
    // Called by this connection only, which alone writes its log: no other thread touches it.
    // A failed write here surfaces at the log's next sync or write (the buffer is emptied
    // either way; SQLite's own log checksums reject frames that did not reach the file).
    if (file->wal != NULL) walBufferFlush(file->wal);
    if (file->real->pMethods->iVersion >= 2) file->real->pMethods->xShmBarrier(file->real);
}

static int databaseShmUnmap(sqlite3_file *handle, int deleteFlag) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_IOERR;
    return file->real->pMethods->xShmUnmap(file->real, deleteFlag);
}

static int databaseFetch(sqlite3_file *handle, sqlite3_int64 offset, int amount, void **out) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (file->real->pMethods->iVersion < 3) {
        *out = NULL;
        return SQLITE_OK;
    }
    return file->real->pMethods->xFetch(file->real, offset, amount, out);
}

static int databaseUnfetch(sqlite3_file *handle, sqlite3_int64 offset, void *pointer) {
    DatabaseFile *file = (DatabaseFile *)handle;
    if (file->real->pMethods->iVersion < 3) return SQLITE_OK;
    return file->real->pMethods->xUnfetch(file->real, offset, pointer);
}

static const sqlite3_io_methods databaseMethods = {
    3,
    databaseClose,
    databaseRead,
    databaseWrite,
    databaseTruncate,
    databaseSync,
    databaseFileSize,
    databaseLock,
    databaseUnlock,
    databaseCheckReservedLock,
    databaseFileControl,
    databaseSectorSize,
    databaseDeviceCharacteristics,
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
        DatabaseFile *file = (DatabaseFile *)handle;
        sqlite3_file *real = (sqlite3_file *)(file + 1);
        memset(file, 0, sizeof(*file));
        int rc = underlying->xOpen(underlying, name, real, flags, outFlags);
        if (rc != SQLITE_OK) {
            if (real->pMethods != NULL) real->pMethods->xClose(real);
            file->base.pMethods = NULL;
            return rc;
        }
        file->real = real;
        file->name = name;
        file->base.pMethods = &databaseMethods;
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
    WalBufferFile *file = (WalBufferFile *)handle;
    sqlite3_file *real = (sqlite3_file *)(file + 1);
    memset(file, 0, sizeof(*file));
    int rc = underlying->xOpen(underlying, name, real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (real->pMethods != NULL) real->pMethods->xClose(real);
        file->base.pMethods = NULL;
        return rc;
    }
    file->real = real;
    file->base.pMethods = &walBufferMethods;
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
    walBufferVfs.szOsFile = (int)((wrapper + 15) / 16 * 16) + underlying->szOsFile;
    walBufferVfs.xOpen = walBufferOpen;
    registration = sqlite3_vfs_register(&walBufferVfs, 1);
}

int jobrunner_sqlite_wal_buffer_register(void) {
    pthread_once(&registrationOnce, walBufferRegisterOnce);
    return registration;
}

