#include "parley_icu.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/uversion.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/ubrk.h>
#include <unicode/utf16.h>

const char *parley_icu_version(void) {
    static char text[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo info;
    u_getVersion(info);
    u_versionToString(info, text);
    return text;
}

void parley_free(void *buffer) { free(buffer); }

/* ---- normalisation ---------------------------------------------------------------------- */

static int is_emoji_left(UChar32 c) {
    return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
           u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER) || c == 0xFE0F ||
           (c >= 0xE0020 && c <= 0xE007F);
}

/* Controls (except White_Space ones, which folding handles) and default-ignorable format
   characters: ZWSP, ZWNJ, ZWJ, LRM/RLM, bidi embeddings and isolates, word joiner, BOM, soft
   hyphen. Emoji tag characters (flag subdivisions) are kept. */
static int is_invisible(UChar32 c) {
    int8_t type = u_charType(c);
    if (type == U_CONTROL_CHAR) return !u_isUWhiteSpace(c);
    if (type == U_FORMAT_CHAR) {
        if (c >= 0xE0020 && c <= 0xE007F) return 0;
        return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
    }
    return 0;
}

static int32_t remove_invisible(const UChar *src, int32_t len, UChar *dst) {
    int32_t i = 0, out = 0;
    UChar32 previous = -1; /* last code point written */
    while (i < len) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(src, i, len, c);
        if (is_invisible(c)) {
            if (c == 0x200D && previous >= 0 && is_emoji_left(previous) && i < len) {
                UChar32 next;
                int32_t j = i;
                U16_NEXT(src, j, len, next);
                if (u_hasBinaryProperty(next, UCHAR_EXTENDED_PICTOGRAPHIC)) {
                    dst[out++] = 0x200D;
                    previous = c;
                }
            }
            continue;
        }
        while (start < i) dst[out++] = src[start++];
        previous = c;
    }
    return out;
}

static int32_t fold_whitespace(const UChar *src, int32_t len, UChar *dst) {
    int32_t i = 0, out = 0, pending = 0;
    while (i < len) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(src, i, len, c);
        if (u_isUWhiteSpace(c)) { pending = 1; continue; }
        if (pending && out > 0) dst[out++] = 0x20;
        pending = 0;
        while (start < i) dst[out++] = src[start++];
    }
    return out;
}

