# Ctrl-C in the kernels (see fastreg/_interrupt.py for the worker threads).
#
# A kernel calls check_interrupt(&work_done, work) once per epoch (or per
# outer iteration), ``work`` being about the number of multiply-adds done
# since its previous call and ``work_done`` a local of the kernel that starts
# at FR_INTERRUPT_WORK, so that the first call of a run reads the clock (a
# driver may call a kernel many times for a few epochs each). A call costs an
# addition and a comparison; once about a millisecond of work has gone by it
# reads the clock, and every FR_INTERRUPT_PERIOD seconds (per thread) it takes
# the GIL to run PyErr_CheckSignals (in the main thread: KeyboardInterrupt on
# Ctrl-C) and fastreg._interrupt.check (on a worker thread: KeyboardInterrupt
# once its parallel region was stopped). It returns -1 with the exception
# set, which the kernel raises; the kernel's outputs are then left part-way,
# for the estimator to discard (see keeps_state_on_interrupt in _base.py).

cdef extern from *:
    """
    #if defined(_WIN32)
    #ifndef NOMINMAX
    #define NOMINMAX
    #endif
    #ifndef WIN32_LEAN_AND_MEAN
    #define WIN32_LEAN_AND_MEAN
    #endif
    #include <windows.h>
    #define FR_THREAD_LOCAL __declspec(thread)
    static double fr_now(void) { return (double)GetTickCount64() * 1e-3; }
    #else
    #include <time.h>
    #define FR_THREAD_LOCAL __thread
    static double fr_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    #endif
    #define FR_INTERRUPT_PERIOD 0.1
    /* multiply-adds between two readings of the clock (about 1 ms);
       -DFASTREG_NO_INTERRUPT_CHECKS leaves the checks out, to measure what
       they cost (benchmarks/interrupt_overhead.py) */
    #define FR_INTERRUPT_WORK 1e6
    #ifdef FASTREG_NO_INTERRUPT_CHECKS
    #define FR_INTERRUPT_CHECKS 0
    #else
    #define FR_INTERRUPT_CHECKS 1
    #endif
    static FR_THREAD_LOCAL double fr_next_check = 0.0;
    /* 1 when the signals are due for a check */
    static int fr_clock_due(void) {
        double now = fr_now();
        if (now < fr_next_check) return 0;
        fr_next_check = now + FR_INTERRUPT_PERIOD;
        return 1;
    }
    /* With the GIL: PyErr_CheckSignals, then fastreg._interrupt.check(); -1
       with the exception set when either raises. Out of line, so that the
       kernels' hot functions grow by a call only. */
    #if defined(__GNUC__)
    __attribute__((noinline))
    #endif
    static int fr_check_signals(void) {
        int rc;
        PyObject *module, *result;
        PyGILState_STATE state = PyGILState_Ensure();
        rc = PyErr_CheckSignals();
        if (rc == 0) {
            module = PyImport_ImportModule("fastreg._interrupt");
            result = module ? PyObject_CallMethod(module, "check", NULL) : NULL;
            Py_XDECREF(module);
            if (result == NULL) rc = -1;
            Py_XDECREF(result);
        }
        PyGILState_Release(state);
        return rc;
    }
    """
    bint fr_clock_due() noexcept nogil
    int fr_check_signals() except -1 nogil
    const double FR_INTERRUPT_WORK
    const bint FR_INTERRUPT_CHECKS


cdef inline int check_interrupt(double* work_done, double work) except -1 nogil:
    if not FR_INTERRUPT_CHECKS:
        return 0
    work_done[0] += work
    if work_done[0] < FR_INTERRUPT_WORK:
        return 0
    work_done[0] = 0.0
    if not fr_clock_due():
        return 0
    return fr_check_signals()
