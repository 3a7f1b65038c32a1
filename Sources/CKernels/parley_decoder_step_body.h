/* The fused decoding step's logic (parley_decoder_step.h), once for every instruction-set form:
 * parley_decoder_step.c includes it compiled for AVX-512, parley_decoder_step_avx2.c for AVX2 and
 * FMA — the whole file under one target each, since plain loops here (layer norms, residual sums,
 * biases) are vectorised to the target too. Before including it, a form
 *   - includes parley_decoder_step.h, parley_kernels.h, <math.h>, <stdlib.h>, <string.h> and
 *     <immintrin.h> (outside its target pragma, so that their declarations do not take it);
 *   - defines its vector helpers dot(a, b, n) (Σ a[j]·b[j]), add_scaled(y, alpha, x, n)
 *     (y += alpha·x) and total(a, n) (Σ a[j]);
 *   - defines FORM_AVAILABLE() (whether this CPU runs the form), PANEL_ROWS (its
 *     parley_panel_rows), FORM_READS_FORMAT(format) (whether that reads panels in `format`) and
 *     the names of its entry points, DECODER_STEP and ATTEND_ONE_POSITION.
 * Each form is its own translation unit, so the static functions here do not clash. */

/* A decoding step of one sentence (or a beam of a few hypotheses) is ~40 products of a few rows
 * by a weight matrix — 2–40 µs each — and small steps between them: layer norms, attention over
 * twenty positions, residual sums. Run as separate jobs, each product wakes the second thread
 * and each small step leaves it idle: half the step went to that and to building tensors. Here
 * the whole step is one job, and the threads meet once per sub-layer (three times per layer):
 *
 * - An attention sub-layer is cut into parts by heads (PARTS below; with two threads, a part
 *   each). A part is its heads' columns of the query, key and value projections, its heads'
 *   attention, and from its heads' columns of the context a partial output projection (those
 *   columns times the matching columns of W_O); the parts' partial sums, added after a barrier,
 *   are the sub-layer's output.
 * - The feed-forward block likewise, by hidden units: each part computes its units and their
 *   partial contribution to the output.
 * - The residual sum and layer norm after each barrier are done by every thread on its own copy
 *   of the hidden state (cheaper than another barrier), so the copies stay equal.
 * - The output projection is split by columns of the logits.
 *
 * Partial sums alternate between two buffers: a thread that has passed a barrier and writes the
 * next sub-layer's partial cannot overwrite one that another thread is still adding up. */

/* Each sub-layer's work is cut into this many parts whatever the number of threads (a thread
 * takes parts thread, thread + threads, …), so the step's arithmetic — and its result, to the
 * last bit — does not depend on how many threads run it: a step run alone because the team was
 * busy gives what it gives on the team. */
enum { PARTS = 2 };

typedef struct {
    const parley_decoder_step_t *step;
    int head_size;
    float *partials[2];         /* shared: per part, [rows, d] partial sub-layer outputs */
    float *private_buffers;     /* per thread: see run_step */
    size_t private_count;
} step_job;

/* Share `index` of `count` of n columns: equal shares in multiples of `unit` (the last may be
 * short or empty). */
static void share(int n, int unit, int index, int count, int *low, int *high) {
    int size = ((n + count - 1) / count + unit - 1) / unit * unit;
    *low = index * size < n ? index * size : n;
    *high = *low + size < n ? *low + size : n;
}

/* Columns low..<high of c = act(a·wᵀ + bias), for a [rows, k] and w [n, k] (read from map's
 * panels); c is [rows, n]. */
