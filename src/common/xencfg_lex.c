/*
 * xencfg_lex.c: the tokens of a Xen domain configuration file, by the rules
 * of xl's libxlu_cfg_l.l (see xencfg.c for the grammar around them).  Pure:
 * no allocation, no state beyond the lexer's position.
 */
#include <string.h>

#include "xencfg_lex.h"

static int
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/*
 * The next token.  A run of word characters is taken whole and then
 * classified, so that `Name` or `256M` is one bad token rather than a good
 * prefix followed by junk (xl rejects both anyway).
 */
void
xencfg_lex(struct lexer *lx, struct token *t)
{
	const char	*p, *q;
	unsigned char	 c;
	size_t		 i;
	int		 ident, number;

	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
	p = lx->p;
	t->s = p;
	t->len = 0;
	if (p >= lx->end) {
		t->t = T_EOF;
		return;
	}
	c = (unsigned char)*p;
	switch (c) {
	case '\n':
		t->t = T_NL;
		lx->p = p + 1;
		return;
	case '\r':
		/* Tolerated before LF (and at the very end); else an error. */
		if (p + 1 == lx->end) {
			t->t = T_NL;
			lx->p = p + 1;
		} else if (p[1] == '\n') {
			t->t = T_NL;
			lx->p = p + 2;
		} else {
			t->t = T_ERR;
			lx->p = p + 1;
		}
		return;
	case '#':
		/* The comment and its LF are one NEWLINE, as in xl. */
		q = memchr(p, '\n', (size_t)(lx->end - p));
		lx->p = q != NULL ? q + 1 : lx->end;
		t->t = T_NL;
		return;
	case ';':
		t->t = T_SEMI;
		lx->p = p + 1;
		return;
	case ',':
		t->t = T_COMMA;
		lx->p = p + 1;
		return;
	case '[':
		t->t = T_LB;
		lx->p = p + 1;
		return;
	case ']':
		t->t = T_RB;
		lx->p = p + 1;
		return;
	case '=':
		t->t = T_EQ;
		lx->p = p + 1;
		return;
	case '+':
		if (p + 1 < lx->end && p[1] == '=') {
			t->t = T_ADD;
			lx->p = p + 2;
		} else {
			t->t = T_ERR;
			lx->p = p + 1;
		}
		return;
	case '"':
	case '\'':
		for (q = p + 1; q < lx->end && *q != '\n'; q++) {
			if (*q == (char)c) {
				t->t = T_STRING;
				t->s = p + 1;
				t->len = (size_t)(q - (p + 1));
				lx->p = q + 1;
				return;
			}
			/* A backslash escapes anything but a line end. */
			if (*q == '\\' && q + 1 < lx->end && q[1] != '\n')
				q++;
		}
		/* Unterminated on this line: an error up to the LF. */
		t->t = T_ERR;
		lx->p = q;
		return;
	default:
		break;
	}
	if (!is_word(c)) {
		t->t = T_ERR;
		lx->p = p + 1;
		return;
	}
	for (q = p; q < lx->end && is_word((unsigned char)*q); q++)
		;
	t->len = (size_t)(q - p);
	lx->p = q;
	ident = c >= 'a' && c <= 'z';
	number = c >= '0' && c <= '9';
	for (i = 1; i < t->len; i++) {
		c = (unsigned char)p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.'))
			ident = 0;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    c == 'x'))
			number = 0;
	}
	t->t = ident ? T_IDENT : number ? T_NUMBER : T_ERR;
}