/* Runs `op` into a growing buffer; returns the new buffer (malloc'ed) and its length. */
static UChar *run_normalizer(const UNormalizer2 *norm, const UChar *src, int32_t len, int32_t *outLen,
                             UErrorCode *status) {
    int32_t capacity = len + len / 2 + 16;
    UChar *dst = malloc(sizeof(UChar) * capacity);
    if (!dst) { *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    int32_t n = unorm2_normalize(norm, src, len, dst, capacity, status);
    if (*status == U_BUFFER_OVERFLOW_ERROR) {
        *status = U_ZERO_ERROR;
        free(dst);
        capacity = n + 1;
        dst = malloc(sizeof(UChar) * capacity);
        if (!dst) { *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
        n = unorm2_normalize(norm, src, len, dst, capacity, status);
    }
    if (U_FAILURE(*status)) { free(dst); return NULL; }
    *outLen = n;
    return dst;
}

static UChar *run_lowercase(const char *locale, const UChar *src, int32_t len, int32_t *outLen,
                            UErrorCode *status) {
    int32_t capacity = len + len / 4 + 16;
    UChar *dst = malloc(sizeof(UChar) * capacity);
    if (!dst) { *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    int32_t n = u_strToLower(dst, capacity, src, len, locale, status);
    if (*status == U_BUFFER_OVERFLOW_ERROR) {
        *status = U_ZERO_ERROR;
        free(dst);
        capacity = n + 1;
        dst = malloc(sizeof(UChar) * capacity);
        if (!dst) { *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
        n = u_strToLower(dst, capacity, src, len, locale, status);
    }
    if (U_FAILURE(*status)) { free(dst); return NULL; }
    *outLen = n;
    return dst;
}

int32_t parley_normalize(const uint16_t *text, int32_t length, int32_t form, int32_t options,
                         const char *locale, uint16_t **result, int32_t *error) {
    UErrorCode status = U_ZERO_ERROR;
    *result = NULL;
    *error = 0;
    const UNormalizer2 *norm = form == PARLEY_NFKC ? unorm2_getNFKCInstance(&status)
                                                   : unorm2_getNFCInstance(&status);
    if (U_FAILURE(status)) { *error = status; return -1; }
    if (!locale) locale = "";

    /* Fast path: printable ASCII (plus white space) is invariant under NFC and NFKC, and its
       root lowercase is ASCII lowercase. */
    int ascii = 1;
    for (int32_t i = 0; i < length && ascii; i++) {
        uint16_t c = text[i];
        if (c >= 0x80 || (c < 0x20 && !(c >= 0x09 && c <= 0x0D)) || c == 0x7F) ascii = 0;
    }
    int turkic = locale[0] && (strncmp(locale, "tr", 2) == 0 || strncmp(locale, "az", 2) == 0 ||
                               strncmp(locale, "lt", 2) == 0);
    if (ascii && !((options & PARLEY_LOWERCASE) && turkic)) {
        UChar *copy = malloc(sizeof(UChar) * (length + 1));
        if (!copy) { *error = U_MEMORY_ALLOCATION_ERROR; return -1; }
        for (int32_t i = 0; i < length; i++) {
            UChar c = text[i];
            if ((options & PARLEY_LOWERCASE) && c >= 'A' && c <= 'Z') c += 0x20;
            copy[i] = c;
        }
        int32_t n = length;
        if (options & PARLEY_FOLD_WHITESPACE) n = fold_whitespace(copy, n, copy);
        *result = copy;
        return n;
    }

    UChar *current = malloc(sizeof(UChar) * (length + 1));
    if (!current) { *error = U_MEMORY_ALLOCATION_ERROR; return -1; }
    int32_t n;
    if (options & PARLEY_REMOVE_INVISIBLE) {
        n = remove_invisible((const UChar *)text, length, current);
    } else {
        memcpy(current, text, sizeof(UChar) * length);
        n = length;
    }

    int32_t m;
    UChar *next = run_normalizer(norm, current, n, &m, &status);
    free(current);
    if (!next) { *error = status; return -1; }
    current = next; n = m;

    if (options & PARLEY_LOWERCASE) {
        next = run_lowercase(locale, current, n, &m, &status);
        free(current);
        if (!next) { *error = status; return -1; }
        current = next; n = m;
        /* Case mapping can leave text unnormalised (e.g. U+0130 becomes i + U+0307). */
        if (!unorm2_isNormalized(norm, current, n, &status)) {
            next = run_normalizer(norm, current, n, &m, &status);
            free(current);
            if (!next) { *error = status; return -1; }
            current = next; n = m;
        }
        if (U_FAILURE(status)) { free(current); *error = status; return -1; }
    }

    if (options & PARLEY_FOLD_WHITESPACE) {
        n = fold_whitespace(current, n, current); /* in place: output never outruns input */
    }
    *result = current;
    return n;
}

int32_t parley_normalize_utf8(const char *text, int32_t length, int32_t form, int32_t options,
                              const char *locale, uint16_t **result, int32_t *error) {
    UErrorCode status = U_ZERO_ERROR;
    *result = NULL;
    UChar stackBuffer[512];
    UChar *units = stackBuffer;
    int32_t count = 0;
    u_strFromUTF8WithSub(units, 512, &count, text, length, 0xFFFD, NULL, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        units = malloc(sizeof(UChar) * (count + 1));
        if (!units) { *error = U_MEMORY_ALLOCATION_ERROR; return -1; }
        u_strFromUTF8WithSub(units, count + 1, &count, text, length, 0xFFFD, NULL, &status);
    }
    if (U_FAILURE(status)) {
        if (units != stackBuffer) free(units);
        *error = status;
        return -1;
    }
    int32_t n = parley_normalize(units, count, form, options, locale, result, error);
    if (units != stackBuffer) free(units);
    return n;
}

/* ---- word segmentation ------------------------------------------------------------------- */

#define PARLEY_BREAK_CACHE 4

typedef struct {
    char locale[64];
    UBreakIterator *iterator;
} cached_breaker;

static __thread cached_breaker breakers[PARLEY_BREAK_CACHE];
static __thread int32_t breaker_clock;

static UBreakIterator *breaker_for(const char *locale, UErrorCode *status) {
    for (int i = 0; i < PARLEY_BREAK_CACHE; i++) {
        if (breakers[i].iterator && strncmp(breakers[i].locale, locale, sizeof breakers[i].locale) == 0)
            return breakers[i].iterator;
    }
    int slot = -1;
    for (int i = 0; i < PARLEY_BREAK_CACHE; i++) {
        if (!breakers[i].iterator) { slot = i; break; }
    }
    if (slot < 0) {
        slot = breaker_clock++ % PARLEY_BREAK_CACHE;
        ubrk_close(breakers[slot].iterator);
        breakers[slot].iterator = NULL;
    }
    UBreakIterator *iterator = ubrk_open(UBRK_WORD, locale, NULL, 0, status);
    if (U_FAILURE(*status)) return NULL;
    strncpy(breakers[slot].locale, locale, sizeof breakers[slot].locale - 1);
    breakers[slot].locale[sizeof breakers[slot].locale - 1] = 0;
    breakers[slot].iterator = iterator;
    return iterator;
}

static int32_t kind_of(int32_t rule) {
    if (rule >= UBRK_WORD_IDEO && rule < UBRK_WORD_IDEO_LIMIT) return PARLEY_SEGMENT_IDEOGRAPH;
    if (rule >= UBRK_WORD_KANA && rule < UBRK_WORD_KANA_LIMIT) return PARLEY_SEGMENT_KANA;
    if (rule >= UBRK_WORD_LETTER && rule < UBRK_WORD_LETTER_LIMIT) return PARLEY_SEGMENT_LETTER;
    if (rule >= UBRK_WORD_NUMBER && rule < UBRK_WORD_NUMBER_LIMIT) return PARLEY_SEGMENT_NUMBER;
    return PARLEY_SEGMENT_OTHER;
}

int32_t parley_word_segments(const uint16_t *text, int32_t length, const char *locale,
                             int32_t *ends, int32_t *kinds, int32_t *error) {
    UErrorCode status = U_ZERO_ERROR;
    *error = 0;
    if (length == 0) return 0;
    UBreakIterator *iterator = breaker_for(locale ? locale : "", &status);
    if (!iterator) { *error = status; return -1; }
    ubrk_setText(iterator, (const UChar *)text, length, &status);
    if (U_FAILURE(status)) { *error = status; return -1; }
    int32_t count = 0;
    ubrk_first(iterator);
    for (int32_t end = ubrk_next(iterator); end != UBRK_DONE; end = ubrk_next(iterator)) {
        ends[count] = end;
        kinds[count] = kind_of(ubrk_getRuleStatus(iterator));
        count++;
    }
    /* Leave no pointer into the caller's buffer behind. */
    ubrk_setText(iterator, NULL, 0, &status);
    return count;
}
