/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_event_open(2) for the guest probes that attach programs to perf events, the
 * numbers sysfs and tracefs give for it (a PMU's type, a tracepoint's id), and what they
 * write to tracefs and find in /proc/self/maps to define kprobe and uprobe events.
 */
#ifndef PERF_SYS_H
#define PERF_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The number in the file @path, -1 when it cannot be read. */
static inline long read_number(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/*
 * An event of @type / @config (@config1, @config2) sampling every occurrence, with a
 * wakeup each: of the process @pid, or of every process on CPU 0 for -1.
 */
static inline int sys_perf_open(uint32_t type, uint64_t config, uint64_t config1, uint64_t config2, int pid)
{
	struct perf_event_attr pa;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = type;
	pa.config = config;
	pa.config1 = config1;
	pa.config2 = config2;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	return syscall(__NR_perf_event_open, &pa, pid, pid == -1 ? 0 : -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Append @line to the tracefs file @dir/@file: 0, or -1 with errno. */
static inline int tracing_append(const char *dir, const char *file, const char *line)
{
	char path[256];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return -1;
	if (write(fd, line, strlen(line)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/* The file offset of the code at @addr (what a uprobe names), or 0 with errno. */
static inline unsigned long file_offset(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long start, end, off, a = (unsigned long)addr;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &off) == 3 && a >= start && a < end) {
			fclose(f);
			return a - start + off;
		}
	fclose(f);
	errno = ENOENT;
	return 0;
}

#endif /* PERF_SYS_H */
