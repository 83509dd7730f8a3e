/*
 * log_relay.h: the master's end of the workers' log lines (log.c sends
 * them, log_relay.c says what the master makes of them).
 */
#ifndef ARGO_LOG_RELAY_H
#define ARGO_LOG_RELAY_H

/* The socketpair: sv[0] the master's (SO_PASSCRED), sv[1] the workers'. */
int	log_relay_open(int sv[2]);
/*
 * Log every line waiting, as "argo-worker[PID]: ..." with the sender's
 * real pid, filtered: at most a round's; returns how many.
 */
int	log_relay_drain(int fd);

#endif
