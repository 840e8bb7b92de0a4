/* The conformance probe: reads a scenario in the lab's batch-op vocabulary (one JSON op a line,
 * docs/api.md) and performs each op with the real ioctls of the running kernel, printing one JSON line
 * per op: the errno the kernel answered and what it said back (HWPT ids, IOVA ranges, the type1
 * coherency extension, the unit's capabilities).
 *
 * Usage: probe <scenario.jsonl> <devmap>
 *   devmap: one "name bdf" a line, the lab device names of the machine (nic0 0000:00:02.0).
 *
 * The first line of a scenario is its header {"scenario", "family", "policy", "machine", ...}; policy
 * "iommufd" drives /dev/iommu and the VFIO cdevs, "type1" the legacy group/container path. An op with
 * no kernel counterpart under the policy (device.add, type1 device.replace, ...) prints "errno": null
 * and "kernel": false: it was not checked against the kernel.
 *
 * References: "$VM1" is VM1's IOAS, "$h1" the first HWPT the scenario saw (in op order), a plain
 * number is used as is (for unknown-id cases). HWPTs are printed as "h<N>" in the same numbering, so
 * sharing is visible without depending on the kernel's id allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "json.h"

#define MAXVM 8
#define MAXDEV 8
#define MAXHWPT 64
#define MSI_START 0xfee00000ULL
#define BUF_SIZE (64ULL << 20)
#define U64_MAX_ ((uint64_t)-1)

enum policy { P_IOMMUFD, P_TYPE1 };

struct vm {
	char name[64];
	int live;
	int iommufd;       /* iommufd: the VM's context */
	uint32_t ioas;
	int container;     /* type1 */
	int iommu_set;
	uint64_t ram;
	void *ram_va;
};

struct dev {
	char name[64];
	char bdf[32];
	char cdev[64];
	int group;
	int fd;       /* iommufd: bound cdev fd; type1: device fd from the group */
	int vm;       /* owner VM index, -1 none */
	uint32_t devid;
	uint32_t pt; /* iommufd: the HWPT the kernel reported at attach */
	int attached;
};

struct group {
	int no;
	int fd;
	int vm;
};

static enum policy policy;
static struct vm vms[MAXVM];
static int nvm;
static struct dev devs[MAXDEV];
static int ndev;
static struct group groups[MAXDEV];
static int ngroup;
/* HWPTs the scenario met, in order: label hN is hwpts[N-1]. dead: the object is gone (the kernel may hand
 * its id to a later object, which then gets a new label). */
static struct { int vm; uint32_t id; int dead; } hwpts[MAXHWPT];
static int nhwpt;
static char *buf; /* user memory for maps */

/* ---- output ---- */

static char line[8192];
static size_t len;

static void put(const char *fmt, ...)
{
	va_list ap;

	if (len >= sizeof(line))
		return;
	va_start(ap, fmt);
	len += vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
}

static void flush_line(void)
{
	put("}");
	printf("%s\n", line);
	fflush(stdout);
	len = 0;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOTTY: return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOSYS: return "ENOSYS";
	case EDOM: return "EDOM";
	default: {
		static char other[16];

		snprintf(other, sizeof(other), "E%d", e);
		return other;
	}
	}
}

static void put_errno(int e)
{
	put(",\"errno\":\"%s\"", errname(e));
}

static void put_nokernel(const char *why)
{
	put(",\"errno\":null,\"kernel\":false,\"why\":\"%s\"", why);
}

/* ---- lookups ---- */

static int find_vm(const char *name)
{
	for (int i = 0; i < nvm; i++)
		if (vms[i].live && !strcmp(vms[i].name, name))
			return i;
	return -1;
}

static int find_dev(const char *name)
{
	for (int i = 0; i < ndev; i++)
		if (!strcmp(devs[i].name, name))
			return i;
	return -1;
}

static const char *str(const struct jv *op, const char *key)
{
	const struct jv *v = json_get(op, key);

	return v && v->type == J_STR ? v->text : NULL;
}

static int flag(const struct jv *op, const char *key, int fallback)
{
	const struct jv *v = json_get(op, key);

	return v && v->type == J_BOOL ? v->boolean : fallback;
}

static uint64_t u64(const struct jv *op, const char *key)
{
	uint64_t value = 0;

	json_u64(json_get(op, key), &value);
	return value;
}

static int first_live_vm(void)
{
	for (int i = 0; i < nvm; i++)
		if (vms[i].live)
			return i;
	return -1;
}

/* An IOAS reference: "$VM" is that VM's IOAS; a number is an id in the first VM's context. */
static int ioas_ref(const struct jv *v, int *vm, uint32_t *id)
{
	uint64_t raw;

	if (v && v->type == J_STR && v->text[0] == '$') {
		*vm = find_vm(v->text + 1);
		if (*vm < 0)
			return -1;
		*id = vms[*vm].ioas;
		return 0;
	}
	if (json_u64(v, &raw) || raw > UINT32_MAX)
		return -1;
	*vm = first_live_vm();
	*id = (uint32_t)raw;
	return *vm < 0 ? -1 : 0;
}

