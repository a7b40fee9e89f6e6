/* Map commands from user space through libbpf's raw bpf.h calls, printed as a
 * transcript: one line per call with its return value and errno.  The test runs it
 * natively on the stock Debian kernel (the oracle) and under libbpfhook.so on the
 * no-bpf kernel; the two transcripts must be identical.  Then the hammer: a
 * program attached to the getpid tracepoint adds 1 atomically to an array, a hash,
 * a per-CPU array and a per-CPU hash value while two threads pinned to two CPUs
 * call getpid and a third thread updates and deletes other hash keys; the counts
 * must be exact.  Output lines are "T <text>" (transcript) and "R key=value".
 * Build: gcc -O2 -Wall -o maps_transcript maps_transcript.c -lbpf -lpthread */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int ncpus;

/* Print "T <what> = <ret> <errno>" (errno 0 on success) and return ret. */
static long show(const char *what, long ret)
{
	printf("T %-44s = %ld %d\n", what, ret < 0 ? -1L : ret, ret < 0 ? errno : 0);
	return ret;
}
#define CALL(expr) show(#expr, (long)(expr))
#define MAP(type, k, v, n, f, extra) make_map(#type, type, k, v, n, f, extra)

static int make_map(const char *name, enum bpf_map_type type, __u32 k, __u32 v, __u32 n,
		    __u32 flags, __u64 extra)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags, .map_extra = extra);
	char what[96];
	int fd = bpf_map_create(type, NULL, k, v, n, &o);

	snprintf(what, sizeof(what), "create %s k%u v%u n%u f%#x", name, k, v, n, flags);
	show(what, fd < 0 ? -1 : 0);
	return fd;
}

static void value_line(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	printf("T %s:", what);
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static void hash_family(enum bpf_map_type type, const char *name, int percpu, int lru)
{
	size_t vs = percpu ? 8 * (size_t)ncpus : 8;
	__u64 *val = calloc(ncpus, 8), *out = calloc(ncpus, 8), sum;
	__u32 key, next, keys[8], cnt, tok;
	__u64 vals[8 * 64];
	int fd, i, c, seen;

	printf("T --- %s\n", name);
	if (lru)
		CALL(bpf_map_create(type, NULL, 4, 8, 4, &(struct bpf_map_create_opts){
			.sz = sizeof(struct bpf_map_create_opts), .map_flags = BPF_F_NO_PREALLOC }) < 0 ? -1 : 0);
	else
		CALL(bpf_map_create(type, NULL, 4, 8, 4, &(struct bpf_map_create_opts){
			.sz = sizeof(struct bpf_map_create_opts), .map_flags = 2 /* NO_COMMON_LRU */ }) < 0 ? -1 : 0);
	CALL(bpf_map_create(type, NULL, 0, 8, 4, NULL) < 0 ? -1 : 0);
	fd = MAP(type, 4, 8, 4, 0, 0);
	for (c = 0; c < ncpus; c++)
		val[c] = 100 + c;
	key = 1;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_NOEXIST));
	CALL(bpf_map_update_elem(fd, &key, val, BPF_NOEXIST));
	CALL(bpf_map_update_elem(fd, &key, val, 4));
	CALL(bpf_map_update_elem(fd, &key, val, BPF_F_LOCK));
	key = 9;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_EXIST));
	CALL(bpf_map_lookup_elem(fd, &key, out));
	CALL(bpf_map_delete_elem(fd, &key));
	for (key = 2; key <= 4; key++)
		CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY));
	key = 5;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY)); /* full: E2BIG, or LRU eviction */
	key = 1;
	val[0] = 7;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_EXIST));
	memset(out, 0, vs);
	if (CALL(bpf_map_lookup_elem(fd, &key, out)) == 0 && !lru)
		value_line("value of key 1", out, vs);
	/* Iteration order is the implementation's: compare the set. */
	seen = 0;
	sum = 0;
	for (i = bpf_map_get_next_key(fd, NULL, &next); i == 0; i = bpf_map_get_next_key(fd, &key, &next)) {
		seen++;
		sum += next;
		key = next;
	}
	printf("T iterate: %d keys%s, last errno %d\n", seen, lru ? "" : "", errno);
	if (!lru)
		printf("T key sum %llu\n", (unsigned long long)sum);
	key = 12345;
	CALL(bpf_map_get_next_key(fd, &key, &next) == 0 ? 0 : -1);
	key = lru ? 5 : 1;
	memset(out, 0, vs);
	CALL(bpf_map_lookup_and_delete_elem(fd, &key, out));
	if (!lru)
		value_line("popped key 1", out, vs);
	CALL(bpf_map_lookup_and_delete_elem(fd, &key, out));
	CALL(bpf_map_lookup_and_delete_elem_flags(fd, &key, out, 8));
	/* batches */
	for (i = 0; i < 4; i++)
		bpf_map_delete_elem(fd, &(__u32){ (__u32)i + 1 });
	for (i = 0; i < 8; i++)
		bpf_map_delete_elem(fd, &(__u32){ (__u32)i });
	for (i = 0; i < 3; i++) {
		keys[i] = 20 + i;
		for (c = 0; c < ncpus; c++)
			vals[i * (vs / 8) + c] = 1000 + i * 10 + c;
	}
	cnt = 3;
	CALL(bpf_map_update_batch(fd, keys, vals, &cnt, NULL));
	printf("T update_batch count %u\n", cnt);
	cnt = 8;
	memset(keys, 0, sizeof(keys));
	CALL(bpf_map_lookup_batch(fd, NULL, &tok, keys, vals, &cnt, NULL));
	sum = 0;
	for (i = 0; i < (int)cnt && i < 8; i++)
		sum += keys[i] + vals[i * (vs / 8)];
	printf("T lookup_batch count %u sum %llu\n", cnt, (unsigned long long)sum);
	keys[0] = 21;
	cnt = 1;
	CALL(bpf_map_delete_batch(fd, keys, &cnt, NULL));
	printf("T delete_batch count %u\n", cnt);
	keys[0] = 21;
	cnt = 1;
	CALL(bpf_map_delete_batch(fd, keys, &cnt, NULL));
	printf("T delete_batch again count %u\n", cnt);
	cnt = 8;
	CALL(bpf_map_lookup_and_delete_batch(fd, NULL, &tok, keys, vals, &cnt, NULL));
	printf("T lookup_and_delete_batch count %u\n", cnt);
	CALL(bpf_map_get_next_key(fd, NULL, &next));
	close(fd);
	free(val);
	free(out);
}

