// sqlite3_config(3) is variadic, which Swift cannot call; this wrapper gives it a fixed signature.
#include <sqlite3.h>

/// Turns off SQLite's memory statistics: with them on (the default), every allocation SQLite
/// makes takes one process-wide mutex. Only takes effect before SQLite is initialised (the first
/// connection opened); returns SQLITE_OK or SQLITE_MISUSE after that.
static inline int jobrunner_sqlite_memory_statistics_off(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