/* A HWPT reference: "$hN" is the N-th HWPT the scenario saw; a number is used as is. */
static int hwpt_ref(const struct jv *v, int *vm, uint32_t *id)
{
	uint64_t raw;

	if (v && v->type == J_STR && v->text[0] == '$' && v->text[1] == 'h') {
		int n = atoi(v->text + 2);

		if (n < 1 || n > nhwpt)
			return -1;
		*vm = hwpts[n - 1].vm;
		/* A HWPT that is gone: an id no object has, so the kernel answers for "that HWPT". */
		*id = hwpts[n - 1].dead ? 0xfffffff0u : hwpts[n - 1].id;
		return 0;
	}
	if (json_u64(v, &raw) || raw > UINT32_MAX)
		return -1;
	*vm = -1;
	*id = (uint32_t)raw;
	return 0;
}

/* The scenario's name for a kernel HWPT id ("h3"), allocating the next one on first sight. */
static int hwpt_label(int vm, uint32_t id)
{
	for (int i = 0; i < nhwpt; i++)
		if (!hwpts[i].dead && hwpts[i].vm == vm && hwpts[i].id == id)
			return i + 1;
	if (nhwpt == MAXHWPT)
		return 0;
	hwpts[nhwpt].vm = vm;
	hwpts[nhwpt].id = id;
	hwpts[nhwpt].dead = 0;
	return ++nhwpt;
}

static int ioc(int fd, unsigned long req, void *arg);

/* Marks the HWPTs that no longer exist. IOMMU_HWPT_SET_DIRTY_TRACKING with no flags changes nothing on
 * a domain without dirty tracking (EOPNOTSUPP) and is ENOENT for an id that is not a paging HWPT. */
static void prune_hwpts(void)
{
	for (int i = 0; i < nhwpt; i++) {
		struct iommu_hwpt_set_dirty_tracking q = { .size = sizeof(q), .hwpt_id = hwpts[i].id };

		if (hwpts[i].dead)
			continue;
		if (hwpts[i].vm < 0 || !vms[hwpts[i].vm].live ||
		    ioc(vms[hwpts[i].vm].iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &q) == ENOENT)
			hwpts[i].dead = 1;
	}
}

/* ---- ioctl helpers ---- */

static int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* Versioned-struct variants of an iommufd command: "short" (size below the first version), "tail"
 * (a longer struct with nonzero bytes past the known fields), "flags" (an unknown flag bit). */
static int ioc_abi(int fd, unsigned long req, void *arg, size_t size, const char *abi)
{
	unsigned char wide[512];
	uint32_t *head = (uint32_t *)wide;

	if (!abi)
		return ioc(fd, req, arg);
	memset(wide, 0, sizeof(wide));
	memcpy(wide, arg, size);
	if (!strcmp(abi, "short")) {
		head[0] = 4;
	} else if (!strcmp(abi, "tail")) {
		head[0] = size + 8;
		memset(wide + size, 0xa5, 8);
	} else if (!strcmp(abi, "flags")) {
		head[1] |= 1u << 31;
	}
	int rc = ioc(fd, req, wide);

	memcpy(arg, wide, size);
	return rc;
}

static int read_file(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}

static int group_of(const char *bdf)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

static void cdev_of(const char *bdf, char *out, size_t size)
{
	char path[128];
	struct dirent *entry;
	DIR *dir;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir)))
		if (!strncmp(entry->d_name, "vfio", 4))
			snprintf(out, size, "/dev/vfio/devices/%.32s", entry->d_name);
	closedir(dir);
}

/* ---- IOAS mapping of guest RAM (the lab's vm.create: RAM at IOVA 0, split at the MSI window) ---- */

static int map_one(int vm, uint64_t iova, uint64_t length, uint64_t va)
{
	struct vm *v = &vms[vm];

	if (policy == P_IOMMUFD) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = v->ioas,
			.user_va = va,
			.length = length,
			.iova = iova,
		};

		return ioc(v->iommufd, IOMMU_IOAS_MAP, &map);
	}
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = va,
		.iova = iova,
		.size = length,
	};

	return ioc(v->container, VFIO_IOMMU_MAP_DMA, &map);
}

