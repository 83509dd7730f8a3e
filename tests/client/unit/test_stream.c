/*
 * test_stream.c: a multi-host job's connection (stream.c) over a
 * socketpair, the test holding the server's end.  Every step is a
 * stream_io() with the revents poll(2) would give: bytes already in the
 * socket are there for the recv(2), so nothing here waits.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "argo.h"
#include "stream.h"

/* What the callback saw, each line followed by '|'; stop after "stop". */
struct seen {
	char	lines[256];
	int	calls;
};

static int
take(void *arg, char *line, size_t len)
{
	struct seen	*sn = arg;
	size_t		 have = strlen(sn->lines);

	assert_int_equal(strlen(line), len);
	assert_true(have + len + 2 <= sizeof(sn->lines));
	memcpy(sn->lines + have, line, len);
	memcpy(sn->lines + have + len, "|", 2);
	sn->calls++;
	return (strcmp(line, "stop") == 0 ? -1 : 0);
}

static void
pair(struct stream *s, int *peer)
{
	int	sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	stream_init(s);
	assert_int_equal(s->s_fd, -1);
	stream_open(s, sv[0]);
	*peer = sv[1];
}

static void
put(int fd, const char *bytes)
{
	size_t	len = strlen(bytes);

	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
}

static void
test_send(void **state)
{
	struct stream	s;
	struct seen	sn;
	char		buf[64];
	int		peer;

	(void)state;
	memset(&sn, 0, sizeof(sn));
	pair(&s, &peer);
	assert_int_equal(stream_events(&s), POLLIN);
	stream_queue_auth(&s, "u", "secret");
	/* A new line replaces the one not yet sent. */
	stream_queue(&s, "list", 4, "\nquit\n", 6);
	assert_int_equal(stream_events(&s), POLLIN | POLLOUT);
	assert_int_equal(stream_io(&s, POLLOUT, take, &sn), STREAM_AGAIN);
	assert_int_equal(read(peer, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "list\nquit\n", 10);
	/* All sent: the buffer is gone, nothing more to wait for. */
	assert_null(s.s_out);
	assert_int_equal(stream_events(&s), POLLIN);
	assert_int_equal(sn.calls, 0);
	stream_close(&s);
	assert_int_equal(s.s_fd, -1);
	(void)close(peer);
}

static void
test_lines(void **state)
{
	struct stream	s;
	struct seen	sn;
	int		peer;

	(void)state;
	memset(&sn, 0, sizeof(sn));
	pair(&s, &peer);
	/* Nothing there yet, or no input event: wait. */
	assert_int_equal(stream_io(&s, POLLIN, take, &sn), STREAM_AGAIN);
	put(peer, "200 OK\nweb1\r\nd");
	assert_int_equal(stream_io(&s, POLLOUT, take, &sn), STREAM_AGAIN);
	assert_int_equal(sn.calls, 0);
	assert_int_equal(stream_io(&s, POLLIN, take, &sn), STREAM_AGAIN);
	assert_string_equal(sn.lines, "200 OK|web1|");
	put(peer, "b1\n300 BYE\n");
	(void)close(peer);
	assert_int_equal(stream_io(&s, POLLIN, take, &sn), STREAM_AGAIN);
	assert_string_equal(sn.lines, "200 OK|web1|db1|300 BYE|");
	assert_int_equal(stream_io(&s, POLLIN | POLLHUP, take, &sn),
	    STREAM_EOF);
	assert_string_equal(stream_why(STREAM_EOF), "connection closed");
	stream_close(&s);
}

static void
test_stop(void **state)
{
	struct stream	s;
	struct seen	sn;
	int		peer;

	(void)state;
	memset(&sn, 0, sizeof(sn));
	pair(&s, &peer);
	put(peer, "a\nstop\nb\n");
	/* The job finished on "stop": not one line more. */
	assert_int_equal(stream_io(&s, POLLIN, take, &sn), STREAM_STOP);
	assert_string_equal(sn.lines, "a|stop|");
	stream_close(&s);
	(void)close(peer);
}

static void
test_long(void **state)
{
	struct stream	 s;
	struct seen	 sn;
	char		 chunk[4096];
	enum stream_ev	 ev = STREAM_AGAIN;
	size_t		 sent = 0;
	int		 peer;

	(void)state;
	memset(&sn, 0, sizeof(sn));
	memset(chunk, 'x', sizeof(chunk));
	pair(&s, &peer);
	/* A chunk at a time, read at once: the socket never fills. */
	while (ev == STREAM_AGAIN && sent <= 2 * ARGO_CLIENT_MAX_RLINE) {
		assert_int_equal(write(peer, chunk, sizeof(chunk)),
		    (ssize_t)sizeof(chunk));
		sent += sizeof(chunk);
		ev = stream_io(&s, POLLIN, take, &sn);
	}
	assert_int_equal(ev, STREAM_LONG);
	assert_true(sent > ARGO_CLIENT_MAX_RLINE);
	assert_int_equal(sn.calls, 0);
	assert_string_equal(stream_why(STREAM_LONG),
	    "reply line longer than 131072 bytes");
	stream_close(&s);
	(void)close(peer);
}

static void
test_error(void **state)
{
	struct stream	s;
	struct seen	sn;
	int		p[2];

	(void)state;
	memset(&sn, 0, sizeof(sn));
	/* recv(2) on a pipe fails for good, as a reset connection would. */
	assert_int_equal(pipe(p), 0);
	stream_init(&s);
	stream_open(&s, p[0]);
	stream_queue(&s, "watch\n", 6, "", 0);
	errno = 0;
	assert_int_equal(stream_io(&s, POLLIN | POLLOUT, take, &sn),
	    STREAM_ERROR);
	assert_int_equal(errno, ENOTSOCK);
	assert_string_equal(stream_why(STREAM_ERROR), strerror(ENOTSOCK));
	/* The send failed too: given up, the line is dropped. */
	assert_null(s.s_out);
	stream_close(&s);
	(void)close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_error),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
