// SPDX-License-Identifier: GPL-2.0
/*
 * buse - block devices in userspace.
 *
 * buse_main.c - module init and exit, and the control device /dev/busectl.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <linux/uaccess.h>

#include "buse.h"

static void buse_check_layout(void)
{
	BUILD_BUG_ON(sizeof(struct buse_io_desc) != 32);
	BUILD_BUG_ON(sizeof(struct buse_io_cqe) != 8);
	BUILD_BUG_ON(sizeof(struct buse_ring_hdr) != 256);
	BUILD_BUG_ON(offsetof(struct buse_ring_hdr, sq_tail) != 64);
	BUILD_BUG_ON(offsetof(struct buse_ring_hdr, cq_head) != 128);
	BUILD_BUG_ON(offsetof(struct buse_ring_hdr, cq_tail) != 192);
	BUILD_BUG_ON(sizeof(struct buse_version) != 64);
	BUILD_BUG_ON(sizeof(struct buse_dev_info) != 120);
	BUILD_BUG_ON(offsetof(struct buse_dev_info, nr_poll_queues) != 36);
	BUILD_BUG_ON(offsetof(struct buse_dev_info, serial) != 96);
	/* Block buffers never straddle a page of the mapped rings. */
	BUILD_BUG_ON(BUSE_MAX_BLOCK_SIZE > PAGE_SIZE);
	BUILD_BUG_ON(BUSE_MAX_ERRNO != MAX_ERRNO);
	BUILD_BUG_ON(sizeof_field(struct buse_dev_info, serial) !=
		     BUSE_SERIAL_MAX + 1);
	BUILD_BUG_ON(sizeof(struct buse_ctl_remove) != 24);
	BUILD_BUG_ON(sizeof(struct buse_ctl_list) != 32);
	BUILD_BUG_ON(sizeof(struct buse_attach) != 128);
	BUILD_BUG_ON(offsetof(struct buse_attach, nr_poll_queues) != 76);
	BUILD_BUG_ON(sizeof(struct buse_run) != 40);
	BUILD_BUG_ON(offsetof(struct buse_run, reserved) != 24);
	BUILD_BUG_ON(BUSE_MAX_DEPTH > U16_MAX + 1);
	BUILD_BUG_ON((u64)(BUSE_MAX_INDEX + 1) * BUSE_MINORS_PER_DISK >
		     MINORMASK + 1);
}

static long buse_ctl_version(struct buse_version __user *uarg)
{
	struct buse_version v = {
		.abi_version	= BUSE_ABI_VERSION,
		.max_queues	= min_t(u32, nr_cpu_ids, BUSE_MAX_QUEUES),
		.features	= BUSE_FEAT_ALL,
		.max_depth	= BUSE_MAX_DEPTH,
		.max_io		= BUSE_MAX_MAX_IO,
		.max_index	= BUSE_MAX_INDEX,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long buse_ctl_add(struct buse_dev_info __user *uarg)
{
	struct buse_dev_info info;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	ret = buse_dev_add(&info);
	if (ret)
		return ret;

	/* The device exists; a failed copy only loses the echo. */
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long buse_ctl_remove(struct buse_ctl_remove __user *uarg)
{
	struct buse_ctl_remove r;

	/* buse_dev_remove() lets CAP_SYS_ADMIN or the device's owner. */
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	return buse_dev_remove(r.index, r.flags);
}

static long buse_ctl_info(struct buse_dev_info __user *uarg)
{
	struct buse_dev_info info;
	int ret;

	/* Only index is input; reserved must be zero as everywhere. */
	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.index > BUSE_MAX_INDEX ||
	    memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;
	ret = buse_dev_info(info.index, &info);
	if (ret)
		return ret;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long buse_ctl_list(struct buse_ctl_list __user *uarg)
{
	struct buse_ctl_list l;
	int ret;

	if (copy_from_user(&l, uarg, sizeof(l)))
		return -EFAULT;
	if (memchr_inv(l.reserved, 0, sizeof(l.reserved)))
		return -EINVAL;
	ret = buse_dev_list(u64_to_user_ptr(l.indexes), l.count,
			    &l.nr_devices);
	if (ret)
		return ret;
	return copy_to_user(uarg, &l, sizeof(l)) ? -EFAULT : 0;
}

static long buse_ctl_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case BUSE_CTL_VERSION:
		return buse_ctl_version(argp);
	case BUSE_CTL_ADD:
		return buse_ctl_add(argp);
	case BUSE_CTL_REMOVE:
		return buse_ctl_remove(argp);
	case BUSE_CTL_INFO:
		return buse_ctl_info(argp);
	case BUSE_CTL_LIST:
		return buse_ctl_list(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations buse_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= buse_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice buse_ctl_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "busectl",
	.fops		= &buse_ctl_fops,
	/* Anyone may query; each ioctl checks its own privilege. */
	.mode		= 0666,
};

static int __init buse_init(void)
{
	int ret;

	buse_check_layout();

	ret = buse_dev_init();
	if (ret)
		return ret;

	ret = buse_server_init();
	if (ret)
		goto out_dev_exit;

	ret = misc_register(&buse_ctl_misc);
	if (ret)
		goto out_server_exit;

	pr_info("buse: loaded (ABI %u)\n", BUSE_ABI_VERSION);
	return 0;

out_server_exit:
	buse_server_exit();
out_dev_exit:
	buse_dev_exit();
	return ret;
}

static void __exit buse_exit(void)
{
	/* No control file is open (it holds the module): no new devices. */
	misc_deregister(&buse_ctl_misc);
	buse_dev_remove_all();
	buse_server_exit();
	buse_dev_exit();
}

module_init(buse_init);
module_exit(buse_exit);

MODULE_DESCRIPTION("buse: block devices served by userspace through mmapped rings");
MODULE_AUTHOR("The buse developers");
MODULE_LICENSE("GPL");
