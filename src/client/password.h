/*
 * password.h: the password for -u USER, never from the command line:
 * $ARGO_PASSWORD, else the file named by $ARGO_PASSWORD_FILE (mode 0600
 * or stricter), else asked for on the terminal without echo.
 */
#ifndef ARGO_PASSWORD_H
#define ARGO_PASSWORD_H

#include <stddef.h>

/*
 * The password (free with xfree_secret(p, strlen(p) + 1)), or NULL with
 * a message in err.  prompt_for names the account in the prompt.
 */
char	*password_get(const char *prompt_for, char *err, size_t errlen);

#endif
