#include "parley_kernels.h"

/* The floor under a batch-1 decoding step: the step's weight matrices times one row (or a beam's
 * rows), back to back, each split by columns over the team with a barrier after it, read from their 64-column
 * panels by the same kernel — the products of the fused Transformer step (parley_decoder_step.c)
 * and nothing else. A step cannot take less than this
 * on the machine; `parley bench models --part floor` reports it next to the decoding figures. */

typedef struct {
    const void *const *panels;
    const int *formats;
    const int *outputs, *inputs;
    int count, rows, avx512;
    const float *x;
    float *y;
} stream_job;

static void stream_rows(void *context, int thread, int threads) {
    const stream_job *job = context;
    for (int i = 0; i < job->count; i++) {
        int n = job->outputs[i], k = job->inputs[i];
        /* This thread's columns: equal shares in multiples of 16. */
        int size = ((n + threads - 1) / threads + 15) / 16 * 16;
        int low = thread * size < n ? thread * size : n, high = low + size < n ? low + size : n;
        if (job->avx512) parley_panel_rows(job->x, k, job->panels[i], job->formats[i], n, k, low, high, 0, k, job->y, n, job->rows, 0);
        else parley_panel_rows_avx2(job->x, k, job->panels[i], job->formats[i], n, k, low, high, 0, k, job->y, n, job->rows,
                                    0);
        parley_team_barrier(threads);
    }
}

int parley_weight_stream(const void *const *panels, const int *formats, const int *outputs, const int *inputs,
                         int count, int rows, const float *x, float *y, int avx512) {
    if (rows < 1 || rows > 8) return -1;
    avx512 = avx512 && parley_kernels_have_avx512();
    if (!avx512 && !parley_gemm_available()) return -1;
    stream_job job = {panels, formats, outputs, inputs, count, rows, avx512, x, y};
    parley_pool_team(parley_pool_threads(), stream_rows, &job);
    return 0;
}