static void arrays(void)
{
	__u64 *val = calloc(ncpus, 8), *out = calloc(ncpus, 8), vals[64];
	__u32 key, next, keys[8], cnt, tok;
	int fd, c, i;

	printf("T --- array\n");
	CALL(bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 8, 8, 4, NULL) < 0 ? -1 : 0);
	CALL(bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 0, NULL) < 0 ? -1 : 0);
	fd = MAP(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0, 0);
	key = 4;
	val[0] = 5;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY));
	CALL(bpf_map_lookup_elem(fd, &key, out));
	key = 1;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_NOEXIST));
	CALL(bpf_map_update_elem(fd, &key, val, BPF_EXIST));
	CALL(bpf_map_update_elem(fd, &key, val, 3));
	CALL(bpf_map_delete_elem(fd, &key));
	CALL(bpf_map_lookup_and_delete_elem(fd, &key, out));
	CALL(bpf_map_get_next_key(fd, NULL, &next));
	printf("T next %u\n", next);
	key = 3;
	CALL(bpf_map_get_next_key(fd, &key, &next));
	key = 99;
	CALL(bpf_map_get_next_key(fd, &key, &next));
	printf("T next %u\n", next);
	cnt = 8;
	CALL(bpf_map_lookup_batch(fd, NULL, &tok, keys, vals, &cnt, NULL));
	printf("T array lookup_batch count %u keys %u %u vals %llu %llu\n", cnt, keys[0], keys[1],
	       (unsigned long long)vals[0], (unsigned long long)vals[1]);
	cnt = 1;
	CALL(bpf_map_delete_batch(fd, keys, &cnt, NULL));
	CALL(bpf_map_freeze(fd));
	CALL(bpf_map_freeze(fd));
	CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY));
	key = 1;
	CALL(bpf_map_lookup_elem(fd, &key, out));
	printf("T value %llu\n", (unsigned long long)out[0]);
	close(fd);

	printf("T --- percpu_array\n");
	CALL(bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, 8, 4, &(struct bpf_map_create_opts){
		.sz = sizeof(struct bpf_map_create_opts), .map_flags = BPF_F_MMAPABLE }) < 0 ? -1 : 0);
	fd = MAP(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0, 0);
	for (c = 0; c < ncpus; c++)
		val[c] = 10 + c;
	key = 2;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY));
	CALL(bpf_map_update_elem(fd, &key, val, BPF_F_LOCK));
	memset(out, 0, 8 * ncpus);
	CALL(bpf_map_lookup_elem(fd, &key, out));
	value_line("percpu value", out, 8 * ncpus);
	key = 4;
	CALL(bpf_map_update_elem(fd, &key, val, BPF_ANY));
	CALL(bpf_map_delete_elem(fd, &key));
	cnt = 4;
	CALL(bpf_map_lookup_batch(fd, NULL, &tok, keys, vals, &cnt, NULL));
	printf("T percpu lookup_batch count %u val[2][0] %llu\n", cnt,
	       (unsigned long long)vals[2 * ncpus]);
	close(fd);
	(void)i;
	free(val);
	free(out);
}