static int map_ram(int vm)
{
	struct vm *v = &vms[vm];
	uint64_t low = v->ram < MSI_START ? v->ram : MSI_START;
	int rc;

	if (!v->ram)
		return 0;
	if (!v->ram_va) {
		v->ram_va = mmap(NULL, v->ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (v->ram_va == MAP_FAILED) {
			v->ram_va = NULL;
			return ENOMEM;
		}
	}
	rc = map_one(vm, 0, low, (uint64_t)(uintptr_t)v->ram_va);
	if (!rc && v->ram > low)
		rc = map_one(vm, 1ULL << 32, v->ram - low, (uint64_t)(uintptr_t)v->ram_va + low);
	return rc;
}

/* ---- type1 container ---- */

static int cc_extension(int vm)
{
	return ioctl(vms[vm].container, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU);
}

static struct group *group_slot(int no)
{
	for (int i = 0; i < ngroup; i++)
		if (groups[i].no == no)
			return &groups[i];
	groups[ngroup].no = no;
	groups[ngroup].fd = -1;
	groups[ngroup].vm = -1;
	return &groups[ngroup++];
}

static int devices_of_group_in(int no, int vm)
{
	int n = 0;

	for (int i = 0; i < ndev; i++)
		if (devs[i].group == no && devs[i].vm == vm && devs[i].attached)
			n++;
	return n;
}

static int type1_attach(int vm, int d)
{
	struct dev *dev = &devs[d];
	struct group *g = group_slot(dev->group);
	struct vm *v = &vms[vm];
	char path[64];
	int fd, opened = 0, rc;

	if (dev->attached && dev->vm == vm) {
		/* A second plug of a device this VM holds: the group path hands out another device fd. */
		fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	if (g->fd < 0 || g->vm != vm) {
		struct vfio_group_status status = { .argsz = sizeof(status) };

		snprintf(path, sizeof(path), "/dev/vfio/%d", dev->group);
		fd = open(path, O_RDWR);
		if (fd < 0)
			return errno;
		rc = ioc(fd, VFIO_GROUP_GET_STATUS, &status);
		if (!rc && !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
			rc = EPERM;
		if (!rc)
			rc = ioc(fd, VFIO_GROUP_SET_CONTAINER, &v->container);
		if (!rc && !v->iommu_set) {
			rc = ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ? errno : 0;
			if (!rc) {
				v->iommu_set = 1;
				rc = map_ram(vm);
				if (rc) {
					ioctl(fd, VFIO_GROUP_UNSET_CONTAINER);
					v->iommu_set = 0;
				}
			} else {
				ioctl(fd, VFIO_GROUP_UNSET_CONTAINER);
			}
		}
		if (rc) {
			close(fd);
			return rc;
		}
		g->fd = fd;
		g->vm = vm;
		opened = 1;
	}
	fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
	if (fd < 0) {
		rc = errno;
		if (opened) {
			ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
			close(g->fd);
			g->fd = -1;
			g->vm = -1;
		}
		return rc;
	}
	dev->fd = fd;
	dev->vm = vm;
	dev->attached = 1;
	return 0;
}

static int type1_detach(int vm, int d)
{
	struct dev *dev = &devs[d];
	struct group *g = group_slot(dev->group);
	int rc = 0;

	close(dev->fd);
	dev->fd = -1;
	dev->vm = -1;
	dev->attached = 0;
	if (!devices_of_group_in(dev->group, vm)) {
		rc = ioc(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		close(g->fd);
		g->fd = -1;
		g->vm = -1;
		int left = 0;

		for (int i = 0; i < ngroup; i++)
			if (groups[i].vm == vm)
				left++;
		/* The last group out releases the container's IOMMU (and its mappings). */
		if (!left)
			vms[vm].iommu_set = 0;
	}
	return rc;
}

/* ---- iommufd devices ---- */

static int bind_dev(int vm, int d, int *fd_out, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = vms[vm].iommufd };
	int fd = open(devs[d].cdev, O_RDWR);
	int rc;

	if (fd < 0)
		return errno;
	rc = ioc(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	*devid = bind.out_devid;
	return 0;
}

/* Attaches d in vm to pt (0: the VM's IOAS); prints "hwpt". */
static int iommufd_attach(int vm, int d, uint32_t pt)
{
	struct dev *dev = &devs[d];
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	int fd, rc, reuse = dev->fd >= 0 && dev->vm == vm && !dev->attached;
	uint32_t devid;

	if (reuse) {
		fd = dev->fd;
		devid = dev->devid;
	} else {
		/* A hot-plug opens the device's cdev anew and binds it, as a VMM does. */
		rc = bind_dev(vm, d, &fd, &devid);
		if (rc)
			return rc;
	}
	attach.pt_id = pt ? pt : vms[vm].ioas;
	rc = ioc(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc) {
		if (!reuse)
			close(fd);
		return rc;
	}
	dev->fd = fd;
	dev->devid = devid;
	dev->vm = vm;
	dev->pt = attach.pt_id;
	dev->attached = 1;
	return 0;
}

/* ---- ops ---- */

static int attach_with_label(int vm, int d, uint32_t pt, int *label)
{
	int rc;

	*label = 0;
	if (policy == P_TYPE1)
		return type1_attach(vm, d);
	rc = iommufd_attach(vm, d, pt);
	if (!rc)
		*label = hwpt_label(vm, devs[d].pt); /* pt_id comes back as the HWPT attached */
	return rc;
}

/* Opens the VM's iommufd and IOAS (RAM mapped), or its type1 container. */
static int vm_open(int vm)
{
	struct vm *v = &vms[vm];
	int rc = 0;

	if (policy == P_IOMMUFD) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

		v->iommufd = open("/dev/iommu", O_RDWR);
		if (v->iommufd < 0)
			rc = errno;
		if (!rc)
			rc = ioc(v->iommufd, IOMMU_IOAS_ALLOC, &alloc);
		if (!rc) {
			v->ioas = alloc.out_ioas_id;
			rc = map_ram(vm);
		}
	} else {
		v->container = open("/dev/vfio/vfio", O_RDWR);
		if (v->container < 0)
			rc = errno;
		else if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			rc = EINVAL;
		/* RAM is mapped when the first group sets the container's IOMMU (VFIO_SET_IOMMU). */
	}
	return rc;
}

/*
 * Attaches the listed devices in order, stopping at the first that fails (its index in *failed);
 * under iommufd, labels[] gets the HWPT each device landed on.
 */
static int vm_attach_devices(int vm, const struct jv *list, int *labels, int *nlabels, int *failed)
{
	int rc = 0;

	for (int i = 0; !rc && list && list->type == J_ARR && i < list->n && i < MAXDEV; i++) {
		int d = list->items[i].type == J_STR ? find_dev(list->items[i].text) : -1;
		int label = 0;

		if (d < 0) {
			rc = ENODEV;
			*failed = i;
			break;
		}
		rc = attach_with_label(vm, d, 0, &label);
		if (rc)
			*failed = i;
		else if (policy == P_IOMMUFD)
			labels[(*nlabels)++] = label;
	}
	return rc;
}

/* A VM that cannot boot with its devices is torn down whole, as a VMM does. */
static void vm_teardown(int vm)
{
	struct vm *v = &vms[vm];

	for (int i = 0; i < ndev; i++) {
		if (devs[i].vm != vm)
			continue;
		if (policy == P_TYPE1)
			type1_detach(vm, i);
		else {
			close(devs[i].fd);
			devs[i].fd = -1;
			devs[i].vm = -1;
			devs[i].attached = 0;
		}
	}
	if (v->iommufd >= 0)
		close(v->iommufd);
	if (v->container >= 0)
		close(v->container);
	v->live = 0;
}

static void op_vm_create(const struct jv *op)
{
	const char *name = str(op, "name");
	const struct jv *list = json_get(op, "devices");
	struct vm *v;
	int vm, rc, failed = -1;
	int labels[MAXDEV], nlabels = 0, seen_before;

	if (!name || nvm == MAXVM) {
		put_nokernel("bad vm.create");
		return;
	}
	if (find_vm(name) >= 0) {
		put_nokernel("duplicate VM name (a lab rule, no kernel call)");
		return;
	}
	vm = nvm++;
	v = &vms[vm];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->live = 1;
	v->iommufd = v->container = -1;
	v->ram = json_get(op, "memory") ? u64(op, "memory") : (1ULL << 30);
	rc = vm_open(vm);
	seen_before = nhwpt;
	if (!rc)
		rc = vm_attach_devices(vm, list, labels, &nlabels, &failed);
	/* The HWPTs a VM that could not boot met are gone with it: printed only on success. */
	put(",\"hwpts\":[");
	for (int i = 0; !rc && i < nlabels; i++)
		put("%s\"h%d\"", i ? "," : "", labels[i]);
	put("]");
	if (rc) {
		nhwpt = seen_before;
		vm_teardown(vm);
		put(",\"failedDevice\":%d", failed);
	}
	put_errno(rc);
}

static void op_vm_attach(const struct jv *op)
{
	int vm = find_vm(str(op, "vm") ? str(op, "vm") : "");
	int d = find_dev(str(op, "device") ? str(op, "device") : "");
	uint32_t pt = 0;
	int hvm, rc, label = 0;

	if (vm < 0 || d < 0) {
		put_nokernel("unknown vm or device (a lab rule, no kernel call)");
		return;
	}
	if (json_get(op, "hwpt")) {
		if (hwpt_ref(json_get(op, "hwpt"), &hvm, &pt)) {
			put_nokernel("bad hwpt reference");
			return;
		}
		if (policy == P_TYPE1) {
			put_nokernel("type1 has no user HWPTs");
			return;
		}
	}
	rc = attach_with_label(vm, d, pt, &label);
	if (!rc && policy == P_IOMMUFD)
		put(",\"hwpt\":\"h%d\"", label);
	put_errno(rc);
}

static void op_vm_detach(const struct jv *op)
{
	int vm = find_vm(str(op, "vm") ? str(op, "vm") : "");
	int d = find_dev(str(op, "device") ? str(op, "device") : "");
	int rc;

	if (vm < 0 || d < 0 || devs[d].vm != vm || !devs[d].attached) {
		put_nokernel("device not attached to this VM (a lab rule, no kernel call)");
		return;
	}
	if (policy == P_TYPE1) {
		put_errno(type1_detach(vm, d));
		return;
	}
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

	rc = ioc(devs[d].fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
	if (!rc) {
		/* Hot-unplug: the VMM closes the device, which unbinds it from the iommufd. */
		close(devs[d].fd);
		devs[d].fd = -1;
		devs[d].vm = -1;
		devs[d].attached = 0;
	}
	put_errno(rc);
}

static int alloc_hwpt(int vm, int d, uint32_t pt, const char *abi, uint32_t *out)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.dev_id = devs[d].devid,
		.pt_id = pt,
	};
	int rc = ioc_abi(vms[vm].iommufd, IOMMU_HWPT_ALLOC, &alloc, sizeof(alloc), abi);

	*out = alloc.out_hwpt_id;
	return rc;
}

static void op_device_replace(const struct jv *op)
{
	int vm = find_vm(str(op, "vm") ? str(op, "vm") : "");
	int d = find_dev(str(op, "device") ? str(op, "device") : "");
	const struct jv *target = json_get(op, "hwpt");
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	uint32_t pt = 0, fresh = 0;
	int hvm, rc;

	if (policy == P_TYPE1) {
		put_nokernel("type1 has no replace");
		return;
	}
	if (vm < 0 || d < 0 || devs[d].vm != vm || !devs[d].attached) {
		put_nokernel("device not attached to this VM (a lab rule, no kernel call)");
		return;
	}
	if (target && target->type == J_STR && !strcmp(target->text, "new")) {
		rc = alloc_hwpt(vm, d, vms[vm].ioas, NULL, &fresh);
		if (rc) {
			put_errno(rc);
			return;
		}
		pt = fresh;
	} else if (hwpt_ref(target, &hvm, &pt)) {
		put_nokernel("bad hwpt reference");
		return;
	}
	attach.pt_id = pt;
	rc = ioc(devs[d].fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc && fresh) {
		struct iommu_destroy destroy = { .size = sizeof(destroy), .id = fresh };

		ioc(vms[vm].iommufd, IOMMU_DESTROY, &destroy);
	}
	if (!rc) {
		devs[d].pt = attach.pt_id;
		put(",\"hwpt\":\"h%d\"", hwpt_label(vm, attach.pt_id));
	}
	put_errno(rc);
}

static void op_hwpt_alloc(const struct jv *op)
{
	int vm, d = -1, rc;
	uint32_t ioas, id = 0;
	const char *want = str(op, "device");

	if (policy == P_TYPE1) {
		put_nokernel("type1 has no user HWPTs");
		return;
	}
	if (ioas_ref(json_get(op, "ioas"), &vm, &ioas)) {
		put_nokernel("bad ioas reference");
		return;
	}
	/* IOMMU_HWPT_ALLOC takes a device bound to the context: the one named, else one already bound
	 * there, else the first free device, bound now (not attached). */
	if (want)
		d = find_dev(want);
	for (int i = 0; d < 0 && i < ndev; i++)
		if (devs[i].fd >= 0 && devs[i].vm == vm)
			d = i;
	for (int i = 0; d < 0 && i < ndev; i++)
		if (devs[i].fd < 0)
			d = i;
	if (d < 0) {
		put_nokernel("no device to allocate through");
		return;
	}
	if (devs[d].fd < 0) {
		rc = bind_dev(vm, d, &devs[d].fd, &devs[d].devid);
		if (rc) {
			put(",\"via\":\"bind\"");
			put_errno(rc);
			return;
		}
		devs[d].vm = vm;
		devs[d].attached = 0;
	} else if (devs[d].vm != vm) {
		put_nokernel("the device is bound to another VM");
		return;
	}
	rc = alloc_hwpt(vm, d, ioas, str(op, "abi"), &id);
	if (!rc)
		put(",\"hwpt\":\"h%d\"", hwpt_label(vm, id));
	put_errno(rc);
}

static void op_hwpt_destroy(const struct jv *op)
{
	int vm;
	uint32_t id;
	struct iommu_destroy destroy = { .size = sizeof(destroy) };

	if (policy == P_TYPE1) {
		put_nokernel("type1 has no user HWPTs");
		return;
	}
	if (hwpt_ref(json_get(op, "hwpt"), &vm, &id)) {
		put_nokernel("bad hwpt reference");
		return;
	}
	if (vm < 0)
		vm = first_live_vm();
	if (vm < 0 || !vms[vm].live) {
		put_nokernel("no iommufd context");
		return;
	}
	destroy.id = id;
	put_errno(ioc(vms[vm].iommufd, IOMMU_DESTROY, &destroy));
}

static void op_vm_destroy(const struct jv *op)
{
	int vm = find_vm(str(op, "vm") ? str(op, "vm") : "");
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	int rc;

	if (vm < 0) {
		put_nokernel("unknown vm (a lab rule, no kernel call)");
		return;
	}
	if (policy == P_TYPE1) {
		put_nokernel("closing a container cannot fail");
		return;
	}
	destroy.id = vms[vm].ioas;
	rc = ioc(vms[vm].iommufd, IOMMU_DESTROY, &destroy);
	if (!rc) {
		for (int i = 0; i < ndev; i++)
			if (devs[i].vm == vm) {
				close(devs[i].fd);
				devs[i].fd = -1;
				devs[i].vm = -1;
			}
		close(vms[vm].iommufd);
		vms[vm].live = 0;
	}
	put_errno(rc);
}

static int vm_of_ioas(const struct jv *op, const char *key, uint32_t *id)
{
	int vm;

	if (ioas_ref(json_get(op, key), &vm, id))
		return -1;
	return vm;
}

static void op_ioas_map(const struct jv *op)
{
	uint32_t ioas;
	int vm = vm_of_ioas(op, "ioas", &ioas);
	uint64_t iova = u64(op, "iova"), length = u64(op, "length");
	int r = flag(op, "read", 1), w = flag(op, "write", 1);
	uint64_t va = (uint64_t)(uintptr_t)buf + (iova & 0xfff);
	int rc;

	if (vm < 0) {
		put_nokernel("bad ioas reference");
		return;
	}
	if (policy == P_IOMMUFD) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | (r ? IOMMU_IOAS_MAP_READABLE : 0) |
				 (w ? IOMMU_IOAS_MAP_WRITEABLE : 0),
			.ioas_id = ioas,
			.user_va = va,
			.length = length,
			.iova = iova,
		};

		rc = ioc_abi(vms[vm].iommufd, IOMMU_IOAS_MAP, &map, sizeof(map), str(op, "abi"));
	} else {
		struct vfio_iommu_type1_dma_map map = {
			.argsz = sizeof(map),
			.flags = (r ? VFIO_DMA_MAP_FLAG_READ : 0) | (w ? VFIO_DMA_MAP_FLAG_WRITE : 0),
			.vaddr = va,
			.iova = iova,
			.size = length,
		};

		rc = ioc(vms[vm].container, VFIO_IOMMU_MAP_DMA, &map);
	}
	put_errno(rc);
}

