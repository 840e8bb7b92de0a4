/* lab.c - the lab context (create, destroy, names and lookups) and its ioctl-shaped entry points: struct
 * size/flags rules, dispatch, results in the caller's buffer, batches. No globals, so many labs run side by
 * side. Refusal messages are formatted in message.c, effects written in effects.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "abi_names.h"
#include "lab_internal.h"

uint32_t ioasid_abi_version(void)
{
	return IOASID_ABI_VERSION;
}

static const struct attach_policy_ops *policy_ops(uint32_t policy)
{
	switch (policy) {
	case IOASID_POLICY_TYPE1:
		return &policy_type1_ops;
	case IOASID_POLICY_IOMMUFD:
		return &policy_iommufd_ops;
	case IOASID_POLICY_SHARED:
		return &policy_shared_ops;
	case IOASID_POLICY_EXPLICIT:
		return &policy_explicit_ops;
	default:
		return NULL;
	}
}

static struct ioasid_lab *lab_alloc(uint32_t policy, uint32_t kernel, uint32_t max_objects,
				    uint64_t max_table_bytes)
{
	struct ioasid_lab *lab;

	if (!policy_ops(policy) || !kernel_profile(kernel))
		return NULL;
	lab = calloc(1, sizeof(*lab));
	if (!lab)
		return NULL;
	lab->policy = policy;
	lab->ops = policy_ops(policy);
	lab->kernel = kernel;
	lab->profile = kernel_profile(kernel);
	lab->max_objects = max_objects ? max_objects : LAB_DEFAULT_MAX_OBJECTS;
	lab->next_id = 1;
	lab->pool = pt_pool_new(max_table_bytes ? max_table_bytes : LAB_DEFAULT_MAX_TABLE_BYTES);
	if (!lab->pool) {
		free(lab);
		return NULL;
	}
	return lab;
}

struct ioasid_lab *ioasid_lab_create(uint32_t policy)
{
	return lab_alloc(policy, IOASID_KERNEL_6_12, 0, 0);
}

struct ioasid_lab *ioasid_lab_create_limits(uint32_t policy, const struct ioasid_lab_limits *limits, int32_t *err)
{
	struct ioasid_lab *lab;
	uint32_t kernel = IOASID_KERNEL_6_12;
	int32_t dummy;

	if (!err)
		err = &dummy;
	*err = 0;
	if (limits) {
		if (limits->size < sizeof(*limits)) {
			*err = -EINVAL;
			return NULL;
		}
		if (limits->size > sizeof(*limits)) {
			*err = -E2BIG;
			return NULL;
		}
		if (limits->max_table_bytes > IOASID_MAX_TABLE_BYTES) {
			*err = -EINVAL;
			return NULL;
		}
		if (limits->flags & ~IOASID_LIMITS_KERNEL) {
			*err = -EOPNOTSUPP;
			return NULL;
		}
		if (limits->flags & IOASID_LIMITS_KERNEL)
			kernel = limits->kernel;
		else if (limits->kernel) {
			*err = -EINVAL;
			return NULL;
		}
	}
	if (!policy_ops(policy) || !kernel_profile(kernel)) {
		*err = -EINVAL;
		return NULL;
	}
	if (policy == IOASID_POLICY_IOMMUFD && !kernel_profile(kernel)->has_iommufd) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	lab = lab_alloc(policy, kernel, limits ? limits->max_objects : 0, limits ? limits->max_table_bytes : 0);
	if (!lab)
		*err = -ENOMEM;
	return lab;
}

uint32_t ioasid_lab_policy(const struct ioasid_lab *lab)
{
	return lab->policy;
}

/* Frees every object, keeping the table pool (tables go back to it) and the output buffer. */
void lab_free_objects(struct ioasid_lab *lab)
{
	for (size_t i = 0; i < lab->hwpts.n; i++)
		hwpt_free(lab, lab->hwpts.v[i]);
	for (size_t i = 0; i < lab->ioas.n; i++)
		ioas_free(lab->ioas.v[i]);
	for (size_t i = 0; i < lab->vms.n; i++)
		vm_free(lab->vms.v[i]);
	for (size_t i = 0; i < lab->devices.n; i++)
		free(lab->devices.v[i]);
	for (size_t i = 0; i < lab->iommus.n; i++)
		free(lab->iommus.v[i]);
	pvec_free(&lab->hwpts);
	pvec_free(&lab->ioas);
	pvec_free(&lab->vms);
	pvec_free(&lab->devices);
	pvec_free(&lab->iommus);
}

