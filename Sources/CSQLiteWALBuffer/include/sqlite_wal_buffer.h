#ifndef JOBRUNNER_SQLITE_WAL_BUFFER_H
#define JOBRUNNER_SQLITE_WAL_BUFFER_H

/// Registers, once per process and as the default, an SQLite VFS that passes everything to the
/// system's default VFS except writes to write-ahead logs: those are gathered in memory while
/// they follow one another and written in one call when SQLite syncs, reads, truncates, closes
/// or asks the size of the log, or writes elsewhere in it. SQLite writes each WAL frame as two
/// calls (a 24-byte header, then the page), so a commit of N pages cost 2N pwrite(2)s, each
/// going through the filesystem's write path for one or two page-cache pages; it now costs one
/// per 64 KiB.
/// Nothing is held past a sync (a transaction committed with synchronous=FULL is on disk, as
/// before, when SQLite returns), nor past the shared-memory barrier by which the connection
/// publishes a commit to others, whatever `synchronous` is. Returns SQLITE_OK (also when
/// already registered).
int jobrunner_sqlite_wal_buffer_register(void);

/// Writes SQLite made to a connection's write-ahead log, and writes that reached the underlying
/// VFS, since the log was opened: for tests, which check that a commit's frames go out together.
typedef struct JobrunnerWALWrites {
    long long requested;
    long long written;
} JobrunnerWALWrites;

/// The file-control opcode (sqlite3_file_control on "main") that fills a JobrunnerWALWrites.
#define JOBRUNNER_SQLITE_FCNTL_WAL_WRITES 0x4a52

#endif
