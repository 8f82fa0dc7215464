/*
 * The line facts of a CSV file's bytes in one pass (an optional accelerator of
 * dividends/registry/reading.py; the reader works the same without it).
 *
 *     scan(data, separator, needles, max_lines, max_line_bytes) -> tuple | str
 *
 * `data` is any object with the buffer protocol (the file's bytes, BOM removed); nothing is
 * assumed about it: any bytes, any length, no NUL termination. Every read is inside
 * [0, length). The lines are those of reading._lines (polars' one-column read): the text split
 * at each "\n", the last piece dropped when empty (the text ends with "\n"), one "\r" taken off
 * the end of each line.
 *
 * Returns a str (why the scan declines: the caller then runs the polars reference path, which
 * finds and words every problem) when the bytes hold a NUL, are not strict UTF-8 (RFC 3629: no
 * overlong forms, surrogates or code points above U+10FFFF), start with a BOM, are empty, have
 * more than `max_lines` lines or a line of more than `max_line_bytes` bytes. Otherwise a tuple:
 *
 *   0 lines         number of lines
 *   1 longest       bytes of the longest line (without its "\r")
 *   2 width         cells of the first line: separators outside double quotes + 1
 *   3 odd_index     bytes: int64 indices of the lines holding an odd number of double quotes
 *   4 other_index   bytes: int64 indices of the other lines whose cells differ from `width`
 *   5 other_width   bytes: int64 cells of each of those lines (same order)
 *   6 keyword_index bytes: int64 indices of the lines holding one of `needles`
 *   7 seen          bytes(256): seen[b] == 1 when byte b occurs in data
 *   8 ideographic   True when data holds U+3000 (E3 80 80)
 *   9 soft_hyphen   True when data holds U+00AD (C2 AD)
 *
 * Cells are counted as reading._cells_per_line counts them: separators outside runs of
 * double quotes (a quote opens, the next quote closes). `needles` are non-empty bytes without
 * "\n", each matched with ASCII letters in either case (other bytes exactly); a match starts
 * at a character's first byte, which in valid UTF-8 is the same as anywhere.
 *
 * The scan holds no Python object while it runs and releases the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_VERSION 1
#define MAX_NEEDLES 64

typedef struct {
    int64_t *items;
    size_t len, cap;
} Int64s;

static int push(Int64s *a, int64_t v) {
    if (a->len == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof(int64_t)) return -1;
        int64_t *items = realloc(a->items, cap * sizeof(int64_t));
        if (items == NULL) return -1;
        a->items = items;
        a->cap = cap;
    }
    a->items[a->len++] = v;
    return 0;
}

static unsigned char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }

typedef struct {
    const unsigned char *bytes[MAX_NEEDLES];
    size_t size[MAX_NEEDLES];
    int count;
    unsigned char first[256];         /* first[b]: some needle starts with byte b (either case) */
    unsigned char pair[256 * 256];    /* pair[fold(b0) * 256 + fold(b1)]: some needle starts so */
    uint64_t bmp[65536 / 64];         /* bit c: some needle starts with the 3-byte character c */
} Needles;

static unsigned bmp_char(const unsigned char *q) { /* a valid 3-byte UTF-8 character's code point */
    return ((unsigned)(q[0] & 0x0F) << 12) | ((unsigned)(q[1] & 0x3F) << 6) | (unsigned)(q[2] & 0x3F);
}

static int needle_at(const Needles *nd, const unsigned char *p, size_t i, size_t n) {
    for (int k = 0; k < nd->count; k++) {
        size_t m = nd->size[k];
        if (m > n - i) continue;
        const unsigned char *s = nd->bytes[k];
        size_t j = 0;
        while (j < m && fold(p[i + j]) == fold(s[j])) j++;
        if (j == m) return 1;
    }
    return 0;
}