static void op_ioas_unmap(const struct jv *op)
{
	uint32_t ioas;
	int vm = vm_of_ioas(op, "ioas", &ioas);
	uint64_t iova = u64(op, "iova"), length = u64(op, "length");
	int rc;

	if (vm < 0) {
		put_nokernel("bad ioas reference");
		return;
	}
	if (policy == P_IOMMUFD) {
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap), .ioas_id = ioas, .iova = iova, .length = length,
		};

		rc = ioc_abi(vms[vm].iommufd, IOMMU_IOAS_UNMAP, &unmap, sizeof(unmap), str(op, "abi"));
		if (!rc)
			put(",\"unmapped\":\"0x%llx\"", (unsigned long long)unmap.length);
	} else {
		/* The lab's unmap-all (iova 0, length 2^64-1) is type1's VFIO_DMA_UNMAP_FLAG_ALL. */
		int all = iova == 0 && length == U64_MAX_;
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = sizeof(unmap),
			.flags = all ? VFIO_DMA_UNMAP_FLAG_ALL : 0,
			.iova = all ? 0 : iova,
			.size = all ? 0 : length,
		};

		rc = ioc(vms[vm].container, VFIO_IOMMU_UNMAP_DMA, &unmap);
		if (!rc)
			put(",\"unmapped\":\"0x%llx\"", (unsigned long long)unmap.size);
	}
	put_errno(rc);
}