/*
 * Batch position tokens, as Linux 6.1 hands them out: the last key returned for arrays
 * (generic_map_lookup_batch), the index of the next bucket for hashes
 * (__htab_map_lookup_and_delete_batch, roundup_pow_of_two(max_entries) buckets).
 * One line per call: return value, errno, count, the token (TOKEN_UNSET when not
 * written) and the keys returned.
 */
#define TOKEN_UNSET 0xdeadbeefu

static int batch_call(int fd, int del, const __u32 *in, __u32 *out, __u32 *keys, __u64 *vals,
		      __u32 *cnt)
{
	return del ? bpf_map_lookup_and_delete_batch(fd, (void *)in, out, keys, vals, cnt, NULL) :
		     bpf_map_lookup_batch(fd, (void *)in, out, keys, vals, cnt, NULL);
}

static int batch_line(const char *what, int fd, int del, const __u32 *in, __u32 count,
		      __u32 *out, int print_keys)
{
	__u32 keys[64], cnt = count, i;
	static __u64 vals[64 * 64];
	int ret;

	*out = TOKEN_UNSET;
	ret = batch_call(fd, del, in, out, keys, vals, &cnt);
	printf("T %s in %d count %u = %d %d: count %u token %#x", what, in ? (int)*in : -1, count,
	       ret ? -1 : 0, ret ? errno : 0, cnt, *out);
	for (i = 0; print_keys && i < cnt && i < 64; i++)
		printf(" %u", keys[i]);
	printf("\n");
	return ret ? -errno : 0;
}

/*
 * Walk the whole map @count elements at a time, as tools do: the next call starts at
 * the token; on ENOSPC (the next bucket does not fit) the same call is repeated with
 * twice the count. Stops at ENOENT.
 */
static __u32 batch_walk(const char *what, int fd, int del, __u32 count, int print_keys)
{
	__u32 tok = 0, next, calls = 0;
	int ret;

	do {
		ret = batch_line(what, fd, del, calls ? &tok : NULL, count, &next, print_keys);
		if (ret == -ENOSPC) {
			count *= 2;
		} else if (!ret || ret == -ENOENT) {
			if (next != TOKEN_UNSET)
				tok = next;
		}
	} while ((!ret || ret == -ENOSPC) && ++calls < 64);
	return tok;
}

static int hash_with_keys(enum bpf_map_type type, __u32 max_entries, __u32 flags, __u32 nkeys)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	__u64 val[64] = { 0 };
	int fd = bpf_map_create(type, NULL, 4, 8, max_entries, &o);
	__u32 k;

	for (k = 0; k < nkeys; k++) {
		val[0] = 1000 + k;
		bpf_map_update_elem(fd, &k, val, BPF_ANY);
	}
	return fd;
}

