/* Workload generator for the compatibility matrix (tests/src/matrix.rs): the parts a
 * busybox shell cannot do deterministically.
 *   matrix_load tcp PORT N     N loopback TCP connections: bind, listen, connect, 4 KiB
 *                              each way, close (server and client in two processes;
 *                              the client always closes first, so every run shows the
 *                              same TCP state transitions)
 *   matrix_load gai NAME       getaddrinfo() and gethostbyname() of NAME (libc uprobes)
 *   matrix_load spin MS        burn CPU for MS milliseconds
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
	perror(what);
	return 1;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads exactly len bytes; 0 on success. */
static int read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int tcp(int port, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[4096];
	int one = 1, ls, i, status;
	pid_t child;

	memset(buf, 'x', sizeof(buf));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16))
		return die("bind/listen");
	child = fork();
	if (child < 0)
		return die("fork");
	if (child == 0) {
		for (i = 0; i < n; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
				_exit(die("connect"));
			if (write(c, buf, sizeof(buf)) != sizeof(buf) || read_full(c, buf, sizeof(buf)))
				_exit(die("client io"));
			/* Active close with nothing unread: a FIN, never a RST. */
			close(c);
			usleep(20000);
		}
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		int s = accept(ls, NULL, NULL);

		if (s < 0)
			return die("accept");
		if (read_full(s, buf, sizeof(buf)) || write(s, buf, sizeof(buf)) != sizeof(buf))
			return die("server io");
		/* Passive close: wait for the client's FIN (read returns 0). A timed
		 * wait let a slow (TCG) client lose the race and turned the roles round.
		 */
		if (read(s, buf, 1) != 0)
			return die("server: expected the client's close");
		close(s);
	}
	close(ls);
	waitpid(child, &status, 0);
	printf("tcp: %d connections to 127.0.0.1:%d\n", n, port);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int gai(const char *name)
{
	struct addrinfo *res = NULL;
	int r = getaddrinfo(name, NULL, NULL, &res);
	struct hostent *h = gethostbyname(name);

	printf("gai: getaddrinfo(%s)=%d gethostbyname=%s\n", name, r, h ? "ok" : "fail");
	if (res)
		freeaddrinfo(res);
	return 0;
}

static int spin(int ms)
{
	double end = now_ms() + ms;
	volatile unsigned long x = 0;

	while (now_ms() < end)
		x++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tcp"))
		return tcp(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "gai"))
		return gai(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "spin"))
		return spin(atoi(argv[2]));
	fprintf(stderr, "usage: matrix_load tcp PORT N | gai NAME | spin MS\n");
	return 2;
}
