/*
 * xencfg_lex.h: the tokenizer of xencfg.c.  Not for other modules.
 */
#ifndef ARGO_XENCFG_LEX_H
#define ARGO_XENCFG_LEX_H

#include <stddef.h>

enum tok {
	T_EOF, T_NL, T_SEMI, T_IDENT, T_NUMBER, T_STRING, T_EQ, T_ADD,
	T_COMMA, T_LB, T_RB, T_ERR
};

struct lexer {
	const char	*p;
	const char	*end;
};

struct token {
	enum tok	 t;
	/* IDENT, NUMBER: the text; STRING: what is inside the quotes. */
	const char	*s;
	size_t		 len;
};

/* The next token from lx; T_EOF at the end, T_ERR for junk. */
void	xencfg_lex(struct lexer *lx, struct token *t);

#endif