static void batch_tokens(void)
{
	__u32 in, out, k;
	int fd;

	printf("T --- batch tokens: array (token = last key returned)\n");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 6, NULL);
	batch_walk("array walk", fd, 0, 4, 1);
	in = 5;
	batch_line("array from the last key", fd, 0, &in, 4, &out, 1);
	in = 99;
	batch_line("array from a key past the end", fd, 0, &in, 2, &out, 1);
	batch_line("array count 0", fd, 0, NULL, 0, &out, 1);
	batch_walk("array count 1", fd, 0, 1, 1);
	close(fd);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, 8, 3, NULL);
	batch_walk("percpu array walk", fd, 0, 2, 1);
	close(fd);

	/*
	 * BPF_F_ZERO_SEED: the hash seed is 0 on both kernels, so keys land in the same
	 * buckets, in the same order (new and replaced elements go to the bucket's head):
	 * the whole transcript is comparable, including ENOSPC for a bucket larger than
	 * the count left.
	 */
	printf("T --- batch tokens: hashes with BPF_F_ZERO_SEED (token = next bucket)\n");
	fd = hash_with_keys(BPF_MAP_TYPE_HASH, 8, BPF_F_ZERO_SEED, 8);
	batch_walk("hash count 1", fd, 0, 1, 1);
	batch_walk("hash count 3", fd, 0, 3, 1);
	k = 2;
	bpf_map_update_elem(fd, &k, &(__u64){ 7 }, BPF_ANY); /* replaced: to its bucket's head */
	batch_walk("hash after replacing key 2", fd, 0, 16, 1);
	in = 7;
	batch_line("hash from the last bucket", fd, 0, &in, 16, &out, 1);
	in = 8;
	batch_line("hash from n_buckets", fd, 0, &in, 16, &out, 1);
	batch_line("hash count 0", fd, 0, NULL, 0, &out, 1);
	batch_walk("hash lookup_and_delete count 2", fd, 1, 2, 1);
	batch_line("hash emptied", fd, 0, NULL, 16, &out, 1);
	close(fd);
	fd = hash_with_keys(BPF_MAP_TYPE_HASH, 5, BPF_F_ZERO_SEED, 5); /* 8 buckets */
	batch_walk("hash max_entries 5", fd, 0, 2, 1);
	close(fd);
	fd = hash_with_keys(BPF_MAP_TYPE_PERCPU_HASH, 8, BPF_F_ZERO_SEED, 6);
	batch_walk("percpu hash", fd, 0, 2, 1);
	close(fd);
	fd = hash_with_keys(BPF_MAP_TYPE_LRU_HASH, 8, BPF_F_ZERO_SEED, 6);
	batch_walk("lru hash", fd, 0, 2, 1);
	batch_walk("lru hash lookup_and_delete", fd, 1, 4, 1);
	close(fd);

	/*
	 * A random seed per map (the default): which bucket a key is in differs between
	 * runs and kernels, so only what does not depend on it is printed: the walk ends
	 * with ENOENT and token n_buckets, the elements all come back, a single element is
	 * returned with the token n_buckets, a start at n_buckets is ENOENT untouched.
	 */
	printf("T --- batch tokens: hashes with a random seed\n");
	fd = hash_with_keys(BPF_MAP_TYPE_HASH, 100, 0, 40); /* 128 buckets */
	{
		__u32 tok = 0, next, cnt, keys[64], calls = 0, total = 0, sum = 0, over = 0, i;
		static __u64 vals[64];
		int ret;

		do {
			cnt = 7;
			next = TOKEN_UNSET;
			ret = batch_call(fd, 0, calls ? &tok : NULL, &next, keys, vals, &cnt);
			ret = ret ? -errno : 0;
			over += cnt > 7;
			total += cnt;
			for (i = 0; i < cnt && i < 64; i++)
				sum += keys[i];
			if (next != TOKEN_UNSET)
				tok = next;
		} while ((!ret || ret == -ENOSPC) && ++calls < 200);
		printf("T random seed walk by 7: last errno %d, %u elements, key sum %u, counts over 7: %u, last token %u\n",
		       -ret, total, sum, over, tok);
	}
	in = 128;
	batch_line("random seed from n_buckets", fd, 0, &in, 8, &out, 0);
	close(fd);
	fd = hash_with_keys(BPF_MAP_TYPE_HASH, 16, 0, 1);
	batch_line("random seed single element", fd, 0, NULL, 10, &out, 1);
	batch_line("random seed single element delete", fd, 1, NULL, 10, &out, 1);
	batch_line("random seed emptied", fd, 0, NULL, 10, &out, 1);
	close(fd);
}

