"""Declarations of _sgd_fast.pyx: the C row kernels of _sgd_kernel.h, and the
structs in which plain_sgd groups its options, its arrays and its state."""

from libc.stdint cimport uint64_t

cdef extern from "_sgd_kernel.h":
    void fr_prefetch_line(const void *p) nogil
    void fr_prefetch_row_head(const void *x, const int *ind) nogil
    double fr_sgd_sparse_dot_d(const double *x, const int *ind, Py_ssize_t nnz,
                               const double *w, Py_ssize_t stride) nogil
    double fr_sgd_sparse_dot_s(const float *x, const int *ind, Py_ssize_t nnz,
                               const float *w, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_d(const double *x, const int *ind, Py_ssize_t nnz,
                                double *w, double step, int add, int norms,
                                double *sq, double *l1, double *aw, double avg_a,
                                double avg_c, double *q, double u, double ws,
                                double inv_ws, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_s(const float *x, const int *ind, Py_ssize_t nnz,
                                float *w, float step, int add, int norms,
                                double *sq, double *l1, float *aw, double avg_a,
                                double avg_c, float *q, double u, double ws,
                                double inv_ws, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_pairs_d(const double *x, const int *ind, Py_ssize_t nnz,
                                      double *wq, double step, int add, int norms,
                                      double *sq, double *l1, double *aw, double avg_a,
                                      double avg_c, double u, double ws,
                                      double inv_ws) nogil
    void fr_sgd_sparse_update_pairs_s(const float *x, const int *ind, Py_ssize_t nnz,
                                      float *wq, float step, int add, int norms,
                                      double *sq, double *l1, float *aw, double avg_a,
                                      double avg_c, double u, double ws,
                                      double inv_ws) nogil
    double fr_sgd_dot_truncate_pairs_d(const double *x, const int *ind,
                                       Py_ssize_t nnz, double *wq, double *saved,
                                       double u, double ws, double inv_ws) nogil
    double fr_sgd_dot_truncate_pairs_s(const float *x, const int *ind,
                                       Py_ssize_t nnz, float *wq, float *saved,
                                       double u, double ws, double inv_ws) nogil
    void fr_sgd_pairs_restore_d(const int *ind, Py_ssize_t nnz, double *wq,
                                const double *saved) nogil
    void fr_sgd_pairs_restore_s(const int *ind, Py_ssize_t nnz, float *wq,
                                const float *saved) nogil
    double fr_sgd_dot_d(const double *x, const double *w, Py_ssize_t n,
                        const double *pf) nogil
    float fr_sgd_dot_s(const float *x, const float *w, Py_ssize_t n,
                       const float *pf) nogil
    void fr_sgd_update_d(const double *x, double *w, Py_ssize_t n, double step,
                         int norms, double *sq, double *l1, double *aw,
                         double avg_a, double avg_c, double *q, double u,
                         double ws, const double *xn, double *nd,
                         const double *pf) nogil
    void fr_sgd_update_s(const float *x, float *w, Py_ssize_t n, float step,
                         int norms, double *sq, double *l1, float *aw,
                         double avg_a, double avg_c, float *q, double u,
                         double ws, const float *xn, float *nd,
                         const float *pf) nogil


# plain_sgd's options come grouped, as dicts (Cython converts them to these
# structs); its running state lives in a Run, its arrays in an Arrays (by
# address, cast back to the weights' type by each phase).

cdef struct Loss:
    int code                # SQUARED_ERROR, ..., SQUARED_HINGE
    double param            # epsilon, or the hinge's threshold
    double weight_pos       # class weights of labels > 0 and <= 0
    double weight_neg

cdef struct Penalty:
    int kind                # NO_PENALTY, L1, L2, ELASTICNET
    double alpha
    double l1_ratio

cdef struct Schedule:
    int learning_rate       # CONSTANT, ..., PA2
    double eta0
    double power_t
    double intercept_decay  # the intercept's share of a step (sparse data: 0.01)
    bint fit_intercept

cdef struct Averaging:
    int average             # 0: none; k: average the iterates from sample k on

cdef struct Epochs:
    int max_iter
    bint shuffle
    uint64_t seed
    int verbose

cdef struct Stopping:
    double tol              # -inf: none
    int n_iter_no_change
    bint early_stopping     # score_cb's validation score, else the objective

cdef struct Optimizer:      # fastreg's opt-in optimisers (_extension_step)
    double momentum
    bint nesterov
    int adaptive            # 1: Adam
    bint decoupled

cdef struct Options:
    Loss loss
    Penalty penalty
    Schedule schedule
    Averaging averaging
    Epochs epochs
    Stopping stopping
    Optimizer optimizer
    bint extension          # any optimiser of Optimizer on
    double lam1             # the optimisers' L1 and L2 strengths
    double lam2

cdef struct Arrays:
    # the rows (floating: the weights' type)
    const void *data
    const int *indices
    const long long *indptr
    const void *y
    const void *sample_weight
    const unsigned char *mask   # 1: a validation row
    int *order                  # the epoch's order of the samples
    Py_ssize_t n_samples
    Py_ssize_t n_features
    bint dense
    # the weights: w[j * stride], with q[j * stride] its L1 state (stride 2:
    # each weight and its truncation state side by side)
    void *w
    Py_ssize_t stride
    void *aw                    # averaged weights, NULL without averaging
    void *q                     # L1 truncation state, NULL without L1
    void *saved                 # pairs of a fused dot and truncation, or NULL
    # the optimisers' gradient buffer and per-feature state
    double *gbuf
    void *s1
    void *s2

cdef struct Run:
    double intercept
    double avg_intercept
    double t                    # samples seen, plus one
    double eta
    double optimal_init
    double wscale               # the weights are wscale * w (lazy L2)
    double sq_norm              # |wscale w|^2 and |wscale w|_1
    double l1_norm
    double u                    # cumulative L1 penalty per weight
    double avg_a                # averaging: aw is (aw + avg_a w) / avg_b
    double avg_b
    double num_iter
    double reset_threshold      # wscale below this is folded into w
    bint track                  # keep the objective (tol rule, verbose)
    Py_ssize_t train_count
    # the epoch
    double sumloss
    double objective_sum
    bint fuse                   # truncate zero updates with the dot product
    Py_ssize_t n_updates        # samples with a non-zero update (pairs)
    Py_ssize_t next_k           # the next sample's p, when computed already
    double next_dot
    # the stopping rule
    double best_objective
    double best_score
    int no_improvement
    uint64_t random_state

cdef struct Sample:             # the sample being processed
    Py_ssize_t k
    Py_ssize_t i
    Py_ssize_t nnz
    const int *ind
    double p
    double update
    double ws_local             # wscale after the sample's shrink (fused)
    bint truncated              # its row was truncated with its dot product
    bint averaging
