/*
 * sandbox_enter.c: an argo-worker enters its cage before its first
 * accept().  From then on the process that reads the network holds
 * nothing worth taking: no root, no capabilities (bounding set included),
 * no supplementary groups, a root directory that is empty and not its
 * own, and the filter of sandbox.c.
 *
 * The worker image changes no uid: started as root, the master's child
 * became `user` before the exec (master/spawn.c), keeping only
 * CAP_SYS_CHROOT and CAP_SETPCAP as ambient capabilities, which the exec
 * hands us, and in the directory of our cage.  We use the first to chroot
 * there and the second to empty the bounding set, then drop both, and
 * check that nothing is left.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Permitted, effective and inheritable sets to zero; ambient cleared. */
static int
drop_caps(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, data) == -1)
		return (-1);
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (-1);
	return (data[0].effective | data[0].permitted | data[0].inheritable |
	    data[1].effective | data[1].permitted | data[1].inheritable) ?
	    -1 : 0;
}

/* Every capability out of the bounding set, while CAP_SETPCAP lasts. */
static int
drop_bounding(void)
{
	unsigned long	cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return (cap > 0 ? 0 : -1);	/* past the last one */
		return (-1);
	}
	return (0);
}

static int
drop_rest(const struct sandbox_ids *ids, char *err, size_t errlen)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	/* The master's child left us in it (master/spawn.c says why). */
	if (chroot(".") == -1 || chdir("/") == -1) {
		(void)snprintf(err, errlen, "chroot %s: %s", ids->sid_chroot,
		    strerror(errno));
		return (-1);
	}
	if (drop_bounding() == -1) {
		(void)snprintf(err, errlen, "capability bounding set: %s",
		    strerror(errno));
		return (-1);
	}
	if (drop_caps() == -1) {
		(void)snprintf(err, errlen, "cannot drop capabilities");
		return (-1);
	}
	/* Trust, but verify: the ids the master gave us, no group, no root. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != ids->sid_uid || eu != ids->sid_uid || su != ids->sid_uid ||
	    rg != ids->sid_gid || eg != ids->sid_gid || sg != ids->sid_gid ||
	    ru == 0 || getgroups(0, NULL) != 0) {
		(void)snprintf(err, errlen, "privileges still held after "
		    "dropping them");
		return (-1);
	}
	return (0);
}

int
sandbox_enter(const struct sandbox_ids *ids, int *report, char *err,
    size_t errlen)
{
	if (ids != NULL && drop_rest(ids, err, errlen) == -1)
		return (-1);
	return (sandbox_filter(report, err, errlen));
}