static void op_ioas_copy(const struct jv *op)
{
	uint32_t dst, src;
	int vm = vm_of_ioas(op, "ioas", &dst), svm = vm_of_ioas(op, "srcIoas", &src);
	int r = flag(op, "read", 1), w = flag(op, "write", 1);

	if (policy == P_TYPE1) {
		put_nokernel("type1 has no copy");
		return;
	}
	if (vm < 0 || svm < 0) {
		put_nokernel("bad ioas reference");
		return;
	}
	if (vm != svm) {
		put_nokernel("copy between two VMs' contexts is not one ioctl");
		return;
	}
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | (r ? IOMMU_IOAS_MAP_READABLE : 0) |
			 (w ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = u64(op, "length"),
		.dst_iova = u64(op, "iova"),
		.src_iova = u64(op, "srcIova"),
	};

	put_errno(ioc_abi(vms[vm].iommufd, IOMMU_IOAS_COPY, &copy, sizeof(copy), str(op, "abi")));
}

static void op_ioas_allow(const struct jv *op)
{
	uint32_t ioas;
	int vm = vm_of_ioas(op, "ioas", &ioas);
	const struct jv *ranges = json_get(op, "ranges");
	struct iommu_iova_range list[16];
	int n = 0;

	if (policy == P_TYPE1) {
		put_nokernel("type1 has no allowed ranges");
		return;
	}
	if (vm < 0 || !ranges || ranges->type != J_ARR || ranges->n > 16) {
		put_nokernel("bad ioas.allow");
		return;
	}
	for (; n < ranges->n; n++) {
		list[n].start = u64(&ranges->items[n], "start");
		list[n].last = u64(&ranges->items[n], "last");
	}
	struct iommu_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.ioas_id = ioas,
		.num_iovas = n,
		.allowed_iovas = (uint64_t)(uintptr_t)list,
	};

	put_errno(ioc_abi(vms[vm].iommufd, IOMMU_IOAS_ALLOW_IOVAS, &allow, sizeof(allow), str(op, "abi")));
}

