/*
 * xencfg.c: reading a Xen domain configuration file (DESIGN.md 3.1,
 * XEN-FACTS.md 3).
 *
 * The file is tokenised with the rules of xl's libxlutil (libxlu_cfg_l.l and
 * libxlu_cfg_y.y), because xl is what starts the domain: the name we show
 * must be the name xl will use.  Two things are tolerated beyond xl, since
 * xm accepted them and old files still have them: CR before LF, and a UTF-8
 * byte order mark.  Where xl rejects the whole file on a syntax error, we
 * skip the statement to the end of its line and go on, and only the
 * statements we care about (name, memory, vcpus) are judged.
 *
 * The module is pure: no allocation, no logging, no global state.  The work
 * is linear in the size of the buffer (every byte is looked at a bounded
 * number of times, nothing recurses), and the caller bounds the size
 * (ARGO_MAX_CFG_FILE).  Reasons go back to the caller in `why`, as fixed
 * text: nothing from the file is copied into them, so they are safe to log.
 *
 * Grammar (xl 4.17):
 *	file	 := { stmt }
 *	stmt	 := IDENT ('=' | '+=') value end | end
 *	end	 := NEWLINE | ';' | end of file
 *	value	 := STRING | NUMBER | list
 *	list	 := '[' nl* [ item { ',' nl* item } [ ',' nl* ] ] ']'
 *	item	 := value nl*
 *	IDENT	 := [a-z][._0-9a-z]*	NUMBER := [0-9][0-9a-fx]*
 *	STRING	 := "..." | '...' on one line, backslash escapes
 *	NEWLINE	 := LF | '#' comment up to and including LF
 *	nl	 := NEWLINE
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "xencfg.h"
#include "xencfg_lex.h"

#define XSTR(x)		STR(x)
#define STR(x)		#x

/* Deeper lists are refused; xl's own limit is bison's stack. */
#define XENCFG_MAX_DEPTH	64

enum key { K_OTHER, K_NAME, K_MEMORY, K_VCPUS };

/* What the last `name` statement said. */
enum namekind { N_NONE, N_NOT_LITERAL, N_LITERAL };

struct state {
	enum namekind	 nk;
	const char	*ns;	/* N_LITERAL: the literal, undecoded */
	size_t		 nlen;
	long		 memory;
	long		 vcpus;
};

static void		skip_statement(struct lexer *, struct token *,
			    size_t);
static int		parse_list(struct lexer *, struct token *, size_t *);
static long		parse_number(const char *, size_t);
static enum key		classify(const struct token *);
static void		store(struct state *, enum key, enum tok,
			    const struct token *);
static const char	*name_problem(const char *, size_t);

/*
 * Error recovery: drop tokens up to a line end that is outside any list,
 * starting with the offending token t found at list depth `depth` (0 when
 * the error was not inside a list).  Brackets count only while we are
 * still inside the list the error happened in: junk such as `a = x[` at top
 * level must not swallow the rest of the file.  Strings are still
 * recognised, so a `#` or `]` inside one does not fool us.
 */
