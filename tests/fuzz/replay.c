/*
 * replay.c: run a libFuzzer harness over saved inputs without libFuzzer, so
 * the corpora (seeds and every crash ever found) are regression tests under
 * any compiler, gcc and ASan included (`make fuzz-replay`).
 *
 * usage: fuzz_NAME FILE|DIR ...   (directories: their regular files, not
 * recursive).  Exits 0 when every input ran; a failure aborts inside the
 * harness or the sanitizer, which is the point.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bigger inputs are not seeds; refuse rather than read them whole. */
#define REPLAY_MAX	(16 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	replay_file(const char *);
static int	replay_path(const char *);

static int
replay_file(const char *path)
{
	FILE		*f;
	struct stat	 st;
	uint8_t		*buf;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: too big or unreadable\n", path);
		fclose(f);
		return -1;
	}
	/*
	 * Exactly st_size bytes, as libFuzzer hands them over, so that ASan
	 * catches a read past the end (an empty file still gets one byte).
	 */
	n = (size_t)st.st_size;
	if ((buf = malloc(n > 0 ? n : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(buf, 1, n, f) != n) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
replay_path(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 sub[4096];
	int		 rc = 0, count = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub))
			continue;
		if (stat(sub, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(sub) != 0)
			rc = -1;
		count++;
	}
	closedir(d);
	printf("replay: %s: %d inputs\n", path, count);
	return rc;
}

int
main(int argc, char *argv[])
{
	int	i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i]) != 0)
			rc = 1;
	return rc;
}
