/*
 * broker.h: the privileged broker, the one process besides the master
 * that keeps root (DESIGN.md 5.1).  It alone checks passwords, runs the
 * toolstack, resolves names and scans xen_dir; it reads nothing but
 * fixed-size requests from workers, each of which it checks itself, the
 * account of the worker's session included.
 */
#ifndef ARGO_BROKER_H
#define ARGO_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "instances.h"
#include "privmsg.h"

/*
 * Serve until the master goes away or sends SIGTERM; never returns.  conf
 * is generation 0, password hashes included; ctlfd is the control socket
 * to the master.  Every other descriptor is closed first.
 */
void	broker_main(struct config *conf, int ctlfd)
	    __attribute__((noreturn));

/* A configuration generation, kept while a worker of it lives. */
struct bconf {
	struct config	*bc_conf;
	int64_t		 bc_gen;
	int		 bc_refs;
	struct bconf	*bc_next;
};

/* What the broker knows of one worker; broker_job.c reads it. */
struct bchan {
	int		 ch_index;	/* in broker_chans */
	int		 ch_fd;		/* the broker's end */
	pid_t		 ch_pid;
	int		 ch_slot;
	struct bconf	*ch_bc;
	const struct user *ch_user;	/* this session's account, or NULL */
	uint64_t	 ch_session;	/* the worker's session number */
	/* that session's peer, from the kernel (broker_peer.c) */
	char		 ch_peer[PRIV_PEER_MAX];	/* as logged */
	struct sockaddr_storage ch_peer_ss;	/* AF_UNSPEC: unknown */
	long		 ch_peer_uid;		/* AF_UNIX: SO_PEERCRED's */
	int		 ch_hup;	/* worker gone: close once idle */
	/* the request in flight */
	pid_t		 ch_job;	/* its broker child, 0: none */
	int		 ch_jobfd;	/* the child's reply, -1: none */
	struct priv_req	 ch_rq;
	unsigned char	*ch_rbuf;
	size_t		 ch_rlen;
	long long	 ch_deadline;
	/* the console of this session (broker_console.c) */
	char		 ch_con_name[ARGO_MAX_NAME + 1];	/* asked for, "": none */
	pid_t		 ch_con_pid;	/* its `TOOL console` while attached, 0 */
	int		 ch_con;		/* 1 + its slot in broker_console.c, 0 */
	long long	 ch_con_wait;	/* waiting for the name until, 0: not */
	struct priv_req	 ch_con_rq;	/* the request answered after the wait */
	struct bwatch	*ch_watch;	/* watching (broker_watch.c), or NULL */
};

/*
 * broker_state.c: the state every part of the broker shares, and what any
 * of them does to a channel.  It calls no other broker file.
 */
#define BROKER_MAX_CHANS	(2 * (ARGO_HARD_MAX_CLIENTS + 1) + 16)
extern struct bchan	*broker_chans[BROKER_MAX_CHANS];	/* NULL: free */
extern struct bconf	*broker_confs;		/* newest first */
extern int		 broker_ctl;		/* to the master */
/* The broker's scan, published for the workers whenever it changed. */
const struct instances	*broker_scan(void);
/* Free old generations no worker uses any more. */
void	broker_conf_gc(void);
void	bchan_add(const struct priv_ctl *c, int fd);	/* a new worker */
/* What bchan_close() calls first, to let go of what ch holds above. */
void	bchan_on_close(void (*fn)(struct bchan *ch));
void	bchan_close(struct bchan *ch);
/* The worker broke the protocol (why, for the log): the master stops it. */
void	bchan_kill(struct bchan *ch, const char *why);
/* May close ch (or kill it, when it does not read its replies). */
void	bchan_send(struct bchan *ch, const void *buf, size_t len, int fd);
void	bchan_reply(struct bchan *ch, const struct priv_req *rq, int status,
	    uint64_t seq, int fd);

/* broker_chan.c: a worker's requests, each to the part that does it. */
/* Register the release of a closing channel's console and watch. */
void	bchan_init(void);
void	bchan_read(struct bchan *ch);			/* its request */
void	bchan_job_read(struct bchan *ch);		/* the job's reply */

/* broker_peer.c: set ch's peer from the session's client socket fd (which
 * it closes); "unknown" when fd is not a connected stream socket. */
void	bpeer_learn(struct bchan *ch, int fd);

/* broker_console.c */
/*
 * The job said it runs: start `TOOL console NAME` and send the pty, once
 * no other session's console of that name is attached or being stopped
 * (after a bounded wait; 400 CONSOLE BUSY then).
 */
void	bcon_attach(struct bchan *ch, const struct priv_req *rq);
/* The worker's session left the console: release it, answer at once. */
void	bcon_end(struct bchan *ch, const struct priv_req *rq);
/* The worker is gone: release its console (the tool is stopped). */
void	bcon_stop(struct bchan *ch);
/* pid was reaped: 1 if it was a console. */
int	bcon_reaped(pid_t pid, int status);
/* The stopping steps and the waits; 1 while any is under way. */
int	bcon_tick(long long now);

/* broker_watch.c: `watch`, one toolstack poll for every watching session. */
/* PRIV_WATCH (checked by job_check()), PRIV_WATCH_NEXT, PRIV_WATCH_END. */
void	bwatch_start(struct bchan *ch, const struct priv_req *rq);
/* -1: a NEXT is held already (the worker broke the protocol). */
int	bwatch_next(struct bchan *ch, const struct priv_req *rq);
void	bwatch_end(struct bchan *ch, const struct priv_req *rq);
void	bwatch_leave(struct bchan *ch);		/* the worker is gone */
/* Hand the poll's results to broker_watch.c: before the loop starts. */
void	bwatch_init(void);
/* broker_watch_poll.c: pid was reaped: 1 if it was the poll's child. */
int	bwatch_reaped(pid_t pid, int status);
/* Start a poll when one is due; the ms until the next is, or -1: none. */
long	bwatch_tick(long long now);
/* The running poll's pipe, or -1; read it when poll() says so. */
int	bwatch_fd(void);
void	bwatch_read(void);
/*
 * What broker_watch.c registers: whether anyone watches (no poll runs
 * otherwise), where a good poll's list goes and where a failed one's
 * summary does.
 */
struct domlist;
void	bwatch_poll_init(int (*wanted)(void),
	    void (*good)(const struct domlist *dl),
	    void (*bad)(const char *summary));
void	bwatch_poll_now(void);		/* unless one runs */

/* broker_auth.c: prepare what auth needs (the dummy hash). */
void	job_init(void);
/* broker_job.c */
/*
 * May ch's session do rq now?  PRIV_OK, with *inst set for the requests
 * that name an instance (from the broker's own scan, map); else the
 * refusal's status, with why set for the log.
 */
int	job_check(const struct bchan *ch, const struct priv_req *rq,
	    const struct instances *map, const struct instance **inst,
	    const char **why);
/* The longest a child for rq may take before it is killed, in ms. */
long	job_limit_ms(const struct bchan *ch, const struct priv_req *rq);
/* In the broker's child: do rq, write the reply into buf (PRIV_REP_MAX
 * bytes), return its length. */
size_t	job_run(const struct bchan *ch, const struct priv_req *rq,
	    const struct instance *inst, unsigned char *buf);

#endif
