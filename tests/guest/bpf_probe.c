/* Calls bpf(BPF_MAP_CREATE) directly, bypassing any library, and reports errno.
 * In the no-bpf guest (CONFIG_BPF_SYSCALL=n) the kernel must answer ENOSYS, exactly as a
 * 3.10 kernel does. Output: "bpf_probe: ret=-1 errno=38 ENOSYS (Function not implemented)". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef __NR_bpf
#define __NR_bpf 321 /* x86_64 */
#endif
#define BPF_MAP_CREATE 0
#define BPF_MAP_TYPE_ARRAY 2

struct map_create_attr {
	unsigned int map_type, key_size, value_size, max_entries, map_flags;
};

int main(void)
{
	struct map_create_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	errno = 0;
	long ret = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	int err = errno;
	printf("bpf_probe: ret=%ld errno=%d %s (%s)\n", ret, err,
	       err == ENOSYS ? "ENOSYS" : err == EPERM ? "EPERM" : err == 0 ? "OK" : "OTHER",
	       strerror(err));
	if (ret >= 0)
		close((int)ret);
	return ret < 0 && err == ENOSYS ? 0 : 1;
}
