/*
 * config_query.c: the questions every process asks of a loaded
 * configuration (who is this account, what may it see) and its freeing.
 * Apart from the loader (src/master/config*.c) because workers hold a
 * struct config too but never parse one, and because the loader asks
 * these very questions while it reads: below it, never calling it.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"

void
config_free(struct config *c)
{
	size_t	i, j;

	if (c == NULL)
		return;
	free(c->c_path);
	for (i = 0; i < c->c_nlisten; i++)
		free(c->c_listen[i]);
	free(c->c_xen_dir);
	free(c->c_toolstack);
	free(c->c_pidfile);
	free(c->c_user);
	free(c->c_chroot);
	free(c->c_socket);
	free(c->c_socket_group);
	free(c->c_allow);
	for (i = 0; i < c->c_nusers; i++) {
		struct user *u = &c->c_users[i];

		free(u->u_name);
		if (u->u_hash != NULL) {
			explicit_bzero(u->u_hash, strlen(u->u_hash));
			free(u->u_hash);
		}
		for (j = 0; j < u->u_ninstances; j++)
			free(u->u_instances[j]);
		free(u->u_instances);
		free(u->u_uids);
	}
	free(c->c_users);
	free(c);
}

void
config_forget_secrets(struct config *c)
{
	size_t	i;

	for (i = 0; i < c->c_nusers; i++) {
		struct user *u = &c->c_users[i];

		if (u->u_hash != NULL) {
			explicit_bzero(u->u_hash, strlen(u->u_hash));
			free(u->u_hash);
			u->u_hash = NULL;
		}
	}
}

const struct user *
config_user(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->c_nusers; i++)
		if (strcmp(c->c_users[i].u_name, name) == 0)
			return (&c->c_users[i]);
	return (NULL);
}

const struct user *
config_user_by_uid(const struct config *c, uid_t uid)
{
	size_t	i, j;

	for (i = 0; i < c->c_nusers; i++)
		for (j = 0; j < c->c_users[i].u_nuids; j++)
			if (c->c_users[i].u_uids[j] == uid)
				return (&c->c_users[i]);
	return (NULL);
}

int
config_user_sees(const struct user *u, const char *instance)
{
	size_t	i;

	if (u == NULL || u->u_all)
		return (1);
	for (i = 0; i < u->u_ninstances; i++)
		if (strcmp(u->u_instances[i], instance) == 0)
			return (1);
	return (0);
}
