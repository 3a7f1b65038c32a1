#include "parley_decoder_step.h"
#include "parley_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A decoding step of one sentence (or a beam of a few hypotheses) is ~40 products of a few rows
 * by a weight matrix — 2–40 µs each — and small steps between them: layer norms, attention over
 * twenty positions, residual sums. Run as separate jobs, each product wakes the second thread
 * and each small step leaves it idle: half the step went to that and to building tensors. Here
 * the whole step is one job. Both threads walk the same program; each computes its columns of
 * every product into a shared buffer and they meet at a barrier before the result is read
 * (six per layer). The small steps between products are done by every thread, each on its own
 * copy of the hidden state — cheaper than another barrier — so every thread's copy stays the
 * same and the next product can read it without waiting.
 *
 * Buffers written in one phase (between two barriers) are read in the next and written again
 * no earlier than the one after, so no thread overwrites what another is still reading. */

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,fma,avx2"))), apply_to = function)

typedef struct {
    const parley_decoder_step_t *step;
    int head_size;
    float *q, *k, *v, *projection, *hidden;   /* shared, [rows, d] ([rows, inner] for hidden) */
    float *private_buffers;                   /* per thread: x, input, context, scores */
    size_t private_count;
} step_job;

/* This thread's columns of an n-column product: equal shares in multiples of 16. */
static void column_share(int n, int thread, int threads, int *low, int *high) {
    int share = ((n + threads - 1) / threads + 15) / 16 * 16;
    *low = thread * share < n ? thread * share : n;
    *high = *low + share < n ? *low + share : n;
}

/* c[:, own columns] = act(a·wᵀ + bias) for a [rows, k] and w [n, k]; c is [rows, n]. */
static void product(const float *a, int rows, int k, parley_linear map, int n,
                    float *c, int relu, int gelu, int thread, int threads) {
    int low, high;
    column_share(n, thread, threads, &low, &high);
    if (high <= low) return;
    parley_dot_rows_avx512(a, map.weight + (long)low * k, c + low, rows, high - low, k, n, 0);
    const float *bias = map.bias;
    for (int r = 0; r < rows; r++) {
        float *out = c + (long)r * n;
        if (bias)
            for (int j = low; j < high; j++) out[j] += bias[j];
        if (relu)
            for (int j = low; j < high; j++) out[j] = out[j] > 0 ? out[j] : 0;
        if (gelu)
            for (int j = low; j < high; j++) out[j] = 0.5f * out[j] * (1 + erff(out[j] * 0.70710678118654752f));
    }
}

/* Σ a[j]·b[j] in 16 lanes (the compiler may not reorder a float sum to vectorise it itself). */
static inline float dot(const float *a, const float *b, int n) {
    __m512 sum = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) sum = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), sum);
    if (j < n) {
        __mmask16 mask = (__mmask16)((1u << (n - j)) - 1);
        sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + j), _mm512_maskz_loadu_ps(mask, b + j), sum);
    }
    return _mm512_reduce_add_ps(sum);
}

/* y += alpha·x, in 16 lanes (written out: the compiler does not vectorise it, unable to rule
 * out that y overlaps x). */
static inline void add_scaled(float *y, float alpha, const float *x, int n) {
    __m512 a = _mm512_set1_ps(alpha);
    int j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(y + j, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + j), _mm512_loadu_ps(y + j)));
    if (j < n) {
        __mmask16 mask = (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(y + j, mask, _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(mask, x + j),
                                                           _mm512_maskz_loadu_ps(mask, y + j)));
    }
}

static inline float total(const float *a, int n) {
    __m512 sum = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= n; j += 16) sum = _mm512_add_ps(_mm512_loadu_ps(a + j), sum);
    if (j < n) sum = _mm512_add_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - j)) - 1), a + j), sum);
    return _mm512_reduce_add_ps(sum);
}

/* y = LN(x) over each row of width n (y may be x): mean, then the variance about it. */
static void layer_norm(float *x, float *y, int rows, int n, const float *gain, const float *bias,
                       float epsilon) {
    for (int r = 0; r < rows; r++) {
        float *xr = x + (long)r * n, *yr = y + (long)r * n;
        float mean = total(xr, n) / n;
        for (int j = 0; j < n; j++) yr[j] = xr[j] - mean;
        float inverse = 1 / sqrtf(dot(yr, yr, n) / n + epsilon);
        for (int j = 0; j < n; j++) yr[j] = yr[j] * inverse * gain[j] + bias[j];
    }
}

/* Softmax of scores[0..<n] in place; all positions masked (mask non-zero everywhere) gives
 * zeros, as MultiHeadAttention does for an empty source. */