/* Frees every object and the table pool, keeping the output buffer. */
void lab_free_model(struct ioasid_lab *lab)
{
	lab_free_objects(lab);
	pt_pool_free(lab->pool);
	lab->pool = NULL;
}

void ioasid_lab_destroy(struct ioasid_lab *lab)
{
	if (!lab)
		return;
	lab_free_model(lab);
	sb_free(&lab->out);
	free(lab);
}


bool name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > IOASID_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* Copies a fixed 64-byte name field (NUL-padded; no NUL needed at 64) and validates it. */
int lab_name_check(struct ioasid_lab *lab, const char *what, char *dst, const char *src)
{
	size_t n = strnlen(src, IOASID_NAME_LEN);

	memset(dst, 0, IOASID_NAME_LEN + 1);
	memcpy(dst, src, n);
	if (!name_valid(dst))
		return lab_err(lab, EINVAL, "%s name \"%.64s\" is not [A-Za-z0-9][A-Za-z0-9_.-]{0,63}", what, dst);
	return 0;
}

int lab_take_object(struct ioasid_lab *lab, const char *what)
{
	if (lab->nr_objects >= lab->max_objects)
		return lab_err(lab, ENOSPC, "cannot add %s: the lab holds its limit of %u objects", what,
			       lab->max_objects);
	lab->nr_objects++;
	return 0;
}

void lab_put_object(struct ioasid_lab *lab)
{
	lab->nr_objects--;
}

struct iommu *lab_find_iommu(struct ioasid_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->iommus.n; i++) {
		struct iommu *u = lab->iommus.v[i];

		if (!strcmp(u->name, name))
			return u;
	}
	return NULL;
}

struct device *lab_find_device(struct ioasid_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *d = lab->devices.v[i];

		if (!strcmp(d->name, name))
			return d;
	}
	return NULL;
}

struct vm *lab_find_vm(struct ioasid_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->vms.n; i++) {
		struct vm *vm = lab->vms.v[i];

		if (!strcmp(vm->name, name))
			return vm;
	}
	return NULL;
}

struct ioas *lab_find_ioas(struct ioasid_lab *lab, uint32_t id)
{
	for (size_t i = 0; i < lab->ioas.n; i++) {
		struct ioas *ioas = lab->ioas.v[i];

		if (ioas->id == id)
			return ioas;
	}
	return NULL;
}

struct hwpt *lab_find_hwpt(struct ioasid_lab *lab, uint32_t id)
{
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->id == id)
			return h;
	}
	return NULL;
}


static const char *errno_name(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case ESRCH:
		return "ESRCH";
	case E2BIG:
		return "E2BIG";
	case ENOMEM:
		return "ENOMEM";
	case EBUSY:
		return "EBUSY";
	case EEXIST:
		return "EEXIST";
	case EINVAL:
		return "EINVAL";
	case ENOSPC:
		return "ENOSPC";
	case ERANGE:
		return "ERANGE";
	case EOVERFLOW:
		return "EOVERFLOW";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EADDRINUSE:
		return "EADDRINUSE";
	default:
		return NULL;
	}
}

static void write_error(struct ioasid_lab *lab, int rc)
{
	int err = -rc;

	if (!errno_name(err))
		err = EINVAL;
	sb_printf(&lab->out, "{\"ok\":false,\"errno\":%d,\"code\":\"%s\",\"message\":", err, errno_name(err));
	if (!lab->msg[0])
		snprintf(lab->msg, sizeof(lab->msg), "%s", errno_name(err));
	sb_jstr(&lab->out, lab->msg);
	sb_puts(&lab->out, ",\"effects\":[]}");
}

/* Like copy_struct_from_user(): the first u32 is the caller's struct size. */
static int copy_arg(struct ioasid_lab *lab, void *dst, size_t dst_size, const void *src, size_t src_len)
{
	const unsigned char *bytes = src;
	uint32_t size;

	if (src_len < sizeof(uint32_t))
		return lab_err(lab, EINVAL, "argument of %zu bytes has no size field", src_len);
	memcpy(&size, src, sizeof(size));
	if (size > IOASID_MAX_STRUCT_SIZE)
		return lab_err(lab, E2BIG, "struct size %u is larger than a page", size);
	if (size > src_len)
		return lab_err(lab, EINVAL, "struct size %u exceeds the %zu bytes passed", size, src_len);
	if (size < dst_size)
		return lab_err(lab, EINVAL, "struct size %u is below the first version (%zu bytes)", size, dst_size);
	for (size_t i = dst_size; i < size; i++)
		if (bytes[i])
			return lab_err(lab, E2BIG, "nonzero byte at offset %zu past the %zu known bytes", i, dst_size);
	memcpy(dst, src, dst_size);
	return 0;
}