static void product_columns(const float *a, int rows, int k, parley_linear map, int n, float *c,
                            int low, int high, int relu, int gelu) {
    if (high <= low) return;
    PANEL_ROWS(a, k, map.panels, map.format, n, k, low, high, 0, k, c, n, rows, 0);
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

/* partial [rows, n] = a[:, low..<high]·w[:, low..<high]ᵀ, for a [rows, k] and w [n, k] (read from
 * map's panels; its bias is added once, after the parts): this thread's part of a product whose
 * inner dimension is split over the threads. */
static void partial_product(const float *a, int rows, int k, parley_linear map, int n, float *partial,
                            int low, int high) {
    if (high <= low) {
        memset(partial, 0, sizeof(float) * rows * n);
        return;
    }
    PANEL_ROWS(a, k, map.panels, map.format, n, k, 0, n, low, high, partial, n, rows, 0);
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

/* One head of one row: weights = softmax_p(q·key_p / √dk) over `length` positions (a non-zero
 * mask entry hides one), context = Σ_p weights_p value_p; keys and values are `length` rows of dk. */
static void attend_head(const float *q, const float *keys, const float *values, int length, int dk,
                        const float *mask, float *weights, float *context) {
    float scale = 1 / sqrtf((float)dk);
    for (int p = 0; p < length; p++) weights[p] = dot(q, keys + (long)p * dk, dk) * scale;
    softmax(weights, length, mask);
    memset(context, 0, sizeof(float) * dk);
    for (int p = 0; p < length; p++) add_scaled(context, weights[p], values + (long)p * dk, dk);
}

/* Asks for `count` floats from p into the cache ahead of use. */
static inline void prefetch(const float *p, long count) {
    for (long i = 0; i < count; i += 16) _mm_prefetch((const char *)(p + i), _MM_HINT_T0);
}

/* Fetches ahead the first `length` positions of heads first..<end of `entry`'s keys and values
 * (blocks of `capacity` positions): a row's attention reads them once, after the step's weights
 * have pushed them out of L2, and a head's block is too short a run for the hardware prefetcher
 * to get ahead of the reads. */
static inline void prefetch_entry(const float *keys, const float *values, long entry, int heads, int first, int end,
                                  int length, int capacity, int dk) {
    for (int h = first; h < end; h++) {
        long block = ((long)entry * heads + h) * capacity * dk;
        prefetch(keys + block, (long)length * dk);
        prefetch(values + block, (long)length * dk);
    }
}

int ATTEND_ONE_POSITION(int rows, int heads, int head_size, int length, int capacity,
                               const float *queries, const float *keys, const float *values,
                               const int *sources, const float *mask, float *weights, float *context) {
    if (!FORM_AVAILABLE()) return -1;
    int d = heads * head_size;
    for (int r = 0; r < rows; r++) {
        long entry = sources ? sources[r] : r;
        for (int h = 0; h < heads; h++) {
            long block = (entry * heads + h) * capacity * head_size;
            if (h + 1 < heads)
                prefetch_entry(keys, values, entry, heads, h + 1, h + 2, length, capacity, head_size);
            else if (r + 1 < rows)
                prefetch_entry(keys, values, sources ? sources[r + 1] : r + 1, heads, 0, 1, length, capacity, head_size);
            attend_head(queries + (long)r * d + h * head_size, keys + block, values + block, length, head_size,
                        mask ? mask + entry * length : NULL, weights + ((long)r * heads + h) * length,
                        context + (long)r * d + h * head_size);
        }
    }
    return 0;
}

/* Self-attention of heads first..<end, every row: this position (from k and v) is written into
 * these heads' blocks of the cache, then each head attends over its filled positions. q, k, v and
 * context are [rows, d], of which these heads' columns are read and written. */
static void self_attention(const step_job *job, const parley_decoder_layer *layer, const float *qs,
                           const float *ks, const float *vs, float *context, float *scores, int first, int end) {
    const parley_decoder_step_t *s = job->step;
    int d = s->model_size, heads = s->heads, dk = job->head_size, past = s->step, length = past + 1;
    long stride = (long)s->cache_capacity * dk;
    for (int r = 0; r < s->rows; r++) {
        if (r + 1 < s->rows) prefetch_entry(layer->keys, layer->values, r + 1, heads, first, end, past, s->cache_capacity, dk);
        for (int h = first; h < end; h++) {
            long block = (long)r * heads + h, column = (long)r * d + h * dk;
            float *keys = layer->keys + block * stride, *values = layer->values + block * stride;
            memcpy(keys + (long)past * dk, ks + column, sizeof(float) * dk);
            memcpy(values + (long)past * dk, vs + column, sizeof(float) * dk);
            float *weights = layer->self_weights ? layer->self_weights + block * length : scores;
            attend_head(qs + column, keys, values, length, dk, NULL, weights, context + column);
        }
    }
}

/* Attention of heads first..<end, every row, over its source's keys, padding masked. */
static void cross_attention(const step_job *job, const parley_decoder_layer *layer, const float *qs,
                            float *context, float *scores, int first, int end) {
    const parley_decoder_step_t *s = job->step;
    int d = s->model_size, heads = s->heads, dk = job->head_size, length = s->source_length;
    for (int r = 0; r < s->rows; r++) {
        int source = s->sources[r];
        if (r + 1 < s->rows)
            prefetch_entry(layer->cross_keys, layer->cross_values, s->sources[r + 1], heads, first, end, length, length, dk);
        for (int h = first; h < end; h++) {
            long entry = (long)source * heads + h, block = (long)r * heads + h, column = (long)r * d + h * dk;
            float *weights = layer->cross_weights ? layer->cross_weights + block * length : scores;
            attend_head(qs + column, layer->cross_keys + entry * length * dk, layer->cross_values + entry * length * dk,
                        length, dk, s->source_mask + (long)source * length, weights, context + column);
        }
    }
}

/* After a barrier: a sub-layer's output f = bias + the parts' partial sums in `partials` (PARTS
 * blocks of [rows, d]), in part order; x = LN(x + f) (post-norm) or x + f. */
static void add_parts(float *x, int rows, int d, const float *partials, const float *output_bias, int pre_norm,
                      const float *gain, const float *bias, float epsilon) {
    for (int r = 0; r < rows; r++) {
        float *xr = x + (long)r * d;
        if (output_bias)
            for (int j = 0; j < d; j++) xr[j] += output_bias[j];
        for (int t = 0; t < PARTS; t++) {
            const float *part = partials + ((long)t * rows + r) * d;
            for (int j = 0; j < d; j++) xr[j] += part[j];
        }
    }
    if (!pre_norm) layer_norm(x, x, rows, d, gain, bias, epsilon);
}

/* Where a part's partial output of the current sub-layer goes. */
static float *partial(const step_job *job, int phase, int part) {
    return job->partials[phase] + (long)part * job->step->rows * job->step->model_size;
}

/* Ends a sub-layer: waits for every part's partial output, adds them to x (add_parts), and
 * moves on to the other partials buffer. */
static void finish_sublayer(const step_job *job, float *x, int *phase, int threads, const float *output_bias,
                            const float *gain, const float *bias) {
    const parley_decoder_step_t *s = job->step;
    parley_team_barrier(threads);
    add_parts(x, s->rows, s->model_size, job->partials[*phase], output_bias, s->pre_norm, gain, bias, s->norm_epsilon);
    *phase ^= 1;
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
    int rows = s->rows, d = s->model_size, inner = s->inner_size, dk = job->head_size;
    float *x = job->private_buffers + (size_t)thread * job->private_count;   /* the hidden state */
    float *input = x + rows * d;        /* a sub-layer's input, pre-norm */
    float *q = input + rows * d, *k = q + rows * d, *v = k + rows * d, *attended = v + rows * d;
    float *hidden = attended + rows * d, *scores = hidden + (long)rows * inner;
    int phase = 0;
    for (int r = 0; r < rows; r++) {
        const float *embedding = s->embedding + (long)s->tokens[r] * d;
        for (int j = 0; j < d; j++) x[r * d + j] = embedding[j] * s->embedding_scale + s->position[j];
    }
    for (int l = 0; l < s->layer_count; l++) {
        const parley_decoder_layer *layer = &s->layers[l];
        const parley_attention_projections *sa = &layer->self_attention, *ca = &layer->cross_attention;
        int low, high;

        const float *in = sublayer_input(job, x, input, layer->self_norm_gain, layer->self_norm_bias);
        for (int part = thread; part < PARTS; part += threads) {
            share(d, dk, part, PARTS, &low, &high);             /* the part's heads' columns */
            product_columns(in, rows, d, sa->query, d, q, low, high, 0, 0);
            product_columns(in, rows, d, sa->key, d, k, low, high, 0, 0);
            product_columns(in, rows, d, sa->value, d, v, low, high, 0, 0);
            self_attention(job, layer, q, k, v, attended, scores, low / dk, high / dk);
            partial_product(attended, rows, d, sa->output, d, partial(job, phase, part), low, high);
        }
        finish_sublayer(job, x, &phase, threads, sa->output.bias, layer->self_norm_gain, layer->self_norm_bias);

        in = sublayer_input(job, x, input, layer->cross_norm_gain, layer->cross_norm_bias);
        for (int part = thread; part < PARTS; part += threads) {
            share(d, dk, part, PARTS, &low, &high);
            product_columns(in, rows, d, ca->query, d, q, low, high, 0, 0);
            cross_attention(job, layer, q, attended, scores, low / dk, high / dk);
            partial_product(attended, rows, d, ca->output, d, partial(job, phase, part), low, high);
        }
        finish_sublayer(job, x, &phase, threads, ca->output.bias, layer->cross_norm_gain, layer->cross_norm_bias);

        in = sublayer_input(job, x, input, layer->feed_forward_norm_gain, layer->feed_forward_norm_bias);
        for (int part = thread; part < PARTS; part += threads) {
            share(inner, 16, part, PARTS, &low, &high);         /* the part's hidden units */
            product_columns(in, rows, d, layer->hidden, inner, hidden, low, high, !s->gelu, s->gelu);
            partial_product(hidden, rows, inner, layer->feed_forward_output, d, partial(job, phase, part),
                            low, high);
        }
        finish_sublayer(job, x, &phase, threads, layer->feed_forward_output.bias, layer->feed_forward_norm_gain,
                        layer->feed_forward_norm_bias);
    }
    if (s->pre_norm) layer_norm(x, x, rows, d, s->final_norm_gain, s->final_norm_bias, s->norm_epsilon);
    int low, high;
    share(s->vocabulary, 16, thread, threads, &low, &high);
    product_columns(x, rows, d, s->output, s->vocabulary, s->logits, low, high, 0, 0);
}

/* Scratch memory for a team job cut into PARTS parts: two shared buffers of `partials` floats
 * (partial_buffers; a sub-layer's parts write one while the threads still adding up the last
 * read the other) and `private_count` floats per thread (*private_buffers, the threads' in turn).
 * Returns the allocation to free after the job, or NULL. */
static float *team_scratch(size_t partials, size_t private_count, int threads, float *partial_buffers[2],
                           float **private_buffers) {
    float *memory = malloc(sizeof(float) * (2 * partials + private_count * threads));
    if (!memory) return NULL;
    partial_buffers[0] = memory;
    partial_buffers[1] = memory + partials;
    *private_buffers = memory + 2 * partials;
    return memory;
}

/* Whether PANEL_ROWS reads every weight's panels: a product it turned away would leave its
 * output unwritten in the middle of the step. */
static int reads_every_format(const parley_decoder_step_t *s) {
    if (!FORM_READS_FORMAT(s->output.format)) return 0;
    for (int l = 0; l < s->layer_count; l++) {
        const parley_decoder_layer *layer = &s->layers[l];
        const parley_linear maps[] = {
            layer->self_attention.query, layer->self_attention.key, layer->self_attention.value,
            layer->self_attention.output, layer->cross_attention.query, layer->cross_attention.output,
            layer->hidden, layer->feed_forward_output};
        for (int i = 0; i < (int)(sizeof maps / sizeof maps[0]); i++)
            if (!FORM_READS_FORMAT(maps[i].format)) return 0;
    }
    return 1;
}

int DECODER_STEP(const parley_decoder_step_t *s) {
    if (!FORM_AVAILABLE() || s->rows < 1 || s->rows > PARLEY_DECODER_STEP_MAX_ROWS || s->model_size % s->heads != 0
        || s->cache_capacity <= s->step || !reads_every_format(s))
        return -1;
    step_job job = {.step = s, .head_size = s->model_size / s->heads};
    int rows = s->rows, d = s->model_size;
    int longest = s->step + 1 > s->source_length ? s->step + 1 : s->source_length;
    int threads = parley_pool_threads();
    job.private_count = (size_t)6 * rows * d + (size_t)rows * s->inner_size + longest + 16;
    float *memory = team_scratch((size_t)PARTS * rows * d, job.private_count, threads, job.partials, &job.private_buffers);
    if (!memory) return -1;
    parley_pool_team(threads, run_step, &job);
    free(memory);
    return 0;
}