static void put_range(int first, uint64_t start, uint64_t last)
{
	put("%s{\"start\":\"0x%llx\",\"last\":\"0x%llx\"}", first ? "" : ",", (unsigned long long)start,
	    (unsigned long long)last);
}

static void op_ioas_ranges(const struct jv *op)
{
	uint32_t ioas;
	int vm = vm_of_ioas(op, "ioas", &ioas);
	int rc;

	if (vm < 0) {
		put_nokernel("bad ioas reference");
		return;
	}
	if (policy == P_IOMMUFD) {
		struct iommu_iova_range list[16];
		struct iommu_ioas_iova_ranges q = {
			.size = sizeof(q),
			.ioas_id = ioas,
			.num_iovas = 16,
			.allowed_iovas = (uint64_t)(uintptr_t)list,
		};

		rc = ioc(vms[vm].iommufd, IOMMU_IOAS_IOVA_RANGES, &q);
		if (!rc) {
			put(",\"alignment\":%llu,\"ranges\":[", (unsigned long long)q.out_iova_alignment);
			for (uint32_t i = 0; i < q.num_iovas && i < 16; i++)
				put_range(!i, list[i].start, list[i].last);
			put("]");
		}
		put_errno(rc);
		return;
	}
	/* type1: VFIO_IOMMU_GET_INFO with its IOVA-range capability. */
	unsigned char info_buf[4096];
	struct vfio_iommu_type1_info *info = (void *)info_buf;

	memset(info_buf, 0, sizeof(info_buf));
	info->argsz = sizeof(info_buf);
	rc = ioc(vms[vm].container, VFIO_IOMMU_GET_INFO, info);
	if (!rc) {
		uint64_t pgsizes = info->iova_pgsizes;

		put(",\"alignment\":%llu,\"ranges\":[", (unsigned long long)(pgsizes & -pgsizes));
		if (info->flags & VFIO_IOMMU_INFO_CAPS) {
			uint32_t off = info->cap_offset;

			while (off && off + sizeof(struct vfio_info_cap_header) <= sizeof(info_buf)) {
				struct vfio_info_cap_header *h = (void *)(info_buf + off);

				if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
					struct vfio_iommu_type1_info_cap_iova_range *c = (void *)h;

					for (uint32_t i = 0; i < c->nr_iovas; i++)
						put_range(!i, c->iova_ranges[i].start, c->iova_ranges[i].end);
				}
				off = h->next;
			}
		}
		put("]");
	}
	put_errno(rc);
}

