/* lab_internal.h - objects of one lab and the helpers the .c files share.
 * Objects are owned by the lab; outside callers name them by name or small integer id, never by pointer. */
#ifndef LAB_INTERNAL_H
#define LAB_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ioasid_lab.h"
#include "pagetable.h"
#include "vm_fields.h"

/* Objects (IOMMUs, devices, VMs, IOAS, HWPTs) per lab unless the creator sets its own. A bound, not a
 * budget: every compound op snapshots the whole lab (about 100 bytes per device) and every state read
 * walks it, so this caps what one lab costs in memory and per op. 16,384 holds the largest lab the UI is
 * held to (10,000 devices behind 64 IOMMUs, 200 VMs with their IOAS and HWPTs: about 10,900 objects)
 * with room, and keeps a snapshot under 2 MiB. */
#define LAB_DEFAULT_MAX_OBJECTS 16384u
#define LAB_DEFAULT_MAX_TABLE_BYTES (256ull << 20)

/* A growable byte buffer; oom sticks once an allocation failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void sb_reserve(struct sbuf *sb, size_t more);
void sb_putn_slow(struct sbuf *sb, const void *data, size_t n);
/* Inline with a fast path: result records are built from many 1-8 byte pieces, and a call plus a memcpy
 * call per piece was a measurable share of a small op's time. */
static inline void sb_putn(struct sbuf *sb, const void *data, size_t n)
{
	if (!sb->oom && n && sb->len + n <= sb->cap) {
		memcpy(sb->p + sb->len, data, n);
		sb->len += n;
		return;
	}
	sb_putn_slow(sb, data, n);
}
void sb_puts(struct sbuf *sb, const char *s);
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_hex(struct sbuf *sb, uint64_t v);
void sb_jstr(struct sbuf *sb, const char *s); /* a JSON string, escaped */
void sb_free(struct sbuf *sb);

/* An ordered list of pointers; removal keeps the order (lists are small, order is the contract). */
struct pvec {
	void **v;
	size_t n, cap;
};
int pvec_push(struct pvec *pv, void *p);
int pvec_insert(struct pvec *pv, size_t at, void *p);
long pvec_find(const struct pvec *pv, const void *p);
void pvec_remove(struct pvec *pv, const void *p);
void pvec_free(struct pvec *pv);

struct resv {
	uint64_t start, last; /* inclusive */
	uint32_t kind;
};

struct iommu {
	char name[IOASID_NAME_LEN + 1];
	uint32_t vendor;
	bool enforce; /* snoop control: IOMMU_CAP_ENFORCE_CACHE_COHERENCY */
	uint32_t page_sizes;
	uint32_t iova_bits;
	uint32_t nr_resv;
	struct resv resv[IOASID_MAX_RESERVED];
	uint32_t at; /* index in lab->iommus at the last lab_serialize_to(): a hint, checked */
};

struct vm;
struct hwpt;

struct device {
	char name[IOASID_NAME_LEN + 1];
	struct iommu *iommu;
	uint32_t group, kind, requires_kvm;
	bool nosnoop;
	struct vm *vm;     /* the VM that owns it (bound and attached), or NULL */
	struct hwpt *hwpt; /* its HWPT while attached */
	bool kvm_file;     /* its file is on vm's kvm-vfio device */
	uint32_t at;       /* index in lab->devices at the last lab_serialize_to(): a hint, checked */
};

/* [iova, last] inclusive, like the kernel's iopt_area. */
struct area {
	uint64_t iova, last;
	bool read, write;
};

struct ioas {
	uint32_t id;
	struct vm *vm;
	struct area *areas; /* sorted by iova, never overlapping */
	size_t nr_areas, cap_areas;
	uint32_t nr_allowed; /* IOMMU_IOAS_ALLOW_IOVAS ranges, sorted, disjoint; none: all allowed */
	struct ioasid_iova_range allowed[IOASID_MAX_ALLOWED];
};