/* Bytes of the UTF-8 character starting at p[i] (i < n), or 0 when it is not valid there. */
static size_t utf8_char(const unsigned char *p, size_t i, size_t n) {
    unsigned char c = p[i];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (need > n - i) return 0;
    if (p[i + 1] < lo || p[i + 1] > hi) return 0;
    for (size_t j = 2; j < need; j++)
        if (p[i + j] < 0x80 || p[i + j] > 0xBF) return 0;
    return need;
}

typedef struct {
    /* in */
    const unsigned char *p;
    size_t n;
    unsigned char sep;
    const Needles *needles;
    int64_t max_lines, max_line_bytes;
    /* out */
    const char *declined; /* NULL: scanned */
    int64_t lines, longest, width;
    Int64s odd, other_index, other_width, keyword;
    unsigned char seen[256];
    int ideographic, soft_hyphen;
} Scan;

/* One line ends at p[end] (exclusive); returns 0, or -1 when the scan must stop. */
static int end_line(Scan *s, size_t start, size_t end, int64_t cells, int quoted_odd, int keyword) {
    size_t len = end - start;
    if (len > 0 && s->p[end - 1] == '\r') len--;
    if (s->lines >= s->max_lines) { s->declined = "too many lines"; return -1; }
    if ((uint64_t)len > (uint64_t)s->max_line_bytes) { s->declined = "line too long"; return -1; }
    int64_t index = s->lines++;
    if ((int64_t)len > s->longest) s->longest = (int64_t)len;
    if (index == 0) s->width = cells;
    int failed = 0;
    if (quoted_odd) failed |= push(&s->odd, index);
    else if (cells != s->width) failed |= push(&s->other_index, index) | push(&s->other_width, cells);
    if (keyword) failed |= push(&s->keyword, index);
    if (failed) { s->declined = "out of memory"; return -1; }
    return 0;
}

static void scan_bytes(Scan *s) {
    const unsigned char *p = s->p;
    const size_t n = s->n;
    const unsigned char sep = s->sep;
    const unsigned char *first = s->needles->first, *pair = s->needles->pair;
    const uint64_t *bmp = s->needles->bmp;
    unsigned char *seen = s->seen;
    /* ASCII bytes that need more than counting: line break, quote, NUL, a needle's first byte */
    unsigned char special[128] = {0};
    special['\n'] = special['"'] = special[0] = 1;
    for (int c = 0; c < 128; c++)
        if (first[c]) special[c] = 1;
    size_t i = 0, start = 0;
    int64_t cells = 1;
    int quoted = 0, keyword = 0;
    if (n == 0) { s->declined = "empty"; return; }
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) { s->declined = "byte order mark"; return; }
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            seen[c] = 1;
            cells += (c == sep) & (quoted ^ 1); /* (no branch: separators come at random places) */
            if (__builtin_expect(special[c], 0)) {
                if (c == '\n') {
                    if (end_line(s, start, i, cells, quoted, keyword) < 0) return;
                    start = i + 1;
                    cells = 1;
                    quoted = 0;
                    keyword = 0;
                } else if (c == '"') quoted ^= 1;
                else if (c == 0) { s->declined = "NUL byte"; return; }
                else if (!keyword && (i + 1 == n || pair[fold(c) * 256 + fold(p[i + 1])])
                         && needle_at(s->needles, p, i, n))
                    keyword = 1;
            }
            i++;
            continue;
        }
        size_t k = utf8_char(p, i, n);
        if (k == 0) { s->declined = "not UTF-8"; return; }
        seen[c] = 1;
        for (size_t j = 1; j < k; j++) seen[p[i + j]] = 1;
        /* (k >= 2: p[i + 1] is there; high bytes fold to themselves) */
        if (!keyword) {
            int maybe;
            if (k == 3) {
                unsigned cp = bmp_char(p + i);
                maybe = (int)((bmp[cp / 64] >> (cp % 64)) & 1);
            } else maybe = pair[c * 256 + p[i + 1]];
            if (maybe && needle_at(s->needles, p, i, n)) keyword = 1;
        }
        if (c == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) s->ideographic = 1;
        if (c == 0xC2 && p[i + 1] == 0xAD) s->soft_hyphen = 1;
        i += k;
    }
    if (start < n) end_line(s, start, n, cells, quoted, keyword); /* a last line without "\n" */
}

