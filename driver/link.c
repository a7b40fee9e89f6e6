// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_link fds: BPF_LINK_CREATE (attach type BPF_PERF_EVENT: a program on one of our
 * perf event fds, with a bpf_cookie), BPF_LINK_UPDATE, BPF_LINK_DETACH. Closing the
 * last reference to a link detaches it. Each kind of link names its operations in a
 * struct bpfdrv_link_ops; like the kernel's, perf-event and raw-tracepoint links have
 * neither update (EINVAL) nor detach (EOPNOTSUPP) — libbpf and the oracle agree.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"
#include "prog_types.h"
#include "stats.h"

static int link_release(struct inode *inode, struct file *file)
{
	struct bpfdrv_link *link = file->private_data;

	bpfdrv_id_remove(BPFDRV_ID_LINK, link->id);
	link->ops->release(link);
	bpfdrv_prog_put(link->prog);
	kfree(link);
	bpfdrv_stats_obj(BPFDRV_STAT_LINK, -1);
	return 0;
}

static const struct file_operations bpfdrv_link_fops = {
	.owner = THIS_MODULE,
	BPFDRV_SHOW_FDINFO(bpfdrv_link_show_fdinfo)
	.release = link_release,
	.llseek = noop_llseek,
};

int bpfdrv_link_new_fd(const struct bpfdrv_link_ops *ops, struct bpfdrv_prog *prog, void *priv)
{
	struct bpfdrv_link *link = kzalloc(sizeof(*link), GFP_KERNEL);
	int err, fd;

	if (!link) {
		ops->release(&(struct bpfdrv_link){ ops, prog, priv });
		bpfdrv_prog_put(prog);
		return -ENOMEM;
	}
	link->ops = ops;
	link->prog = prog;
	link->priv = priv;
	bpfdrv_stats_obj(BPFDRV_STAT_LINK, 1);
	/*
	 * Findable by id at once, but GET_FD_BY_ID takes it only once link->file is set, just
	 * before the fd is installed: on failure no lookup holds it and it is freed here.
	 */
	err = bpfdrv_id_alloc(BPFDRV_ID_LINK, link, &link->id);
	fd = err ? err : bpfdrv_new_fd_with_file("bpf_link", &bpfdrv_link_fops, link, O_CLOEXEC,
						  &link->file);
	if (fd < 0) {
		bpfdrv_id_remove(BPFDRV_ID_LINK, link->id);
		bpfdrv_stats_obj(BPFDRV_STAT_LINK, -1);
		ops->release(link);
		bpfdrv_prog_put(prog);
		kfree(link);
	}
	return fd;
}

/*
 * Called under the id lock, which link->file is published under: the file is released
 * only after its id is removed.
 */
int bpfdrv_link_tryget(void *obj)
{
	struct bpfdrv_link *link = obj;

	return link->file && bpfdrv_file_tryget(link->file) ? 0 : -ENOENT;
}

int bpfdrv_link_new_fd_by_id(void *obj, int f_flags)
{
	return bpfdrv_install_fd(((struct bpfdrv_link *)obj)->file);
}

struct bpfdrv_link *bpfdrv_link_from_file(struct file *file)
{
	return file->f_op == &bpfdrv_link_fops ? file->private_data : NULL;
}

/* The link behind @fd with a file reference, or EBADF / EINVAL as the kernel's bpf_link_get_from_fd. */
static struct file *link_fget(int fd, struct bpfdrv_link **linkp)
{
	struct file *file = bpfdrv_fget_typed(fd, &bpfdrv_link_fops, -EINVAL);

	if (!IS_ERR(file))
		*linkp = file->private_data;
	return file;
}

/* ---- perf event links ---- */
static void perf_link_release(struct bpfdrv_link *link)
{
	struct file *perf_file = link->priv;
	struct bpfdrv_event *ev = perf_file->private_data;

	bpfdrv_event_detach(ev);
	fput(perf_file);
}

static const struct bpfdrv_link_ops perf_link_ops = {
	.name = "perf_event",
	.type = BPFDRV_LINK_TYPE_PERF_EVENT,
	.release = perf_link_release,
};

