// Debian's pkg-config for libgit2 adds no include path; including through a shim keeps the
// module map independent of where git2.h lives.
#include <git2.h>