static int op_refuse(struct ioasid_lab *lab, const void *arg)
{
	const struct ioasid_refuse *r = arg;
	/* A real errno (1..4095, like the kernel's MAX_ERRNO), else EINVAL: never negate INT_MIN. */
	int err = r->err >= 1 && r->err <= 4095 ? (int)r->err : EINVAL;

	memcpy(lab->msg, r->message, sizeof(r->message));
	lab->msg[sizeof(r->message) < sizeof(lab->msg) ? sizeof(r->message) - 1 : sizeof(lab->msg) - 1] = 0;
	return -err;
}

struct cmd_desc {
	const char *name;
	size_t size;
	uint32_t flags;
	int (*fn)(struct ioasid_lab *lab, const void *arg);
};

#define CMD(n, type, fl, f) { n, sizeof(struct type), fl, (int (*)(struct ioasid_lab *, const void *))f }
static const struct cmd_desc cmds[IOASID_CMD_MAX] = {
	[IOASID_CMD_REFUSE] = CMD(IOASID_CMD_REFUSE_NAME, ioasid_refuse, 0, op_refuse),
	[IOASID_CMD_IOMMU_ADD] = CMD(IOASID_CMD_IOMMU_ADD_NAME, ioasid_iommu_add,
				     IOASID_IOMMU_ENFORCE_CC | IOASID_IOMMU_HAS_PAGE_SIZES | IOASID_IOMMU_HAS_IOVA_BITS |
					     IOASID_IOMMU_HAS_RESERVED,
				     op_iommu_add),
	[IOASID_CMD_DEVICE_ADD] = CMD(IOASID_CMD_DEVICE_ADD_NAME, ioasid_device_add,
				      IOASID_DEVICE_NO_SNOOP | IOASID_DEVICE_HAS_GROUP, op_device_add),
	[IOASID_CMD_DEVICE_REMOVE] = CMD(IOASID_CMD_DEVICE_REMOVE_NAME, ioasid_device_remove, 0, op_device_remove),
	[IOASID_CMD_VM_CREATE] = CMD(IOASID_CMD_VM_CREATE_NAME, ioasid_vm_create, IOASID_VM_HAS_MEMORY, op_vm_create),
	[IOASID_CMD_VM_DESTROY] = CMD(IOASID_CMD_VM_DESTROY_NAME, ioasid_vm_destroy, 0, op_vm_destroy),
	[IOASID_CMD_VM_ATTACH] = CMD(IOASID_CMD_VM_ATTACH_NAME, ioasid_vm_attach, IOASID_ATTACH_HAS_HWPT, op_vm_attach),
	[IOASID_CMD_VM_DETACH] = CMD(IOASID_CMD_VM_DETACH_NAME, ioasid_vm_detach, 0, op_vm_detach),
	[IOASID_CMD_DEVICE_REPLACE] = CMD(IOASID_CMD_DEVICE_REPLACE_NAME, ioasid_device_replace,
					  IOASID_REPLACE_NEW | IOASID_REPLACE_HAS_ENFORCE | IOASID_REPLACE_ENFORCE,
					  op_device_replace),
	[IOASID_CMD_IOAS_MAP] = CMD(IOASID_CMD_IOAS_MAP_NAME, ioasid_ioas_map, IOASID_MAP_READ | IOASID_MAP_WRITE, op_ioas_map),
	[IOASID_CMD_IOAS_UNMAP] = CMD(IOASID_CMD_IOAS_UNMAP_NAME, ioasid_ioas_unmap, 0, op_ioas_unmap),
	[IOASID_CMD_HWPT_ALLOC] = CMD(IOASID_CMD_HWPT_ALLOC_NAME, ioasid_hwpt_alloc, IOASID_HWPT_HAS_ENFORCE | IOASID_HWPT_ENFORCE,
				      op_hwpt_alloc),
	[IOASID_CMD_HWPT_DESTROY] = CMD(IOASID_CMD_HWPT_DESTROY_NAME, ioasid_hwpt_destroy, 0, op_hwpt_destroy),
	[IOASID_CMD_IOAS_COPY] = CMD(IOASID_CMD_IOAS_COPY_NAME, ioasid_ioas_copy, IOASID_MAP_READ | IOASID_MAP_WRITE, op_ioas_copy),
	[IOASID_CMD_IOAS_ALLOW] = CMD(IOASID_CMD_IOAS_ALLOW_NAME, ioasid_ioas_allow, 0, op_ioas_allow),
};

