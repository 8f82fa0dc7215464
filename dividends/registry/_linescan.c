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

#define SCAN_VERSION 4
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


/* ------------------------------------------------------------------------------------------
 * cells(data, separator, max_columns[, estimate]) -> list[tuple[capsule, capsule]] | str
 *
 * The cells of a CSV file whose every line has as many cells as its first line, as one Arrow
 * string-view column ("vu", Arrow C data interface, handed over as the PyCapsule pair polars
 * takes: pl.Series(obj) with obj.__arrow_c_array__) per position, one row per line, the first
 * line included; declined beyond `max_columns` columns. The lines are counted as they are
 * parsed (the "\n" count, plus one when the text does not end with one): the columns' arrays
 * are set aside for an estimate from the first MiB (`estimate` bytes: the tests make it
 * small) and grown when it is short. The bytes are not checked for UTF-8 or NUL here: the caller uses the
 * result only for a text scan() took.
 * Only the plainest form is taken, and anything else declines (a str: the caller uses
 * polars' parser): a cell is either unquoted (no double quote in it) or a whole quoted cell
 * "..." without a quote or line break inside, followed by the separator or the line end; a
 * "\r" only right before "\n" (or the end of the text), where it ends the line. An unquoted
 * empty cell is null, a quoted empty cell "" is the empty text; as polars' read_csv with
 * has_header=False, infer_schema=False, empty_string_is_null=True.
 * ------------------------------------------------------------------------------------------ */