static void softmax(float *scores, int n, const float *mask) {
    int visible = 0;
    float top = -INFINITY;
    for (int p = 0; p < n; p++) {
        if (mask && mask[p] != 0) continue;
        visible = 1;
        if (scores[p] > top) top = scores[p];
    }
    if (!visible) {
        for (int p = 0; p < n; p++) scores[p] = 0;
        return;
    }
    float total = 0;
    for (int p = 0; p < n; p++) {
        scores[p] = mask && mask[p] != 0 ? 0 : expf(scores[p] - top);
        total += scores[p];
    }
    for (int p = 0; p < n; p++) scores[p] /= total;
}

/* Self-attention of every row and head over the cached positions and this one:
 * context = Σ_p softmax_p(q·key_p / √dk) value_p. Every thread computes all of it (its own
 * context copy); the (row, head) blocks are dealt out in turn for writing the extended cache and
 * the weights, which nobody reads during the step. */
static void self_attention(const step_job *job, const parley_decoder_layer *layer, float *context,
                           float *scores, int thread, int threads) {
    const parley_decoder_step_t *s = job->step;
    int d = s->model_size, heads = s->heads, dk = job->head_size, past = s->step, length = past + 1;
    float scale = 1 / sqrtf((float)dk);
    for (int r = 0; r < s->rows; r++)
        for (int h = 0; h < heads; h++) {
            const float *q = job->q + (long)r * d + h * dk;
            long block = (long)r * heads + h;
            const float *past_keys = layer->past_keys + block * past * dk;
            const float *past_values = layer->past_values + block * past * dk;
            const float *key = job->k + (long)r * d + h * dk, *value = job->v + (long)r * d + h * dk;
            for (int p = 0; p < past; p++) scores[p] = dot(q, past_keys + (long)p * dk, dk) * scale;
            scores[past] = dot(q, key, dk) * scale;
            softmax(scores, length, NULL);
            float *out = context + (long)r * d + h * dk;
            memset(out, 0, sizeof(float) * dk);
            add_scaled(out, scores[past], value, dk);
            for (int p = 0; p < past; p++) add_scaled(out, scores[p], past_values + (long)p * dk, dk);
            if (block % threads != thread) continue;
            /* This thread's blocks: the cache with the new position, and the weights. */
            float *keys = layer->keys + block * length * dk, *values = layer->values + block * length * dk;
            memcpy(keys, past_keys, sizeof(float) * past * dk);
            memcpy(keys + (long)past * dk, key, sizeof(float) * dk);
            memcpy(values, past_values, sizeof(float) * past * dk);
            memcpy(values + (long)past * dk, value, sizeof(float) * dk);
            if (layer->self_weights) memcpy(layer->self_weights + block * length, scores, sizeof(float) * length);
        }
}

/* Attention of every row and head over its source's keys, padding masked (as self_attention). */
static void cross_attention(const step_job *job, const parley_decoder_layer *layer, float *context,
                            float *scores, int thread, int threads) {
    const parley_decoder_step_t *s = job->step;
    int d = s->model_size, heads = s->heads, dk = job->head_size, length = s->source_length;
    float scale = 1 / sqrtf((float)dk);
    for (int r = 0; r < s->rows; r++) {
        int source = s->sources[r];
        const float *mask = s->source_mask + (long)source * length;
        for (int h = 0; h < heads; h++) {
            const float *q = job->q + (long)r * d + h * dk;
            long entry = (long)source * heads + h, block = (long)r * heads + h;
            const float *keys = layer->cross_keys + entry * length * dk;
            const float *values = layer->cross_values + entry * length * dk;
            for (int p = 0; p < length; p++) scores[p] = dot(q, keys + (long)p * dk, dk) * scale;
            softmax(scores, length, mask);
            float *out = context + (long)r * d + h * dk;
            memset(out, 0, sizeof(float) * dk);
            for (int p = 0; p < length; p++) add_scaled(out, scores[p], values + (long)p * dk, dk);
            if (layer->cross_weights && block % threads == thread)
                memcpy(layer->cross_weights + block * length, scores, sizeof(float) * length);
        }
    }
}

/* After a sub-layer's output landed in job->projection: x = LN(x + f) (post-norm) or x + f. */
static void add_residual(const step_job *job, float *x, const float *gain, const float *bias) {
    const parley_decoder_step_t *s = job->step;
    long count = (long)s->rows * s->model_size;
    for (long i = 0; i < count; i++) x[i] += job->projection[i];
    if (!s->pre_norm) layer_norm(x, x, s->rows, s->model_size, gain, bias, s->norm_epsilon);
}