/* The largest op struct, so one stack buffer holds any of them. */
union op_arg {
	struct ioasid_refuse refuse;
	struct ioasid_iommu_add iommu_add;
	struct ioasid_device_add device_add;
	struct ioasid_vm_create vm_create;
	struct ioasid_vm_attach vm_attach;
	struct ioasid_device_replace replace;
	struct ioasid_ioas_map map;
	struct ioasid_hwpt_alloc hwpt_alloc;
	struct ioasid_ioas_copy copy;
	struct ioasid_ioas_allow allow;
};

static int dispatch(struct ioasid_lab *lab, uint32_t cmd, const void *src, size_t src_len)
{
	union op_arg arg;
	const struct cmd_desc *d;
	uint32_t flags;
	int rc;

	if (cmd >= IOASID_CMD_MAX || !cmds[cmd].fn)
		return lab_err(lab, EINVAL, "unknown command %u", cmd);
	d = &cmds[cmd];
	rc = copy_arg(lab, &arg, d->size, src, src_len);
	if (rc)
		return rc;
	memcpy(&flags, (const char *)&arg + 4, sizeof(flags));
	if (flags & ~d->flags)
		return lab_err(lab, EOPNOTSUPP, "%s: unknown flags 0x%x", d->name, flags & ~d->flags);
	rc = d->fn(lab, &arg);
	if (rc == 0)
		lab_update_hazards(lab);
	return rc;
}

/* Runs one op and appends its result record to lab->out; a refused op leaves only its errno and message. */
static int run_op(struct ioasid_lab *lab, uint32_t cmd, const void *arg, size_t arg_len)
{
	size_t start = lab->out.len;
	uint32_t status = 0;
	uint32_t count = 0;
	int rc;

	lab->nr_effects = 0;
	lab->msg[0] = 0;
	sb_putn(&lab->out, &status, 4);
	sb_putn(&lab->out, &count, 4);
	rc = dispatch(lab, cmd, arg, arg_len);
	if (rc) {
		uint16_t len;

		status = (uint32_t)-rc;
		if (!errno_name((int)status))
			status = EINVAL;
		if (!lab->msg[0])
			snprintf(lab->msg, sizeof(lab->msg), "%s", errno_name((int)status));
		len = (uint16_t)strlen(lab->msg);
		lab->out.len = start;
		sb_putn(&lab->out, &status, 4);
		sb_putn(&lab->out, &len, 2);
		sb_putn(&lab->out, lab->msg, len);
	} else if (!lab->out.oom) {
		count = (uint32_t)lab->nr_effects;
		memcpy(lab->out.p + start + 4, &count, 4);
	}
	return rc;
}

/* Copies lab->out as [u32 length][bytes] when it fits, else just the length. */
static void emit(struct ioasid_lab *lab, void *out, uint32_t out_cap)
{
	uint32_t len = (uint32_t)lab->out.len;

	if (!out || out_cap < 4)
		return;
	memcpy(out, &len, 4);
	if ((uint64_t)len + 4 <= out_cap)
		memcpy((char *)out + 4, lab->out.p, len);
}

int32_t ioasid_lab_fetch(struct ioasid_lab *lab, void *out, uint32_t out_cap)
{
	if ((uint64_t)lab->out.len + 4 > out_cap)
		return -ENOSPC;
	emit(lab, out, out_cap);
	return (int32_t)lab->out.len;
}

int32_t ioasid_lab_ioctl(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len, void *out,
			 uint32_t out_cap)
{
	int rc;

	lab->out.len = 0;
	lab->out.oom = false;
	rc = run_op(lab, cmd, arg, arg_len);
	if (lab->out.oom) {
		/* An empty output tells the caller no result could be written. */
		lab->out.len = 0;
		lab->out.oom = false;
		emit(lab, out, out_cap);
		return -ENOMEM;
	}
	emit(lab, out, out_cap);
	return rc;
}