static void queue_stack(enum bpf_map_type type, const char *name)
{
	__u32 v, out, key = 0;
	int fd, i;

	printf("T --- %s\n", name);
	CALL(bpf_map_create(type, NULL, 4, 4, 3, NULL) < 0 ? -1 : 0);
	CALL(bpf_map_create(type, NULL, 0, 4, 0, NULL) < 0 ? -1 : 0);
	fd = MAP(type, 0, 4, 3, 0, 0);
	CALL(bpf_map_lookup_elem(fd, NULL, &out));
	for (v = 1; v <= 3; v++)
		CALL(bpf_map_update_elem(fd, NULL, &v, BPF_ANY));
	CALL(bpf_map_update_elem(fd, NULL, &v, BPF_ANY));
	CALL(bpf_map_update_elem(fd, NULL, &v, BPF_NOEXIST));
	CALL(bpf_map_update_elem(fd, NULL, &v, BPF_EXIST));
	CALL(bpf_map_update_elem(fd, NULL, &v, 4));
	CALL(bpf_map_lookup_elem(fd, NULL, &out));
	printf("T peek %u\n", out);
	CALL(bpf_map_lookup_elem(fd, &key, &out));
	CALL(bpf_map_delete_elem(fd, NULL));
	CALL(bpf_map_get_next_key(fd, NULL, &out));
	CALL(bpf_map_lookup_and_delete_elem_flags(fd, NULL, &out, BPF_F_LOCK));
	for (i = 0; i < 4; i++) {
		out = 0;
		CALL(bpf_map_lookup_and_delete_elem(fd, NULL, &out));
		printf("T pop %u\n", out);
	}
	close(fd);
}

static void bloom(void)
{
	__u32 v;
	int fd;

	printf("T --- bloom_filter\n");
	CALL(bpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, NULL, 4, 4, 100, NULL) < 0 ? -1 : 0);
	CALL(bpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, NULL, 0, 4, 100, &(struct bpf_map_create_opts){
		.sz = sizeof(struct bpf_map_create_opts), .map_extra = 16 }) < 0 ? -1 : 0);
	fd = MAP(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 100, 0, 3);
	for (v = 1; v <= 3; v++)
		CALL(bpf_map_update_elem(fd, NULL, &v, BPF_ANY));
	CALL(bpf_map_update_elem(fd, NULL, &v, BPF_EXIST));
	v = 2;
	CALL(bpf_map_lookup_elem(fd, NULL, &v));
	v = 0xdeadbeef;
	CALL(bpf_map_lookup_elem(fd, NULL, &v));
	CALL(bpf_map_delete_elem(fd, NULL));
	CALL(bpf_map_get_next_key(fd, NULL, &v));
	CALL(bpf_map_lookup_and_delete_elem(fd, NULL, &v));
	close(fd);
}


struct lpm_key4 {
	__u32 prefixlen;
	__u8 ip[4];
};

static struct lpm_key4 k4(__u32 len, int a, int b, int c, int d)
{
	struct lpm_key4 k = { len, { a, b, c, d } };

	return k;
}

static void lpm_lookup_line(int fd, struct lpm_key4 k)
{
	__u64 v = 0;
	char what[64];

	snprintf(what, sizeof(what), "lpm lookup %d.%d.%d.%d/%u", k.ip[0], k.ip[1], k.ip[2], k.ip[3],
		 k.prefixlen);
	show(what, bpf_map_lookup_elem(fd, &k, &v));
	printf("T   value %llu\n", (unsigned long long)v);
}