static PyObject *as_bytes(const Int64s *a) {
    return PyBytes_FromStringAndSize((const char *)a->items, (Py_ssize_t)(a->len * sizeof(int64_t)));
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    int sep;
    PyObject *needle_seq;
    long long max_lines, max_line_bytes;
    if (!PyArg_ParseTuple(args, "y*iOLL", &data, &sep, &needle_seq, &max_lines, &max_line_bytes))
        return NULL;
    PyObject *result = NULL, *fast = NULL;
    Needles *needles = calloc(1, sizeof(Needles));
    Scan s;
    memset(&s, 0, sizeof s);
    if (sep < 1 || sep > 127 || sep == '\n' || sep == '\r' || sep == '"') {
        PyErr_SetString(PyExc_ValueError, "separator must be one ASCII byte other than \\n, \\r, \"");
        goto done;
    }
    if (needles == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    fast = PySequence_Fast(needle_seq, "needles must be a sequence of bytes");
    if (fast == NULL) goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    if (count > MAX_NEEDLES) {
        PyErr_SetString(PyExc_ValueError, "too many needles");
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, k);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) == 0
            || memchr(PyBytes_AS_STRING(item), '\n', (size_t)PyBytes_GET_SIZE(item)) != NULL) {
            PyErr_SetString(PyExc_ValueError, "each needle must be non-empty bytes without \\n");
            goto done;
        }
        needles->bytes[k] = (const unsigned char *)PyBytes_AS_STRING(item); /* kept alive by fast */
        needles->size[k] = (size_t)PyBytes_GET_SIZE(item);
        unsigned char b0 = fold(needles->bytes[k][0]);
        needles->first[b0] = 1;
        if (b0 >= 'a' && b0 <= 'z') needles->first[b0 - 0x20] = 1;
        const unsigned char *q = needles->bytes[k];
        if (needles->size[k] >= 3 && utf8_char(q, 0, needles->size[k]) == 3) {
            unsigned c = bmp_char(q);
            needles->bmp[c / 64] |= (uint64_t)1 << (c % 64);
        } else for (int b1 = 0; b1 < 256; b1++)  /* a 1-byte needle: any second byte */
            if (needles->size[k] == 1 || fold((unsigned char)b1) == fold(needles->bytes[k][1]))
                needles->pair[b0 * 256 + fold((unsigned char)b1)] = 1;
        needles->count++;
    }
    s.p = (const unsigned char *)data.buf;
    s.n = (size_t)data.len;
    s.sep = (unsigned char)sep;
    s.needles = needles;
    s.max_lines = max_lines;
    s.max_line_bytes = max_line_bytes;
    Py_BEGIN_ALLOW_THREADS
    scan_bytes(&s);
    Py_END_ALLOW_THREADS
    if (s.declined != NULL) {
        result = PyUnicode_FromString(s.declined);
        goto done;
    }
    PyObject *parts[6] = {as_bytes(&s.odd), as_bytes(&s.other_index), as_bytes(&s.other_width),
                          as_bytes(&s.keyword), PyBytes_FromStringAndSize((const char *)s.seen, 256), NULL};
    int ok = 1;
    for (int k = 0; k < 5; k++) ok &= parts[k] != NULL;
    if (ok)
        result = Py_BuildValue("(LLLOOOOOOO)", (long long)s.lines, (long long)s.longest, (long long)s.width,
                               parts[0], parts[1], parts[2], parts[3], parts[4],
                               s.ideographic ? Py_True : Py_False, s.soft_hyphen ? Py_True : Py_False);
    for (int k = 0; k < 5; k++) Py_XDECREF(parts[k]);
done:
    free(s.odd.items);
    free(s.other_index.items);
    free(s.other_width.items);
    free(s.keyword.items);
    free(needles);
    Py_XDECREF(fast);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Line facts of CSV bytes in one pass (see the source's header)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_linescan", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__linescan(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", SCAN_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