struct hwpt {
	uint32_t id;
	struct ioas *ioas;
	struct iommu *iommu; /* the unit it was allocated for: its format (vendor, widths, page sizes) */
	bool enforce;        /* every leaf carries SNP */
	bool autod;          /* made by the policy; freed when its last device leaves */
	struct pvec devices; /* attach order */
	struct pagetable pt;
};

struct vm {
	char name[IOASID_NAME_LEN + 1];
	struct ioas *ioas;
	/* memory, noncoherent (one flag per kvm-vfio device), hazard, devices, kvm_files: vm_fields.h */
	VM_FIELDS(VM_FIELD_MEMBER)
	uint32_t at; /* index in lab->vms at the last lab_serialize_to(): a hint, checked */
};

struct ioasid_lab;

/* How a policy chooses tables and how KVM judges coherency under it (one file per policy). */
struct attach_policy_ops {
	const char *name;
	/* Attaches dev (not attached, no group mate attached) to a table of vm's IOAS the policy chooses. */
	int (*auto_attach)(struct ioasid_lab *lab, struct vm *vm, struct device *dev);
	/* kvm_vfio_file_enforced_coherent() for dev's file in vm. */
	bool (*file_coherent)(struct ioasid_lab *lab, struct vm *vm, struct device *dev);
	bool kvm_follows_tables;     /* the IOASID layer tells KVM after every table change */
	bool domain_before_kvm;      /* type1: the group joins the container before FILE_ADD, and FILE_DEL
				      * comes before it leaves (QEMU's legacy container) */
	bool file_per_group;         /* type1: QEMU adds one kvm-vfio file per VFIO group, not per device */
	bool no_replace;             /* type1 has no replace (no IOMMU_HWPT_ALLOC, no iommufd_device_replace) */
	bool mates_share_by_group;   /* a group mate's table is the group's (the auto path is bypassed) */
	bool needs_explicit_hwpt;    /* explicit: vm.attach without hwpt is EINVAL */
	int area_conflict_errno;     /* an IOAS area the new domain cannot hold */
	/* type1: VFIO_IOMMU_MAP_DMA/UNMAP_DMA answers (vfio_dma_do_map/unmap): a wrapping range is EINVAL, an
	 * unmap that cuts a mapping is EINVAL, an unmap over nothing succeeds with 0 bytes. */
	bool vfio_dma_errnos;
	/* iommufd: binding a cdev bound elsewhere is EINVAL (vfio_df_open), a device whose group is owned by
	 * another iommufd EPERM (iommu_device_claim_dma_owner); elsewhere both are EBUSY. */
	bool cdev_ownership;
};

/* How KVM judges a VFIO group file (vfio_file_enforced_coherent) under the type1 container. */
enum kvm_group_judge {
	KVM_JUDGE_CONTAINER,     /* 6.1: every domain of the group's container enforces */
	KVM_JUDGE_GROUP_DEVICES, /* 6.2 on: every device of the group is behind a unit that can enforce */
};

/* The rules of one Linux release that the lab models (kernel.c; docs/kernels.md). */
struct kernel_profile {
	const char *name;
	bool has_iommufd;
	enum kvm_group_judge type1_judge;
	/* iommufd attach/replace try enforce_cache_coherency() on an existing non-enforcing domain. */
	bool iommufd_upgrade_at_attach;
};

const struct kernel_profile *kernel_profile(uint32_t kernel);

extern const struct attach_policy_ops policy_type1_ops;
extern const struct attach_policy_ops policy_iommufd_ops;
extern const struct attach_policy_ops policy_shared_ops;
extern const struct attach_policy_ops policy_explicit_ops;

