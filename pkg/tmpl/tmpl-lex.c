/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template lexer: text outside actions, and inside {{ }} the tokens of
 * Go's text/template (spaces are tokens because they separate operands).
 * Trim markers "{{- " and " -}}" remove the whitespace next to the action;
 * comments (a slash-star ... star-slash pair filling an action) produce no
 * token at all.
 *
 * The lexer is pull-based and keeps no buffer: the parser asks for one
 * token at a time and keeps its own three-token lookahead.
 */
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl-internal.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's isAlphaNumeric: '_', letters and digits. Bytes of multi-byte UTF-8
 * sequences count as letters. */
static bool is_alnum(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

static int peek(const struct tmpl_lexer *l, size_t at)
{
    return at < l->len ? (unsigned char)l->text[at] : -1;
}

static bool has_prefix(const struct tmpl_lexer *l, size_t at, const char *p)
{
    size_t n = strlen(p);
    return at <= l->len && l->len - at >= n && memcmp(l->text + at, p, n) == 0;
}

static void count_lines(struct tmpl_lexer *l, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (l->text[i] == '\n')
            l->line++;
}

/* Right delimiter at pos: "}}" or " -}}" (trim). */
static bool at_right_delim(const struct tmpl_lexer *l, size_t pos, bool *ret_trim)
{
    if (pos + 1 < l->len && is_space(l->text[pos]) && l->text[pos + 1] == '-' &&
        has_prefix(l, pos + 2, "}}")) {
        *ret_trim = true;
        return true;
    }
    *ret_trim = false;
    return has_prefix(l, pos, "}}");
}

static void emit(struct tmpl_lexer *l, struct tmpl_item *it, enum tmpl_item_type type, size_t start)
{
    it->type = type;
    it->pos = start;
    it->len = l->pos - start;
    count_lines(l, start, l->pos);
}

static void
emit_error(struct tmpl_lexer *l, struct tmpl_item *it, size_t start, const char *fmt, ...)
        _printf_(4, 5);
static void
emit_error(struct tmpl_lexer *l, struct tmpl_item *it, size_t start, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(l->error, sizeof(l->error), fmt, ap);
    va_end(ap);
    it->type = TMPL_ITEM_ERROR;
    it->pos = start;
    it->len = 0;
    l->done = true;
}

/* Go's %#U of the byte or rune at pos. */
static void describe_char(const struct tmpl_lexer *l, size_t pos, char *out, size_t size)
{
    uint32_t r = 0xfffd;
    if (pos < l->len)
        (void)tmpl_utf8_decode(l->text + pos, l->len - pos, &r);
    if (r >= 0x20 && r < 0x7f)
        (void)snprintf(out, size, "U+%04X '%c'", (unsigned)r, (char)r);
    else
        (void)snprintf(out, size, "U+%04X", (unsigned)r);
}

/* Go's atTerminator: what may follow an identifier, field or variable. */
static bool at_terminator(const struct tmpl_lexer *l, size_t pos)
{
    int c = peek(l, pos);
    bool trim;
    if (c < 0 || is_space((char)c))
        return true;
    if (strchr(".,|:)(", c))
        return true;
    return at_right_delim(l, pos, &trim);
}

static void lex_left_delim(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos;
    size_t after = start + 2;
    bool trim = peek(l, after) == '-' && after + 1 < l->len && is_space(l->text[after + 1]);

    if (trim)
        after += 2;
    l->at_delim = false;
    if (has_prefix(l, after, "/*")) {
        /* A comment: no token; continue with the text after it. */
        const char *end = NULL;
        size_t from = after + 2;
        if (from <= l->len)
            end = memmem(l->text + from, l->len - from, "*/", 2);
        if (!end) {
            count_lines(l, start, l->len);
            return emit_error(l, it, start, "unclosed comment");
        }
        size_t p = (size_t)(end - l->text) + 2;
        bool rtrim;
        if (!at_right_delim(l, p, &rtrim)) {
            count_lines(l, start, p);
            return emit_error(l, it, start, "comment ends before closing delimiter");
        }
        p += rtrim ? 4 : 2;
        if (rtrim)
            while (p < l->len && is_space(l->text[p]))
                p++;
        count_lines(l, start, p);
        l->pos = p;
        it->type = _TMPL_ITEM_MAX; /* nothing to emit: scan on */
        return;
    }
    l->pos = start + 2;
    emit(l, it, TMPL_ITEM_LEFT_DELIM, start);
    count_lines(l, l->pos, after);
    l->pos = after;
    l->in_action = true;
    l->paren_depth = 0;
}

static void lex_text(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos;
    const char *p = NULL;

    if (l->at_delim)
        return lex_left_delim(l, it);
    if (start < l->len)
        p = memmem(l->text + start, l->len - start, "{{", 2);
    if (!p) {
        if (start >= l->len) {
            it->type = TMPL_ITEM_EOF;
            it->pos = l->len;
            it->len = 0;
            it->line = l->line;
            l->done = true;
            return;
        }
        l->pos = l->len;
        return emit(l, it, TMPL_ITEM_TEXT, start);
    }

    size_t delim = (size_t)(p - l->text);
    size_t end = delim;
    if (peek(l, delim + 2) == '-' && delim + 3 < l->len && is_space(l->text[delim + 3]))
        while (end > start && is_space(l->text[end - 1]))
            end--;
    if (end > start) {
        l->pos = end;
        emit(l, it, TMPL_ITEM_TEXT, start);
        count_lines(l, end, delim);
        l->pos = delim;
        l->at_delim = true;
        return;
    }
    count_lines(l, start, delim);
    l->pos = delim;
    lex_left_delim(l, it);
}

static void lex_right_delim(struct tmpl_lexer *l, struct tmpl_item *it, bool trim)
{
    size_t start;

    if (trim) {
        count_lines(l, l->pos, l->pos + 2);
        l->pos += 2;
    }
    start = l->pos;
    l->pos += 2;
    emit(l, it, TMPL_ITEM_RIGHT_DELIM, start);
    if (trim) {
        size_t p = l->pos;
        while (p < l->len && is_space(l->text[p]))
            p++;
        count_lines(l, l->pos, p);
        l->pos = p;
    }
    l->in_action = false;
}

static void lex_space(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos, p = l->pos;
    bool trim;

    while (p < l->len && is_space(l->text[p]))
        p++;
    /* A space before "-}}" belongs to the trim marker. */
    if (at_right_delim(l, p - 1, &trim) && trim) {
        p--;
        if (p == start)
            return lex_right_delim(l, it, true);
    }
    l->pos = p;
    emit(l, it, TMPL_ITEM_SPACE, start);
}

static void lex_quoted(struct tmpl_lexer *l,
                       struct tmpl_item *it,
                       char quote,
                       enum tmpl_item_type type,
                       const char *what)
{
    size_t start = l->pos;
    size_t p = start + 1;

    for (;;) {
        int c = peek(l, p);
        if (c == '\\') {
            int d = peek(l, p + 1);
            if (d >= 0 && d != '\n') {
                p += 2;
                continue;
            }
            c = d;
            p++;
        }
        if (c < 0 || c == '\n') {
            count_lines(l, start, p);
            return emit_error(l, it, start, "unterminated %s", what);
        }
        p++;
        if (c == quote)
            break;
    }
    l->pos = p;
    emit(l, it, type, start);
}

static void lex_raw_quote(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos;
    const char *end = NULL;

    if (start + 1 < l->len)
        end = memchr(l->text + start + 1, '`', l->len - start - 1);
    if (!end) {
        count_lines(l, start, l->len);
        return emit_error(l, it, start, "unterminated raw quoted string");
    }
    l->pos = (size_t)(end - l->text) + 1;
    emit(l, it, TMPL_ITEM_RAW_STRING, start);
}

static bool accept(const struct tmpl_lexer *l, size_t *p, const char *set)
{
    int c = peek(l, *p);
    if (c > 0 && strchr(set, c)) {
        (*p)++;
        return true;
    }
    return false;
}

static void accept_run(const struct tmpl_lexer *l, size_t *p, const char *set)
{
    while (accept(l, p, set))
        ;
}

/* Go's scanNumber: sign, base prefix, digits with '_', fraction, exponent,
 * imaginary suffix; false when an alphanumeric follows. */
static bool scan_number(const struct tmpl_lexer *l, size_t *p)
{
    const char *digits = "0123456789_";
    bool decimal = true, hex = false;

    (void)accept(l, p, "+-");
    if (accept(l, p, "0")) {
        if (accept(l, p, "xX")) {
            digits = "0123456789abcdefABCDEF_";
            decimal = false;
            hex = true;
        } else if (accept(l, p, "oO")) {
            digits = "01234567_";
            decimal = false;
        } else if (accept(l, p, "bB")) {
            digits = "01_";
            decimal = false;
        }
    }
    accept_run(l, p, digits);
    if (accept(l, p, "."))
        accept_run(l, p, digits);
    if (decimal && accept(l, p, "eE")) {
        (void)accept(l, p, "+-");
        accept_run(l, p, "0123456789_");
    }
    if (hex && accept(l, p, "pP")) {
        (void)accept(l, p, "+-");
        accept_run(l, p, "0123456789_");
    }
    (void)accept(l, p, "i");
    if (peek(l, *p) >= 0 && is_alnum((unsigned char)l->text[*p])) {
        (*p)++;
        return false;
    }
    return true;
}

static void lex_number(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos, p = l->pos;
    enum tmpl_item_type type = TMPL_ITEM_NUMBER;

    if (!scan_number(l, &p))
        return emit_error(l, it, start, "bad number syntax: \"%.*s\"", (int)MIN(p - start, 40),
                          l->text + start);
    if (peek(l, p) == '+' || peek(l, p) == '-') {
        /* complex: 1+2i */
        if (!scan_number(l, &p) || l->text[p - 1] != 'i')
            return emit_error(l, it, start, "bad number syntax: \"%.*s\"", (int)MIN(p - start, 40),
                              l->text + start);
        type = TMPL_ITEM_COMPLEX;
    }
    l->pos = p;
    emit(l, it, type, start);
}

static const struct {
    const char *word;
    enum tmpl_item_type type;
} keywords[] = {
        {"block", TMPL_ITEM_BLOCK},       {"break", TMPL_ITEM_BREAK},
        {"continue", TMPL_ITEM_CONTINUE}, {"define", TMPL_ITEM_DEFINE},
        {"else", TMPL_ITEM_ELSE},         {"end", TMPL_ITEM_END},
        {"false", TMPL_ITEM_BOOL},        {"if", TMPL_ITEM_IF},
        {"nil", TMPL_ITEM_NIL},           {"range", TMPL_ITEM_RANGE},
        {"template", TMPL_ITEM_TEMPLATE}, {"true", TMPL_ITEM_BOOL},
        {"with", TMPL_ITEM_WITH},
};

static void lex_word(struct tmpl_lexer *l, struct tmpl_item *it, enum tmpl_item_type type)
{
    size_t start = l->pos, p = l->pos;
    char what[32];

    if (type != TMPL_ITEM_IDENTIFIER)
        p++; /* '.' or '$' */
    if (type != TMPL_ITEM_IDENTIFIER && at_terminator(l, p)) {
        l->pos = p;
        return emit(l, it, type == TMPL_ITEM_FIELD ? TMPL_ITEM_DOT : TMPL_ITEM_VARIABLE, start);
    }
    while (p < l->len && is_alnum((unsigned char)l->text[p]))
        p++;
    if (!at_terminator(l, p)) {
        describe_char(l, p, what, sizeof(what));
        return emit_error(l, it, start, "bad character %s", what);
    }
    l->pos = p;
    if (type == TMPL_ITEM_IDENTIFIER)
        for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
            if (strlen(keywords[i].word) == p - start &&
                memcmp(keywords[i].word, l->text + start, p - start) == 0) {
                type = keywords[i].type;
                break;
            }
    emit(l, it, type, start);
}

static void lex_inside(struct tmpl_lexer *l, struct tmpl_item *it)
{
    size_t start = l->pos;
    bool trim;
    int c;
    char what[32];

    if (at_right_delim(l, l->pos, &trim)) {
        if (l->paren_depth == 0)
            return lex_right_delim(l, it, trim);
        return emit_error(l, it, start, "unclosed left paren");
    }
    c = peek(l, l->pos);
    if (c < 0)
        return emit_error(l, it, start, "unclosed action");
    if (is_space((char)c))
        return lex_space(l, it);
    switch (c) {
    case '=':
        l->pos++;
        return emit(l, it, TMPL_ITEM_ASSIGN, start);
    case ':':
        if (peek(l, l->pos + 1) != '=')
            return emit_error(l, it, start, "expected :=");
        l->pos += 2;
        return emit(l, it, TMPL_ITEM_DECLARE, start);
    case '|':
        l->pos++;
        return emit(l, it, TMPL_ITEM_PIPE, start);
    case '"':
        return lex_quoted(l, it, '"', TMPL_ITEM_STRING, "quoted string");
    case '`':
        return lex_raw_quote(l, it);
    case '$':
        return lex_word(l, it, TMPL_ITEM_VARIABLE);
    case '\'':
        return lex_quoted(l, it, '\'', TMPL_ITEM_CHAR_CONSTANT, "character constant");
    case '.': {
        int d = peek(l, l->pos + 1);
        if (d < '0' || d > '9')
            return lex_word(l, it, TMPL_ITEM_FIELD);
        return lex_number(l, it);
    }
    case '(':
        l->pos++;
        l->paren_depth++;
        return emit(l, it, TMPL_ITEM_LEFT_PAREN, start);
    case ')':
        l->pos++;
        if (--l->paren_depth < 0)
            return emit_error(l, it, start, "unexpected right paren");
        return emit(l, it, TMPL_ITEM_RIGHT_PAREN, start);
    default:
        break;
    }
    if (c == '+' || c == '-' || (c >= '0' && c <= '9'))
        return lex_number(l, it);
    if (is_alnum((unsigned char)c))
        return lex_word(l, it, TMPL_ITEM_IDENTIFIER);
    if (c > 0x20 && c < 0x7f) {
        l->pos++;
        return emit(l, it, TMPL_ITEM_CHAR, start);
    }
    describe_char(l, l->pos, what, sizeof(what));
    emit_error(l, it, start, "unrecognized character in action: %s", what);
}

void tmpl_lexer_init(struct tmpl_lexer *l, const char *text, size_t len)
{
    *l = (struct tmpl_lexer){.text = text, .len = len, .line = 1};
}

void tmpl_lexer_next(struct tmpl_lexer *l, struct tmpl_item *ret)
{
    do {
        *ret = (struct tmpl_item){.line = l->line};
        if (l->done) {
            ret->type = l->error[0] ? TMPL_ITEM_ERROR : TMPL_ITEM_EOF;
            ret->pos = l->pos;
            return;
        }
        if (l->in_action)
            lex_inside(l, ret);
        else
            lex_text(l, ret);
    } while (ret->type == _TMPL_ITEM_MAX);
}
