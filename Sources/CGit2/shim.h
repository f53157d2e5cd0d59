// Debian's pkg-config for libgit2 adds no include path; including through a shim keeps the
// module map independent of where git2.h lives.
#include <git2.h>
// The in-memory object store, to write a first commit's objects as one pack.
#include <git2/sys/mempack.h>
