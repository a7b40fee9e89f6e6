/* uprobe / uretprobe target for the bpftrace one-liners (tests/tests/guest_bpftrace.rs):
 * calls bt_add(i, 10) for i = 1..N (N = argv[1], default 5). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int bt_add(int a, int b)
{
	__asm__ volatile("" ::: "memory"); /* keep the call */
	return a + b;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5, i, sum = 0;

	for (i = 1; i <= n; i++)
		sum += bt_add(i, 10);
	printf("%d\n", sum);
	return 0;
}
