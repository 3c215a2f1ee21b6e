"""Worker processes die with the process that started them.

A batch's worker processes must not outlive their parent: killed with SIGKILL, the parent gets
no chance to stop them, and they would go on using CPU and memory with nobody to collect
their work. On Linux the kernel sends the worker a signal when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a watchdog thread polls the parent's process id.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, *, poll_s: float = 1.0) -> None:
    """Call in the child, first thing: end this process when ``parent_pid`` is gone."""
    if sys.platform.startswith("linux") and _set_pdeathsig(signal.SIGKILL):
        if os.getppid() != parent_pid:      # the parent died before the signal was set
            os._exit(1)
        return
    threading.Thread(target=_watch, args=(parent_pid, poll_s), name="formex-lifeline", daemon=True).start()


def _set_pdeathsig(sig: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, poll_s: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(poll_s)
    os._exit(1)