struct ArrowSchema {
    const char *format, *name, *metadata;
    int64_t flags, n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length, null_count, offset, n_buffers, n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

typedef struct {
    uint8_t *validity;  /* 1 bit per row, 1 = a value */
    uint8_t *views;     /* 16 bytes per row */
    uint8_t *data;      /* the texts longer than 12 bytes, one after the other */
    int64_t *sizes;     /* the one variadic buffer size: the data's length */
    size_t data_len, data_cap;
    int64_t nulls;
    int64_t rows_cap;   /* rows the validity and views have room for */
    const void *buffers[4];
} Column;

static void column_free(Column *c) {
    if (c == NULL) return;
    free(c->validity);
    free(c->views);
    free(c->data);
    free(c->sizes);
    free(c);
}

static void release_array(struct ArrowArray *a) {
    column_free((Column *)a->private_data);
    a->release = NULL;
}

static void release_schema(struct ArrowSchema *s) { s->release = NULL; }

static void schema_capsule_free(PyObject *capsule) {
    struct ArrowSchema *s = PyCapsule_GetPointer(capsule, "arrow_schema");
    if (s == NULL) { PyErr_Clear(); return; }
    if (s->release != NULL) s->release(s);
    free(s);
}

static void array_capsule_free(PyObject *capsule) {
    struct ArrowArray *a = PyCapsule_GetPointer(capsule, "arrow_array");
    if (a == NULL) { PyErr_Clear(); return; }
    if (a->release != NULL) a->release(a);
    free(a);
}

/* The PyCapsule pair polars takes for `array` described by `schema` (both malloc'd), or NULL
 * with both released and freed. A capsule's destructor frees its struct with the last reference. */
static PyObject *capsules(struct ArrowSchema *schema, struct ArrowArray *array) {
    PyObject *sc = PyCapsule_New(schema, "arrow_schema", schema_capsule_free);
    if (sc == NULL) free(schema);
    PyObject *ac = PyCapsule_New(array, "arrow_array", array_capsule_free);
    if (ac == NULL) {
        array->release(array);
        free(array);
    }
    PyObject *pair = (sc && ac) ? PyTuple_Pack(2, sc, ac) : NULL;
    Py_XDECREF(sc);
    Py_XDECREF(ac);
    return pair;
}

/* Append the cell p[from, to) to row `row` of column c; quoted: "" is a value, not null. */
static int put_cell(Column *c, int64_t row, const unsigned char *p, size_t from, size_t to, int quoted) {
    size_t len = to - from;
    uint8_t *view = c->views + (size_t)row * 16;
    if (len == 0 && !quoted) {
        memset(view, 0, 16); /* (the arrays grow by realloc: a null's view is not zero by itself) */
        c->validity[row / 8] &= (uint8_t)~(1u << (row % 8));
        c->nulls++;
        return 0;
    }
    if (len > INT32_MAX) return -1;
    int32_t n32 = (int32_t)len;
    if (len <= 12) { /* inline, zero-padded (the views are malloc'd, not zeroed) */
        uint8_t inline_view[16] = {0};
        memcpy(inline_view, &n32, 4);
        memcpy(inline_view + 4, p + from, len);
        memcpy(view, inline_view, 16);
        return 0;
    }
    memcpy(view, &n32, 4);
    if (c->data_len + len > (size_t)INT32_MAX) return -1; /* offsets are int32 */
    if (c->data_len + len > c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap : 1 << 16;
        while (cap < c->data_len + len) cap *= 2;
        uint8_t *data = realloc(c->data, cap);
        if (data == NULL) return -1;
        c->data = data;
        c->data_cap = cap;
    }
    memcpy(c->data + c->data_len, p + from, len);
    int32_t index = 0, offset = (int32_t)c->data_len;
    memcpy(view + 4, p + from, 4);
    memcpy(view + 8, &index, 4);
    memcpy(view + 12, &offset, 4);
    c->data_len += len;
    return 0;
}

/* Room for `rows` rows in column c (rows > c->rows_cap); -1 when out of memory. */
static int column_grow(Column *c, int64_t rows) {
    size_t old_bitmap = ((size_t)c->rows_cap + 7) / 8, bitmap = ((size_t)rows + 7) / 8;
    uint8_t *validity = realloc(c->validity, bitmap);
    if (validity == NULL) return -1;
    c->validity = validity;
    if (bitmap > old_bitmap) memset(validity + old_bitmap, 0xFF, bitmap - old_bitmap);
    uint8_t *views = realloc(c->views, (size_t)rows * 16); /* (every view is written by put_cell) */
    if (views == NULL) return -1;
    c->views = views;
    c->rows_cap = rows;
    return 0;
}

/* Parse every line into cols (with room for `cap` rows each, at most `most` rows in all);
 * *nrows gets the lines parsed. Returns NULL or why it declines. */
static const char *parse_cells(const unsigned char *p, size_t n, unsigned char sep, Column **cols,
                               int64_t ncols, int64_t cap, int64_t most, int64_t *nrows) {
    size_t i = 0;
    int64_t row = 0;
    for (; i < n; row++) {
        if (row >= most) return "more lines than the bytes allow";
        if (row >= cap) {
            int64_t more = cap + cap / 2 + 1;
            if (more > most) more = most;
            for (int64_t col = 0; col < ncols; col++)
                if (column_grow(cols[col], more) < 0) return "out of memory";
            cap = more;
        }
        for (int64_t col = 0; col < ncols; col++) {
            int last = col == ncols - 1;
            size_t from, to, next;
            int quoted = i < n && p[i] == '"';
            if (quoted) {
                const unsigned char *close = memchr(p + i + 1, '"', n - i - 1);
                if (close == NULL) return "open quote";
                from = i + 1;
                to = (size_t)(close - p);
                if (memchr(p + from, '\n', to - from) != NULL || memchr(p + from, '\r', to - from) != NULL)
                    return "line break in quotes";
                next = to + 1;
            } else {
                from = i;
                next = i;
                while (next < n && p[next] != sep && p[next] != '\n' && p[next] != '"' && p[next] != '\r') next++;
                if (next < n && p[next] == '"') return "quote inside a cell";
                to = next;
            }
            /* what follows the cell: the separator, or the line's end on the last cell */
            if (next < n && p[next] == sep) {
                if (last) return "more cells than columns";
                i = next + 1;
            } else {
                if (!last) return "fewer cells than columns";
                if (next < n && p[next] == '\r') next++; /* (then only "\n" or the end may follow) */
                if (next < n && p[next] != '\n') return "text after a quoted cell";
                i = next + 1; /* (past the end when the text has no last line break) */
            }
            if (put_cell(cols[col], row, p, from, to, quoted) < 0) return "out of memory";
        }
    }
    *nrows = row;
    return NULL;
}

static PyObject *cells(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    int sep;
    long long ncols = 1, nlines = 0, max_columns, estimate = 1 << 20;
    if (!PyArg_ParseTuple(args, "y*iL|L", &data, &sep, &max_columns, &estimate)) return NULL;
    PyObject *result = NULL;
    Column **cols = NULL;
    const char *declined = NULL;
    if (sep < 1 || sep > 127 || sep == '\n' || sep == '\r' || sep == '"' || estimate < 1) {
        PyErr_SetString(PyExc_ValueError, "bad separator or estimate");
        goto done;
    }
    {   /* the first line's cells: separators outside quotes, + 1 */
        const unsigned char *p = data.buf;
        int quoted = 0;
        for (Py_ssize_t i = 0; i < data.len && p[i] != '\n'; i++) {
            if (p[i] == '"') quoted ^= 1;
            else if (p[i] == sep && !quoted) ncols++;
        }
    }
    if (ncols > max_columns) { /* (the caller's polars path refuses the file with its message) */
        result = PyUnicode_FromString("too many columns");
        goto done;
    }
    if (data.len == 0) {
        result = PyUnicode_FromString("empty");
        goto done;
    }
    /* every line of a file this parse takes holds ncols - 1 separators and, but the last, a
     * line break: it has at most (bytes + 1) / ncols lines (and no more memory is set aside) */
    long long most = ((long long)data.len + 1) / ncols;
    if (most > INT32_MAX) most = INT32_MAX;
    long long cap = 0;
    {   /* the estimate: the lines of the first MiB (`estimate` bytes), for the whole text */
        const unsigned char *p = data.buf;
        size_t head = (unsigned long long)data.len < (unsigned long long)estimate ? (size_t)data.len : (size_t)estimate, k = 0;
        for (const unsigned char *q = p, *end = p + head; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) k++;
        cap = (long long)((double)k * ((double)data.len / (double)head) * 1.02) + 1; /* (all: k + 1) */
        if (cap > most) cap = most;
        if (cap < 1) cap = 1;
    }
    cols = calloc((size_t)ncols, sizeof(Column *));
    if (cols == NULL) { PyErr_NoMemory(); goto done; }
    size_t bitmap = ((size_t)cap + 7) / 8;
    for (long long k = 0; k < ncols; k++) {
        Column *c = cols[k] = calloc(1, sizeof(Column));
        if (c == NULL || (c->validity = malloc(bitmap)) == NULL
            || (c->views = malloc((size_t)cap * 16)) == NULL || (c->sizes = calloc(1, sizeof(int64_t))) == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        c->rows_cap = cap;
        memset(c->validity, 0xFF, bitmap);
    }
    int64_t parsed = 0;
    Py_BEGIN_ALLOW_THREADS
    declined = parse_cells((const unsigned char *)data.buf, (size_t)data.len, (unsigned char)sep, cols, ncols,
                           cap, most, &parsed);
    Py_END_ALLOW_THREADS
    nlines = parsed;
    if (declined != NULL) {
        result = PyUnicode_FromString(declined);
        goto done;
    }
    result = PyList_New((Py_ssize_t)ncols);
    if (result == NULL) goto done;
    for (long long k = 0; k < ncols; k++) {
        Column *c = cols[k];
        struct ArrowSchema *schema = calloc(1, sizeof *schema);
        struct ArrowArray *array = calloc(1, sizeof *array);
        if (schema == NULL || array == NULL) {
            free(schema);
            free(array);
            PyErr_NoMemory();
            Py_CLEAR(result);
            goto done;
        }
        schema->format = "vu";
        schema->name = "";
        schema->flags = 2; /* nullable */
        schema->release = release_schema;
        c->sizes[0] = (int64_t)c->data_len;
        int64_t nb = 0;
        c->buffers[nb++] = c->nulls ? c->validity : NULL;
        c->buffers[nb++] = c->views;
        if (c->data_len) c->buffers[nb++] = c->data;
        c->buffers[nb++] = c->sizes;
        array->length = nlines;
        array->null_count = c->nulls;
        array->n_buffers = nb;
        array->buffers = c->buffers;
        array->release = release_array;
        array->private_data = c;
        cols[k] = NULL; /* owned by the array from here */
        PyObject *pair = capsules(schema, array);
        if (pair == NULL) { Py_CLEAR(result); goto done; }
        PyList_SET_ITEM(result, (Py_ssize_t)k, pair);
    }
done:
    if (cols != NULL) {
        for (long long k = 0; k < ncols; k++) column_free(cols[k]);
        free(cols);
    }
    PyBuffer_Release(&data);
    return result;
}

/* ------------------------------------------------------------------------------------------
 * id_parts(stream, length, earliest, latest) -> list[tuple[capsule, capsule]] | str
 *
 * dividends.registry.idnumber.id_number_parts(ids, (earliest, latest)) of a String column of
 * upper-case ID numbers, given as the PyCapsule "arrow_array_stream" polars exports
 * (Series.__arrow_c_stream__(): string-view chunks, "vu"), `length` rows in all; `earliest`
 * and `latest` as YYYYMMDD integers. Four columns back, as Arrow C arrays:
 *   format_ok   bool, never null: 17 ASCII digits then a digit or "X" (18 bytes)
 *   birth_ok    bool, null where not format_ok: digits 7-14 are a real Gregorian date
 *               YYYYMMDD from earliest to latest
 *   checksum_ok bool, null where not format_ok: (12 - sum(digit * weight) % 11) % 11 is
 *               the last character's value (X = 10)
 *   key         int64, null where not format_ok: first 17 digits * 11 + that value
 * Declines (a str) for a stream of another type or length.
 * ------------------------------------------------------------------------------------------ */

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

typedef struct {
    uint8_t *validity; /* NULL: no nulls */
    void *values;
    int64_t nulls;
    const void *buffers[2];
} Plain;

static void release_plain(struct ArrowArray *a) {
    Plain *c = a->private_data;
    if (c != NULL) {
        free(c->validity);
        free(c->values);
        free(c);
    }
    a->release = NULL;
}

/* A capsule pair for the Plain array `c` of `length` rows in `format` ("b" or "l"); takes c. */
static PyObject *plain_pair(Plain *c, const char *format, int64_t length) {
    struct ArrowSchema *schema = calloc(1, sizeof *schema);
    struct ArrowArray *array = calloc(1, sizeof *array);
    if (schema == NULL || array == NULL) {
        free(schema);
        free(array);
        struct ArrowArray tmp = {.private_data = c};
        release_plain(&tmp);
        return PyErr_NoMemory();
    }
    schema->format = format;
    schema->name = "";
    schema->flags = 2;
    schema->release = release_schema;
    c->buffers[0] = c->nulls ? c->validity : NULL;
    c->buffers[1] = c->values;
    array->length = length;
    array->null_count = c->nulls;
    array->n_buffers = 2;
    array->buffers = c->buffers;
    array->release = release_plain;
    array->private_data = c;
    return capsules(schema, array);
}

static Plain *plain_new(int64_t length, size_t width) { /* width 0: a bitmap of values */
    Plain *c = calloc(1, sizeof *c);
    size_t bitmap = ((size_t)length + 7) / 8 + 1;
    if (c == NULL) return NULL;
    c->validity = malloc(bitmap);
    c->values = calloc(width ? (size_t)length + 1 : bitmap, width ? width : 1);
    if (c->validity == NULL || c->values == NULL) {
        free(c->validity);
        free(c->values);
        free(c);
        return NULL;
    }
    memset(c->validity, 0xFF, bitmap);
    return c;
}

static void set_null(Plain *c, int64_t row) {
    c->validity[row / 8] &= (uint8_t)~(1u << (row % 8));
    c->nulls++;
}

static void set_bit(Plain *c, int64_t row) { ((uint8_t *)c->values)[row / 8] |= (uint8_t)(1u << (row % 8)); }

static const int WEIGHT[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

static int days_in(int year, int month) {
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 ? 28 + leap : days[month];
}

/* A per-cell function of a column kernel: `t` NULL for a null cell. */
typedef void (*RowFn)(const long long *params, Plain **out, int64_t row, const unsigned char *t, int32_t len);

/* One ID number's parts into row `row` of the four outputs (params: earliest, latest). */
static void id_row(const long long *params, Plain **out, int64_t row, const unsigned char *t, int32_t len) {
    int ok = t != NULL && len == 18;
    for (int i = 0; ok && i < 17; i++) ok = t[i] >= '0' && t[i] <= '9';
    ok = ok && ((t[17] >= '0' && t[17] <= '9') || t[17] == 'X');
    if (!ok) {
        set_null(out[1], row);
        set_null(out[2], row);
        set_null(out[3], row);
        return;
    }
    set_bit(out[0], row);
    int64_t first17 = 0;
    int total = 0;
    for (int i = 0; i < 17; i++) {
        first17 = first17 * 10 + (t[i] - '0');
        total += (t[i] - '0') * WEIGHT[i];
    }
    int given = t[17] == 'X' ? 10 : t[17] - '0';
    if ((12 - total % 11) % 11 == given) set_bit(out[2], row);
    ((int64_t *)out[3]->values)[row] = first17 * 11 + given;
    long long ymd = 0;
    for (int i = 6; i < 14; i++) ymd = ymd * 10 + (t[i] - '0');
    int year = (int)(ymd / 10000), month = (int)(ymd / 100 % 100), day = (int)(ymd % 100);
    if (ymd >= params[0] && ymd <= params[1] && month >= 1 && month <= 12 && day >= 1 && day <= days_in(year, month))
        set_bit(out[1], row);
}

/* t[from, to) are ASCII digits, the first not 0 unless it is the only one; their value. */
static int canonical(const unsigned char *t, int32_t from, int32_t to, int64_t *value) {
    if (to <= from || (t[from] == '0' && to - from > 1)) return 0;
    uint64_t v = 0; /* (unsigned: 19 digits of an account wrap harmlessly; its value is not used) */
    for (int32_t i = from; i < to; i++) {
        if (t[i] < '0' || t[i] > '9') return 0;
        v = v * 10 + (uint64_t)(t[i] - '0');
    }
    *value = (int64_t)v;
    return 1;
}

/* The usual number cells (params[0]: 0 whole, 1 yuan, 2 account), as the fast paths of
 * dividends.registry.cells read them: out[0] ok, out[1] the value where ok (else null).
 *   whole   0 or 1-18 digits without a leading zero -> the number
 *   yuan    1-16 such digits -> fen (x 100); or 1-16 such digits, ".", 2 digits -> fen
 *   account 6-19 digits, the first not 0 (the value is not used)                     */
static void number_row(const long long *params, Plain **out, int64_t row, const unsigned char *t, int32_t len) {
    int64_t value = 0, cents = 0;
    int ok = 0;
    if (t != NULL) {
        if (params[0] == 0) ok = len <= 18 && canonical(t, 0, len, &value);
        else if (params[0] == 2) ok = len >= 6 && len <= 19 && t[0] != '0' && canonical(t, 0, len, &value);
        else if (len >= 4 && t[len - 3] == '.') {
            unsigned tens = t[len - 2] - (unsigned)'0', units = t[len - 1] - (unsigned)'0';
            ok = len <= 19 && canonical(t, 0, len - 3, &value) && tens <= 9 && units <= 9;
            cents = (int64_t)(tens * 10 + units);
            value = value * 100 + cents;
        } else {
            ok = len <= 16 && canonical(t, 0, len, &value);
            value *= 100;
        }
    }
    if (ok) {
        set_bit(out[0], row);
        ((int64_t *)out[1]->values)[row] = value;
    } else set_null(out[1], row);
}

/* Every row of one string-view chunk through fn; NULL or why it declines. */
static const char *each_cell(const struct ArrowArray *a, int64_t at, int64_t length, RowFn fn,
                             const long long *params, Plain **out) {
    if (a->n_buffers < 3 || a->length < 0 || a->offset < 0 || at + a->length > length) return "unexpected chunk";
    const uint8_t *validity = a->buffers[0];
    const uint8_t *views = a->buffers[1];
    int64_t nvar = a->n_buffers - 3;
    const int64_t *sizes = a->buffers[a->n_buffers - 1];
    if (views == NULL || (nvar > 0 && sizes == NULL)) return "unexpected chunk";
    for (int64_t r = 0; r < a->length; r++) {
        int64_t i = a->offset + r, row = at + r;
        if (validity != NULL && !((validity[i / 8] >> (i % 8)) & 1)) {
            fn(params, out, row, NULL, 0);
            continue;
        }
        const uint8_t *view = views + (size_t)i * 16;
        int32_t len;
        memcpy(&len, view, 4);
        const unsigned char *text;
        if (len < 0) return "bad view";
        if (len <= 12) text = view + 4;
        else {
            int32_t index, offset;
            memcpy(&index, view + 8, 4);
            memcpy(&offset, view + 12, 4);
            if (index < 0 || index >= nvar || offset < 0 || (int64_t)offset + len > sizes[index]
                || a->buffers[2 + index] == NULL)
                return "bad view";
            text = (const unsigned char *)a->buffers[2 + index] + offset;
        }
        fn(params, out, row, text, len);
    }
    return NULL;
}

/* A column kernel: fn over every cell of the string-view stream in `capsule` (`length` rows),
 * into `n` outputs of `formats` ("b" bitmap, "l" int64); the list of their capsule pairs. */
static PyObject *column_kernel(PyObject *capsule, long long length, RowFn fn, const long long *params, int n,
                               const char *const *formats) {
    struct ArrowArrayStream *stream = PyCapsule_GetPointer(capsule, "arrow_array_stream");
    if (stream == NULL) return NULL;
    if (length < 0 || length > INT32_MAX || n > 4) {
        PyErr_SetString(PyExc_ValueError, "bad length");
        return NULL;
    }
    PyObject *result = NULL;
    const char *declined = NULL;
    Plain *out[4] = {NULL, NULL, NULL, NULL};
    struct ArrowSchema schema = {0};
    for (int k = 0; k < n; k++)
        if ((out[k] = plain_new(length, formats[k][0] == 'l' ? 8 : 0)) == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    if (stream->release == NULL || stream->get_schema(stream, &schema) != 0) {
        declined = "no schema";
        goto done;
    }
    if (schema.format == NULL || strcmp(schema.format, "vu") != 0) declined = "not string views";
    if (schema.release != NULL) schema.release(&schema);
    if (declined != NULL) goto done;
    int64_t at = 0;
    for (;;) {
        struct ArrowArray chunk = {0};
        if (stream->get_next(stream, &chunk) != 0) {
            declined = "stream error";
            break;
        }
        if (chunk.release == NULL) break; /* the end */
        Py_BEGIN_ALLOW_THREADS
        declined = each_cell(&chunk, at, length, fn, params, out);
        Py_END_ALLOW_THREADS
        at += chunk.length;
        chunk.release(&chunk);
        if (declined != NULL) break;
    }
    if (declined == NULL && at != length) declined = "another length";
    if (declined != NULL) goto done;
    result = PyList_New(n);
    if (result == NULL) goto done;
    for (int k = 0; k < n; k++) {
        PyObject *pair = plain_pair(out[k], formats[k], length);
        out[k] = NULL;
        if (pair == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, k, pair);
    }
done:
    for (int k = 0; k < n; k++)
        if (out[k] != NULL) {
            struct ArrowArray tmp = {.private_data = out[k]};
            release_plain(&tmp);
        }
    if (result == NULL && declined != NULL) result = PyUnicode_FromString(declined);
    return result;
}

static PyObject *id_parts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *capsule;
    long long length, params[2];
    if (!PyArg_ParseTuple(args, "OLLL", &capsule, &length, &params[0], &params[1])) return NULL;
    static const char *const formats[4] = {"b", "b", "b", "l"};
    return column_kernel(capsule, length, id_row, params, 4, formats);
}

/* numbers(stream, length, kind) -> [ok, value] | str: number_row over the column (kind 0 whole,
 * 1 yuan, 2 account). */
static PyObject *numbers(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *capsule;
    long long length, params[1];
    if (!PyArg_ParseTuple(args, "OLL", &capsule, &length, &params[0])) return NULL;
    if (params[0] < 0 || params[0] > 2) {
        PyErr_SetString(PyExc_ValueError, "kind must be 0, 1 or 2");
        return NULL;
    }
    static const char *const formats[2] = {"b", "l"};
    return column_kernel(capsule, length, number_row, params, 2, formats);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Line facts of CSV bytes in one pass (see the source's header)."},
    {"id_parts", id_parts, METH_VARARGS, "ID number parts of a string-view column (see the source)."},
    {"numbers", numbers, METH_VARARGS, "The usual number cells of a string-view column (see the source)."},
    {"cells", cells, METH_VARARGS, "The cells of a plain CSV as Arrow string-view columns (see the source)."},
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