static void lpm(void)
{
	struct lpm_key4 k, next;
	__u64 v;
	int fd, i, r;

	printf("T --- lpm_trie\n");
	CALL(bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, NULL, 8, 8, 4, NULL) < 0 ? -1 : 0);
	CALL(bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, NULL, 4, 8, 4, &(struct bpf_map_create_opts){
		.sz = sizeof(struct bpf_map_create_opts), .map_flags = BPF_F_NO_PREALLOC }) < 0 ? -1 : 0);
	fd = MAP(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, BPF_F_NO_PREALLOC, 0);
	struct lpm_key4 keys[] = { k4(8, 10, 0, 0, 0), k4(16, 10, 1, 0, 0), k4(24, 10, 1, 2, 0),
				   k4(16, 192, 168, 0, 0) };
	for (i = 0; i < 4; i++) {
		v = i + 1;
		CALL(bpf_map_update_elem(fd, &keys[i], &v, BPF_NOEXIST));
	}
	k = k4(8, 11, 0, 0, 0);
	CALL(bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	CALL(bpf_map_update_elem(fd, &keys[1], &v, BPF_NOEXIST));
	CALL(bpf_map_update_elem(fd, &k, &v, BPF_EXIST));
	k = k4(33, 10, 0, 0, 0);
	CALL(bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	CALL(bpf_map_update_elem(fd, &keys[0], &v, 3));
	lpm_lookup_line(fd, k4(32, 10, 1, 2, 3));
	lpm_lookup_line(fd, k4(32, 10, 1, 9, 9));
	lpm_lookup_line(fd, k4(32, 10, 9, 9, 9));
	lpm_lookup_line(fd, k4(32, 11, 0, 0, 0));
	lpm_lookup_line(fd, k4(16, 10, 1, 2, 3));
	lpm_lookup_line(fd, k4(32, 192, 168, 7, 7));
	for (r = bpf_map_get_next_key(fd, NULL, &next), i = 0; r == 0 && i < 10;
	     r = bpf_map_get_next_key(fd, &k, &next), i++) {
		printf("T lpm next %d.%d.%d.%d/%u\n", next.ip[0], next.ip[1], next.ip[2], next.ip[3],
		       next.prefixlen);
		k = next;
	}
	printf("T lpm iteration end errno %d\n", errno);
	k = k4(20, 1, 2, 3, 4);
	CALL(bpf_map_get_next_key(fd, &k, &next));
	printf("T lpm next after unknown %d.%d.%d.%d/%u\n", next.ip[0], next.ip[1], next.ip[2],
	       next.ip[3], next.prefixlen);
	CALL(bpf_map_delete_elem(fd, &keys[1]));
	CALL(bpf_map_delete_elem(fd, &keys[1]));
	k = k4(40, 10, 0, 0, 0);
	CALL(bpf_map_delete_elem(fd, &k));
	lpm_lookup_line(fd, k4(32, 10, 1, 9, 9));
	k = k4(8, 11, 0, 0, 0);
	CALL(bpf_map_update_elem(fd, &k, &v, BPF_ANY));
	close(fd);
}


static void map_in_map(void)
{
	__u32 k0 = 0, k1 = 1, k9 = 9, v, next;
	int inner_a, inner_b, other, aom, hom;

	printf("T --- array_of_maps / hash_of_maps\n");
	inner_a = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	inner_b = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	other = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 16, 1, NULL);
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = 9999);
		CALL(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 2, &o) < 0 ? -1 : 0);
	}
	LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = inner_a);
	aom = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 2, &o);
	hom = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, NULL, 4, 4, 2, &o);
	show("create array_of_maps / hash_of_maps", aom < 0 || hom < 0 ? -1 : 0);
	CALL(bpf_map_update_elem(aom, &k0, &inner_a, BPF_ANY));
	CALL(bpf_map_update_elem(aom, &k0, &inner_b, BPF_NOEXIST));
	CALL(bpf_map_update_elem(aom, &k9, &inner_b, BPF_ANY));
	CALL(bpf_map_update_elem(aom, &k1, &other, BPF_ANY));
	CALL(bpf_map_update_elem(aom, &k1, &k9, BPF_ANY));
	CALL(bpf_map_lookup_elem(aom, &k1, &v));
	CALL(bpf_map_get_next_key(aom, NULL, &next));
	CALL(bpf_map_delete_elem(aom, &k0));
	CALL(bpf_map_delete_elem(aom, &k0));
	CALL(bpf_map_delete_elem(aom, &k9));
	CALL(bpf_map_update_elem(hom, &k9, &inner_a, BPF_NOEXIST));
	CALL(bpf_map_update_elem(hom, &k9, &inner_b, BPF_NOEXIST));
	CALL(bpf_map_update_elem(hom, &k9, &inner_b, BPF_EXIST));
	CALL(bpf_map_update_elem(hom, &k1, &inner_b, BPF_EXIST));
	CALL(bpf_map_update_elem(hom, &k1, &other, BPF_ANY));
	CALL(bpf_map_update_elem(hom, &k1, &inner_b, 7));
	CALL(bpf_map_update_elem(hom, &k1, &inner_b, BPF_ANY));
	CALL(bpf_map_update_elem(hom, &k0, &inner_b, BPF_ANY));
	CALL(bpf_map_lookup_elem(hom, &k0, &v));
	CALL(bpf_map_delete_elem(hom, &k9));
	CALL(bpf_map_delete_elem(hom, &k9));
	CALL(bpf_map_get_next_key(hom, NULL, &next));
	printf("T hom first key %u\n", next);
	CALL(bpf_map_get_next_key(hom, &next, &next));
	close(aom);
	close(hom);
	close(inner_a);
	close(inner_b);
	close(other);
}

