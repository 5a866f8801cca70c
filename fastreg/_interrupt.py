"""Ctrl-C during a fit: how work running on worker threads learns of it.

Python delivers SIGINT to the main thread only. A kernel running there polls
``PyErr_CheckSignals`` (see ``_signals.pxd``) and raises KeyboardInterrupt.
A kernel running on a joblib worker thread never sees the signal, while the
main thread, waiting for the workers, gets the KeyboardInterrupt and then
joins them: without a word to the workers it would wait for their whole
fits. So every parallel region runs under a :class:`StopToken`: its tasks
carry it (see :meth:`StopToken.bind`), the kernels poll it (:func:`check`,
at the same cadence as the signals, about every 0.1 s of work), and a SIGINT
handler installed for the duration of the region -- chained to the one in
place, and only when that one raises -- sets it.
"""

import functools
import signal
import threading
from contextlib import contextmanager

_local = threading.local()


class StopToken:
    """A flag shared by the tasks of one parallel region (and of the regions
    nested in them): set, every task raises KeyboardInterrupt at its next
    check. It pickles as a fresh token, for backends that run the tasks in
    other processes (which get the terminal's SIGINT themselves)."""

    def __init__(self, parent=None):
        self._event = threading.Event()
        self._parent = parent

    def set(self):
        self._event.set()

    def is_set(self):
        return self._event.is_set() or (self._parent is not None and self._parent.is_set())

    def __reduce__(self):
        return StopToken, ()

    def bind(self, function):
        """``function``, run under this token (a picklable wrapper)."""
        return _UnderToken(function, self)


class _UnderToken:
    def __init__(self, function, token):
        self.function = function
        self.token = token
        functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        previous = getattr(_local, "token", None)
        _local.token = self.token
        try:
            check()  # a task that had not started when the region stopped
            return self.function(*args, **kwargs)
        finally:
            _local.token = previous


def check():
    """Raise KeyboardInterrupt if this thread's parallel region was stopped.
    The kernels call it (with the GIL) about every 0.1 s of work."""
    token = getattr(_local, "token", None)
    if token is not None and token.is_set():
        raise KeyboardInterrupt


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


@contextmanager
def stop_on_interrupt():
    """A parallel region: yields the :class:`StopToken` its tasks must carry.

    In the main thread, while the region runs, the SIGINT handler in place is
    wrapped so that the token is set when it raises (Python's default handler
    raises KeyboardInterrupt); a handler that does not raise, ``SIG_IGN`` and
    ``SIG_DFL`` are left to act alone. Off the main thread (a region nested
    in a task of another), the token is a child of the enclosing one.
    """
    token = StopToken(getattr(_local, "token", None))
    installed = None
    if _in_main_thread():
        previous = signal.getsignal(signal.SIGINT)
        if callable(previous):
            def handler(signum, frame):
                try:
                    previous(signum, frame)
                except BaseException:
                    token.set()
                    raise
            try:
                signal.signal(signal.SIGINT, handler)
                installed = handler
            except ValueError:  # not the main interpreter
                installed = None
    try:
        yield token
    finally:
        if installed is not None and signal.getsignal(signal.SIGINT) is installed:
            signal.signal(signal.SIGINT, previous)
