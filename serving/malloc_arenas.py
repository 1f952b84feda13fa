"""Cap glibc's malloc arenas for the server process.

glibc gives each thread that allocates concurrently an arena of its own (up to 8 per core) and
hands freed memory back to the system only from the top of each: under a steady load the
server's resident memory crept by ~0.9 MB a minute with the default and stayed flat with
MALLOC_ARENA_MAX=2 (20-minute soaks side by side, docs/performance.md). mallopt(M_ARENA_MAX)
sets the same limit as that environment variable, from inside the process, so `python app.py`
gets it wherever it runs (a Space included). It must run before other threads allocate.
"""
import ctypes
import os

M_ARENA_MAX = -8   # glibc malloc.h


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """True when the limit is set; False where there is no glibc or MALLOC_ARENA_MAX already
    says what the operator wants."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc.mallopt(M_ARENA_MAX, arenas) == 1
    except (OSError, AttributeError):
        return False