/* kprobe, tracepoint and perf_event programs: attach type BPF_PERF_EVENT only. */
int bpfdrv_perf_link_create(const struct bpfdrv_link_create_attr *attr, struct bpfdrv_prog *prog)
{
	struct bpfdrv_event *ev;
	struct file *perf_file;
	int err;

	if (attr->attach_type != BPFDRV_ATTACH_PERF_EVENT)
		return -EINVAL;
	if (attr->flags)
		return -EINVAL;
	perf_file = bpfdrv_event_fget((int)attr->target_fd, &ev);
	if (IS_ERR(perf_file))
		return PTR_ERR(perf_file);
	/* The event holds a program reference, the link another. */
	err = bpfdrv_prog_get(prog);
	if (!err) {
		err = bpfdrv_prog_get(prog);
		if (err)
			bpfdrv_prog_put(prog);
	}
	if (err) {
		fput(perf_file);
		return err;
	}
	err = bpfdrv_event_attach(ev, prog, attr->bpf_cookie);
	if (err) {
		bpfdrv_prog_put(prog);
		bpfdrv_prog_put(prog);
		fput(perf_file);
		return err;
	}
	return bpfdrv_link_new_fd(&perf_link_ops, prog, perf_file);
}

/* fentry, fexit, tp_btf: the attach type given at load, no target fd, no flags. */
int bpfdrv_tracing_link_create(const struct bpfdrv_link_create_attr *attr, struct bpfdrv_prog *prog)
{
	if (attr->attach_type != prog->expected_attach_type || attr->target_fd || attr->flags)
		return -EINVAL;
	return bpfdrv_tracing_attach(prog, 0);
}

int bpfdrv_cmd_link_create(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_link_create_attr *attr = &uattr->link_create;
	struct bpfdrv_prog *prog = bpfdrv_prog_from_fd((int)attr->prog_fd);
	int ret;

	if (IS_ERR(prog))
		return PTR_ERR(prog);
	if (prog->ptype->link_create) {
		ret = prog->ptype->link_create(attr, prog);
	} else {
		bpfdrv_warn("BPF_LINK_CREATE: program type %u, attach type %u not supported\n",
			    prog->type, attr->attach_type);
		ret = -EINVAL;
	}
	bpfdrv_prog_put(prog);
	return ret;
}

int bpfdrv_cmd_link_update(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_link_update_attr *attr = &uattr->link_update;
	struct bpfdrv_prog *new_prog, *old_prog = NULL;
	struct bpfdrv_link *link;
	struct file *file;
	int ret;

	if (attr->flags & ~BPFDRV_F_REPLACE)
		return -EINVAL;
	file = link_fget((int)attr->link_fd, &link);
	if (IS_ERR(file))
		return PTR_ERR(file);
	new_prog = bpfdrv_prog_from_fd((int)attr->new_prog_fd);
	if (IS_ERR(new_prog)) {
		ret = PTR_ERR(new_prog);
		goto out_file;
	}
	if (attr->flags & BPFDRV_F_REPLACE) {
		old_prog = bpfdrv_prog_from_fd((int)attr->old_prog_fd);
		if (IS_ERR(old_prog)) {
			ret = PTR_ERR(old_prog);
			goto out_new;
		}
	} else if (attr->old_prog_fd) {
		ret = -EINVAL;
		goto out_new;
	}
	if (old_prog && old_prog != link->prog)
		ret = -EPERM;
	else
		ret = link->ops->update ? link->ops->update(link, new_prog) : -EINVAL;
	if (old_prog)
		bpfdrv_prog_put(old_prog);
out_new:
	bpfdrv_prog_put(new_prog);
out_file:
	fput(file);
	return ret;
}

int bpfdrv_cmd_link_detach(union bpfdrv_attr *uattr)
{
	struct bpfdrv_link *link;
	struct file *file = link_fget((int)uattr->link_detach.link_fd, &link);
	int ret;

	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = link->ops->detach ? link->ops->detach(link) : -EOPNOTSUPP;
	fput(file);
	return ret;
}