/* The sub-layer's input: LN(x) before it (pre-norm), else x itself. */
static const float *sublayer_input(const step_job *job, float *x, float *input, const float *gain,
                                   const float *bias) {
    const parley_decoder_step_t *s = job->step;
    if (!s->pre_norm) return x;
    layer_norm(x, input, s->rows, s->model_size, gain, bias, s->norm_epsilon);
    return input;
}

static void run_step(void *context, int thread, int threads) {
    const step_job *job = context;
    const parley_decoder_step_t *s = job->step;
    int rows = s->rows, d = s->model_size, inner = s->inner_size;
    float *mine = job->private_buffers + (size_t)thread * job->private_count;
    float *x = mine, *input = x + rows * d, *attended = input + rows * d, *scores = attended + rows * d;

    for (int r = 0; r < rows; r++) {
        const float *embedding = s->embedding + (long)s->tokens[r] * d;
        for (int j = 0; j < d; j++) x[r * d + j] = embedding[j] * s->embedding_scale + s->position[j];
    }
    for (int l = 0; l < s->layer_count; l++) {
        const parley_decoder_layer *layer = &s->layers[l];
        const parley_attention_projections *sa = &layer->self_attention, *ca = &layer->cross_attention;

        const float *in = sublayer_input(job, x, input, layer->self_norm_gain, layer->self_norm_bias);
        product(in, rows, d, sa->query, d, job->q, 0, 0, thread, threads);
        product(in, rows, d, sa->key, d, job->k, 0, 0, thread, threads);
        product(in, rows, d, sa->value, d, job->v, 0, 0, thread, threads);
        parley_team_barrier(threads);
        self_attention(job, layer, attended, scores, thread, threads);
        product(attended, rows, d, sa->output, d, job->projection, 0, 0, thread, threads);
        parley_team_barrier(threads);
        add_residual(job, x, layer->self_norm_gain, layer->self_norm_bias);

        in = sublayer_input(job, x, input, layer->cross_norm_gain, layer->cross_norm_bias);
        product(in, rows, d, ca->query, d, job->q, 0, 0, thread, threads);
        parley_team_barrier(threads);
        cross_attention(job, layer, attended, scores, thread, threads);
        product(attended, rows, d, ca->output, d, job->projection, 0, 0, thread, threads);
        parley_team_barrier(threads);
        add_residual(job, x, layer->cross_norm_gain, layer->cross_norm_bias);

        in = sublayer_input(job, x, input, layer->feed_forward_norm_gain, layer->feed_forward_norm_bias);
        product(in, rows, d, layer->hidden, inner, job->hidden, !s->gelu, s->gelu,
                thread, threads);
        parley_team_barrier(threads);
        product(job->hidden, rows, inner, layer->feed_forward_output, d,
                job->projection, 0, 0, thread, threads);
        parley_team_barrier(threads);
        add_residual(job, x, layer->feed_forward_norm_gain, layer->feed_forward_norm_bias);
    }
    if (s->pre_norm) layer_norm(x, x, rows, d, s->final_norm_gain, s->final_norm_bias, s->norm_epsilon);
    product(x, rows, d, s->output, s->vocabulary, s->logits, 0, 0, thread, threads);
}

int parley_decoder_step(const parley_decoder_step_t *s) {
    if (!parley_kernels_have_avx512() || s->rows < 1 || s->rows > PARLEY_DECODER_STEP_MAX_ROWS || s->model_size % s->heads != 0)
        return -1;
    step_job job = {.step = s, .head_size = s->model_size / s->heads};
    int rows = s->rows, d = s->model_size;
    int longest = s->step + 1 > s->source_length ? s->step + 1 : s->source_length;
    int threads = parley_pool_threads();
    job.private_count = (size_t)3 * rows * d + longest + 16;
    size_t shared = (size_t)4 * rows * d + (size_t)rows * s->inner_size;
    float *memory = malloc(sizeof(float) * (shared + job.private_count * threads));
    if (!memory) return -1;
    job.q = memory;
    job.k = job.q + rows * d;
    job.v = job.k + rows * d;
    job.projection = job.v + rows * d;
    job.hidden = job.projection + rows * d;
    job.private_buffers = job.hidden + (size_t)rows * s->inner_size;
    parley_pool_team(threads, run_step, &job);
    free(memory);
    return 0;
}

#pragma clang attribute pop

#else

int parley_decoder_step(const parley_decoder_step_t *step) {
    (void)step;
    return -1;
}

#endif