/* ---- the hammer ---- */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LD_MAP(d, fd) do { prog[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd); \
		prog[n++] = INSN(0, 0, 0, 0, 0); } while (0)

static int maps[9]; /* array, hash, percpu array, percpu hash, tgid filter,
		    * array of maps, its inner array, hash of maps, its inner hash */
static volatile int go;
static const long per_thread = 3000;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < ncpus; c++)
		CPU_SET(c, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *caller(void *arg)
{
	long i;

	pin((int)(long)arg % ncpus);
	while (!go)
		;
	for (i = 0; i < per_thread; i++)
		syscall(SYS_getpid);
	return NULL;
}

static void *churn(void *arg)
{
	__u64 v = 1;
	__u32 k;
	int round;

	while (!go)
		;
	for (round = 0; round < 200; round++) {
		for (k = 100; k < 120; k++)
			bpf_map_update_elem(maps[1], &k, &v, BPF_ANY);
		for (k = 100; k < 120; k++)
			bpf_map_delete_elem(maps[1], &k);
	}
	return NULL;
}

static int hammer(void)
{
	struct bpf_insn prog[128];
	int n = 0, m, pfd, efd, tp_id, fd;
	struct perf_event_attr pa;
	__u32 zero = 0, tgid = getpid();
	__u64 v = 0, *pv = calloc(ncpus, 8), total;
	char buf[64];
	static char log[1 << 16];
	pthread_t t[3];
	FILE *f;
	int c, i;

	maps[0] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	maps[1] = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 64, NULL);
	maps[2] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, 8, 1, NULL);
	maps[3] = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, NULL, 4, 8, 8, NULL);
	maps[4] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	maps[6] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	maps[8] = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 4, NULL);
	{
		LIBBPF_OPTS(bpf_map_create_opts, oa, .inner_map_fd = maps[6]);
		LIBBPF_OPTS(bpf_map_create_opts, oh, .inner_map_fd = maps[8]);

		maps[5] = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 1, &oa);
		maps[7] = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, NULL, 4, 4, 1, &oh);
	}
	bpf_map_update_elem(maps[8], &zero, &v, BPF_ANY);
	bpf_map_update_elem(maps[5], &zero, &maps[6], BPF_ANY);
	bpf_map_update_elem(maps[7], &zero, &maps[8], BPF_ANY);
	for (i = 0; i < 9; i++)
		if (maps[i] < 0) {
			printf("R hammer_setup=map%d_errno%d\n", i, errno);
			return 1;
		}
	bpf_map_update_elem(maps[1], &zero, &v, BPF_ANY);
	bpf_map_update_elem(maps[3], &zero, pv, BPF_ANY);
	bpf_map_update_elem(maps[4], &zero, &tgid, BPF_ANY);

	/* r6 = tgid; if tgid != filter: exit */
	prog[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
	prog[n++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32);
	prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0);
	prog[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0);
	LD_MAP(1, maps[4]);
	prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
	prog[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
	prog[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	prog[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, 0); /* patched below: goto out */
	m = n - 1;
	prog[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 0, 0, 0);
	prog[n++] = INSN(BPF_JMP | BPF_JNE | BPF_X, 1, 6, 0, 0); /* patched: goto out */
	int m2 = n - 1;
	for (i = 0; i < 4; i++) {
		LD_MAP(1, maps[i]);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
		prog[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		prog[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1);
		prog[n++] = INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD);
	}
	/* outer map -> inner map -> value += 1, for the array and the hash of maps */
	for (i = 5; i <= 7; i += 2) {
		LD_MAP(1, maps[i]);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
		prog[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		prog[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 7, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
		prog[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		prog[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0);
		prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1);
		prog[n++] = INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD);
	}
	prog[m].off = n - m - 1;
	prog[m2].off = n - m2 - 1;
	prog[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	prog[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	pfd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "hammer", "GPL", prog, n, &lo);
	if (pfd < 0) {
		printf("R hammer_setup=prog_load_errno%d\n%s\n", errno, log);
		return 1;
	}
	f = fopen("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id", "r");
	if (!f)
		f = fopen("/sys/kernel/debug/tracing/events/syscalls/sys_enter_getpid/id", "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		printf("R hammer_setup=no_tracepoint_id\n");
		return 1;
	}
	fclose(f);
	tp_id = atoi(buf);
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = tp_id;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	efd = syscall(SYS_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (efd < 0) {
		printf("R hammer_setup=perf_event_open_errno%d\n", errno);
		return 1;
	}
	if (ioctl(efd, PERF_EVENT_IOC_SET_BPF, pfd) || ioctl(efd, PERF_EVENT_IOC_ENABLE, 0)) {
		printf("R hammer_setup=set_bpf_errno%d\n", errno);
		return 1;
	}
	pthread_create(&t[0], NULL, caller, (void *)0L);
	pthread_create(&t[1], NULL, caller, (void *)1L);
	pthread_create(&t[2], NULL, churn, NULL);
	go = 1;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ioctl(efd, PERF_EVENT_IOC_DISABLE, 0);
	close(efd);
	printf("R hammer_setup=ok\n");
	printf("R hammer_expected=%ld\n", 2 * per_thread);
	bpf_map_lookup_elem(maps[0], &zero, &v);
	printf("R hammer_array=%llu\n", (unsigned long long)v);
	bpf_map_lookup_elem(maps[1], &zero, &v);
	printf("R hammer_hash=%llu\n", (unsigned long long)v);
	for (c = 0, total = 0, bpf_map_lookup_elem(maps[2], &zero, pv); c < ncpus; c++)
		total += pv[c];
	printf("R hammer_percpu_array=%llu\n", (unsigned long long)total);
	for (c = 0, total = 0, bpf_map_lookup_elem(maps[3], &zero, pv); c < ncpus; c++)
		total += pv[c];
	printf("R hammer_percpu_hash=%llu\n", (unsigned long long)total);
	v = 0;
	bpf_map_lookup_elem(maps[6], &zero, &v);
	printf("R hammer_array_of_maps=%llu\n", (unsigned long long)v);
	v = 0;
	bpf_map_lookup_elem(maps[8], &zero, &v);
	printf("R hammer_hash_of_maps=%llu\n", (unsigned long long)v);
	/* After the churn only key 0 is left, and iteration still works. */
	{
		__u32 k, nk;
		int keys = 0, r;

		for (r = bpf_map_get_next_key(maps[1], NULL, &nk); r == 0;
		     r = bpf_map_get_next_key(maps[1], &k, &nk)) {
			keys++;
			k = nk;
		}
		printf("R hammer_hash_keys_left=%d\n", keys);
	}
	fd = pfd;
	close(fd);
	free(pv);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = libbpf_num_possible_cpus();
	printf("R possible_cpus=%d\n", ncpus);
	if (argc < 2 || !strcmp(argv[1], "transcript")) {
		/*
		 * One CPU for the whole transcript: the kernel's LRU keeps per-CPU free
		 * lists, so a migration in the middle changes which update evicts.
		 */
		pin(0);
		arrays();
		hash_family(BPF_MAP_TYPE_HASH, "hash", 0, 0);
		hash_family(BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", 1, 0);
		hash_family(BPF_MAP_TYPE_LRU_HASH, "lru_hash", 0, 1);
		hash_family(BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", 1, 1);
		queue_stack(BPF_MAP_TYPE_QUEUE, "queue");
		queue_stack(BPF_MAP_TYPE_STACK, "stack");
		bloom();
		lpm();
		map_in_map();
		batch_tokens();
		printf("R transcript=done\n");
		unpin();
	}
	if (argc < 2 || !strcmp(argv[1], "hammer"))
		return hammer();
	return 0;
}
