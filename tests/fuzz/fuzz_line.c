/*
 * fuzz_line.c: the request line reader and lb_split().
 *
 * The first input byte seeds the chunk sizes, the rest is the byte stream.
 * The stream is fed three ways (whole, in pseudo-random chunks, byte by
 * byte) and must give the same events each time: the reader may not depend
 * on how read() split the data.  Every event is checked against the
 * contract (length limit, NUL termination, no control bytes in a good line,
 * progress), and every good line goes through lb_split(), whose words are
 * checked against a count made here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static uint64_t
mix(uint64_t h, uint64_t v)
{
	/* FNV-1a over 64-bit values: order-sensitive, cheap. */
	h ^= v;
	return h * 0x100000001b3ULL;
}

static void
check_split(const char *line, size_t linelen)
{
	char	 copy[ARGO_MAX_LINE + 1];
	char	*argv[ARGO_MAX_WORDS];
	size_t	 i;
	int	 n, words = 0, inword = 0, k;

	for (i = 0; i < linelen; i++) {
		if (line[i] == ' ' || line[i] == '\t')
			inword = 0;
		else if (!inword) {
			inword = 1;
			words++;
		}
	}
	memcpy(copy, line, linelen + 1);
	n = lb_split(copy, argv, ARGO_MAX_WORDS);
	if (words > ARGO_MAX_WORDS)
		CHECK(n == -1);
	else
		CHECK(n == words);
	for (k = 0; k < (n == -1 ? ARGO_MAX_WORDS : n); k++) {
		CHECK(argv[k] >= copy && argv[k] < copy + linelen);
		CHECK(argv[k][0] != '\0');
		CHECK(strchr(argv[k], ' ') == NULL);
		CHECK(strchr(argv[k], '\t') == NULL);
		CHECK(k == 0 || argv[k] > argv[k - 1]);
	}
}

/*
 * Feed data in chunks (seed 0: whole; 1: byte by byte; else pseudo-random
 * sizes) and return a hash of the events.
 */
static uint64_t
run(const uint8_t *data, size_t size, unsigned seed)
{
	struct linebuf	 lb;
	enum lb_result	 r;
	const char	*line;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	uint32_t	 x = seed * 2654435761U + 1;
	size_t		 off = 0, chunk, used, linelen, i;
	unsigned char	 c;

	lb_init(&lb);
	while (off < size) {
		if (seed == 0)
			chunk = size - off;
		else if (seed == 1)
			chunk = 1;
		else {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			chunk = 1 + x % ((x >> 24) < 16 ? 2000 : 16);
		}
		if (chunk > size - off)
			chunk = size - off;
		while (chunk > 0) {
			used = (size_t)-1;
			r = lb_feed(&lb, data + off, chunk, &used, &line,
			    &linelen);
			CHECK(used <= chunk);
			switch (r) {
			case LB_NEED_MORE:
				CHECK(used == chunk);
				CHECK(line == NULL);
				break;
			case LB_LINE:
				CHECK(used >= 1 && line != NULL);
				CHECK(linelen <= ARGO_MAX_LINE);
				CHECK(line[linelen] == '\0');
				for (i = 0; i < linelen; i++) {
					c = (unsigned char)line[i];
					CHECK(c >= 0x20 || c == '\t');
					CHECK(c != 0x7f);
				}
				check_split(line, linelen);
				h = mix(h, 1);
				h = mix(h, linelen);
				for (i = 0; i < linelen; i++)
					h = mix(h, (unsigned char)line[i]);
				break;
			case LB_BAD:
				CHECK(used >= 1);
				h = mix(h, 2);
				break;
			case LB_TOO_LONG:
				CHECK(used >= 1);
				h = mix(h, 3);
				break;
			default:
				abort();
			}
			off += used;
			chunk -= used;
		}
	}
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t	whole;
	unsigned	seed;

	if (size < 1)
		return 0;
	seed = 2 + data[0];
	data++;
	size--;
	whole = run(data, size, 0);
	CHECK(run(data, size, 1) == whole);
	CHECK(run(data, size, seed) == whole);
	return 0;
}