int32_t ioasid_lab_batch(struct ioasid_lab *lab, const void *ops, uint32_t ops_len, uint32_t flags, void *out,
			 uint32_t out_cap)
{
	const char *p = ops;
	struct sbuf snapshot = { 0 };
	const uint32_t known = IOASID_BATCH_ATOMIC | IOASID_BATCH_REFUSED_ONLY;
	uint32_t off, count = 0, refused = 0;
	int rc;

	lab->out.len = 0;
	lab->out.oom = false;
	lab->msg[0] = 0;
	if (flags & ~known) {
		write_error(lab, lab_err(lab, EOPNOTSUPP, "batch: unknown flags 0x%x", flags & ~known));
		emit(lab, out, out_cap);
		return -EOPNOTSUPP;
	}
	/* Check the framing first so a malformed batch runs nothing. */
	for (off = 0; off < ops_len;) {
		uint32_t hdr[2];

		if (ops_len - off < 8)
			break;
		memcpy(hdr, p + off, 8);
		if (hdr[1] < 8 || (hdr[1] & 7) || hdr[1] > ops_len - off)
			break;
		off += hdr[1];
	}
	if (off != ops_len) {
		write_error(lab, lab_err(lab, EINVAL, "batch: malformed record at offset %u", off));
		emit(lab, out, out_cap);
		return -EINVAL;
	}
	if (flags & IOASID_BATCH_ATOMIC) {
		rc = lab_serialize_to(lab, &snapshot);
		if (rc) {
			sb_free(&snapshot);
			write_error(lab, lab_err(lab, ENOMEM, "batch: no memory for a snapshot"));
			emit(lab, out, out_cap);
			return rc;
		}
	}
	for (off = 0; off < ops_len; count++) {
		uint32_t hdr[2];

		memcpy(hdr, p + off, 8);
		rc = run_op(lab, hdr[0], p + off + 8, hdr[1] - 8);
		off += hdr[1];
		if (flags & IOASID_BATCH_REFUSED_ONLY) {
			/* Only the count is kept: each op's record is dropped as soon as it is written. */
			refused += rc != 0;
			lab->out.len = 0;
			lab->out.oom = false;
		}
		if (rc && (flags & IOASID_BATCH_ATOMIC)) {
			count++;
			if (lab_rollback(lab, &snapshot)) {
				/* Cannot happen short of memory exhaustion: the lab is left as the ops made it. */
				sb_free(&snapshot);
				return -ENOMEM;
			}
			break;
		}
	}
	sb_free(&snapshot);
	if (flags & IOASID_BATCH_REFUSED_ONLY)
		sb_putn(&lab->out, &refused, 4);
	if (lab->out.oom) {
		lab->out.len = 0;
		lab->out.oom = false;
		write_error(lab, lab_err(lab, ENOMEM, "batch: no memory for the results"));
		emit(lab, out, out_cap);
		return -ENOMEM;
	}
	emit(lab, out, out_cap);
	return (int32_t)count;
}

int32_t ioasid_lab_state(struct ioasid_lab *lab, void *out, uint32_t out_cap)
{
	lab->out.len = 0;
	lab->out.oom = false;
	lab_write_state(lab, &lab->out);
	if (lab->out.oom)
		return -ENOMEM;
	emit(lab, out, out_cap);
	return 0;
}

int32_t ioasid_lab_pagetable(struct ioasid_lab *lab, const struct ioasid_pagetable_query *query, void *out,
			     uint32_t out_cap)
{
	struct ioasid_pagetable_query q;
	int rc;

	lab->out.len = 0;
	lab->out.oom = false;
	lab->msg[0] = 0;
	rc = copy_arg(lab, &q, sizeof(q), query, IOASID_MAX_STRUCT_SIZE);
	if (!rc && q.flags)
		rc = lab_err(lab, EOPNOTSUPP, "pagetable query: unknown flags 0x%x", q.flags);
	if (!rc)
		rc = lab_write_leaves(lab, &q, &lab->out);
	if (rc) {
		lab->out.len = 0;
		write_error(lab, rc);
	}
	if (lab->out.oom)
		return -ENOMEM;
	emit(lab, out, out_cap);
	return rc;
}

int32_t ioasid_lab_serialize(struct ioasid_lab *lab, void *out, uint32_t out_cap)
{
	int rc;

	lab->out.len = 0;
	lab->out.oom = false;
	rc = lab_serialize_to(lab, &lab->out);
	if (rc)
		return rc;
	emit(lab, out, out_cap);
	return 0;
}

struct ioasid_lab *ioasid_lab_restore(const void *snapshot, uint32_t len, int32_t *err)
{
	int e = 0;
	struct ioasid_lab *lab = lab_deserialize(snapshot, len, &e);

	if (err)
		*err = e;
	return lab;
}