struct ioasid_lab {
	uint32_t policy;
	const struct attach_policy_ops *ops;
	uint32_t kernel; /* enum ioasid_kernel */
	const struct kernel_profile *profile;
	uint32_t max_objects;
	uint32_t nr_objects;
	uint32_t next_id;    /* IOAS and HWPT ids, like iommufd's object xarray */
	uint32_t next_group; /* fresh IOMMU group numbers */
	struct pt_pool *pool;
	struct pvec iommus, devices, vms, ioas, hwpts; /* creation (= id) order */

	/* Output side, not part of the model (kept across rollback). */
	struct sbuf out;
	int nr_effects;      /* effects written in the current op */
	size_t ef_fields_at; /* offset of the current effect's field count */
	char msg[256];
};

/* Errors: set the message, return -errno. */
int lab_err(struct ioasid_lab *lab, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Effects, written into lab->out as binary records (see enum ioasid_effect in the ABI header). */
void ef_begin(struct ioasid_lab *lab, enum ioasid_effect type);
void ef_str(struct ioasid_lab *lab, enum ioasid_effect_key key, const char *value);
void ef_u32(struct ioasid_lab *lab, enum ioasid_effect_key key, uint32_t value);
void ef_hex(struct ioasid_lab *lab, enum ioasid_effect_key key, uint64_t value);
void ef_bool(struct ioasid_lab *lab, enum ioasid_effect_key key, bool value);
void ef_end(struct ioasid_lab *lab);

/* Lookups. */
struct iommu *lab_find_iommu(struct ioasid_lab *lab, const char *name);
struct device *lab_find_device(struct ioasid_lab *lab, const char *name);
struct vm *lab_find_vm(struct ioasid_lab *lab, const char *name);
struct ioas *lab_find_ioas(struct ioasid_lab *lab, uint32_t id);
struct hwpt *lab_find_hwpt(struct ioasid_lab *lab, uint32_t id);
int lab_take_object(struct ioasid_lab *lab, const char *what);
void lab_put_object(struct ioasid_lab *lab);
int lab_name_check(struct ioasid_lab *lab, const char *what, char *dst, const char *src);
bool name_valid(const char *name);

/* Snapshot and rollback (serialize.c). */
int lab_serialize_to(struct ioasid_lab *lab, struct sbuf *sb);
struct ioasid_lab *lab_deserialize(const void *data, size_t len, int *err);
void lab_free_model(struct ioasid_lab *lab);
void lab_free_objects(struct ioasid_lab *lab);
int lab_rollback(struct ioasid_lab *lab, const struct sbuf *snapshot);

/* iommu.c */
int op_iommu_add(struct ioasid_lab *lab, const struct ioasid_iommu_add *a);
int op_device_add(struct ioasid_lab *lab, const struct ioasid_device_add *a);
int op_device_remove(struct ioasid_lab *lab, const struct ioasid_device_remove *a);
struct iommu *iommu_new(struct ioasid_lab *lab);
struct device *device_new(struct ioasid_lab *lab);
uint32_t levels_for_bits(uint32_t bits);
const char *vendor_name(uint32_t vendor);
const char *resv_kind_name(uint32_t kind);
const char *device_kind_name(uint32_t kind);
const char *requires_kvm_name(uint32_t kind);

/* ioas.c */
struct ioas *ioas_new(struct ioasid_lab *lab, uint32_t id);
void ioas_free(struct ioas *ioas);
int ioas_insert_area(struct ioas *ioas, uint64_t iova, uint64_t last, bool read, bool write);
int ioas_map(struct ioasid_lab *lab, struct ioas *ioas, uint64_t iova, uint64_t length, bool read, bool write);
int op_ioas_map(struct ioasid_lab *lab, const struct ioasid_ioas_map *a);
int op_ioas_unmap(struct ioasid_lab *lab, const struct ioasid_ioas_unmap *a);
int op_ioas_copy(struct ioasid_lab *lab, const struct ioasid_ioas_copy *a);
int op_ioas_allow(struct ioasid_lab *lab, const struct ioasid_ioas_allow *a);
/* iopt_reserve_iova(): a new reservation may not cover an allowed range (EADDRINUSE). */
int ioas_check_reservation(struct ioasid_lab *lab, struct ioas *ioas, uint64_t start, uint64_t last,
			   const char *owner);
int lab_transaction(struct ioasid_lab *lab, int (*fn)(struct ioasid_lab *lab, const void *arg), const void *arg);
uint64_t ioas_alignment(struct ioasid_lab *lab, struct ioas *ioas);
/* The first reserved range of ioas intersecting [start, last] (device regions and domain apertures). */
bool ioas_reserved_hit(struct ioasid_lab *lab, struct ioas *ioas, uint64_t start, uint64_t last, uint64_t *rs,
		       uint64_t *rl, const char **owner);

/* hwpt.c */
/* with_table false leaves pt empty (root NULL) for the caller to fill or adopt. */
struct hwpt *hwpt_new(struct ioasid_lab *lab, uint32_t id, struct ioas *ioas, struct iommu *iommu, bool enforce,
		      bool autod, bool with_table);
void hwpt_free(struct ioasid_lab *lab, struct hwpt *hwpt);
int hwpt_create(struct ioasid_lab *lab, struct ioas *ioas, struct iommu *iommu, bool enforce, bool autod,
		struct hwpt **out);
void hwpt_destroy(struct ioasid_lab *lab, struct hwpt *hwpt);
int hwpt_populate(struct ioasid_lab *lab, struct hwpt *hwpt);
int hwpt_compatible(struct ioasid_lab *lab, struct hwpt *hwpt, struct device *dev);
int hwpt_check_areas_for_device(struct ioasid_lab *lab, struct ioas *ioas, struct device *dev);
int hwpt_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev, struct hwpt *hwpt);
void hwpt_detach(struct ioasid_lab *lab, struct device *dev);
void hwpt_downgrade(struct ioasid_lab *lab, struct hwpt *hwpt, struct device *dev);
/* iommufd_hw_pagetable_enforce_cc() as kernels before 2ccabf81ddff ran it at attach: 0 or -EINVAL. */
int hwpt_enforce_cc(struct ioasid_lab *lab, struct hwpt *hwpt, struct device *dev);
/* hwpt_enforce_cc() when the kernel profile and policy upgrade at attach/replace, else 0. */
int hwpt_upgrade_for(struct ioasid_lab *lab, struct hwpt *hwpt, struct device *dev);
int op_hwpt_alloc(struct ioasid_lab *lab, const struct ioasid_hwpt_alloc *a);
int op_hwpt_destroy(struct ioasid_lab *lab, const struct ioasid_hwpt_destroy *a);
bool iommu_same_format(const struct iommu *a, const struct iommu *b);
struct device *group_mate_attached(struct ioasid_lab *lab, struct device *dev);

/* vm.c */
struct vm *vm_new(struct ioasid_lab *lab);
void vm_free(struct vm *vm);
int op_vm_create(struct ioasid_lab *lab, const struct ioasid_vm_create *a);
int op_vm_destroy(struct ioasid_lab *lab, const struct ioasid_vm_destroy *a);
int op_vm_attach(struct ioasid_lab *lab, const struct ioasid_vm_attach *a);
int op_vm_detach(struct ioasid_lab *lab, const struct ioasid_vm_detach *a);
int op_device_replace(struct ioasid_lab *lab, const struct ioasid_device_replace *a);
void kvm_update_coherency(struct ioasid_lab *lab, struct vm *vm);
void kvm_tables_changed(struct ioasid_lab *lab, struct vm *vm);
void lab_update_hazards(struct ioasid_lab *lab);
bool vm_tables_enforce(struct ioasid_lab *lab, struct vm *vm);

/* state.c */
void lab_write_state(struct ioasid_lab *lab, struct sbuf *sb);
int lab_write_leaves(struct ioasid_lab *lab, const struct ioasid_pagetable_query *q, struct sbuf *sb);

static inline uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

#endif