static void
skip_statement(struct lexer *lx, struct token *t, size_t depth)
{
	for (;;) {
		switch (t->t) {
		case T_EOF:
			return;
		case T_NL:
			if (depth == 0)
				return;
			break;
		case T_LB:
			if (depth > 0)
				depth++;
			break;
		case T_RB:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		xencfg_lex(lx, t);
	}
}

/*
 * The rest of a list whose '[' was just read.  Returns 0 after the matching
 * ']', or -1 with the offending token in t and the depth it was found at.
 */
static int
parse_list(struct lexer *lx, struct token *t, size_t *depthp)
{
	enum { L_OPEN, L_VALUE, L_COMMA } st = L_OPEN;
	size_t	depth = 1;

	for (;;) {
		xencfg_lex(lx, t);
		switch (t->t) {
		case T_NL:
			continue;
		case T_STRING:
		case T_NUMBER:
			if (st == L_VALUE)
				goto bad;
			st = L_VALUE;
			continue;
		case T_LB:
			if (st == L_VALUE || depth >= XENCFG_MAX_DEPTH)
				goto bad;
			depth++;
			st = L_OPEN;
			continue;
		case T_RB:
			/* After '[', a value or a trailing ',': all fine. */
			if (--depth == 0)
				return 0;
			st = L_VALUE;
			continue;
		case T_COMMA:
			if (st != L_VALUE)
				goto bad;
			st = L_COMMA;
			continue;
		default:
			goto bad;
		}
	}
bad:
	*depthp = depth;
	return -1;
}

/*
 * A non-negative number the way xl's xlu_cfg_get_long() reads it (strtol
 * with base 0: 0x hex, leading 0 octal, else decimal), but without the
 * sign and blanks strtol would also take.  -1 if it is not one or does not
 * fit in a long.
 */
static long
parse_number(const char *s, size_t len)
{
	size_t	i = 0;
	long	v = 0, d;
	int	base = 10;
	char	c;

	if (len == 0)
		return -1;
	if (len > 1 && s[0] == '0') {
		if (s[1] == 'x' || s[1] == 'X') {
			base = 16;
			i = 2;
			if (len == 2)
				return -1;
		} else {
			base = 8;
			i = 1;
		}
	}
	for (; i < len; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (LONG_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	return v;
}

static enum key
classify(const struct token *t)
{
	if (t->len == 4 && memcmp(t->s, "name", 4) == 0)
		return K_NAME;
	if (t->len == 6 && memcmp(t->s, "memory", 6) == 0)
		return K_MEMORY;
	if (t->len == 5 && memcmp(t->s, "vcpus", 5) == 0)
		return K_VCPUS;
	return K_OTHER;
}

/*
 * Record a statement about a key we care about.  op is T_EQ or T_ADD, or
 * T_ERR for a statement that did not parse; v is its value when it was a
 * single string or number (v->t says which), else v->t is T_ERR.
 */
static void
store(struct state *st, enum key k, enum tok op, const struct token *v)
{
	long	n;

	switch (k) {
	case K_NAME:
		if (op == T_EQ && v->t == T_STRING) {
			st->nk = N_LITERAL;
			st->ns = v->s;
			st->nlen = v->len;
		} else
			st->nk = N_NOT_LITERAL;
		break;
	case K_MEMORY:
	case K_VCPUS:
		n = -1;
		if (op == T_EQ && (v->t == T_STRING || v->t == T_NUMBER))
			n = parse_number(v->s, v->len);
		if (k == K_MEMORY)
			st->memory = n;
		else
			st->vcpus = n;
		break;
	case K_OTHER:
		break;
	}
}

/* NULL for a good name, else why it is not one. */
static const char *
name_problem(const char *name, size_t len)
{
	size_t		i;
	int		digits = 1;
	unsigned char	c;

	if (len == 0)
		return "invalid name: empty";
	if (len > ARGO_MAX_NAME)
		return "invalid name: longer than " XSTR(ARGO_MAX_NAME)
		    " bytes";
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (c >= '0' && c <= '9')
			continue;
		digits = 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || c == '.' || c == ':' || c == '+' || c == '-')
			continue;
		if (c == '\\')
			return "invalid name: backslash escape";
		return "invalid name: character outside [A-Za-z0-9_.:+-]";
	}
	if (name[0] == '-')
		return "invalid name: starts with '-'";
	if (digits)
		return "invalid name: all digits";
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return "invalid name: . or ..";
	return NULL;
}

int
xencfg_name_valid(const char *name, size_t len)
{
	if (name == NULL)
		return 0;
	return name_problem(name, len) == NULL;
}

int
xencfg_parse(const char *buf, size_t len, struct xencfg_info *out,
    char *why, size_t whylen)
{
	struct lexer	 lx;
	struct token	 t, val;
	struct state	 st;
	const char	*problem;
	enum tok	 op;
	enum key	 k;
	size_t		 depth;

	memset(out, 0, sizeof(*out));
	out->memory = -1;
	out->vcpus = -1;
	if (why != NULL && whylen > 0)
		why[0] = '\0';

	if (buf == NULL)
		len = 0;
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		/* xl aborts on it, xm refuses it: so do we, for the file. */
		problem = "NUL byte in file";
		goto fail;
	}

	memset(&st, 0, sizeof(st));
	st.nk = N_NONE;
	st.memory = -1;
	st.vcpus = -1;
	lx.p = buf;
	lx.end = buf + len;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		lx.p += 3;

	for (;;) {
		xencfg_lex(&lx, &t);
		if (t.t == T_EOF)
			break;
		if (t.t == T_NL || t.t == T_SEMI)
			continue;
		if (t.t != T_IDENT) {
			skip_statement(&lx, &t, 0);
			continue;
		}
		k = classify(&t);
		val.t = T_ERR;
		val.s = NULL;
		val.len = 0;
		depth = 0;

		xencfg_lex(&lx, &t);
		op = t.t;
		if (op != T_EQ && op != T_ADD)
			goto bad;
		xencfg_lex(&lx, &t);
		if (t.t == T_STRING || t.t == T_NUMBER)
			val = t;
		else if (t.t != T_LB || parse_list(&lx, &t, &depth) != 0)
			goto bad;
		xencfg_lex(&lx, &t);
		if (t.t != T_NL && t.t != T_SEMI && t.t != T_EOF)
			goto bad;
		store(&st, k, op, &val);
		if (t.t == T_EOF)
			break;
		continue;
bad:
		val.t = T_ERR;
		store(&st, k, T_ERR, &val);
		skip_statement(&lx, &t, depth);
	}

	out->memory = st.memory;
	out->vcpus = st.vcpus;
	switch (st.nk) {
	case N_NONE:
		problem = "no name";
		goto fail;
	case N_NOT_LITERAL:
		problem = "name is not a string literal";
		goto fail;
	case N_LITERAL:
		break;
	}
	problem = name_problem(st.ns, st.nlen);
	if (problem != NULL)
		goto fail;
	memcpy(out->name, st.ns, st.nlen);
	out->name[st.nlen] = '\0';
	out->has_name = 1;
	return 0;

fail:
	if (why != NULL && whylen > 0)
		(void)snprintf(why, whylen, "%s", problem);
	return -1;
}