/* VT-d registers as sysfs shows them (both kernels): what the unit can do. */
static void put_unit(void)
{
	char text[64], path[300], regions[1024];
	uint64_t cap = 0, ecap = 0;
	int group = ndev ? devs[0].group : -1;

	if (!read_file("/sys/class/iommu/dmar0/intel-iommu/cap", text, sizeof(text)))
		cap = strtoull(text, NULL, 16);
	if (!read_file("/sys/class/iommu/dmar0/intel-iommu/ecap", text, sizeof(text)))
		ecap = strtoull(text, NULL, 16);
	put(",\"unit\":{\"cap\":\"0x%llx\",\"ecap\":\"0x%llx\",\"snoopControl\":%s,\"mgaw\":%u,\"sagaw\":%u,"
	    "\"pageSizes\":[4096%s%s],\"reserved\":[",
	    (unsigned long long)cap, (unsigned long long)ecap, (ecap >> 7) & 1 ? "true" : "false",
	    (unsigned)((cap >> 16) & 0x3f) + 1, (unsigned)((cap >> 8) & 0x1f),
	    (cap >> 34) & 1 ? ",2097152" : "", (cap >> 35) & 1 ? ",1073741824" : "");
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	if (!read_file(path, regions, sizeof(regions))) {
		char *save = NULL, *row = strtok_r(regions, "\n", &save);
		int first = 1;

		for (; row; row = strtok_r(NULL, "\n", &save)) {
			unsigned long long start, end;
			char kind[32];

			if (sscanf(row, "%llx %llx %31s", &start, &end, kind) == 3) {
				put("%s{\"start\":\"0x%llx\",\"last\":\"0x%llx\",\"kind\":\"%s\"}", first ? "" : ",",
				    start, end, kind);
				first = 0;
			}
		}
	}
	put("]}");
}

static void op_device_info(const struct jv *op)
{
	int d = find_dev(str(op, "device") ? str(op, "device") : "");
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info info = { .size = sizeof(info), .data_len = sizeof(vtd) };
	int rc;

	if (policy == P_TYPE1 || d < 0 || devs[d].fd < 0) {
		put_nokernel("IOMMU_GET_HW_INFO needs a device bound to an iommufd");
		return;
	}
	memset(&vtd, 0, sizeof(vtd));
	info.dev_id = devs[d].devid;
	info.data_uptr = (uint64_t)(uintptr_t)&vtd;
	rc = ioc(vms[devs[d].vm].iommufd, IOMMU_GET_HW_INFO, &info);
	if (!rc)
		put(",\"type\":%u,\"snoopControl\":%s,\"capabilities\":\"0x%llx\"", info.out_data_type,
		    (vtd.ecap_reg >> 7) & 1 ? "true" : "false", (unsigned long long)info.out_capabilities);
	put_errno(rc);
}

static void run_op(const struct jv *op, const char *name)
{
	if (!strcmp(name, "iommu.add")) {
		put_unit();
		put_nokernel("hardware description: compared with the unit's registers");
	} else if (!strcmp(name, "device.add")) {
		int d = find_dev(str(op, "name") ? str(op, "name") : "");

		if (d < 0)
			put(",\"present\":false");
		else
			put(",\"present\":true,\"group\":%d", devs[d].group);
		put_nokernel("hardware description: the machine's device");
	} else if (!strcmp(name, "vm.create")) {
		op_vm_create(op);
	} else if (!strcmp(name, "vm.attach")) {
		op_vm_attach(op);
	} else if (!strcmp(name, "vm.detach")) {
		op_vm_detach(op);
	} else if (!strcmp(name, "vm.destroy")) {
		op_vm_destroy(op);
	} else if (!strcmp(name, "device.replace")) {
		op_device_replace(op);
	} else if (!strcmp(name, "ioas.map")) {
		op_ioas_map(op);
	} else if (!strcmp(name, "ioas.unmap")) {
		op_ioas_unmap(op);
	} else if (!strcmp(name, "ioas.copy")) {
		op_ioas_copy(op);
	} else if (!strcmp(name, "ioas.allow")) {
		op_ioas_allow(op);
	} else if (!strcmp(name, "ioas.ranges")) {
		op_ioas_ranges(op);
	} else if (!strcmp(name, "hwpt.alloc")) {
		op_hwpt_alloc(op);
	} else if (!strcmp(name, "hwpt.destroy")) {
		op_hwpt_destroy(op);
	} else if (!strcmp(name, "device.info")) {
		op_device_info(op);
	} else {
		put_nokernel("unknown op");
	}
}

/* The VM an op concerns, for the type1 coherency extension printed after it. */
static int op_vm(const struct jv *op)
{
	const char *name = str(op, "vm") ? str(op, "vm") : str(op, "name");
	const struct jv *ioas = json_get(op, "ioas");
	int vm = name ? find_vm(name) : -1;

	if (vm < 0 && ioas && ioas->type == J_STR && ioas->text[0] == '$')
		vm = find_vm(ioas->text + 1);
	return vm;
}

int main(int argc, char **argv)
{
	FILE *scenario, *map;
	char text[4096], err[128];
	struct utsname uts;
	int lineno = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: probe <scenario.jsonl> <devmap>\n");
		return 2;
	}
	scenario = fopen(argv[1], "r");
	map = fopen(argv[2], "r");
	if (!scenario || !map) {
		perror("probe: open");
		return 2;
	}
	while (ndev < MAXDEV && fgets(text, sizeof(text), map)) {
		struct dev *d = &devs[ndev];

		if (sscanf(text, "%63s %31s", d->name, d->bdf) != 2)
			continue;
		d->group = group_of(d->bdf);
		cdev_of(d->bdf, d->cdev, sizeof(d->cdev));
		d->fd = -1;
		d->vm = -1;
		ndev++;
	}
	fclose(map);
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("probe: mmap");
		return 2;
	}
	uname(&uts);
	while (fgets(text, sizeof(text), scenario)) {
		struct jv op;
		const struct jv *name;

		lineno++;
		text[strcspn(text, "\n")] = '\0';
		if (!text[0] || text[0] == '#')
			continue;
		if (json_parse(text, &op, err, sizeof(err))) {
			put("{\"line\":%d,\"error\":\"parse: %s\"", lineno, err);
			flush_line();
			continue;
		}
		if (lineno == 1 || json_get(&op, "scenario")) {
			const char *p = str(&op, "policy");

			policy = p && !strcmp(p, "type1") ? P_TYPE1 : P_IOMMUFD;
			put("{\"line\":%d,\"header\":true,\"uname\":\"%s\",\"kvm\":%s,\"iommufd\":%s,\"devices\":[",
			    lineno, uts.release, access("/dev/kvm", F_OK) ? "false" : "true",
			    access("/dev/iommu", F_OK) ? "false" : "true");
			for (int i = 0; i < ndev; i++)
				put("%s{\"name\":\"%s\",\"bdf\":\"%s\",\"group\":%d,\"cdev\":%s}", i ? "," : "",
				    devs[i].name, devs[i].bdf, devs[i].group, devs[i].cdev[0] ? "true" : "false");
			put("]");
			flush_line();
			json_free(&op);
			continue;
		}
		name = json_get(&op, "op");
		put("{\"line\":%d,\"op\":\"%s\"", lineno, name && name->type == J_STR ? name->text : "");
		run_op(&op, name && name->type == J_STR ? name->text : "");
		if (policy == P_IOMMUFD)
			prune_hwpts();
		if (policy == P_TYPE1) {
			int vm = op_vm(&op);

			if (vm >= 0 && vms[vm].live)
				put(",\"cc\":%d", cc_extension(vm));
		}
		flush_line();
		json_free(&op);
	}
	fclose(scenario);
	return 0;
}
